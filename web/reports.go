package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// reportNamespace derives a report's event id from the comment and the
// reporter, so a reader who reports twice within the duplicate window is
// stored once (and counted once by the views beyond it).
var reportNamespace = uuid.MustParse("6a2d9f41-8c3b-4e7a-b5d0-1e9c4f7a2b63")

// reporterID is who reported, without keeping who: a keyed hash of the
// client's block (clientBlock), so the same reader counts once per comment
// and the address is never stored. The key is the server's secret, so the ids cannot be
// turned back into addresses by hashing every address.
func (s *Server) reporterID(r *http.Request) string {
	mac := hmac.New(sha256.New, s.cfg.Moderation.Secret)
	mac.Write([]byte("reporter\n" + s.clientBlock(r)))
	return "ip:" + hex.EncodeToString(mac.Sum(nil)[:16])
}

// report records a reader's report of a visible comment, for the API and
// the page's form alike.
func (s *Server) report(r *http.Request, id, reason string) (projections.Comment, error) {
	if !slices.Contains(ReasonCodes, reason) {
		return projections.Comment{}, badRequest("invalid_reason", "reason", "reason is one of offensive, abusive, spam, off-topic, personal-information, other")
	}
	// Readers see approved comments only; anything else is not
	// theirs to know about.
	st, ok, err := s.comment(r.Context(), id)
	if err != nil {
		return projections.Comment{}, err
	}
	c := st.Comment
	if !ok || c.Status != projections.Approved {
		return projections.Comment{}, events.ErrNotFound
	}
	if wait, _ := s.mod.reportIP.reserve(s.addressKey(r)); wait > 0 {
		e := tooMany(wait)
		e.Message = "too many reports; try again later"
		return projections.Comment{}, e
	}
	reporter := s.reporterID(r)
	e, err := events.New(uuid.NewSHA1(reportNamespace, []byte(c.ID+"\n"+reporter)).String(),
		events.CommentReported, c.Article, c.ID, events.ActorReader, "", time.Now(),
		events.Reported{Reason: reason, ReporterID: reporter})
	if err == nil {
		_, err = s.cfg.Log.Append(r.Context(), e)
	}
	return c, err
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
