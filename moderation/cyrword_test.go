package moderation

import "testing"

// A word of Russian letters read as one symbol of the Latin stream
// (symCyrWord) must normalize as the letters themselves, and must not change
// what look-alike folding decides for the other words.
func TestCyrillicWordSymbol(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Привет, Лавров и Керри.", "привет лавров и керри"},
		{"Ёлка ЁЖИК", "елка ежик"},
		{"what a сосk", "what a cock"},
		{"сосk жизнь", "cock жизнь"},
	} {
		if got := Normalize(tc.in); got != tc.want || Normalize(got) != got {
			t.Errorf("Normalize(%q) = %q, want %q, idempotent", tc.in, got, tc.want)
		}
		var s stream
		s.scan(tc.in)
		one := false
		for _, c := range s.sym {
			one = one || c == symCyrWord
		}
		if tc.in[0] >= 0x80 && tc.in[len(tc.in)-1] >= 0x80 && !one {
			t.Errorf("%q: no word read as one symbol", tc.in)
		}
	}
	for _, tc := range []struct {
		in     string
		action Action
	}{
		{"Лавров говорил с Керри о рубле и Херсоне.", Approve},
		{"сосk жизнь", Hold},
	} {
		if v := DefaultRuleset().Evaluate(Input{Text: tc.in}); v.Action != tc.action {
			t.Errorf("Evaluate(%q) = %v, want %v (%v)", tc.in, v.Action, tc.action, v.Rules)
		}
	}
}
