package web_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/web"
)

// storedAt is when the stream stored the newest event of subject.
func (f *modFixture) storedAt(subject string) time.Time {
	f.t.Helper()
	e, err := f.log.Last(context.Background(), subject)
	if err != nil {
		f.t.Fatal(err)
	}
	return e.Stored
}

// ids lists the comment ids (and texts) of a list answer.
func ids(body map[string]any) []string {
	var out []string
	list, _ := body["comments"].([]any)
	for _, c := range list {
		m := c.(map[string]any)
		out = append(out, fmt.Sprint(m["id"], "=", m["text"]))
	}
	return out
}

// The thread as readers saw it before and after a moderator's decisions:
// which comments were visible, with their text, paged as the list of now.
func TestListAsOfShowsTheThreadAsItWasThen(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	mod := bearer(f.modTok)
	c1 := f.submit("a1", "Ann", "first")
	f.rules(events.CommentApproved, "a1", c1, events.Decision{})
	c2 := f.held("a1", "Bo", "darn second")
	c3 := f.submit("a1", "Cy", "third")
	f.rules(events.CommentApproved, "a1", c3, events.Decision{})
	other := f.submit("b2", "Di", "elsewhere")
	f.rules(events.CommentApproved, "b2", other, events.Decision{})
	before := f.storedAt("comments.a1." + c1 + ".submitted").Add(-time.Nanosecond)
	t1 := f.storedAt("comments.a1." + c3 + ".approved")
	f.caughtUp()

	// Later the article is closed, a moderator takes the first comment
	// down and publishes the second.
	if st, body := f.call("PUT", "/api/moderation/articles/a1/settings", `{"closed":true,"premoderated":false}`, mod); st != 200 {
		t.Fatalf("close: %d %v", st, body)
	}
	if st, body := f.call("POST", "/api/moderation/comments/"+c1+"/decision", `{"action":"reject","reason":"spam"}`, mod); st != 200 {
		t.Fatalf("reject: %d %v", st, body)
	}
	if st, body := f.call("POST", "/api/moderation/comments/"+c2+"/decision", `{"action":"approve"}`, mod); st != 200 {
		t.Fatalf("approve: %d %v", st, body)
	}
	f.caughtUp()

	list := func(query string) map[string]any {
		t.Helper()
		st, body := f.call("GET", "/api/articles/a1/comments?"+query, "", nil)
		if st != 200 {
			t.Fatalf("%s: %d %v", query, st, body)
		}
		return body
	}
	at := func(tm time.Time) string { return "as_of=" + url.QueryEscape(tm.Format(time.RFC3339Nano)) }

	then := list(at(t1))
	if got, want := fmt.Sprint(ids(then)), fmt.Sprint([]string{c1 + "=first", c3 + "=third"}); got != want {
		t.Errorf("at t1: %s, want %s", got, want)
	}
	if then["total"] != 2.0 || then["article"] != "a1" || then["next_cursor"] != "" || then["as_of"] == nil || fmt.Sprint(then["settings"]) != "map[closed:false premoderated:false]" {
		t.Errorf("at t1: %v", then)
	}
	now := list(at(time.Now().Add(time.Hour))) // the future is now
	if got, want := fmt.Sprint(ids(now)), fmt.Sprint([]string{c2 + "=darn second", c3 + "=third"}); got != want {
		t.Errorf("in the future: %s, want %s", got, want)
	}
	if fmt.Sprint(now["settings"]) != "map[closed:true premoderated:false]" {
		t.Errorf("settings now: %v", now["settings"])
	}
	if got, want := fmt.Sprint(ids(now)), fmt.Sprint(ids(list(""))); got != want {
		t.Errorf("the future %s is not the list of now %s", got, want)
	}
	if empty := list(at(before)); len(ids(empty)) != 0 || empty["total"] != 0.0 {
		t.Errorf("before the first comment: %v", empty)
	}
	// RFC 3339 without fractions, in another zone (whole seconds round
	// down, so this is still before the first comment).
	if whole := list("as_of=" + url.QueryEscape(before.In(time.FixedZone("MSK", 3*3600)).Format(time.RFC3339))); len(ids(whole)) != 0 || whole["as_of"] == nil {
		t.Errorf("before the first comment in whole seconds, Moscow time: %v", whole)
	}

	// Pages: the cursor and sort of the list of now.
	p1 := list(at(t1) + "&limit=1")
	if got := ids(p1); len(got) != 1 || got[0] != c1+"=first" || p1["next_cursor"] == "" {
		t.Fatalf("page 1: %v", p1)
	}
	p2 := list(at(t1) + "&limit=1&cursor=" + p1["next_cursor"].(string))
	if got := ids(p2); len(got) != 1 || got[0] != c3+"=third" || p2["next_cursor"] != "" {
		t.Errorf("page 2: %v", p2)
	}
	if got := ids(list(at(t1) + "&sort=newest")); fmt.Sprint(got) != fmt.Sprint([]string{c3 + "=third", c1 + "=first"}) {
		t.Errorf("newest first: %v", got)
	}

	for _, bad := range []string{"as_of=", "as_of=yesterday", "as_of=2026-03-03", "as_of=2026-03-03T12:00:00", "as_of=1700000000"} {
		st, body := f.call("GET", "/api/articles/a1/comments?"+bad, "", nil)
		if st != 400 || code(body) != "invalid_as_of" {
			t.Errorf("%s: %d %v, want 400 invalid_as_of", bad, st, body)
		}
	}
	if st, body := f.call("GET", "/api/articles/a.1/comments?"+at(t1), "", nil); st != 400 || code(body) != "invalid_article" {
		t.Errorf("bad article: %d %v", st, body)
	}
}

// A moderator's history at a moment: the events stored by then and the
// comment's state then.
func TestHistoryAsOf(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	mod := bearer(f.modTok)
	id := f.held("a1", "Ann", "darn it")
	held := f.storedAt("comments.a1." + id + ".held")
	if st, body := f.call("POST", "/api/moderation/comments/"+id+"/decision", `{"action":"reject","reason":"abusive"}`, mod); st != 200 {
		t.Fatalf("reject: %d %v", st, body)
	}
	path := "/api/moderation/comments/" + id + "/history?as_of="
	st, body := f.call("GET", path+url.QueryEscape(held.Format(time.RFC3339Nano)), "", mod)
	if st != 200 {
		t.Fatalf("history at the hold: %d %v", st, body)
	}
	if c := body["comment"].(map[string]any); c["status"] != "held" {
		t.Errorf("at the hold the comment was %v", c["status"])
	}
	evs := body["events"].([]any)
	if len(evs) != 2 || evs[1].(map[string]any)["type"] != "CommentHeld" || evs[1].(map[string]any)["stored_at"] == nil {
		t.Errorf("events at the hold: %v", evs)
	}
	st, body = f.call("GET", path+url.QueryEscape(time.Now().Add(time.Minute).Format(time.RFC3339)), "", mod)
	if st != 200 || body["comment"].(map[string]any)["status"] != "rejected" || len(body["events"].([]any)) != 3 {
		t.Errorf("history now: %d %v", st, body)
	}
	if st, body := f.call("GET", path+"2001-01-01T00:00:00Z", "", mod); st != 404 {
		t.Errorf("before it existed: %d %v", st, body)
	}
	if st, body := f.call("GET", path+"noon", "", mod); st != 400 || code(body) != "invalid_as_of" {
		t.Errorf("bad as_of: %d %v", st, body)
	}
}
