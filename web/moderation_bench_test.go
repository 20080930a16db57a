package web_test

import (
	"testing"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/web"
)

// BenchmarkDecision is one moderator's decision through HTTP: credentials,
// the comment's history read and folded, the conditional append.
func BenchmarkDecision(b *testing.B) {
	f := newModFixture(b, web.ModerationConfig{})
	mod := bearer(f.modTok)
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = f.submit("a1", "Ann", "text")
		f.rules(events.CommentHeld, "a1", ids[i], events.Decision{Reason: "links"})
	}
	f.caughtUp()
	b.ResetTimer()
	for _, id := range ids {
		if st, body := f.call("POST", "/api/moderation/comments/"+id+"/decision", `{"action":"approve"}`, mod); st != 200 {
			b.Fatalf("%d %v", st, body)
		}
	}
}
