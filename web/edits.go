package web

import (
	"net/http"
	"time"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
)

// editRequest is the body of POST /api/comments/{id}/edit.
type editRequest struct {
	Text string `json:"text"`
	// EditToken is the edit_token the comment's POST answered; a
	// signed-in reader may send their sign-in token instead.
	EditToken string `json:"edit_token"`
}

// handleEditComment lets a reader edit their own comment within the edit
// window: 202 with the comment's status when the edit is stored (it goes
// through the rules; a published comment keeps its text until the edit
// is approved), 200 when the text is what it is already. 403 for someone
// else's comment, 410 once the window passed, 409 for a comment that may
// not be edited (rejected, or with a moderator).
func (s *Server) handleEditComment() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := checkJSONContentType(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		var in editRequest
		if err := decodeJSONBody(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		res, err := s.edit(r, r.PathValue("id"), in)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		code := http.StatusOK
		if res.Stored {
			code = http.StatusAccepted
		}
		writeJSON(w, code, statusOf(res.Comment))
	}
}

// edit identifies who edits and runs the edit command: the one path for
// the JSON API and the article page's form.
func (s *Server) edit(r *http.Request, id string, in editRequest) (commands.Edited, error) {
	who := ""
	if r.Header.Get("Authorization") != "" {
		// A signed-in reader proves who they are with their token; a bad
		// one is refused, never taken for anonymous.
		id, err := s.identify(r, "")
		if err != nil {
			return commands.Edited{}, err
		}
		who = id.AuthorID
	}
	if in.EditToken == "" && !events.SignedIn(who) {
		return commands.Edited{}, &apiError{Status: http.StatusForbidden, Code: "not_your_comment", Field: "edit_token",
			Message: "send the edit_token the comment was posted with, or sign in as its author"}
	}
	return s.cmd.Edit(r.Context(), commands.Edit{
		Comment: id, Text: in.Text, Token: in.EditToken, AuthorID: who,
		Window: s.cfg.EditWindow, Now: time.Now(),
	})
}
