// Package logthrottle keeps a burst of identical warnings and errors from
// flooding the log: during an outage every request fails the same way, and
// 195 identical lines say no more than one line and a count.
package logthrottle

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// maxKeys bounds the memory of lines seen; past it the memory starts over
// (at worst a line is written once more).
const maxKeys = 4096

// Handler writes the first of identical records (same level, message and
// attributes) at Warn or above, then suppresses repeats for Window. The
// first repeat after the window is written with "repeated": how many were
// suppressed since the last written one. Records below Warn pass through.
type Handler struct {
	next   slog.Handler
	window time.Duration
	prefix string // the WithAttrs/WithGroup calls, part of every key
	state  *state
	now    func() time.Time
}

type state struct {
	mu   sync.Mutex
	seen map[string]*entry
}

type entry struct {
	written    time.Time
	suppressed int
}

// New wraps next; window is how long identical lines are suppressed.
func New(next slog.Handler, window time.Duration) *Handler {
	return &Handler{next: next, window: window, state: &state{seen: map[string]*entry{}}, now: time.Now}
}

func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	var b strings.Builder
	b.WriteString(h.prefix)
	b.WriteString(r.Level.String())
	b.WriteByte('|')
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteByte('|')
		b.WriteString(a.String())
		return true
	})
	key, now := b.String(), h.now()

	h.state.mu.Lock()
	e, ok := h.state.seen[key]
	if ok && now.Sub(e.written) < h.window {
		e.suppressed++
		h.state.mu.Unlock()
		return nil
	}
	repeated := 0
	if ok {
		repeated = e.suppressed
		e.written, e.suppressed = now, 0
	} else {
		if len(h.state.seen) >= maxKeys {
			clear(h.state.seen)
		}
		h.state.seen[key] = &entry{written: now}
	}
	h.state.mu.Unlock()
	if repeated > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", repeated))
	}
	return h.next.Handle(ctx, r)
}

func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range attrs {
		b.WriteString(a.String())
		b.WriteByte('|')
	}
	c := *h
	c.next, c.prefix = h.next.WithAttrs(attrs), b.String()
	return &c
}

func (h *Handler) WithGroup(name string) slog.Handler {
	c := *h
	c.next, c.prefix = h.next.WithGroup(name), h.prefix+name+"."
	return &c
}
