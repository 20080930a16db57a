package web

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/projections"
)

// TestViews is the read side as commentd runs it, on a test's NATS
// server: the views in KV, written by a real projector, and followed as an
// api process follows them (the approved view's cache, the queues and
// facts in memory, the recent comments), whose watchers feed the server's
// live streams. Sync runs the projector until the views reflect the whole
// log, so a test decides what the projector has seen; Live keeps it
// running.
type TestViews struct {
	t        testing.TB
	log      *events.Log
	Status   *projections.StatusView
	Articles *projections.ArticleCache
	Search   *projections.RecentComments
	Queues   *projections.QueuesView
	Facts    *projections.FactsView
	Mod      *projections.Moderation
	writers  []projections.ViewWriter

	mu     sync.Mutex
	server *Server
}

// NewTestViews provisions the view buckets on js and attaches to them.
func NewTestViews(t testing.TB, js jetstream.JetStream, log *events.Log) *TestViews {
	t.Helper()
	ctx := context.Background()
	for _, open := range []func(context.Context, jetstream.JetStream, int) error{
		projections.OpenStatusView, projections.OpenArticleView, projections.OpenQueuesView, projections.OpenFactsView,
	} {
		if err := open(ctx, js, 1); err != nil {
			t.Fatal(err)
		}
	}
	sv, err := projections.AttachStatusView(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	akv, err := projections.AttachArticleView(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	qw, err := projections.AttachQueuesWriter(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := projections.AttachFactsWriter(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	v := &TestViews{t: t, log: log, Status: sv, writers: []projections.ViewWriter{projections.NewArticleWriter(akv), qw, fw}}
	v.Articles = projections.NewArticleCache(akv, 0, func(ch projections.ArticleChange) {
		if s := v.served(); s != nil {
			s.ArticleChanged(ch)
		}
	}, nil)
	skv, err := js.KeyValue(ctx, projections.StatusBucket)
	if err != nil {
		t.Fatal(err)
	}
	v.Search = projections.NewRecentComments(js, 0, nil)
	v.Search.SetBucket(skv)
	v.Search.OnChange(func(before, after projections.CommentState) {
		if s := v.served(); s != nil {
			s.CommentChanged(before, after)
		}
	})
	if v.Queues, err = projections.AttachQueues(ctx, js); err != nil {
		t.Fatal(err)
	}
	v.Queues.OnChange(func(ch projections.QueueChange) {
		if s := v.served(); s != nil {
			s.QueueChanged(ch)
		}
	})
	if v.Facts, err = projections.AttachFacts(ctx, js, false); err != nil {
		t.Fatal(err)
	}
	v.Facts.OnSettings(func(article string, set events.ArticleSettings) {
		if s := v.served(); s != nil {
			s.SettingsChanged(article, set)
		}
	})
	v.Mod = &projections.Moderation{Queues: v.Queues, Facts: v.Facts, Comments: sv}
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { v.Articles.Run(cctx) })
	wg.Go(func() { v.Search.Run(cctx) })
	wg.Go(func() { v.Queues.Run(cctx) })
	wg.Go(func() { v.Facts.Run(cctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	for _, ready := range []<-chan struct{}{v.Articles.Ready(), v.Search.Ready(), v.Queues.Ready(), v.Facts.Ready()} {
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			t.Fatal("a view's watcher did not start")
		}
	}
	return v
}

// Config fills cfg's views.
func (v *TestViews) Config(cfg Config) Config {
	cfg.Log, cfg.Views, cfg.Articles, cfg.Comments, cfg.Search = v.log, v.Mod, v.Articles, v.Status, v.Search
	return cfg
}

// Serve sends the views' changes to s, as commentd does.
func (v *TestViews) Serve(s *Server) {
	v.mu.Lock()
	v.server = s
	v.mu.Unlock()
}

func (v *TestViews) served() *Server {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.server
}

func (v *TestViews) projector() *projections.Projector {
	return &projections.Projector{Log: v.log, Status: v.Status, Views: v.writers}
}

// Sync runs the projector until every view, and the api's cache of the
// approved view, reflect the log's last event, then stops it.
func (v *TestViews) Sync() {
	v.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { runErr = v.projector().Run(ctx) })
	v.wait(ctx)
	cancel()
	wg.Wait()
	if runErr != nil {
		v.t.Fatal(runErr)
	}
}

// Live runs the projector until the test ends.
func (v *TestViews) Live() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := v.projector().Run(ctx); err != nil {
			v.t.Errorf("projector: %v", err)
		}
	})
	v.t.Cleanup(func() { cancel(); wg.Wait() })
}

// WaitApplied waits until the views reflect the log up to seq.
func (v *TestViews) WaitApplied(seq uint64) {
	v.t.Helper()
	poll.Until(v.t, 10*time.Second, func() error { return v.applied(context.Background(), seq) })
}

func (v *TestViews) wait(ctx context.Context) {
	v.t.Helper()
	last, err := v.log.LastSeq(ctx)
	if err != nil {
		v.t.Fatal(err)
	}
	v.WaitApplied(last)
}

func (v *TestViews) applied(ctx context.Context, seq uint64) error {
	if got := min(v.Queues.Applied(), v.Facts.Applied()); got < seq {
		return fmt.Errorf("queues and facts views seen at %d, want %d", got, seq)
	}
	cp, err := v.Status.Checkpoint(ctx)
	if err != nil || cp < seq {
		return fmt.Errorf("comment view at %d (%v), want %d", cp, err, seq)
	}
	if got := v.Articles.Applied(); got < seq {
		return fmt.Errorf("approved view cache at %d, want %d", got, seq)
	}
	return nil
}

// newTestLog is a log on a fresh test server, with its views.
func newTestLog(t *testing.T) (*events.Log, *TestViews) {
	t.Helper()
	_, js := natstest.Connect(t, natstest.Server(t))
	l, err := events.Open(context.Background(), js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return l, NewTestViews(t, js, l)
}

// storeEvent stores one event of article a1 and returns its sequence.
func storeEvent(t *testing.T, l *events.Log, typ events.Type, comment, actor string, at time.Time, payload any) uint64 {
	t.Helper()
	e, err := events.New(uuid.NewString(), typ, "a1", comment, actor, "", at, payload)
	if err != nil {
		t.Fatal(err)
	}
	seq, err := l.Append(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// What the tests ask of the views, read as the server reads them.

// Comment is the comment view's state of id; ok is false when it holds
// none.
func (v *TestViews) Comment(id string) (projections.Comment, bool) {
	v.t.Helper()
	c, err := v.Status.Comment(context.Background(), id)
	if errors.Is(err, events.ErrNotFound) {
		return projections.Comment{}, false
	}
	if err != nil {
		v.t.Fatal(err)
	}
	return c.Comment, true
}

// Item is the moderators' item of id.
func (v *TestViews) Item(id string) (projections.QueueItem, bool) {
	v.t.Helper()
	it, err := v.Mod.Item(context.Background(), id)
	if errors.Is(err, events.ErrNotFound) {
		return it, false
	}
	if err != nil {
		v.t.Fatal(err)
	}
	return it, true
}

// Author is the facts view's stats of an author.
func (v *TestViews) Author(authorID string) projections.AuthorStats {
	v.t.Helper()
	a, _, err := v.Facts.AuthorFacts(context.Background(), authorID)
	if err != nil {
		v.t.Fatal(err)
	}
	return a.Stats()
}

// Reports are a comment's reports, from the queues view.
func (v *TestViews) Reports(id string) projections.Reports {
	v.t.Helper()
	r, err := v.Queues.Reports(context.Background(), id)
	if err != nil {
		v.t.Fatal(err)
	}
	return r.Summary()
}

// ArticleSettings are an article's settings, from the facts view.
func (v *TestViews) ArticleSettings(article string) events.ArticleSettings {
	return v.Facts.ArticleSettings(article)
}
