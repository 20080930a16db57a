package web

// routes lists every route of the product in one place.
func (s *Server) routes() {
	// Operations, in every role.
	s.mux.Handle("GET /healthz", s.handleHealthz())
	s.mux.Handle("GET /readyz", s.handleReadyz())
	s.mux.Handle("GET /metrics", s.handleMetrics())
	if s.cfg.Views == nil {
		return
	}

	// Readers' JSON API (the HTTP contract in DESIGN.md).
	s.mux.Handle("POST /api/articles/{article}/comments", s.handlePostComment())
	s.mux.Handle("GET /api/articles/{article}/comments", s.handleListComments())
	s.mux.Handle("GET /api/comments/{id}", s.handleGetComment())

	// Pages.
	s.mux.Handle("GET /{$}", s.handleIndex())
	s.mux.Handle("GET /articles/{article}", s.handleArticlePage())
	s.mux.Handle("POST /articles/{article}", s.handleArticleForm())
}
