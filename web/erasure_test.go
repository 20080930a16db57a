package web_test

import (
	"bytes"
	"context"
	"github.com/newsroom/commentd/commands"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/projections"
	"github.com/newsroom/commentd/web"
)

// An admin erases a reader: every read path shows "[removed]" for their
// comments, nothing of what they wrote is left in the log's bytes or
// the views, a rebuild from sequence 1 cannot bring it back, and their
// next comment is sealed with a new key.
func TestErasureReachesEveryReadPathAndSurvivesARebuild(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	ctx := context.Background()
	mod, admin := bearer(f.modTok), bearer(adminToken)

	mine := f.submit("a1", "Ann", "my secret words")
	f.rules(events.CommentApproved, "a1", mine, events.Decision{Reason: "clean"})
	held := f.held("a1", "Ann", "darn private thoughts")
	other := f.submit("a1", "Bo", "Bo's own comment")
	f.rules(events.CommentApproved, "a1", other, events.Decision{Reason: "clean"})
	f.caughtUp()
	seen := f.storedAt("comments.a1." + other + ".approved")

	keys := f.log.Keys()
	kid, err := keys.CurrentKey(ctx, "name:ann")
	if err != nil || kid == "" {
		t.Fatalf("Ann's key: %q, %v", kid, err)
	}
	// The log never held the text in plain.
	raw := rawLog(t, f.log)
	for _, s := range []string{"secret words", "private thoughts", "Bo's own", `"Ann"`, "name:ann"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the log holds %q in plain text", s)
		}
	}

	if st, body := f.call("POST", "/api/moderation/authors/name:Ann/erase", `{"reason":"ticket 42"}`, mod); st != 403 {
		t.Fatalf("a moderator erased: %d %v", st, body)
	}
	if st, body := f.call("POST", "/api/moderation/authors/name:nobody/erase", `{}`, admin); st != 404 {
		t.Errorf("erase of an unknown author: %d %v", st, body)
	}
	if st, body := f.call("POST", "/api/moderation/authors/name:Ann/erase", `{"reason":"ticket 42"}`, admin); st != 202 || body["comments"] != 2.0 || body["keys"] != 1.0 {
		t.Fatalf("erase: %d %v", st, body)
	}
	// The api may not destroy a key: the projector role (the fixture's
	// projector writes the views) does, on reading the event.
	poll.True(t, 10*time.Second, "Ann's key destroyed", func() bool {
		k, err := keys.CurrentKey(ctx, "name:ann")
		return err == nil && k == ""
	})
	f.caughtUp()

	// The audit: who erased, which comments, in the log.
	e, err := f.log.Last(ctx, "authors."+events.AuthorKey("name:ann")+".erased")
	if err != nil {
		t.Fatal(err)
	}
	var x events.Erasure
	if err := e.Payload(&x); err != nil || !strings.HasPrefix(e.Actor, "moderator:") && e.Actor == "" || len(x.Comments) != 2 || x.Reason != "ticket 42" {
		t.Errorf("erasure event: actor %q, %+v, %v", e.Actor, x, err)
	}

	checkRemoved := func(t *testing.T, what, body string) {
		t.Helper()
		for _, s := range []string{"secret words", "private thoughts", "darn"} {
			if strings.Contains(body, s) {
				t.Errorf("%s still shows %q", what, s)
			}
		}
		if !strings.Contains(body, events.Removed) {
			t.Errorf("%s shows no %q: %s", what, events.Removed, body)
		}
	}
	get := func(path string, auth func(*http.Request)) string {
		t.Helper()
		req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
		if auth != nil {
			auth(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	list := get("/api/articles/a1/comments", nil)
	checkRemoved(t, "the list", list)
	if !strings.Contains(list, "Bo's own comment") {
		t.Errorf("another author's comment went too: %s", list)
	}
	checkRemoved(t, "the article page", get("/articles/a1", nil))
	checkRemoved(t, "the moderation queue", get("/api/moderation/queue?queue=held", mod))
	checkRemoved(t, "the history", get("/api/moderation/comments/"+held+"/history", mod))
	checkRemoved(t, "the list as of before the erasure", get("/api/articles/a1/comments?as_of="+url.QueryEscape(seen.Format(time.RFC3339Nano)), nil))
	if st, body := f.call("GET", "/api/comments/"+mine, "", nil); st != 200 || body["status"] != "approved" {
		t.Errorf("status of an erased comment: %d %v", st, body)
	}

	// Folded again from the log: the key is gone, so is the text.
	rebuilt := func(id string) (projections.Comment, bool) {
		hist, err := f.log.History(ctx, "a1", id)
		if err != nil {
			t.Fatal(err)
		}
		return commands.Fold(hist)
	}
	for _, id := range []string{mine, held} {
		c, ok := rebuilt(id)
		if !ok || c.Text != events.Removed || c.Author != events.Removed || c.AuthorID != "" || !c.Erased || len(c.Evidence) != 0 {
			t.Errorf("rebuilt %s: %+v", id, c)
		}
	}
	if c, _ := rebuilt(other); c.Text != "Bo's own comment" {
		t.Errorf("rebuilt other: %+v", c)
	}

	// Ann comes back: a new key, readable.
	again := f.submit("a1", "Ann", "back again")
	f.caughtUp()
	if k, err := keys.CurrentKey(ctx, "name:ann"); err != nil || k == "" || k == kid {
		t.Errorf("key after erasure: %q (old %q), %v", k, kid, err)
	}
	if c, ok := f.views.Comment(again); !ok || c.Text != "back again" || c.Erased {
		t.Errorf("new comment after erasure: %+v", c)
	}
}

// rawLog is every message of the log as stored, concatenated.
func rawLog(t *testing.T, log *events.Log) []byte {
	t.Helper()
	ctx := context.Background()
	var out bytes.Buffer
	info, err := log.Stream().Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		msg, err := log.Stream().GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		out.Write(msg.Data)
		out.WriteByte('\n')
	}
	return out.Bytes()
}
