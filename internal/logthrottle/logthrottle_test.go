package logthrottle

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRepeatedErrorsAreSummarised(t *testing.T) {
	var buf bytes.Buffer
	h := New(slog.NewTextHandler(&buf, nil), time.Minute)
	now := time.Unix(1000, 0)
	h.now = func() time.Time { return now }
	log := slog.New(h).With("component", "http")
	fail := errors.New("nats: timeout")

	for range 195 {
		log.Error("request failed", "route", "POST /x", "err", fail)
	}
	log.Error("request failed", "route", "GET /y", "err", fail) // different: written
	log.Info("request", "route", "POST /x")                     // info: never throttled
	log.Info("request", "route", "POST /x")
	now = now.Add(61 * time.Second)
	log.Error("request failed", "route", "POST /x", "err", fail)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 5:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[4], "repeated=194") || !strings.Contains(lines[4], "component=http") {
		t.Errorf("summary line = %q, want repeated=194", lines[4])
	}
	if strings.Contains(lines[0], "repeated") || !strings.Contains(lines[1], "GET /y") {
		t.Errorf("lines = %q", lines)
	}
	// The same message from another component is another line.
	slog.New(h).With("component", "worker").Error("request failed", "route", "POST /x", "err", fail)
	if n := strings.Count(buf.String(), "\n"); n != 6 {
		t.Errorf("%d lines after another component's, want 6", n)
	}
}
