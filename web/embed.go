package web

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"
)

//go:embed static/embed.js
var embedJS []byte

// embedETag lets browsers and CDNs revalidate the widget cheaply.
var embedETag = func() string {
	sum := sha256.Sum256(embedJS)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// handleEmbedJS serves the widget. It is loaded by <script src>, which
// needs no CORS; Cross-Origin-Resource-Policy lets pages that isolate
// themselves (COEP) load it too.
func (s *Server) handleEmbedJS() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		h.Set("ETag", embedETag)
		http.ServeContent(w, r, "embed.js", time.Time{}, bytes.NewReader(embedJS))
	}
}
