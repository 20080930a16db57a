package web

import (
	"net/http"
	"sync"
)

// Live-update streams are long-lived connections: at most maxStreams are
// open at once in a process, and at most maxClientStreams from one client
// (an IPv4 address or an IPv6 /64, see clientBlock), so one client cannot
// take them all. A newsroom behind one NAT address keeps 50 tabs open.
const (
	maxStreams       = 10000
	maxClientStreams = 50
)

// streamSlots counts open streams, in total and per client.
type streamSlots struct {
	mu     sync.Mutex
	total  int
	client map[string]int
}

// Both refusals are 429 with Retry-After, not 503: the service works (the
// client loaded the list and may post), a live stream is an extra that
// is full for now, and a full pool is not a failure of the server that
// should page anyone through the 5xx alert. EventSource does not
// reconnect after a non-200 answer, so neither starts a reconnect storm.
var (
	errClientStreams = &apiError{Status: http.StatusTooManyRequests, Code: "too_many_client_streams", retryAfter: 30,
		Message: "too many live streams are open from your address; close some tabs / слишком много открытых потоков с вашего адреса"}
	errStreamsFull = &apiError{Status: http.StatusTooManyRequests, Code: "too_many_streams", retryAfter: 30,
		Message: "too many live streams are open; try again later / слишком много открытых потоков, попробуйте позже"}
)

// acquire takes a slot for client, or says why not; release gives it back.
func (ss *streamSlots) acquire(client string) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case ss.client[client] >= maxClientStreams:
		return errClientStreams
	case ss.total >= maxStreams:
		return errStreamsFull
	}
	if ss.client == nil {
		ss.client = make(map[string]int)
	}
	ss.client[client]++
	ss.total++
	return nil
}

func (ss *streamSlots) release(client string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.total--
	if ss.client[client]--; ss.client[client] <= 0 {
		delete(ss.client, client)
	}
}
