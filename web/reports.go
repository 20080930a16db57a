package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/projections"
)

// reporterID is who reported, without keeping who: a keyed hash of the
// client's block (clientBlock), so the same reader counts once per comment
// and the address is never stored. The key is the server's secret, so the ids cannot be
// turned back into addresses by hashing every address.
func (s *Server) reporterID(r *http.Request) string {
	mac := hmac.New(sha256.New, s.cfg.Moderation.Secret)
	mac.Write([]byte("reporter\n" + s.clientBlock(r)))
	return "ip:" + hex.EncodeToString(mac.Sum(nil)[:16])
}

// report runs the report command for a reader, for the API and the
// page's form alike.
func (s *Server) report(r *http.Request, id, reason string) (projections.Comment, error) {
	return s.cmd.Report(r.Context(), commands.Report{
		Comment: id, Reason: reason, ReporterID: s.reporterID(r),
		Admit: func() error {
			if wait, _ := s.mod.reportIP.reserve(s.addressKey(r)); wait > 0 {
				e := tooMany(wait)
				e.Message = "too many reports; try again later"
				return e
			}
			return nil
		},
	})
}

// handleReport takes a reader's report of a visible comment.
func (s *Server) handleReport() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Reason string `json:"reason"`
		}
		if err := decodeJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		c, err := s.report(r, r.PathValue("id"), in.Reason)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"id": c.ID, "status": "reported"})
	}
}
