package web

import (
	"testing"

	"github.com/newsroom/commentd/events"
)

func TestHighlight(t *testing.T) {
	ev := func(start, end int) events.Evidence { return events.Evidence{Rule: "r", Start: start, End: end} }
	tests := []struct {
		text     string
		evidence []events.Evidence
		want     string
	}{
		{"hello", nil, "[hello]"},
		{"you idiot!", []events.Evidence{ev(4, 9)}, "[you ] <idiot> [!]"},
		{"a b c", []events.Evidence{ev(4, 5), ev(0, 1)}, "<a> [ b ] <c>"},                  // out of order
		{"abcdef", []events.Evidence{ev(0, 3), ev(2, 5)}, "<abc> [def]"},                   // overlap: the later one is dropped
		{"abc", []events.Evidence{ev(2, 9), ev(-1, 1), ev(2, 2)}, "[abc]"},                 // outside or empty
		{"héllo", []events.Evidence{ev(2, 3)}, "[héllo]"},                                  // cuts é in two
		{"<b>x</b>", []events.Evidence{ev(3, 4)}, "[<b>] <x> [</b>]"},                      // text, not markup
		{"日本語", []events.Evidence{ev(3, 6)}, "[日] <本> [語]"},                                // byte offsets
		{"end", []events.Evidence{{Rule: "r", Start: 1, End: 3, Match: "nd"}}, "[e] <nd>"}, // to the end
	}
	for _, tt := range tests {
		var got string
		for i, s := range highlight(tt.text, tt.evidence) {
			if i > 0 {
				got += " "
			}
			if s.Mark {
				got += "<" + s.Text + ">"
			} else {
				got += "[" + s.Text + "]"
			}
		}
		if got != tt.want {
			t.Errorf("highlight(%q, %v) = %s, want %s", tt.text, tt.evidence, got, tt.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/moderation/?queue=reported":  "/moderation/?queue=reported",
		"/moderation/authors/x":        "/moderation/authors/x",
		"//evil.example/moderation/":   "/moderation/",
		"https://evil.example/":        "/moderation/",
		"/articles/x":                  "/moderation/",
		"/moderation/items?queue=held": "/moderation/",
		"":                             "/moderation/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
