package web

import (
	"net/http"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
)

// handleErase erases an author on their request (admins only): the
// erasure, with the admin as its actor, is appended to the log, and the
// projector destroys the author's data keys when it reads it (the api
// may not destroy a key). 202: the views show "[removed]" once the
// projector has applied it.
func (s *Server) handleErase() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Reason string `json:"reason"`
		}
		if err := decodeJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		author := events.CanonicalAuthorID(r.PathValue("author"))
		x, err := s.cmd.Erase(r.Context(), principalOf(r.Context()).Actor, commands.Erase{AuthorID: author, Reason: in.Reason})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]any{"author_key": x.AuthorKey, "comments": len(x.Comments), "keys": len(x.Keys)})
	}
}
