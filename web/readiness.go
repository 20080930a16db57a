package web

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/newsroom/commentd/events"
)

// DefaultReadyGrace is how long the read models may stay behind the stream
// before /readyz says reads are not ready, once they have been current.
// A failover stalls every process's projector at the same moment for a
// few seconds (4-8 s measured on a 3-node cluster): a shorter grace would
// take the whole fleet out of a load balancer at once while reads still
// work from memory.
const DefaultReadyGrace = 15 * time.Second

// readiness answers /readyz. It asks two questions:
//
//   - read: do the read models serve what the stream holds? Before they
//     have first caught up (start, restore) they do not. After, they stay
//     ready while they keep reaching, within the grace time, the sequence
//     the stream had when they were first seen behind: a short lag is not
//     an outage, a projector stuck (or a stream unreachable) for longer is.
//   - write: can the stream take a comment now? Its leader must answer
//     within the log's deadline and have a quorum of current replicas.
//
// Ready is the views' own test, Config.Ready; nil is a process without
// views, which has nothing to read and is always read-ready.
type readiness struct {
	ready func(lastSeq uint64) bool
	grace time.Duration

	mu     sync.Mutex
	served bool      // the views have been current once
	since  time.Time // when they were first seen behind; zero while current
	behind uint64    // the stream's last sequence then
}

type check struct {
	Ready  bool   `json:"ready"`
	Status string `json:"status"`
}

// read is the read check, given the stream's last sequence (known false
// when the stream did not answer).
func (rs *readiness) read(last uint64, known bool, now time.Time) check {
	if rs.ready == nil {
		return check{true, "ready"}
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if known && rs.ready(last) {
		rs.served, rs.since = true, time.Time{}
		return check{true, "ready"}
	}
	why := "projections catching up"
	if !known {
		why = "log unavailable"
	}
	if !rs.served {
		return check{false, why}
	}
	if rs.since.IsZero() || known && rs.ready(rs.behind) {
		// Newly behind, or past where the stream was: the views move.
		rs.since, rs.behind = now, last
	}
	if now.Sub(rs.since) > rs.grace {
		return check{false, why}
	}
	return check{true, why + " (within the grace time)"}
}

// write is the write check.
func write(h events.Health, err error) check {
	switch {
	case err != nil:
		return check{false, "log unavailable"}
	case h.Writable != nil:
		return check{false, "cannot accept writes: " + h.Writable.Error()}
	}
	return check{true, "ready"}
}

type readyAnswer struct {
	Status string `json:"status"`
	Read   check  `json:"read"`
	Write  check  `json:"write"`
}

// handleReadyz answers 200 when this process may take traffic, 503 with
// Retry-After when not, within the log's deadline. ?check=read or
// ?check=write asks one question; without it both must hold (what a
// load balancer in front of an api wants). The body always has both.
func (s *Server) handleReadyz() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h, err := s.cfg.Log.Health(r.Context())
		if err != nil && !errors.Is(err, events.ErrUnavailable) {
			s.log.Warn("readiness: stream health", "err", err)
		}
		ans := readyAnswer{Read: s.ready.read(h.LastSeq, err == nil, time.Now()), Write: write(h, err)}
		var ok bool
		switch r.URL.Query().Get("check") {
		case "":
			ok = ans.Read.Ready && ans.Write.Ready
			ans.Status = "ready"
			if !ans.Write.Ready {
				ans.Status = ans.Write.Status
			}
			if !ans.Read.Ready {
				ans.Status = ans.Read.Status
			}
		case "read":
			ok, ans.Status = ans.Read.Ready, ans.Read.Status
		case "write":
			ok, ans.Status = ans.Write.Ready, ans.Write.Status
		default:
			s.writeError(w, r, badRequest("invalid_check", "check", "check is read or write, or absent for both"))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if !ok {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusServiceUnavailable, ans)
			return
		}
		writeJSON(w, http.StatusOK, ans)
	}
}
