package moderation

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsroom/commentd/internal/testci"
	"github.com/newsroom/commentd/moderation/internal/hunspell"
)

// carriers put a word into a sentence of its language, as a reader would
// write it.
var carriers = map[string]string{
	"de": "Er sagte, dass es %s war, und ging dann nach Hause.",
	"fr": "Il a dit que c'était %s, puis il est rentré chez lui.",
	"es": "Dijo que era %s y luego se fue a su casa.",
	"en": "He said it was %s and then went home.",
}

var dictOf = map[string]string{"en": "en_US", "de": "de_DE", "fr": "fr", "es": "es_ES"}

// dictionaryProbe evaluates every word form of a language's hunspell
// dictionary in a sentence of that language: forms 64 to a comment, and
// one by one (in the carrier sentence) only in a comment that is not
// approved. It returns the rejected and held forms.
func dictionaryProbe(t *testing.T, lang string) (forms []string, rejected, held []string) {
	base := filepath.Join(hunspell.Dir, dictOf[lang])
	forms, err := hunspell.Forms(base)
	if err != nil {
		testci.Missing(t, "hunspell dictionary "+base, err)
	}
	rs := DefaultRuleset()
	const batch = 64
	step := batch
	if raceEnabled {
		step = 32 * batch // the race detector makes a million evaluations take minutes
	}
	n := 0
	for i := 0; i < len(forms); i += step {
		ws := forms[i:min(i+batch, len(forms))]
		n += len(ws)
		if rs.Evaluate(Input{Text: strings.Join(ws, " ")}).Action == Approve {
			continue
		}
		for _, w := range ws {
			switch rs.Evaluate(Input{Text: fmt.Sprintf(carriers[lang], w)}).Action {
			case Reject:
				rejected = append(rejected, w)
			case Hold:
				held = append(held, w)
			}
		}
	}
	return forms[:n], rejected, held
}

// TestLatinDictionaries: of every word form of the German, French, Spanish
// (and English) hunspell dictionaries, in a sentence of its language, at
// most 0.1% may be rejected and 1% held.
func TestLatinDictionaries(t *testing.T) {
	for _, lang := range []string{"de", "fr", "es", "en"} {
		t.Run(lang, func(t *testing.T) {
			forms, rejected, held := dictionaryProbe(t, lang)
			n := float64(len(forms))
			t.Logf("%s: %d word forms: %d rejected (%.4f%%), %d held (%.4f%%)", lang, len(forms),
				len(rejected), 100*float64(len(rejected))/n, len(held), 100*float64(len(held))/n)
			t.Logf("rejected: %v", rejected[:min(len(rejected), 300)])
			t.Logf("held: %v", held[:min(len(held), 300)])
			if float64(len(rejected)) > 0.001*n || float64(len(held)) > 0.01*n {
				t.Errorf("over the goal (0.1%% rejected, 1%% held)")
			}
		})
	}
}

// TestLatinProfanityCaught disguises every entry of the German, French and
// Spanish lists by each family of eval_test.go and puts it in a sentence of
// its language: at least 95% of each family must be caught with evidence
// from a de-fr-es rule.
func TestLatinProfanityCaught(t *testing.T) {
	rs := DefaultRuleset()
	type key struct{ lang, family string }
	tried, got := map[key]int{}, map[key]int{}
	missed := map[key][]string{}
	for _, e := range listEntries(t) {
		lang, _, _ := strings.Cut(e.list, "-")
		if lang != "de" && lang != "fr" && lang != "es" {
			continue
		}
		w := strings.ToLower(strings.Trim(e.text, "*"))
		for _, f := range families {
			if strings.Contains(w, " ") && f.name != "plain" && f.name != "capitals" && f.name != "mixed case" {
				continue // phrases: the letter-by-letter families are for words
			}
			d, ok := f.apply(w)
			if !ok {
				continue
			}
			text := fmt.Sprintf(carriers[lang], d)
			at := strings.Index(text, d)
			k := key{lang, f.name}
			tried[k]++
			v := rs.Evaluate(Input{Text: text})
			hit := false
			for _, ev := range v.Evidence {
				if strings.HasPrefix(ev.Rule, "de-fr-es-") && ev.Start < at+len(d) && ev.End > at {
					hit = true
				}
			}
			if hit && v.Action != Approve {
				got[k]++
			} else if len(missed[k]) < 6 {
				missed[k] = append(missed[k], text)
			}
		}
	}
	for _, lang := range []string{"de", "fr", "es"} {
		for _, f := range families {
			k := key{lang, f.name}
			if tried[k] == 0 {
				continue
			}
			pct := 100 * float64(got[k]) / float64(tried[k])
			t.Logf("%s %-30s %4d/%4d caught (%.1f%%)", lang, f.name, got[k], tried[k], pct)
			for _, m := range missed[k] {
				t.Logf("    missed: %q", m)
			}
			if pct < 95 {
				t.Errorf("%s %s: %.1f%% caught, want at least 95%%", lang, f.name, pct)
			}
		}
	}
}

// English lists are kept off words of the language a sentence is written
// in; the same words in English, and foreign profanity in any language,
// are still caught; words innocent in English are matched only in their
// language.
func TestLanguageScopedLists(t *testing.T) {
	rs := DefaultRuleset()
	for _, c := range []struct {
		text  string
		langs string
		want  Action
	}{
		{"Sie wog 60 Kilo, als sie ankam.", "de", Approve},
		{"Er aß", "de", Approve},
		{"Er aß einen Apfel und ging.", "de", Approve},
		{"Das Kind ist zu dick.", "de", Approve},
		{"Le train a du retard ce matin.", "fr", Approve},
		{"Il a pris une douche froide.", "fr", Approve},
		{"Les enfants font un pique-nique.", "fr", Approve},
		{"Me duelen los huesos.", "es", Approve},
		{"pros and cons of the deal", "en", Approve},
		{"a dog bite", "en", Approve},
		{"He ate the turkey, Pute in German.", "en", Approve},
		// The same words in English text.
		{"you dick", "en", Hold},
		{"what a retard", "en", Hold},
		{"wog", "en", Reject},
		// Foreign profanity, in its language and in English.
		{"Du bist ein Arschloch.", "de", Hold},
		{"Halt die Fresse, du Hurensohn!", "de", Reject},
		{"Du bist ein fucking Idiot.", "de", Reject},
		{"quel con, celui-là", "fr", Hold},
		{"Va te faire foutre.", "fr", Hold},
		{"Espèce d'enculé !", "fr", Reject},
		{"Eres un hijo de puta.", "es", Reject},
		{"¡Qué mierda de partido!", "es", Hold},
		{"Shut up, hijo de puta.", "en", Reject},
		{"This guy is a total Arschloch", "en", Hold},
	} {
		v := rs.Evaluate(Input{Text: c.text})
		if got := strings.Join(v.Languages, ","); v.Action != c.want || got != c.langs {
			t.Errorf("%q: %v %v in %s, want %v in %s", c.text, v.Action, v.Rules, got, c.want, c.langs)
		}
	}
}
