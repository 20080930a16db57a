package web

import "sync"

// viewCache keeps what was built from a read model (an encoded page)
// under a key, with the stamp of the view it was built from: an entry is
// good while the view still has that stamp, so nothing is ever stale and
// nothing needs invalidating. It is bounded in entries and in bytes; when
// a new entry would pass a bound it starts over, which the popular pages
// refill at once, and which costs no bookkeeping on the hot path.
// Safe for concurrent use.
type viewCache[K, S comparable, V any] struct {
	mu         sync.RWMutex
	entries    map[K]stamped[S, V]
	bytes      int
	maxEntries int
	maxBytes   int
	size       func(V) int
}

type stamped[S comparable, V any] struct {
	stamp S
	v     V
	size  int
}

func newViewCache[K, S comparable, V any](maxEntries, maxBytes int, size func(V) int) *viewCache[K, S, V] {
	return &viewCache[K, S, V]{entries: make(map[K]stamped[S, V]), maxEntries: maxEntries, maxBytes: maxBytes, size: size}
}

// get returns what was built for k from the view at stamp, if it is kept.
func (c *viewCache[K, S, V]) get(k K, stamp S) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || e.stamp != stamp {
		var zero V
		return zero, false
	}
	return e.v, true
}

// put keeps v, built for k from the view at stamp.
func (c *viewCache[K, S, V]) put(k K, stamp S, v V) {
	n := c.size(v)
	if n > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[k]; ok {
		c.bytes -= old.size
		delete(c.entries, k)
	}
	if len(c.entries) >= c.maxEntries || c.bytes+n > c.maxBytes {
		clear(c.entries)
		c.bytes = 0
	}
	c.entries[k] = stamped[S, V]{stamp: stamp, v: v, size: n}
	c.bytes += n
}
