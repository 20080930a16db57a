package events_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/newsroom/commentd/events"
)

type outcome struct {
	a   events.Appended
	err error
}

// appendAsync waits for one asynchronous append's outcome.
func appendAsync(t *testing.T, call func(done func(events.Appended, error)) error) outcome {
	t.Helper()
	ch := make(chan outcome, 1)
	if err := call(func(a events.Appended, err error) { ch <- outcome{a, err} }); err != nil {
		t.Fatal(err)
	}
	return <-ch
}

// The appender's conditions are the synchronous append's: a comment is
// submitted once, a decision of one kind stored once, an event id stored
// once, and its submissions sealed as Append seals them.
func TestAppenderConditions(t *testing.T) {
	ctx := context.Background()
	l := openLog(t)
	a, err := l.Appender()
	if err != nil {
		t.Fatal(err)
	}
	sub := submitted(t, "a1", "c1", "a secret")
	first := appendAsync(t, func(d func(events.Appended, error)) error { return a.AppendAfter(ctx, sub, 0, d) })
	if first.err != nil || first.a.Seq != 1 || first.a.Duplicate {
		t.Fatalf("first submission: %+v", first)
	}
	again := sub
	again.ID = "other-id"
	if o := appendAsync(t, func(d func(events.Appended, error)) error { return a.AppendAfter(ctx, again, 0, d) }); !errors.Is(o.err, events.ErrConflict) {
		t.Errorf("a second submission of c1: %+v, want a conflict", o)
	}
	if o := appendAsync(t, func(d func(events.Appended, error)) error { return a.Append(ctx, sub, d) }); o.err != nil || !o.a.Duplicate || o.a.Seq != 1 {
		t.Errorf("the same event id again: %+v, want a duplicate of 1", o)
	}
	dec := decision(t, events.CommentApproved, sub, "import:test")
	if o := appendAsync(t, func(d func(events.Appended, error)) error { return a.AppendFirst(ctx, dec, d) }); o.err != nil || o.a.Seq != 2 {
		t.Fatalf("first approval: %+v", o)
	}
	dec2 := decision(t, events.CommentApproved, sub, "import:test")
	if o := appendAsync(t, func(d func(events.Appended, error)) error { return a.AppendFirst(ctx, dec2, d) }); !errors.Is(o.err, events.ErrConflict) {
		t.Errorf("a second approval: %+v, want a conflict", o)
	}
	rej := decision(t, events.CommentRejected, sub, "import:test")
	if o := appendAsync(t, func(d func(events.Appended, error)) error { return a.AppendFirst(ctx, rej, d) }); o.err != nil || o.a.Seq != 3 {
		t.Errorf("a first rejection: %+v", o)
	}
	raw, err := l.Stream().GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if stored, _ := events.Decode(raw.Data); stored.ID != sub.ID || containsText(raw.Data, "a secret") {
		t.Errorf("the submission is not stored sealed: %s", raw.Data)
	}
	if got, err := l.At(ctx, 1); err != nil || !containsText(got.Data, "a secret") {
		t.Errorf("the sealed submission does not open: %v %s", err, got.Data)
	}
	bad := sub
	bad.Article = "no spaces allowed"
	if err := a.Append(ctx, bad, func(events.Appended, error) { t.Error("done called for an append never sent") }); !errors.Is(err, events.ErrInvalid) {
		t.Errorf("a bad article: %v", err)
	}
}

func containsText(b []byte, s string) bool { return strings.Contains(string(b), s) }
