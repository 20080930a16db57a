package web

import (
	"context"
	"log/slog"
	"time"
)

// logAccess writes the access log line of one request (Config.AccessLog):
// what an operator needs to see refusals and slow routes that leave no
// other trace, and nothing about the reader. The route is the pattern
// (/api/comments/{id}), never the path, so no comment or article id, no
// address and no query string is logged.
func (s *Server) logAccess(ctx context.Context, method, route string, status int, took time.Duration, bytes int64) {
	s.log.LogAttrs(ctx, slog.LevelInfo, "request",
		slog.String("method", method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(took.Microseconds())/1000),
		slog.Int64("bytes", bytes),
	)
}
