package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/projections"
	"github.com/newsroom/commentd/web"
)

// TestCommentStatusFromTheView: GET /api/comments/{id} answers from the
// status view the projector writes, and an unknown id is a miss in the
// view, never a request on the log's connection.
func TestCommentStatusFromTheView(t *testing.T) {
	ns := natstest.Server(t)
	ctx := context.Background()
	logConn, js := natstest.Connect(t, ns)
	l, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := projections.OpenStatusView(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	viewConn, vjs := natstest.Connect(t, ns)
	view, err := projections.AttachStatusView(ctx, vjs)
	if err != nil {
		t.Fatal(err)
	}
	// The projector, on its own connection, as in the product.
	_, pjs := natstest.Connect(t, ns)
	plog, err := events.Attach(ctx, pjs)
	if err != nil {
		t.Fatal(err)
	}
	pview, err := projections.AttachStatusView(ctx, pjs)
	if err != nil {
		t.Fatal(err)
	}
	pctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		p := &projections.Projector{Log: plog, Status: pview}
		if err := p.Run(pctx); err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(func() { stop(); wg.Wait() })

	w := web.New(web.NewTestViews(t, js, l).Config(web.Config{Status: view}))
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	f := &fixture{t: t, log: l, web: w, srv: srv}

	_, body := f.post(path, "application/json", `{"author":"Anna","text":"Good piece."}`, nil)
	id, _ := body["id"].(string)
	if resp, st := f.get("/api/comments/" + id); resp.StatusCode != 200 || st["status"] != "pending" || st["article"] != "a1" {
		t.Fatalf("status right after POST: %d %v", resp.StatusCode, st)
	}
	sub, err := l.History(ctx, "a1", id)
	if err != nil {
		t.Fatal(err)
	}
	dec, _ := events.New(uuid.NewString(), events.CommentRejected, "a1", id, events.RulesActor("v1"), sub[0].ID, time.Now(), events.Decision{Reason: "spam", Message: "No ads, please."})
	if _, err := l.AppendAfter(ctx, dec, sub[0].Seq); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, func() error {
		if _, st := f.get("/api/comments/" + id); st["status"] != "rejected" || st["reason"] != "spam" || st["message"] != "No ads, please." || st["id"] != id {
			return fmt.Errorf("status %v", st)
		}
		return nil
	})

	logOut, viewOut := logConn.Stats().OutMsgs, viewConn.Stats().OutMsgs
	for range 20 {
		if resp, _ := f.get("/api/comments/" + uuid.NewString()); resp.StatusCode != 404 {
			t.Fatalf("unknown comment: %d", resp.StatusCode)
		}
	}
	for _, bad := range []string{"not-an-id", "a.b", "%2A"} {
		if resp, _ := f.get("/api/comments/" + bad); resp.StatusCode != 404 {
			t.Fatalf("malformed id %q: %d", bad, resp.StatusCode)
		}
	}
	if got := logConn.Stats().OutMsgs; got != logOut {
		t.Fatalf("unknown ids sent %d requests on the log's connection; want none", got-logOut)
	}
	if got := viewConn.Stats().OutMsgs; got < viewOut+20 {
		t.Fatalf("the view was asked %d times for 20 unknown ids", got-viewOut)
	}
}

// TestCommentStatusBeforeTheView: the api that accepted a comment answers
// it pending until the view has it; another api process, which did not
// accept it, does not know it yet (404) rather than ask the log.
func TestCommentStatusBeforeTheView(t *testing.T) {
	ns := natstest.Server(t)
	ctx := context.Background()
	_, js := natstest.Connect(t, ns)
	l, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := projections.OpenStatusView(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	view, err := projections.AttachStatusView(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	tv := web.NewTestViews(t, js, l) // the projector never runs
	serve := func() *fixture {
		w := web.New(tv.Config(web.Config{Status: view}))
		srv := httptest.NewServer(w)
		t.Cleanup(srv.Close)
		return &fixture{t: t, log: l, web: w, srv: srv}
	}
	a, b := serve(), serve()
	_, body := a.post(path, "application/json", `{"author":"Anna","text":"Good piece."}`, nil)
	id, _ := body["id"].(string)
	if resp, st := a.get("/api/comments/" + id); resp.StatusCode != 200 || st["status"] != "pending" || st["article"] != "a1" || st["id"] != id {
		t.Fatalf("the accepting api: %d %v", resp.StatusCode, st)
	}
	if resp, _ := b.get("/api/comments/" + id); resp.StatusCode != 404 {
		t.Fatalf("another api before the view has it: %d, want 404", resp.StatusCode)
	}
}
