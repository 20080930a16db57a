package moderation

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		step, in, want string
	}{
		{"case", "Hello WORLD", "hello world"},
		{"punctuation separates words", "one, two;three", "one two three"},
		{"NFKC fullwidth", "ｆｕｌｌｗｉｄｔｈ", "fullwidth"},
		{"NFKC math letters", "𝐛𝐨𝐥𝐝 𝓈𝒸𝓇𝒾𝓅𝓉", "bold script"},
		{"NFKC ligature", "ﬁne ﬀ", "fine ff"},
		{"NFKC enclosed", "ⓐⓑⓒ", "abc"},
		{"case folding sharp s", "STRAẞE straße", "strasse strasse"},
		{"accents removed", "Ünïcödé café", "unicode cafe"},
		{"Latin letters NFKD keeps", "Ørsted Łódź", "orsted lodz"},
		{"small capitals", "ꜰᴀᴋᴇ", "fake"},
		{"zero-width space", "in\u200bvisible", "invisible"},
		{"zero-width joiner and non-joiner", "in\u200dvis\u200cible", "invisible"},
		{"word joiner and BOM", "\ufeffin\u2060visible", "invisible"},
		{"soft hyphen", "in\u00advisible", "invisible"},
		{"combining marks", "z\u0335a\u0336l\u0337g\u0338o", "zalgo"},
		{"mixed-script word folded", "hеllo", "hello"}, // Cyrillic е
		{"Greek look-alikes folded", "hοτel", "hotel"}, // Greek ο τ
		{"look-alike word in Latin text", "say сосk to me", "say cock to me"},
		{"Russian text stays Russian", "нет, спасибо", "нет спасибо"},
		{"Russian word in Russian text", "Привет сосна мир", "привет сосна мир"},
		{"Greek text stays Greek", "Καλημέρα κόσμε", "καλημερα κοσμε"},
		{"leet digits", "l33t h4x0r", "leet haxor"},
		{"leet symbols", "$h!t @ss", "shit ass"},
		{"leet parentheses", "()k (ool", "ok cool"},
		{"leet 7 8 9", "7e57 8a9", "test bag"},
		{"numbers stay numbers", "in 2024, 100 people", "in 2024 100 people"},
		{"money is not a word", "$5", "5"},
		{"exclamation is punctuation at the end", "wow!", "wowi"},
		{"spaced letters", "f u c k off", "fuck off"},
		{"dotted letters", "s.h.i.t", "shit"},
		{"underscored letters", "s_h_i_t", "shit"},
		{"hyphenated letters", "s-h-i-t", "shit"},
		{"starred letters", "s*h*i*t", "shit"},
		{"two letters are not spaced", "e.g. this", "e g this"},
		{"letters on separate lines are not joined", "a\nb\nc", "a\nb\nc"},
		{"wildcard inside word", "sh*t", "sh*t"},
		{"decorative stars", "**bold**", "bold**"},
		{"repeated letters kept", "soooo good", "soooo good"},
		{"invisible alone", "\u200b\u200b", ""},
		{"empty", "", ""},
		{"emoji is its own word", "ok🖕ok", "ok 🖕 ok"},
		{"regional indicators", "🇫🇴🇴", "foo"},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestStreamSpans checks that every symbol maps back to a span of the
// original text that contains what it was read from.
func TestStreamSpans(t *testing.T) {
	tests := []struct {
		in   string
		want []string // original span of each non-space symbol
	}{
		{"ab", []string{"a", "b"}},
		{"aab", []string{"aa", "b"}},
		{"f\u200bu", []string{"f", "u"}},
		{"ｆｕ", []string{"ｆ", "ｕ"}},
		{"f u", []string{"f", "u"}},
		{"f u c", []string{"f", "u", "c"}},
		{"a s s", []string{"a", "s s"}},
		{"()k", []string{"()", "k"}},
		{"ß", []string{"ß"}}, // one symbol, "ss" with a count of 2
		{"é", []string{"é"}},
	}
	for _, tt := range tests {
		var s stream
		s.scan(tt.in)
		var got []string
		for i := range s.sym {
			if s.sym[i] != ' ' {
				got = append(got, tt.in[s.src[i]:s.end[i]])
			}
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("spans of %q = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeIdempotent(t *testing.T) {
	for _, in := range []string{
		"Hello, World!", "f u c k", "sh!t!!", "hello сосk world", "cоck нет нет нет нет",
		"a$$", "**x**", "(()", "1 2 3", "x 1 y 2 z", "ß ẞ", "ǅ", "ﬃ",
	} {
		once := Normalize(in)
		if twice := Normalize(once); twice != once {
			t.Errorf("Normalize(%q) = %q, but Normalize of that = %q", in, once, twice)
		}
	}
}

func TestNormalizeLeetOnlyWords(t *testing.T) {
	for in, want := range map[string]string{
		"@$$":   "ass",
		"$100":  "sioo",
		"2024":  "2024",
		"!!!":   "",
		"$5":    "5",
		"4$$ 1": "ass 1",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
