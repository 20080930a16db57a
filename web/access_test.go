package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/web"
)

// syncBuffer is a log sink the server's goroutines may write concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The access log has one line per request with the route pattern, status,
// duration and bytes, and nothing about the reader: no path ids, no
// address, no text. Off, it writes none.
func TestAccessLog(t *testing.T) {
	var sink syncBuffer
	f := newFixture(t, web.Config{AccessLog: true, RateLimitPerIP: 1, Logger: slog.New(slog.NewJSONHandler(&sink, nil))})
	const text = "A perfectly secret comment text."
	resp, _ := f.post("/api/articles/a1/comments", "application/json", `{"author":"Ann","text":"`+text+`"}`, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("first POST = %d", resp.StatusCode)
	}
	resp, _ = f.post("/api/articles/a1/comments", "application/json", `{"author":"Ann","text":"`+text+`"}`, nil)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second POST = %d, want 429", resp.StatusCode)
	}
	f.get("/api/comments/0123456789abcdef")

	var lines []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(sink.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d access lines, want 3:\n%s", len(lines), sink.String())
	}
	want := []struct {
		route  string
		status float64
	}{
		{"POST /api/articles/{article}/comments", 202},
		{"POST /api/articles/{article}/comments", 429},
		{"GET /api/comments/{id}", 404},
	}
	for i, w := range want {
		l := lines[i]
		if l["route"] != w.route || l["status"] != w.status || l["method"] == nil || l["duration_ms"] == nil {
			t.Errorf("line %d = %v, want route %q status %v", i, l, w.route, w.status)
		}
		if b, _ := l["bytes"].(float64); b <= 0 {
			t.Errorf("line %d: bytes = %v", i, l["bytes"])
		}
	}
	for _, secret := range []string{text, "127.0.0.1", "0123456789abcdef", "Ann"} {
		if strings.Contains(sink.String(), secret) {
			t.Errorf("the log contains %q", secret)
		}
	}

	var quiet syncBuffer
	g := newFixture(t, web.Config{Logger: slog.New(slog.NewJSONHandler(&quiet, nil))})
	g.get("/healthz")
	if strings.Contains(quiet.String(), `"msg":"request"`) {
		t.Errorf("access log written while off: %s", quiet.String())
	}
}

// Live streams stay out of the request latency histogram (they would pin
// its p99 at the top bucket) and are timed in their own; the 429s of
// posting exist at 0 before the first.
func TestStreamsHaveTheirOwnHistogram(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := newFixture(t, web.Config{Registry: reg})
	if n := testutil.CollectAndCount(reg, "comments_http_requests_total"); n < 5 {
		t.Fatalf("%d request series before any request, want the known ones", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL+"/api/articles/a1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	f.get("/healthz")
	poll.Until(t, 5*time.Second, func() error {
		if n := testutil.CollectAndCount(reg, "comments_http_stream_duration_seconds"); n != 1 {
			return fmt.Errorf("%d stream series, want 1", n)
		}
		return nil
	})
	out, _ := testutil.CollectAndFormat(reg, expfmt.TypeTextPlain, "comments_http_request_duration_seconds")
	if strings.Contains(string(out), "/events") || !strings.Contains(string(out), "GET /healthz") {
		t.Errorf("request latency histogram:\n%s", out)
	}
}
