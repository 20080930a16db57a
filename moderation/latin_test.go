package moderation

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// latinCorpora are running texts in each Latin language, by sentence:
// English from our comments, the demo article and Newton's Opticks; German
// and Spanish from Debian's fortunes-de and fortunes-es; French from
// Voltaire's Candide (public domain, in golang.org/x/text's test data).
// A language whose text is missing here has no entry.
func latinCorpora(t testing.TB) map[string][]string {
	out := map[string][]string{}
	for _, c := range cleanCorpora(t) {
		if c.name != "opticks-lines" { // Opticks again, by paragraph
			out["en"] = append(out["en"], c.texts...)
		}
	}
	for lang, dir := range map[string]string{"de": "/usr/share/games/fortunes/de", "es": "/usr/share/games/fortunes/es"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			if strings.HasSuffix(f, ".dat") || strings.HasSuffix(f, ".u8") || strings.Contains(f, "asciiart") || strings.Contains(f, "channel-debian") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			for _, fortune := range strings.Split(string(b), "\n%\n") {
				for _, s := range sentences(fortune) {
					if prose(s) {
						out[lang] = append(out[lang], s)
					}
				}
			}
		}
	}
	if dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/text").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(dir)), "encoding", "testdata", "candide-utf-8.txt")
		if b, err := os.ReadFile(p); err == nil {
			out["fr"] = sentences(string(b))
		}
	}
	return out
}

// prose reports whether a fortune's sentence is prose: not an attribution
// ("-- Uli Hoeneß (Welt 2002)"), a shell command or a web address, and at
// least four words.
func prose(s string) bool {
	return !strings.HasPrefix(s, "-") && !strings.HasPrefix(s, "(") && !strings.ContainsAny(s, "/@=|<>[]{}`") &&
		len(strings.Fields(s)) >= 4
}

// mainLatin is the language of most of the text's bytes.
func mainLatin(text string) string {
	var by [nLatin]int32
	for _, s := range detectLatin(text, nil) {
		by[s.lang] += s.end - s.start
	}
	best := 0
	for k := range by {
		if by[k] > by[best] {
			best = k
		}
	}
	return latinLangs[best]
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(n, len(f))], " ")
}

// TestLatinDetection measures how often a sentence (and its first five
// words, as long as a short comment) is given its own language.
func TestLatinDetection(t *testing.T) {
	corpora := latinCorpora(t)
	for _, lang := range latinLangs {
		texts := corpora[lang]
		if len(texts) == 0 {
			t.Logf("%s: no corpus here", lang)
			continue
		}
		for _, n := range []int{0, 5, 2} {
			right := 0
			wrong := map[string]int{}
			var shown []string
			for _, s := range texts {
				if n > 0 {
					s = firstWords(s, n)
				}
				got := mainLatin(s)
				if got == lang {
					right++
					continue
				}
				wrong[got]++
				if len(shown) < 25 {
					shown = append(shown, got+": "+s)
				}
			}
			what := "sentences"
			if n > 0 {
				what = fmt.Sprintf("first %d words", n)
			}
			pct := 100 * float64(right) / float64(len(texts))
			t.Logf("%s %s: %d/%d right (%.1f%%), wrong %v", lang, what, right, len(texts), pct, wrong)
			for _, s := range shown {
				t.Logf("    %s", s)
			}
		}
	}
}

// TestLatinCleanProse runs the running text of each Latin language (the
// corpora of TestLatinDetection) through the default rules. The fortunes
// are not written for this and some swear ("puta", "Scheiße"): a sentence
// with a listed word spelled plainly, as one word of letters, is left
// out, so what is flagged in the rest is the normalizer reading prose as
// a disguise (leet, split or joined words, look-alikes) or a listed word
// inside an innocent one. Goal: at most 0.1% rejected and 1% held.
func TestLatinCleanProse(t *testing.T) {
	corpora := latinCorpora(t)
	plain := plainEntries(t)
	for _, lang := range latinLangs {
		var texts []string
		swearing := 0
		for _, s := range corpora[lang] {
			if plain.in(s, lang) {
				swearing++
				continue
			}
			texts = append(texts, s)
		}
		if len(texts) == 0 {
			t.Logf("%s: no corpus here", lang)
			continue
		}
		r := rates(DefaultRuleset(), texts)
		t.Logf("%s: %d sentences (%d more with a listed word spelled plainly), %d rejected (%.3f%%), %d held (%.3f%%)",
			lang, len(texts), swearing, r.rejected, r.pct(r.rejected), r.held, r.pct(r.held))
		for _, ex := range r.examples {
			t.Logf("  flagged: %s", ex)
		}
		if r.pct(r.rejected) > 0.1 || r.pct(r.held) > 1 {
			t.Errorf("%s: false positives over the goal (0.1%% rejected, 1%% held)", lang)
		}
	}
}

// plainSet is every entry of the default lists (allowlist aside), its
// {a,b} groups spelled out, as Normalize writes it: whole words, word
// starts ("word*"), word ends ("*word"), anywhere ("*word*"), phrases.
type plainSet struct {
	whole, start, end, inside []plainEntry
}

type plainEntry struct{ text, lang string }

func plainEntries(t testing.TB) plainSet {
	var p plainSet
	for _, e := range listEntries(t) {
		spellings, err := expandEntry(e.text)
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range spellings {
			w := plainEntry{Normalize(strings.Trim(sp, "*")), e.lang}
			switch left, right := strings.HasPrefix(sp, "*"), strings.HasSuffix(sp, "*"); {
			case left && right:
				p.inside = append(p.inside, w)
			case left:
				p.end = append(p.end, w)
			case right:
				p.start = append(p.start, w)
			default:
				p.whole = append(p.whole, w)
			}
		}
	}
	return p
}

// in reports whether text has an entry spelled plainly: its words are
// split at anything but a letter and each is normalized alone, so no
// leet, spacing, look-alike or split word can make the match.
// An entry of a list with a language counts only in that language.
func (p plainSet) in(text, lang string) bool {
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) })
	for i, w := range words {
		words[i] = Normalize(w)
	}
	line := " " + strings.Join(words, " ") + " "
	for _, w := range words {
		for _, e := range p.start {
			if e.in(lang) && strings.HasPrefix(w, e.text) {
				return true
			}
		}
		for _, e := range p.end {
			if e.in(lang) && strings.HasSuffix(w, e.text) {
				return true
			}
		}
		for _, e := range p.inside {
			if e.in(lang) && strings.Contains(w, e.text) {
				return true
			}
		}
	}
	for _, e := range p.whole {
		if e.in(lang) && strings.Contains(line, " "+e.text+" ") {
			return true
		}
	}
	return false
}

func (e plainEntry) in(lang string) bool { return e.lang == "" || e.lang == lang }
