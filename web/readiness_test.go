package web_test

import (
	"context"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/web"
)

// A short lag does not make an api unready (every api lags at once after a
// failover); a lag that lasts past the grace time does.
func TestReadinessToleratesAShortLag(t *testing.T) {
	var current atomic.Bool
	f := newFixture(t, web.Config{Ready: func(uint64) bool { return current.Load() }, ReadyGrace: 300 * time.Millisecond})
	if resp, body := f.get("/readyz?check=read"); resp.StatusCode != 503 || body["status"] != "projections catching up" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("before the views were ever current: %d %v", resp.StatusCode, body)
	}
	current.Store(true)
	if resp, body := f.get("/readyz"); resp.StatusCode != 200 || body["status"] != "ready" {
		t.Fatalf("current: %d %v", resp.StatusCode, body)
	}
	current.Store(false)
	if resp, body := f.get("/readyz"); resp.StatusCode != 200 {
		t.Fatalf("behind for a moment: %d %v", resp.StatusCode, body)
	}
	poll.True(t, 10*time.Second, "readiness to fail after the grace time", func() bool {
		resp, _ := f.get("/readyz?check=read")
		return resp.StatusCode == 503
	})
	if resp, body := f.get("/readyz?check=write"); resp.StatusCode != 200 {
		t.Fatalf("writes do not depend on the views: %d %v", resp.StatusCode, body)
	}
	current.Store(true)
	if resp, _ := f.get("/readyz"); resp.StatusCode != 200 {
		t.Fatalf("current again: %d", resp.StatusCode)
	}
	if resp, body := f.get("/readyz?check=everything"); resp.StatusCode != 400 {
		t.Fatalf("unknown check: %d %v", resp.StatusCode, body)
	}
}

// With 2 of 3 servers down the survivor may still answer for the stream,
// but it cannot store a comment: /readyz says writes are not ready, and a
// POST answers 503 within the log's deadline instead of nats.go's 5 s.
func TestWriteReadinessAndFailFastWithoutQuorum(t *testing.T) {
	ctx := context.Background()
	cl := natstest.NewCluster(t, 3)
	nc, err := nats.Connect(cl.ClientURLs(), nats.UserInfo(embedded.Operator, cl.Password(embedded.Operator)), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	l, err := events.Open(ctx, js, events.Config{Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	cl.WaitStreamCurrent(events.StreamName)
	srv := httptest.NewServer(web.New(web.NewTestViews(t, js, l).Config(web.Config{RateLimitPerIP: -1})))
	t.Cleanup(srv.Close)
	f := &fixture{t: t, log: l, srv: srv}
	poll.True(t, 30*time.Second, "write readiness on a healthy cluster", func() bool {
		resp, _ := f.get("/readyz?check=write")
		return resp.StatusCode == 200
	})
	if resp, body := f.post(path, "application/json", `{"author":"Anna","text":"Hello"}`, nil); resp.StatusCode != 202 {
		t.Fatalf("POST on a healthy cluster: %d %v", resp.StatusCode, body)
	}

	leader := cl.StreamLeader(events.StreamName)
	for i := range cl.Servers {
		if i != leader {
			cl.Stop(i)
		}
	}
	stopped := time.Now()
	// The leader hears from its followers every second; peerSilence is 3 s.
	var why any
	poll.True(t, 15*time.Second, "write readiness to fail", func() bool {
		resp, body := f.get("/readyz?check=write")
		why = body["status"]
		return resp.StatusCode == 503
	})
	t.Logf("write readiness failed %v after 2 of 3 servers stopped: %v", time.Since(stopped).Round(100*time.Millisecond), why)
	if resp, _ := f.get("/readyz"); resp.StatusCode != 503 {
		t.Fatalf("/readyz without quorum: %d", resp.StatusCode)
	}
	bound := 2 * events.DefaultTimeout // a generous margin over the deadline
	for range 3 {
		began := time.Now()
		resp, body := f.post(path, "application/json", `{"author":"Anna","text":"Hello again"}`, nil)
		took := time.Since(began)
		if resp.StatusCode != 503 || errorCode(body) != "unavailable" || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("POST without quorum: %d %v", resp.StatusCode, body)
		}
		if took > bound {
			t.Fatalf("POST without quorum took %v, over %v", took, bound)
		}
		t.Logf("POST without quorum: 503 after %v", took.Round(10*time.Millisecond))
	}

	cl.Stop(leader) // nothing left: the same bound holds
	for _, p := range []string{"/readyz", "/readyz?check=read"} {
		began := time.Now()
		resp, _ := f.get(p)
		if took := time.Since(began); took > bound {
			t.Fatalf("%s with every server down took %v, over %v", p, took, bound)
		}
		if p == "/readyz" && resp.StatusCode != 503 {
			t.Fatalf("/readyz with every server down: %d", resp.StatusCode)
		}
	}
	began := time.Now()
	if resp, _ := f.post(path, "application/json", `{"author":"Anna","text":"Hello, anyone?"}`, nil); resp.StatusCode != 503 {
		t.Fatalf("POST with every server down: %d", resp.StatusCode)
	}
	if took := time.Since(began); took > bound {
		t.Fatalf("POST with every server down took %v, over %v", took, bound)
	}
}
