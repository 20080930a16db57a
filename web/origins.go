package web

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// A widget on a page whose origin --allowed-origins does not name shows
// "Comments could not be loaded", and the browser alone knows why. The
// server says it in its log, once per origin (a busy page would otherwise
// write a line per request), for a bounded number of origins.

// maxRefusedOrigins bounds the origins remembered; past it, one more line
// says that further ones go unlogged.
const maxRefusedOrigins = 1000

type refusedOrigins struct {
	mu   sync.Mutex
	seen map[string]bool
	full bool
}

// refusedOrigin logs a browser page's origin the reader API refused, the
// first time it is seen. The site's own pages are not refused: a browser
// sends Origin with their POSTs too.
func (s *Server) refusedOrigin(r *http.Request, origin string) {
	if u, err := url.Parse(origin); err == nil && strings.EqualFold(u.Host, r.Host) {
		return
	}
	o := strings.ToLower(origin)
	if len(o) > 200 {
		o = o[:200]
	}
	ro := &s.refused
	ro.mu.Lock()
	first := !ro.seen[o] && len(ro.seen) < maxRefusedOrigins
	full := !first && !ro.seen[o] && !ro.full
	if first {
		if ro.seen == nil {
			ro.seen = map[string]bool{}
		}
		ro.seen[o] = true
	}
	if full {
		ro.full = true
	}
	ro.mu.Unlock()
	switch {
	case first:
		s.log.Warn("a page from an origin not in --allowed-origins called the reader API; its widget shows no comments (logged once per origin)", "origin", o, "route", r.Pattern)
	case full:
		s.log.Warn("more origins not in --allowed-origins called the reader API; no longer logged", "origins", maxRefusedOrigins)
	}
}
