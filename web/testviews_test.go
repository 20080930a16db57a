package web

import (
	"context"
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
// server: the views in KV, written by a real projector, and the approved
// view cached by a real ArticleCache whose watcher feeds the server's live
// streams. Sync runs the projector until the views reflect the whole log,
// so a test decides what the projector has seen; Live keeps it running.
type TestViews struct {
	t        testing.TB
	log      *events.Log
	Store    *projections.Store
	Status   *projections.StatusView
	Articles *projections.ArticleCache
	Search   *projections.RecentComments
	articles jetstream.KeyValue

	mu     sync.Mutex
	server *Server
}

// NewTestViews provisions the view buckets on js and attaches to them.
func NewTestViews(t testing.TB, js jetstream.JetStream, log *events.Log) *TestViews {
	t.Helper()
	ctx := context.Background()
	if err := projections.OpenStatusView(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	if err := projections.OpenArticleView(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	sv, err := projections.AttachStatusView(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	akv, err := projections.AttachArticleView(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	v := &TestViews{t: t, log: log, Store: projections.NewStore(), Status: sv, articles: akv}
	v.Articles = projections.NewArticleCache(akv, 0, func(ch projections.ArticleChange) {
		v.mu.Lock()
		s := v.server
		v.mu.Unlock()
		if s != nil {
			s.ArticleChanged(ch)
		}
	}, nil)
	skv, err := js.KeyValue(ctx, projections.StatusBucket)
	if err != nil {
		t.Fatal(err)
	}
	v.Search = projections.NewRecentComments(js, 0, nil)
	v.Search.SetBucket(skv)
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { v.Articles.Run(cctx) })
	wg.Go(func() { v.Search.Run(cctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	select {
	case <-v.Articles.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the approved view's watcher did not start")
	}
	return v
}

// Config fills cfg's views.
func (v *TestViews) Config(cfg Config) Config {
	cfg.Log, cfg.Views, cfg.Articles, cfg.Comments, cfg.Search = v.log, v.Store, v.Articles, v.Status, v.Search
	return cfg
}

// Serve sends the views' changes to s, as commentd does.
func (v *TestViews) Serve(s *Server) {
	v.mu.Lock()
	v.server = s
	v.mu.Unlock()
}

func (v *TestViews) projector() *projections.Projector {
	v.mu.Lock()
	s := v.server
	v.mu.Unlock()
	p := &projections.Projector{Log: v.log, Store: v.Store, Status: v.Status, Views: []projections.ViewWriter{projections.NewArticleWriter(v.articles)}}
	if s != nil {
		p.OnChange = s.OnChange
	}
	return p
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
	if got := v.Store.Applied(); got < seq {
		return fmt.Errorf("store at %d, want %d", got, seq)
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
