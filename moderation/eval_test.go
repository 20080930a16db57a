package moderation

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The evaluation corpus: every single-word entry of the default lists,
// disguised by each transformation family, alone and inside a sentence.
// A disguise is caught when the verdict holds or rejects the comment with
// evidence that covers the disguised word.

type family struct {
	name   string
	inText bool // only inside an English sentence
	// apply disguises a lower-case word; ok is false when the family does
	// not apply to it (no vowel to star out, no look-alike letter).
	apply func(w string) (string, bool)
}

var families = []family{
	{"plain", false, func(w string) (string, bool) { return w, true }},
	{"capitals", false, func(w string) (string, bool) { return strings.ToUpper(w), true }},
	{"mixed case", false, func(w string) (string, bool) {
		return mapIndex(w, func(i int, r rune) string { return caseAt(i, r) }), true
	}},
	{"spaced", false, join(" ")},
	{"dotted", false, join(".")},
	{"underscored", false, join("_")},
	{"hyphenated", false, join("-")},
	{"zero-width", false, join("\u200b")},
	{"soft hyphen", false, join("\u00ad")},
	{"combining marks", false, func(w string) (string, bool) {
		return mapIndex(w, func(i int, r rune) string { return string(r) + []string{"\u0301", "\u0336", "\u0308"}[i%3] }), true
	}},
	{"fullwidth", false, func(w string) (string, bool) {
		return mapIndex(w, func(_ int, r rune) string { return string(shift(r, 'ａ')) }), true
	}},
	{"math bold", false, func(w string) (string, bool) {
		return mapIndex(w, func(_ int, r rune) string { return string(shift(r, '𝐚')) }), true
	}},
	{"cyrillic letters", false, lookalike(cyrillic, false)},
	{"greek letters", false, lookalike(greek, false)},
	{"cyrillic word in English text", true, lookalike(cyrillic, true)},
	{"armenian letters", false, lookalike(armenian, false)},
	{"cherokee letters", false, lookalike(cherokee, false)},
	{"lisu letters", false, lookalike(lisu, false)},
	{"cherokee word in English text", true, lookalike(cherokee, true)},
	{"upside down", false, func(w string) (string, bool) {
		r := []rune(w)
		slices.Reverse(r)
		ok := true
		out := mapIndex(string(r), func(_ int, c rune) string {
			u, known := upsideDown[c]
			ok = ok && known // "scheiße", "négro": no turned form for ß or é
			return string(u)
		})
		return out, ok
	}},
	{"leetspeak", false, func(w string) (string, bool) {
		out := mapIndex(w, func(_ int, r rune) string {
			if l, ok := leetOf[r]; ok {
				return l
			}
			return string(r)
		})
		return out, out != w
	}},
	{"leet outside the table", false, func(w string) (string, bool) {
		out := mapIndex(w, func(_ int, r rune) string {
			if l, ok := leetMoreOf[r]; ok {
				return l
			}
			return string(r)
		})
		return out, out != w
	}},
	{"star for a vowel", false, func(w string) (string, bool) {
		i := strings.IndexAny(w[1:], "aeiou")
		if i < 0 {
			return w, false
		}
		return w[:i+1] + "*" + w[i+2:], true
	}},
	{"repeated letter", false, func(w string) (string, bool) {
		i := strings.IndexAny(w, "aeiou")
		if i < 0 {
			i = len(w) - 1
		}
		return w[:i+1] + strings.Repeat(w[i:i+1], 4) + w[i+1:], true
	}},
	{"spaced, then !", false, func(w string) (string, bool) {
		d, ok := join(" ")(w)
		return d + "!", ok
	}},
	{"dotted, then !", false, func(w string) (string, bool) {
		d, ok := join(".")(w)
		return d + "!", ok
	}},
	{"hash for a vowel", false, func(w string) (string, bool) {
		i := strings.IndexAny(w[1:], "aeiou")
		if i < 0 {
			return w, false
		}
		return w[:i+1] + "#" + w[i+2:], true
	}},
	{"parenthesized letters", false, func(w string) (string, bool) {
		return mapIndex(w, func(_ int, r rune) string { return string(shift(r, '⒜')) }), true
	}},
	{"hangul filler", false, join("\u3164")},
	{"braille blank", false, join("\u2800")},
	{"hashtag in camel case", false, func(w string) (string, bool) {
		return "#YouAreA" + strings.ToUpper(w[:1]) + w[1:] + "Today", true
	}},
	{"word broken at a line's end", false, func(w string) (string, bool) {
		if len(w) < 4 {
			return w, false
		}
		return w[:len(w)/2] + "-\n" + w[len(w)/2:], true
	}},
	{"letters in parentheses", false, func(w string) (string, bool) {
		return mapIndex(w, func(_ int, r rune) string { return "(" + string(r) + ")" }), true
	}},
	{"letters in brackets", false, func(w string) (string, bool) {
		return mapIndex(w, func(_ int, r rune) string { return "[" + string(r) + "]" }), true
	}},
	{"letters in parentheses, then !", false, func(w string) (string, bool) {
		return mapIndex(w, func(_ int, r rune) string { return "(" + string(r) + ")" }) + "!", true
	}},
	{"doubled letters", false, func(w string) (string, bool) {
		return mapIndex(w, func(_ int, r rune) string { return string(r) + string(r) }), true
	}},
}

var (
	leetOf = map[rune]string{'a': "4", 'e': "3", 'i': "1", 'o': "0", 's': "$", 't': "7"}
	// leetMoreOf: the symbols the first leet table did not have (issue 10).
	leetMoreOf = map[rune]string{'z': "2", 't': "+", 'e': "€", 'c': "¢", 'u': "µ", 's': "§", 'i': "¡"}
	cyrillic   = map[rune]rune{'a': 'а', 'c': 'с', 'e': 'е', 'o': 'о', 'p': 'р', 'x': 'х', 'y': 'у', 'i': 'і', 's': 'ѕ', 'h': 'һ', 'k': 'к'}
	greek      = map[rune]rune{'a': 'α', 'i': 'ι', 'k': 'κ', 'o': 'ο', 'p': 'ρ', 't': 'τ', 'u': 'υ', 'v': 'ν', 'x': 'χ'}
	// Look-alikes from the generated confusables table.
	armenian = map[rune]rune{'o': 'օ', 'u': 'ս', 'h': 'հ', 'n': 'ո', 'q': 'զ', 'g': 'ց', 'f': 'ք', 'w': 'ա'}
	cherokee = map[rune]rune{'a': 'Ꭺ', 'b': 'Ᏼ', 'c': 'Ꮯ', 'd': 'Ꭰ', 'e': 'Ꭼ', 'g': 'Ꮐ', 'h': 'Ꮋ', 'i': 'Ꭵ', 'j': 'Ꭻ', 'k': 'Ꮶ',
		'l': 'Ꮮ', 'm': 'Ꮇ', 'p': 'Ꮲ', 'r': 'Ꭱ', 's': 'Ꮪ', 't': 'Ꭲ', 'v': 'Ꮩ', 'w': 'Ꮃ', 'y': 'Ꭹ', 'z': 'Ꮓ'}
	lisu = map[rune]rune{'a': 'ꓮ', 'b': 'ꓐ', 'c': 'ꓚ', 'd': 'ꓓ', 'e': 'ꓰ', 'f': 'ꓝ', 'g': 'ꓖ', 'h': 'ꓧ', 'j': 'ꓙ', 'k': 'ꓗ',
		'l': 'ꓡ', 'm': 'ꓟ', 'n': 'ꓠ', 'o': 'ꓳ', 'p': 'ꓑ', 'r': 'ꓣ', 's': 'ꓢ', 't': 'ꓔ', 'u': 'ꓴ', 'v': 'ꓦ', 'w': 'ꓪ',
		'x': 'ꓫ', 'y': 'ꓬ', 'z': 'ꓜ'}
	// upsideDown is how an upside-down text generator writes each letter
	// (and it reverses the word).
	upsideDown = map[rune]rune{'a': 'ɐ', 'b': 'q', 'c': 'ɔ', 'd': 'p', 'e': 'ǝ', 'f': 'ɟ', 'g': 'ƃ', 'h': 'ɥ', 'i': 'ᴉ',
		'j': 'ɾ', 'k': 'ʞ', 'l': 'l', 'm': 'ɯ', 'n': 'u', 'o': 'o', 'p': 'd', 'q': 'b', 'r': 'ɹ', 's': 's', 't': 'ʇ',
		'u': 'n', 'v': 'ʌ', 'w': 'ʍ', 'x': 'x', 'y': 'ʎ', 'z': 'z'}
)

func mapIndex(w string, f func(i int, r rune) string) string {
	var b strings.Builder
	i := 0
	for _, r := range w {
		b.WriteString(f(i, r))
		i++
	}
	return b.String()
}

func caseAt(i int, r rune) string {
	if i%2 == 0 {
		return strings.ToUpper(string(r))
	}
	return string(r)
}

func join(sep string) func(string) (string, bool) {
	return func(w string) (string, bool) {
		return strings.Join(strings.Split(w, ""), sep), utf8.RuneCountInString(w) > 1
	}
}

func shift(r, base rune) rune {
	if r >= 'a' && r <= 'z' {
		return base + r - 'a'
	}
	return r
}

// lookalike swaps letters for look-alikes: every other one (a word that
// mixes scripts), or all it can (a whole word in the other script, which
// counts as disguise only in English text).
func lookalike(table map[rune]rune, all bool) func(string) (string, bool) {
	return func(w string) (string, bool) {
		n := 0
		out := mapIndex(w, func(_ int, r rune) string {
			if l, ok := table[r]; ok && (all || n%2 == 0) {
				n++
				return string(l)
			}
			if _, ok := table[r]; ok {
				n++
			}
			return string(r)
		})
		return out, out != w
	}
}

// templates put a disguised word into a comment.
var templates = []string{"%s", "honestly you are a %s, everyone knows it."}

// listedWords returns the single-word entries of the default lists that
// are rejected or held, without their '*', from the lists for every
// language (lists with a lang: are tested in their language by
// TestLatinProfanityCaught).
func listedWords(t testing.TB) []string {
	var out []string
	for _, e := range listEntries(t) {
		w := strings.Trim(e.text, "*")
		if e.lang != "" || strings.Contains(w, " ") || !isASCIIWord(w) {
			continue
		}
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

type listed struct {
	list, text, lang string
}

// listEntries returns every entry of the default rule set's lists.
func listEntries(t testing.TB) []listed {
	var doc struct {
		Lists map[string]yaml.Node `yaml:"lists"`
	}
	if err := yaml.Unmarshal(defaultRules, &doc); err != nil {
		t.Fatal(err)
	}
	var out []listed
	for name, n := range doc.Lists {
		var l struct {
			Lang  string   `yaml:"lang"`
			Words []string `yaml:"words"`
		}
		if n.Kind == yaml.SequenceNode {
			if err := n.Decode(&l.Words); err != nil {
				t.Fatal(err)
			}
		} else if err := n.Decode(&l); err != nil {
			t.Fatal(err)
		}
		for _, w := range l.Words {
			out = append(out, listed{list: name, text: w, lang: l.Lang})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].list+out[i].text < out[j].list+out[j].text })
	return out
}

func isASCIIWord(w string) bool {
	for _, r := range w {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return w != ""
}

type familyResult struct {
	name          string
	tried, caught int
	missed        []string
}

func evaluateFamilies(t testing.TB, rs *Ruleset) []familyResult {
	words := listedWords(t)
	var out []familyResult
	for _, f := range families {
		r := familyResult{name: f.name}
		for _, w := range words {
			d, ok := f.apply(w)
			if !ok {
				continue
			}
			for _, tpl := range templates {
				if f.inText && tpl == "%s" {
					continue
				}
				text := fmt.Sprintf(tpl, d)
				at := strings.Index(text, d)
				r.tried++
				if caught(rs.Evaluate(Input{Text: text}), at, at+len(d)) {
					r.caught++
				} else if len(r.missed) < 8 {
					r.missed = append(r.missed, text)
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// caught reports whether v holds or rejects with evidence overlapping the
// disguised word at [start, end).
func caught(v Verdict, start, end int) bool {
	if v.Action == Approve {
		return false
	}
	for _, e := range v.Evidence {
		if e.Start < end && e.End > start {
			return true
		}
	}
	return false
}

func TestDisguiseFamilies(t *testing.T) {
	total, caughtAll := 0, 0
	for _, r := range evaluateFamilies(t, DefaultRuleset()) {
		pct := 100 * float64(r.caught) / float64(r.tried)
		t.Logf("%-30s %4d/%4d caught (%.1f%%)", r.name, r.caught, r.tried, pct)
		for _, m := range r.missed {
			t.Logf("    missed: %q", m)
		}
		total += r.tried
		caughtAll += r.caught
		if pct < 95 {
			t.Errorf("%s: %.1f%% caught, want at least 95%%", r.name, pct)
		}
	}
	t.Logf("%-30s %4d/%4d caught (%.1f%%)", "all", caughtAll, total, 100*float64(caughtAll)/float64(total))
}

// A word written wholly in Cyrillic, alone, is Russian and is not matched
// against English lists, even when its letters look Latin.
func TestCyrillicAloneIsNotDisguise(t *testing.T) {
	for _, text := range []string{"соск", "сосна и море", "Привет, как дела?",
		// Armenian, Cherokee and Lisu text is that language too, though
		// many of its letters are in the generated look-alike table.
		"Բարև, ինչպե՞ս ես։ Սա հոդված է։", "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ", "ᏌᏊ ᏔᎵ ᏦᎢ ᏅᎩ", "ꓡꓳ ꓟꓴ ꓢꓲ",
		// IPA is not upside-down text.
		"/ɹʌn/, /ʃɪp/ and /kʌnt/ in IPA", "the schwa ə in sofa /ˈsəʊfə/"} {
		if v := DefaultRuleset().Evaluate(Input{Text: text}); v.Action != Approve {
			t.Errorf("Evaluate(%q) = %v %v, want approve", text, v.Action, v.Evidence)
		}
	}
}

// TestHeldOut reports the share of hand-written disguises caught. The goal
// (95%) is for the generated families; this set includes spellings the
// engine does not read (fvck, niqqer, superscript letters), so the test
// only guards against a regression below 80%.
func TestHeldOut(t *testing.T) {
	lines := readLines(t, "testdata/heldout.txt")
	n := 0
	for _, l := range lines {
		if v := DefaultRuleset().Evaluate(Input{Text: l}); v.Action != Approve {
			n++
		} else {
			t.Logf("missed: %q", l)
		}
	}
	pct := 100 * float64(n) / float64(len(lines))
	t.Logf("held-out disguises: %d/%d caught (%.1f%%)", n, len(lines), pct)
	if pct < 80 {
		t.Errorf("%.1f%% caught, want at least 80%%", pct)
	}
}

// Reversed words (also behind a right-to-left override, which displays
// them forwards), inflections that double a stem's last letter, and a
// masked word followed by "!": each family over the words it is written
// for, all caught.
func TestMoreDisguises(t *testing.T) {
	rs := DefaultRuleset()
	reversed := []string{"fuck", "fucking", "fucked", "fucker", "cunt", "cunts", "nigger", "niggers", "nigga", "faggot", "bitch", "shit", "bullshit", "asshole"}
	rev := func(w string) string {
		r := []rune(w)
		slices.Reverse(r)
		return string(r)
	}
	sets := map[string][]string{}
	for _, w := range reversed {
		sets["reversed"] = append(sets["reversed"], rev(w))
		sets["bidi override"] = append(sets["bidi override"], "\u202e"+rev(w)+"\u202c")
	}
	sets["inflection"] = []string{"shitty", "shitting", "shitted", "shitter", "fucky", "cunty", "bitchy", "bitching", "pissing", "wanking", "shitbag"}
	sets["masked, then !"] = []string{"f*ck!", "sh*t!", "f#ck!", "b#tch!", "fu*k!!!", "c*nt!"}
	sets["masked (held)"] = []string{"f***", "f***ing", "b***h", "n****r", "c***", "s***", "a**hole", "w***e", "f******"}
	for _, name := range []string{"reversed", "bidi override", "inflection", "masked, then !", "masked (held)"} {
		n := 0
		for _, d := range sets[name] {
			text := "honestly you are a " + d + " everyone knows it"
			at := strings.Index(text, d)
			if caught(rs.Evaluate(Input{Text: text}), at, at+len(d)) {
				n++
			} else {
				t.Errorf("%s: %q not caught", name, text)
			}
		}
		t.Logf("%-16s %d/%d caught", name, n, len(sets[name]))
	}
}

// Words split in two by one space or mark, one part at most two letters:
// caught; the same letters across ordinary short words are not.
func TestSplitWords(t *testing.T) {
	rs := DefaultRuleset()
	for _, d := range []string{"fu ck", "f uck", "fuc k", "fu.ck", "fu'ck", "fu-ck", "cu nt", "bit ch", "pi ss", "ni gger", "fu cking", "sl ut"} {
		text := "honestly you are a " + d + " everyone knows it"
		at := strings.Index(text, d)
		if !caught(rs.Evaluate(Input{Text: text}), at, at+len(d)) {
			t.Errorf("%q not caught", text)
		}
	}
	for _, text := range []string{"polish it", "put a stop to it", "that's bullshit", "as is", "a tit for tat", "he was pi", "look, a blowjob ad"} {
		v := rs.Evaluate(Input{Text: text})
		for _, e := range v.Evidence {
			if strings.Contains(e.Match, " ") {
				t.Errorf("%q: split match %q", text, e.Match)
			}
		}
	}
}

// The leet symbols added for issue 10 ('2', '+', '€', '¢', '§', '¡') are
// letters only beside letters: numbers, sums, prices and paragraphs stay
// numbers, and an opening parenthesis with its closing one is not a 'c'.
func TestNumbersAreNotWords(t *testing.T) {
	rs := DefaultRuleset()
	for _, text := range []string{
		"2 + 2 = 4", "2+2=4", "1+1=2", "14+88", "€20", "20€", "€ 5 bn", "§ 5", "§§ 3–5 StGB", "Art. 5 § 2",
		"5¢", "99¢ store", "C++", "C++ (or C)", "+44 20 7946 0958", "A+ grade", "the G20 summit", "B2B sales",
		"H2O", "the 2nd time", "10µm", "¡Hola, amigos!", "¡Qué bien!", "(until then) it was fine",
		"(unter Einschluß der Wohnung)", "un hueso si le quieres", "Muckefuck: Genervter Discobesucher",
	} {
		if v := rs.Evaluate(Input{Text: text}); v.Action != Approve {
			t.Errorf("Evaluate(%q) = %v %v", text, v.Action, v.Evidence)
		}
	}
	for text, want := range map[string]string{"2+2": "2 2", "14+88": "14 88", "€20": "20", "§ 5": "5", "5¢": "5"} {
		if got := Normalize(text); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", text, got, want)
		}
	}
}

// Hashtags in camel case are read as their words: listed words in them
// are caught, allowed names and phrases stay allowed. A hyphen at a line's
// end joins the word it breaks.
func TestHashtagsAndLineBreaks(t *testing.T) {
	rs := DefaultRuleset()
	for _, d := range []string{"#PutinIsACunt", "#PutinIsAFuckingIdiot", "#FuCk", "#YouBitch", "fuc-\nking", "mother-\r\nfucker", "bit-\n  ch"} {
		text := "honestly " + d + " everyone knows it"
		at := strings.Index(text, d)
		if !caught(rs.Evaluate(Input{Text: text}), at, at+len(d)) {
			t.Errorf("%q not caught", text)
		}
	}
	for _, text := range []string{"#DickCheney", "#MobyDick", "#PussyRiot", "#ScunthorpeUnited", "#HancockPark", "#iPhone",
		"#IAmAGod", "#NHSCrisis", "#CumLaude", "#Cockermouth", "a cock-\ntail", "Scun-\nthorpe", "as-\nsessment",
		"Dick-\nens", "the end of the line -\nthen more", "a list:\n- one\n- two"} {
		if v := rs.Evaluate(Input{Text: text}); v.Action != Approve {
			t.Errorf("Evaluate(%q) = %v %v", text, v.Action, v.Evidence)
		}
	}
}
