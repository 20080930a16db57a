package web

import (
	"sync"
)

// hub fans messages out to subscribers of a topic (an article, the
// moderation queue, …) in process. Publish never blocks: each subscriber
// has a bounded buffer, and one that falls behind is dropped — its channel
// is closed, and it is expected to reconnect and reload, which is cheaper
// for everyone than holding the publisher (the projector) back.
//
// The zero value is not usable; use newHub. Safe for concurrent use.
type hub[M any] struct {
	mu     sync.Mutex
	buffer int
	topics map[string]map[*subscription[M]]struct{}
	closed bool
}

// subscription is one subscriber's feed. C is closed when the subscriber
// is dropped for being slow, unsubscribes, or the hub closes.
type subscription[M any] struct {
	C     <-chan M
	c     chan M
	topic string
}

func newHub[M any](buffer int) *hub[M] {
	if buffer < 1 {
		buffer = 1
	}
	return &hub[M]{buffer: buffer, topics: make(map[string]map[*subscription[M]]struct{})}
}

// Subscribe starts a feed of topic. It returns nil when the hub is closed.
// Every subscription must end with Unsubscribe.
func (h *hub[M]) Subscribe(topic string) *subscription[M] {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	c := make(chan M, h.buffer)
	s := &subscription[M]{C: c, c: c, topic: topic}
	subs, ok := h.topics[topic]
	if !ok {
		subs = make(map[*subscription[M]]struct{})
		h.topics[topic] = subs
	}
	subs[s] = struct{}{}
	return s
}

// Unsubscribe ends s; calling it again, or after s was dropped, is harmless.
func (h *hub[M]) Unsubscribe(s *subscription[M]) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(s)
}

// remove drops s; h.mu is held.
func (h *hub[M]) remove(s *subscription[M]) {
	subs := h.topics[s.topic]
	if _, ok := subs[s]; !ok {
		return
	}
	delete(subs, s)
	if len(subs) == 0 {
		delete(h.topics, s.topic)
	}
	close(s.c)
}

// Has reports whether topic has subscribers, so a publisher can skip
// building a message nobody reads.
func (h *hub[M]) Has(topic string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.topics[topic]) > 0
}

// Publish gives m to every subscriber of topic, dropping those whose
// buffer is full. It returns how many were dropped.
func (h *hub[M]) Publish(topic string, m M) (dropped int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.topics[topic] {
		select {
		case s.c <- m:
		default:
			h.remove(s)
			dropped++
		}
	}
	return dropped
}

// Close ends every subscription and refuses new ones, so long-lived
// streams end on shutdown.
func (h *hub[M]) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, subs := range h.topics {
		for s := range subs {
			h.remove(s)
		}
	}
}
