package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
)

// putState writes a comment's state as the projector writes the view.
func putState(t *testing.T, kv jetstream.KeyValue, c Comment) {
	t.Helper()
	b, err := json.Marshal(CommentState{Comment: c})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(context.Background(), statusPrefix+c.ID, b); err != nil {
		t.Fatal(err)
	}
}

func commentIDs(cs []CommentState) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestRecentCommentsSearch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, js := natstest.Connect(t, natstest.Server(t))
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: StatusBucket})
	if err != nil {
		t.Fatal(err)
	}
	// 30 comments; only the newest 10 are kept. Even ones are approved,
	// odd ones rejected; c25 is in Russian.
	for i := range 30 {
		c := Comment{ID: fmt.Sprintf("c%02d", i), Article: fmt.Sprintf("politics-%d", i%3), Author: fmt.Sprintf("Reader %d", i%4),
			AuthorID: fmt.Sprintf("name:reader %d", i%4), Text: fmt.Sprintf("Comment number %d about the budget", i),
			Status: Approved, CreatedAt: time.Now()}
		if i%2 == 1 {
			c.Status = Rejected
		}
		if i == 25 {
			c.Text = "Бюджет на следующий год — ПРОВАЛ"
		}
		putState(t, kv, c)
	}
	if _, err := kv.Put(ctx, checkpointKey, []byte("30")); err != nil { // not a comment: not kept
		t.Fatal(err)
	}
	r := NewRecentComments(js, 10, nil)
	r.SetBucket(kv)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case <-r.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("not ready")
	}

	all := r.Search(Search{Limit: 100})
	if want := []string{"c29", "c28", "c27", "c26", "c25", "c24", "c23", "c22", "c21", "c20"}; !slices.Equal(commentIDs(all.Comments), want) || all.Window != 10 || all.Next != 0 {
		t.Fatalf("all: %v (window %d, next %d), want %v", commentIDs(all.Comments), all.Window, all.Next, want)
	}
	if all.Since.IsZero() {
		t.Fatal("no time for the oldest comment held")
	}
	for _, tc := range []struct {
		name string
		q    Search
		want []string
	}{
		{"rejected", Search{Status: Rejected}, []string{"c29", "c27", "c25", "c23", "c21"}},
		{"words in any case and order", Search{Text: "BUDGET number 2"}, []string{"c29", "c28", "c27", "c26", "c24", "c23", "c22", "c21", "c20"}},
		{"Russian, folded", Search{Text: "провал бюджет"}, []string{"c25"}},
		{"author's name", Search{Text: "reader 3"}, []string{"c27", "c23"}},
		{"author", Search{AuthorID: "name:reader 0"}, []string{"c28", "c24", "c20"}},
		{"article", Search{Article: "politics-1"}, []string{"c28", "c25", "c22"}},
		{"a group of articles", Search{Article: "politics-*", Status: Approved, Text: "comment"}, []string{"c28", "c26", "c24", "c22", "c20"}},
		{"no article of the group", Search{Article: "sport-*"}, nil},
	} {
		if got := commentIDs(r.Search(tc.q).Comments); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}

	// Pages: three at a time, each cursor going on where the last ended.
	var paged []string
	q := Search{Limit: 3}
	for range 10 {
		p := r.Search(q)
		paged = append(paged, commentIDs(p.Comments)...)
		if p.Next == 0 {
			break
		}
		q.Before = p.Next
	}
	if !slices.Equal(paged, commentIDs(all.Comments)) {
		t.Fatalf("paged: %v, want %v", paged, commentIDs(all.Comments))
	}

	// Live: a decision moves a comment to the front; a deleted key goes.
	c22 := all.Comments[7].Comment
	c22.Status = Rejected
	putState(t, kv, c22)
	if err := kv.Delete(ctx, statusPrefix+"c29"); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, func() error {
		got := commentIDs(r.Search(Search{Limit: 3}).Comments)
		if !slices.Equal(got, []string{"c22", "c28", "c27"}) {
			return fmt.Errorf("after a decision and a delete: %v", got)
		}
		return nil
	})

	// A rebuilt view in another bucket: the search loads from there.
	spare, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: StatusBucket + "_B"})
	if err != nil {
		t.Fatal(err)
	}
	putState(t, spare, Comment{ID: "only", Article: "a", Text: "rebuilt", Status: Approved})
	r.SetBucket(spare)
	poll.Until(t, 10*time.Second, func() error {
		if got := commentIDs(r.Search(Search{}).Comments); !slices.Equal(got, []string{"only"}) {
			return fmt.Errorf("after the move: %v", got)
		}
		return nil
	})
}
