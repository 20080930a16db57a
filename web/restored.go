package web

import "net/http"

// errRestoring answers a read that arrives before this process's copies
// of the views have first loaded and caught up with the stream (a
// restart): answering from half-loaded copies would list 37 of
// 500 comments as if that were all. A load balancer that waits for
// /readyz never sends one; a client that does gets 503 and Retry-After.
var errRestoring = &apiError{Status: http.StatusServiceUnavailable, Code: "restoring",
	Message: "this server is still loading comments; try again in a moment"}

// whenRestored serves h once Config.Restored is closed, and errRestoring
// before. A nil Restored serves at once.
func (s *Server) whenRestored(h http.Handler) http.Handler {
	if s.cfg.Restored == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-s.cfg.Restored:
			h.ServeHTTP(w, r)
		default:
			s.writeError(w, r, errRestoring)
		}
	})
}
