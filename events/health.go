package events

import (
	"context"
	"fmt"
	"time"
)

// Health is what the stream can do now, as its leader sees it.
type Health struct {
	LastSeq uint64
	// Writable is nil when an append can be stored now: the stream has a
	// leader that has heard from a majority of its replicas lately.
	// Otherwise it says why not, wrapping ErrUnavailable.
	Writable error
}

// peerSilence is how long a replica may go unheard by the leader and still
// count toward a quorum. The leader hears from each follower at least
// every heartbeat (1 s); nats-server itself waits 10 s before it calls a
// quorum lost, long enough that every append in between times out.
const peerSilence = 3 * time.Second

// Health asks the stream's leader for its state, within the log's
// deadline. An error means no leader answered: nothing can be written,
// and the newest sequence is unknown.
func (l *Log) Health(ctx context.Context) (Health, error) {
	info, err := l.info(ctx)
	if err != nil {
		return Health{}, err
	}
	h := Health{LastSeq: info.State.LastSeq}
	ci := info.Cluster
	if ci == nil || info.Config.Replicas <= 1 {
		return h, nil // one server: it answered, so it can write
	}
	if ci.Leader == "" {
		h.Writable = fmt.Errorf("%w: stream %s has no leader", ErrUnavailable, StreamName)
		return h, nil
	}
	current := 1 // the leader
	for _, p := range ci.Replicas {
		if p.Current && !p.Offline && p.Active < peerSilence {
			current++
		}
	}
	if need := info.Config.Replicas/2 + 1; current < need {
		h.Writable = fmt.Errorf("%w: stream %s has %d of %d replicas current, needs %d", ErrUnavailable, StreamName, current, info.Config.Replicas, need)
	}
	return h, nil
}
