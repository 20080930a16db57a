package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket per key (an address or an author): perMinute
// requests a minute, all of which may come at once. A nil limiter allows
// everything.
type limiter struct {
	mu        sync.Mutex
	every     rate.Limit
	burst     int
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perMinute int) *limiter {
	if perMinute <= 0 {
		return nil
	}
	return &limiter{every: rate.Limit(float64(perMinute) / 60), burst: perMinute, buckets: make(map[string]*bucket)}
}

// reserve takes a token for key and returns a function that gives it
// back, or how long to wait for one (taking nothing).
func (l *limiter) reserve(key string) (wait time.Duration, undo func()) {
	if l == nil {
		return 0, func() {}
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.bucket(key, now).ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, nil
	}
	// CancelAt the reservation's own time: rate gives nothing back for a
	// reservation whose time has passed.
	return 0, func() { r.CancelAt(now) }
}

// wait is how long key must wait for a token, taking none: for limits
// that count only failures, checked before the attempt and charged
// (with take) after it failed, so successes never hold a token.
func (l *limiter) wait(key string) time.Duration {
	if l == nil {
		return 0
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.bucket(key, now).ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return d
}

// take charges key a token, into debt if need be: failures past the limit
// keep pushing the next allowed attempt further away.
func (l *limiter) take(key string) {
	if l == nil {
		return
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bucket(key, now).ReserveN(now, 1)
}

// bucket returns key's bucket, forgetting buckets idle for a minute (they
// are full again); l.mu is held.
func (l *limiter) bucket(key string, now time.Time) *rate.Limiter {
	if now.Sub(l.lastSweep) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > time.Minute {
				delete(l.buckets, k)
			}
		}
		l.lastSweep = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim
}
