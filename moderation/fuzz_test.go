package moderation

import (
	"reflect"
	"testing"
	"unicode/utf8"
)

// Seeds live in testdata/fuzz/<name>/; these add the awkward cases that
// the engine handles specially.
var fuzzSeeds = []string{
	"", "f u c k", "f\u200buck", "sh!t!", "a$$", "**x**", "(()", "Scunthorpe", "магна cum laude",
	"hello сосk world", "ß", "\xff\xfe", "a\nb\nc", "🖕🖕", "f*u*c*k", "n****r", "@$$ 1 2",
}

func FuzzEvaluate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	rs := DefaultRuleset()
	f.Fuzz(func(t *testing.T, text string) {
		in := Input{Text: text}
		v := rs.evaluate(&in) // no recover: a panic fails
		checkEvidence(t, text, v)
		if again := rs.evaluate(&in); !reflect.DeepEqual(v, again) {
			t.Fatalf("not deterministic for %q:\n%+v\n%+v", text, v, again)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		once := Normalize(text)
		if twice := Normalize(once); twice != once {
			t.Fatalf("not idempotent: %q -> %q -> %q", text, once, twice)
		}
		if utf8.ValidString(text) && !utf8.ValidString(once) {
			t.Fatalf("Normalize(%q) = %q, not UTF-8", text, once)
		}
	})
}

func FuzzParseRuleset(f *testing.F) {
	f.Add([]byte(orderRules), "bad")
	f.Add(defaultRules, "fuck")
	f.Add([]byte("rules:\n  - id: a\n    action: hold\n    if: {regex: '(a+)+$', words: ['x*']}\n"), "aaaa")
	f.Fuzz(func(t *testing.T, data []byte, text string) {
		rs, err := ParseRuleset("fuzz.yaml", data)
		if err != nil {
			return
		}
		v := rs.evaluate(&Input{Text: text})
		checkEvidence(t, text, v)
	})
}
