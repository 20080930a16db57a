package moderation

import (
	"hash/maphash"
	"strings"
	"sync"
	"time"
	"unicode"
)

// maxFloodObservations bounds the tracker's memory whatever the window.
const maxFloodObservations = 200_000

// FloodTracker counts, in a sliding window, comments with the same text
// from anyone and comments from one author: the inputs of flood and
// duplicate rules. It sees the submissions of one worker process; with
// several workers each counts its share. Safe for concurrent use.
type FloodTracker struct {
	mu     sync.Mutex
	seed   maphash.Seed
	obs    []observation // oldest first
	head   int           // obs[head:] are live
	texts  map[uint64]int
	author map[string]int
	seen   map[string]FloodStats // by event id: a redelivery counts once
}

type observation struct {
	at     time.Time
	event  string
	text   uint64
	author string
}

// NewFloodTracker returns an empty tracker.
func NewFloodTracker() *FloodTracker {
	return &FloodTracker{
		seed: maphash.MakeSeed(), texts: make(map[uint64]int),
		author: make(map[string]int), seen: make(map[string]FloodStats),
	}
}

// Observe records a submission made at `at` and returns the counts in the
// window ending then, this submission included. The same event observed
// again returns what it returned the first time.
func (f *FloodTracker) Observe(eventID, authorID, text string, at time.Time, window time.Duration) FloodStats {
	key := maphash.String(f.seed, floodKey(text))
	f.mu.Lock()
	defer f.mu.Unlock()
	if st, ok := f.seen[eventID]; ok {
		return st
	}
	for f.head < len(f.obs) && (at.Sub(f.obs[f.head].at) > window || len(f.obs)-f.head >= maxFloodObservations) {
		f.forget(f.obs[f.head])
		f.obs[f.head] = observation{}
		f.head++
	}
	if f.head > len(f.obs)/2 { // compact now and then, not on every call
		f.obs = append(f.obs[:0], f.obs[f.head:]...)
		f.head = 0
	}
	f.obs = append(f.obs, observation{at: at, event: eventID, text: key, author: authorID})
	f.texts[key]++
	f.author[authorID]++
	st := FloodStats{SameTextCount: f.texts[key], AuthorRecentCount: f.author[authorID]}
	f.seen[eventID] = st
	return st
}

func (f *FloodTracker) forget(o observation) {
	if f.texts[o.text]--; f.texts[o.text] <= 0 {
		delete(f.texts, o.text)
	}
	if f.author[o.author]--; f.author[o.author] <= 0 {
		delete(f.author, o.author)
	}
	delete(f.seen, o.event)
}

// floodKey is what makes two texts the same for flood rules: their letters
// and digits, case folded, so "Buy now!" and "b u y  N.O.W!!" are one text.
func floodKey(text string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, text)
}
