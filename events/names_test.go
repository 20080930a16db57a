package events

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Anna", "Anna"},
		{"An\u200bna", "Anna"},                 // zero-width space
		{"An\u200c\u200dna\ufeff", "Anna"},     // zero-width non-joiner, joiner, BOM
		{"\u202eAnna\u202c", "Anna"},           // right-to-left override and pop
		{"\u2067Anna\u2069\u200f", "Anna"},     // right-to-left isolate, mark
		{"An\u00adna", "Anna"},                 // soft hyphen
		{"Anna\ufe0f", "Anna"},                 // variation selector
		{"Anna\U000e0041", "Anna"},             // tag character
		{"\u3164Anna", "Anna"},                 // Hangul filler
		{"Ａｎｎａ", "Anna"},                       // full-width
		{"ﬁona", "fiona"},                      // ligature
		{"  Anna \u00a0\u3000 K. ", "Anna K."}, // spaces of every width, collapsed
		{"Zoë", "Zoë"},                         // e + combining diaeresis composes
		{"\u200b\u200b", ""},                   // nothing visible
		{"Anna\n", "Anna\n"},                   // control characters are the caller's to refuse
	} {
		if got := CleanName(tc.in); got != tc.want {
			t.Errorf("CleanName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAnonymousAuthorIDOneAuthorPerLook(t *testing.T) {
	want := AnonymousAuthorID("Anna")
	for _, spelling := range []string{"anna", "ANNA", "An\u200bna", "\u202dAnna", "Ａｎｎａ", " Anna ", "A\u034fnna"} {
		if got := AnonymousAuthorID(spelling); got != want {
			t.Errorf("AnonymousAuthorID(%q) = %q, want %q", spelling, got, want)
		}
	}
	if got := CanonicalAuthorID("name:An\u200bNA"); got != want {
		t.Errorf("CanonicalAuthorID = %q, want %q", got, want)
	}
	if got := CanonicalAuthorID("sso:u-1"); got != "sso:u-1" {
		t.Errorf("a signed-in id changed: %q", got)
	}
	if !SignedIn("sso:u-1") || SignedIn(want) {
		t.Error("SignedIn mixes the kinds")
	}
}

func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"Anna", "An\u200bna", "\u202eannA", "Ａｎｎａ", "a\u200b\u0308", "  x  y "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // refused before cleaning
		}
		c := CleanName(s)
		if CleanName(c) != c {
			t.Fatalf("not stable: %q -> %q -> %q", s, c, CleanName(c))
		}
		if strings.IndexFunc(c, Invisible) >= 0 {
			t.Fatalf("%q keeps an invisible character: %q", s, c)
		}
		if c != strings.Trim(c, " ") || strings.Contains(c, "  ") { // control characters stay, for the caller to refuse
			t.Fatalf("%q keeps outer or double spaces: %q", s, c)
		}
	})
}
