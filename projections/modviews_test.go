package projections

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/poll"
)

// modFixture is a log, the comment, queues and facts views, and their
// readers.
type modFixture struct {
	*viewFixture
	queues *QueuesWriter
	facts  *FactsWriter
	ids    []string // comments, in submission order
	subs   map[string]events.Envelope
}

func newModViewFixture(t *testing.T) *modFixture {
	t.Helper()
	f := &modFixture{viewFixture: newViewFixture(t), subs: make(map[string]events.Envelope)}
	ctx := context.Background()
	if err := OpenQueuesView(ctx, f.js, 1); err != nil {
		t.Fatal(err)
	}
	if err := OpenFactsView(ctx, f.js, 1); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.queues, err = AttachQueuesWriter(ctx, f.js); err != nil {
		t.Fatal(err)
	}
	if f.facts, err = AttachFactsWriter(ctx, f.js); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *modFixture) append(e events.Envelope, after *uint64) uint64 {
	f.t.Helper()
	var seq uint64
	var err error
	if after != nil {
		seq, err = f.log.AppendAfter(context.Background(), e, *after)
	} else {
		seq, err = f.log.Append(context.Background(), e)
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return seq
}

func (f *modFixture) event(typ events.Type, article, comment, actor string, payload any) events.Envelope {
	e, err := events.New(uuid.NewString(), typ, article, comment, actor, "", time.Unix(1_700_000_000+int64(len(f.ids)), 0), payload)
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

// history appends a varied log: comments of several authors on several
// articles, decided by the rules and by people, reported (some readers
// twice), bans, article settings; a few left pending.
func (f *modFixture) history(n int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	authors := []string{"name:ann", "name:bo", "sso:7", "anon:x y", "name:Zoë", "ip:1.2.3.4"}
	articles := []string{"a1", "a2", "a3"}
	for i := range n {
		id := uuid.NewString()
		art := articles[r.IntN(len(articles))]
		sub := f.event(events.CommentSubmitted, art, id, events.ActorReader, events.Submitted{Author: "N" + strconv.Itoa(i), AuthorID: authors[r.IntN(len(authors))], Text: "text " + strconv.Itoa(i)})
		sub.Seq = f.append(sub, nil)
		f.ids, f.subs[id] = append(f.ids, id), sub
		if r.IntN(10) == 0 {
			continue // pending
		}
		typ := []events.Type{events.CommentApproved, events.CommentApproved, events.CommentHeld, events.CommentRejected}[r.IntN(4)]
		f.append(f.event(typ, art, id, events.RulesActor("v1"), events.Decision{Reason: "r", Rules: []string{"rule"}}), &sub.Seq)
		switch r.IntN(6) {
		case 0:
			f.append(f.event(events.CommentApproved, art, id, "moderator:mia", events.Decision{}), nil)
		case 1:
			f.append(f.event(events.CommentRejected, art, id, "moderator:mia", events.Decision{Reason: "spam"}), nil)
		}
		// Reports of earlier comments, some of the same reader.
		for range r.IntN(3) {
			c := f.ids[r.IntN(len(f.ids))]
			s := f.subs[c]
			f.append(f.event(events.CommentReported, s.Article, c, events.ActorReader, events.Reported{Reason: []string{"spam", "abusive"}[r.IntN(2)], ReporterID: "ip:" + strconv.Itoa(r.IntN(4))}), nil)
		}
		if r.IntN(15) == 0 {
			c := f.ids[r.IntN(len(f.ids))]
			s := f.subs[c]
			f.append(f.event(events.CommentHeld, s.Article, c, events.ReportsActor(3), events.Decision{Reason: "reported"}), nil)
		}
		if r.IntN(20) == 0 {
			typ := events.AuthorBanned
			if r.IntN(3) == 0 {
				typ = events.AuthorUnbanned
			}
			f.append(f.event(typ, "", "", "moderator:mia", events.AuthorAction{AuthorID: authors[r.IntN(len(authors))], Reason: "spam"}), nil)
		}
		if r.IntN(25) == 0 {
			f.append(f.event(events.ArticleSettingsChanged, art, "", "moderator:mia", events.ArticleSettings{Closed: r.IntN(2) == 0, Premoderated: r.IntN(2) == 0}), nil)
		}
	}
	// An author banned before ever commenting has a record too.
	f.append(f.event(events.AuthorBanned, "", "", "moderator:mia", events.AuthorAction{AuthorID: "name:never", Reason: "spam"}), nil)
}

// readers starts the api's and the worker's readers, ready.
func (f *modFixture) readers() (*Moderation, *FactsView) {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f.t.Cleanup(cancel)
	q, err := AttachQueues(ctx, f.js)
	if err != nil {
		f.t.Fatal(err)
	}
	facts, err := AttachFacts(ctx, f.js, false)
	if err != nil {
		f.t.Fatal(err)
	}
	worker, err := AttachFacts(ctx, f.js, true)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, run := range []func(context.Context) error{q.Run, facts.Run, worker.Run} {
		go func() {
			if err := run(ctx); err != nil {
				f.t.Error(err)
			}
		}()
	}
	for _, ready := range []<-chan struct{}{q.Ready(), facts.Ready(), worker.Ready()} {
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			f.t.Fatal("readers not ready")
		}
	}
	return &Moderation{Queues: q, Facts: facts, Comments: f.view}, worker
}

// reference folds the whole log into a Store, the views' reference.
func (f *modFixture) reference() *Reference {
	f.t.Helper()
	st := NewReference()
	if err := f.log.Replay(context.Background(), 1, nil, func(e events.Envelope) error { st.Apply(e); return nil }); err != nil {
		f.t.Fatal(err)
	}
	return st
}

// diff is "" when a and b are equal, else both.
func diff(a, b any) string {
	if reflect.DeepEqual(a, b) {
		return ""
	}
	return fmt.Sprintf(" store %+v\n views %+v", a, b)
}

func itemKey(it QueueItem) string {
	return fmt.Sprintf("%s %s by %s seq %d reports %+v stats %+v", it.ID, it.Status, it.DecidedBy, it.Seq, it.Reports, it.Stats)
}

// same compares every moderators' read of the views with the reference.
func (f *modFixture) same(st *Reference, m *Moderation, worker *FactsView) {
	f.t.Helper()
	ctx := context.Background()
	for _, art := range []string{"", "a1", "a2", "a3", "none"} {
		if d := diff(st.QueueCounts(art), m.QueueCounts(art)); d != "" {
			f.t.Errorf("counts of %q (-store +views):\n%s", art, d)
		}
		for _, q := range Queues {
			for after, page := uint64(0), 0; page < 100; page++ {
				want := st.Queue(q, art, after, 7)
				got, err := m.Queue(ctx, q, art, after, 7)
				if err != nil {
					f.t.Fatal(err)
				}
				w, g := make([]string, 0), make([]string, 0)
				for _, it := range want.Items {
					w = append(w, itemKey(it))
				}
				for _, it := range got.Items {
					g = append(g, itemKey(it))
				}
				if d := diff(w, g); d != "" || want.Total != got.Total || want.Next != got.Next {
					f.t.Fatalf("%s of %q after %d: total %d/%d next %d/%d (-store +views):\n%s", q, art, after, want.Total, got.Total, want.Next, got.Next, d)
				}
				if after = want.Next; after == 0 {
					break
				}
			}
		}
		if art != "" && st.ArticleSettings(art) != m.ArticleSettings(art) {
			f.t.Errorf("settings of %s: %+v, views %+v", art, st.ArticleSettings(art), m.ArticleSettings(art))
		}
	}
	for _, id := range f.ids {
		want, _ := st.Item(id)
		got, err := m.Item(ctx, id)
		if err != nil {
			f.t.Fatal(err)
		}
		if itemKey(want) != itemKey(got) {
			f.t.Errorf("item:\n store %s\n views %s", itemKey(want), itemKey(got))
		}
	}
	authors := map[string]bool{"name:never": true, "name:nobody": true}
	for _, s := range f.subs {
		var p events.Submitted
		s.Payload(&p)
		authors[p.AuthorID] = true
	}
	for a := range authors {
		want, wok := st.AuthorRecord(a, 50)
		got, err := m.AuthorRecord(ctx, a, 50)
		if !wok {
			if err != events.ErrNotFound {
				f.t.Errorf("author %s: %+v, %v; want not found", a, got, err)
			}
			continue
		}
		if err != nil {
			f.t.Fatal(err)
		}
		ids := func(cs []Comment) (out []string) {
			for _, c := range cs {
				out = append(out, c.ID+" "+string(c.Status))
			}
			return out
		}
		if d := diff(ids(want.Comments), ids(got.Comments)); d != "" {
			f.t.Errorf("author %s's comments (-store +views):\n%s", a, d)
		}
		want.Comments, got.Comments = nil, nil
		if d := diff(want, got); d != "" {
			f.t.Errorf("author %s (-store +views):\n%s", a, d)
		}
		if d := diff(st.Author(a), worker.Author(a)); d != "" {
			f.t.Errorf("worker's facts of %s (-store +views):\n%s", a, d)
		}
		var wantWaiting []string
		for _, c := range st.Undecided(a) {
			wantWaiting = append(wantWaiting, c.ID)
		}
		undecided, err := m.Undecided(ctx, a)
		if err != nil {
			f.t.Fatal(err)
		}
		var waiting []string
		for _, c := range undecided {
			waiting = append(waiting, c.ID)
		}
		slices.Sort(wantWaiting)
		slices.Sort(waiting)
		if d := diff(wantWaiting, waiting); d != "" {
			f.t.Errorf("author %s's undecided (-store +views):\n%s", a, d)
		}
	}
	wantAt, wantOK := st.OldestUndecided()
	gotAt, gotOK := m.Queues.OldestUndecided()
	if wantOK != gotOK || !wantAt.Equal(gotAt) {
		f.t.Errorf("oldest undecided %v %v, views %v %v", wantAt, wantOK, gotAt, gotOK)
	}
}

// The queues and facts views answer every moderators' read as the
// in-memory store, which folds the same log, does.
func TestModerationViewsAgreeWithTheFold(t *testing.T) {
	f := newModViewFixture(t)
	f.history(150, 1)
	f.runViews(f.queues, f.facts)
	m, worker := f.readers()
	f.same(f.reference(), m, worker)
}

// Events applied a second time (a crash after the writes, before the
// checkpoint) change nothing, counters included.
func TestModerationViewsIdempotent(t *testing.T) {
	f := newModViewFixture(t)
	f.history(120, 2)
	f.runViews(f.queues, f.facts)
	ctx := context.Background()
	last, _ := f.log.LastSeq(ctx)
	for _, seq := range []uint64{last / 3, 1} {
		// Every view back to seq, as after a crash: the keys stay.
		for _, kv := range []interface {
			Put(context.Context, string, []byte) (uint64, error)
		}{f.view.kv, f.queues.kv, f.facts.kv} {
			if _, err := kv.Put(ctx, checkpointKey, []byte(strconv.FormatUint(seq, 10))); err != nil {
				t.Fatal(err)
			}
		}
		f.queues.Reset()
		f.facts.Reset()
		f.runViews(f.queues, f.facts)
	}
	m, worker := f.readers()
	f.same(f.reference(), m, worker)
}

// The readers follow the views live: a hold shows in the queue, a ban in
// the worker's facts, new settings in both.
func TestModerationReadersFollow(t *testing.T) {
	f := newModViewFixture(t)
	f.history(30, 3)
	f.runViews(f.queues, f.facts)
	m, worker := f.readers()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &Projector{Log: f.log, Status: f.view, Views: []ViewWriter{f.queues, f.facts}}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	id := uuid.NewString()
	sub := f.event(events.CommentSubmitted, "a9", id, events.ActorReader, events.Submitted{Author: "Cy", AuthorID: "name:cy", Text: "hi"})
	sub.Seq = f.append(sub, nil)
	poll.True(t, 10*time.Second, "pending", func() bool { _, ok := m.Queues.OldestUndecided(); return ok })
	f.append(f.event(events.CommentHeld, "a9", id, events.RulesActor("v1"), events.Decision{Reason: "r"}), &sub.Seq)
	poll.True(t, 10*time.Second, "held", func() bool { return m.QueueCounts("a9")[QueueHeld] == 1 })
	f.append(f.event(events.AuthorBanned, "", "", "moderator:mia", events.AuthorAction{AuthorID: "name:cy", Reason: "spam"}), nil)
	f.append(f.event(events.ArticleSettingsChanged, "a9", "", "moderator:mia", events.ArticleSettings{Premoderated: true}), nil)
	poll.True(t, 10*time.Second, "banned", func() bool { return worker.Author("name:cy").Banned })
	poll.True(t, 10*time.Second, "settings", func() bool {
		return worker.ArticleSettings("a9").Premoderated && m.ArticleSettings("a9").Premoderated
	})
	last, _ := f.log.LastSeq(context.Background())
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := worker.WaitApplied(wctx, last); err != nil {
		t.Fatal(err)
	}
	f.append(f.event(events.CommentApproved, "a9", id, "moderator:mia", events.Decision{}), nil)
	poll.True(t, 10*time.Second, "approved", func() bool { return m.QueueCounts("a9")[QueueHeld] == 0 })
	f.ids = append(f.ids, id)
	f.subs[id] = sub
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil
	f.same(f.reference(), m, worker)
}

// An erased author's comments leave the queues' keys too: a held item is
// written again with "[removed]" for its name and text, as the fold has it.
func TestQueuesViewForgetsAnErasedAuthor(t *testing.T) {
	f := newModViewFixture(t)
	f.history(60, 3)
	held := f.reference().Queue(QueueHeld, "", 0, 1000).Items
	if len(held) == 0 {
		t.Fatal("the history holds no held comment to erase")
	}
	// Every comment of the author of the first held one, as an erasure
	// names them.
	who := held[0].AuthorID
	var erased []events.ErasedComment
	for _, id := range f.ids {
		var p events.Submitted
		if s := f.subs[id]; s.Payload(&p) == nil && p.AuthorID == who {
			erased = append(erased, events.ErasedComment{Article: s.Article, Comment: id})
		}
	}
	f.append(f.event(events.AuthorErased, "", "", "operator:test", events.Erasure{AuthorKey: events.AuthorKey(who), Comments: erased}), nil)
	f.runViews(f.queues, f.facts)
	m, worker := f.readers()
	ctx := context.Background()
	for _, c := range erased {
		it, err := m.Item(ctx, c.Comment)
		if err != nil {
			t.Fatal(err)
		}
		if it.Text != events.Removed || it.Author != events.Removed || !it.Erased {
			t.Fatalf("held item %s after the erasure: author %q text %q", c.Comment, it.Author, it.Text)
		}
	}
	f.same(f.reference(), m, worker)
}

// TestProvisioningShortensTheMarkerTTL: buckets provisioned with another
// marker TTL (15 minutes before it became one) take markerTTL when
// provisioned again, so an upgrade needs no step of its own.
func TestProvisioningShortensTheMarkerTTL(t *testing.T) {
	f := newViewFixture(t)
	ctx := context.Background()
	for _, b := range []string{QueuesBucket, FactsBucket} {
		if _, err := f.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: b, History: 1, Storage: jetstream.FileStorage, LimitMarkerTTL: 15 * markerTTL}); err != nil {
			t.Fatal(err)
		}
	}
	if err := OpenQueuesView(ctx, f.js, 1); err != nil {
		t.Fatal(err)
	}
	if err := OpenFactsView(ctx, f.js, 1); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{QueuesBucket, FactsBucket} {
		kv, err := f.js.KeyValue(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		st, err := kv.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.(*jetstream.KeyValueBucketStatus).LimitMarkerTTL(); got != markerTTL {
			t.Errorf("%s: marker TTL %v, want %v", b, got, markerTTL)
		}
	}
}
