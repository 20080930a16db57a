package commands

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// Sentinels of edits.
var (
	// ErrForbidden: the one who asks is not the comment's author.
	ErrForbidden = errors.New("forbidden")
	// ErrExpired: the edit window has passed.
	ErrExpired = errors.New("expired")
)

// DefaultEditWindow is how long after posting an author may edit a
// comment when Edit leaves Window 0: long enough to fix a typo or a
// sentence that came out wrong, short enough that replies do not answer
// a text that changed under them.
const DefaultEditWindow = 10 * time.Minute

// Edit is a reader's edit of their own comment.
type Edit struct {
	Comment string
	Text    string
	// Token is the edit token the author got with the comment
	// (EditToken): proof for an anonymous reader, whose name proves
	// nothing.
	Token string
	// AuthorID is a signed-in reader's id ("sso:…"), proof on its own
	// when it is the comment's author's. Anonymous ids (events.
	// AnonymousAuthorID) are never proof: anyone may type a name.
	AuthorID string
	// Window is how long after posting the comment may be edited
	// (DefaultEditWindow when 0); Now is the moment of the request.
	Window time.Duration
	Now    time.Time
}

// EditToken is the secret an author needs to edit comment id: an HMAC
// under the server's secret, so api processes sharing --secret agree on it
// and nobody else can compute it. The API gives it to whoever posted the
// comment, once.
func (s *Service) EditToken(id string) string {
	m := hmac.New(sha256.New, s.cfg.Secret)
	m.Write([]byte("edit\n" + id))
	return hex.EncodeToString(m.Sum(nil)[:20])
}

// Edited is the answer to an edit: the comment as the edit left it.
// Stored is false when the text was the same (a retry), so nothing was
// appended.
type Edited struct {
	Comment projections.Comment
	Stored  bool
}

// Edit appends CommentEdited: the author's new text, which goes through
// the rules again (the worker decides it as it decides submissions).
// While the edit of a published comment waits, readers see the published
// text; a comment not yet published takes the new text at once. It is
// refused with ErrForbidden (not the author), ErrExpired (the window
// passed) or ErrConflict (a rejected comment, one held by a person or by
// reports, an erased one).
func (s *Service) Edit(ctx context.Context, in Edit) (Edited, error) {
	if in.Window <= 0 {
		in.Window = DefaultEditWindow
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	if err := validateText(in.Text); err != nil {
		return Edited{}, err
	}
	for attempt := 0; ; attempt++ {
		st, err := s.State(ctx, in.Comment)
		if err != nil {
			return Edited{}, err
		}
		c := st.Comment
		if err := s.mayEdit(in, c); err != nil {
			return Edited{}, err
		}
		if pendingText(c) == in.Text {
			return Edited{Comment: c}, nil // the same edit again
		}
		p := events.Edited{Text: in.Text, Key: submissionKey(st.History)}
		e, err := events.New(uuid.NewString(), events.CommentEdited, c.Article, c.ID, events.ActorReader, "", in.Now, p)
		if err != nil {
			return Edited{}, err
		}
		// After the comment's last event: a decision stored meanwhile
		// (the rules deciding the submission) is read again first.
		e.Seq, err = s.cfg.Log.AppendAfter(ctx, e, c.Seq)
		if errors.Is(err, events.ErrConflict) && attempt < 2 {
			continue
		}
		if err != nil {
			return Edited{}, err
		}
		s.log.Info("comment edited", "comment", c.ID, "event", e.ID)
		return Edited{Comment: projections.Fold(c, e).After, Stored: true}, nil
	}
}

// mayEdit refuses an edit the author may not make.
func (s *Service) mayEdit(in Edit, c projections.Comment) error {
	owner := in.Token != "" && hmac.Equal([]byte(in.Token), []byte(s.EditToken(c.ID))) ||
		events.SignedIn(in.AuthorID) && in.AuthorID == c.AuthorID
	switch {
	case c.Erased:
		return &Error{Err: events.ErrNotFound, Code: "not_found", Message: "there is no such comment"}
	case !owner:
		return &Error{Err: ErrForbidden, Code: "not_your_comment", Message: "only the comment's author can edit it, from the browser or the account it was posted from"}
	case in.Now.After(c.CreatedAt.Add(in.Window)):
		return &Error{Err: ErrExpired, Code: "edit_window_passed", Message: fmt.Sprintf("a comment can be edited for %s after it is posted", humanDuration(in.Window))}
	}
	return editableState(c)
}

// Editable reports whether comment c, as it stands, may take an edit from
// its author (the window and the proof aside): what a page asks before it
// offers an edit form.
func Editable(c projections.Comment) bool { return !c.Erased && editableState(c) == nil }

// editableState refuses an edit for the state the comment is in.
func editableState(c projections.Comment) error {
	switch {
	case c.Status == projections.Rejected:
		return &Error{Err: events.ErrConflict, Code: "not_editable", Message: "a comment that was not published cannot be edited"}
	case c.Status == projections.Held && !strings.HasPrefix(c.DecidedBy, events.RulesActor("")):
		return &Error{Err: events.ErrConflict, Code: "not_editable", Message: "a comment a moderator is reviewing cannot be edited"}
	case c.Edit != nil && c.Edit.Status == projections.Held:
		return &Error{Err: events.ErrConflict, Code: "not_editable", Message: "your edit is with a moderator; it cannot be changed until they decide"}
	}
	return nil
}

// pendingText is the newest text of a comment: its waiting edit's, or its
// own.
func pendingText(c projections.Comment) string {
	if c.Edit != nil && c.Edit.Status == projections.Pending {
		return c.Edit.Text
	}
	return c.Text
}

// submissionKey is the data key that sealed the comment's submission,
// which seals its edits too: destroying it erases every version.
func submissionKey(history []events.Envelope) string {
	for _, e := range history {
		var p events.Submitted
		if e.Type == events.CommentSubmitted && e.Payload(&p) == nil {
			return p.Key
		}
	}
	return ""
}

// validateText checks a comment's text as a submission's is checked.
func validateText(text string) error {
	switch {
	case !utf8.ValidString(text):
		return invalid("invalid_utf8", "text", "the comment is not valid UTF-8")
	case strings.TrimSpace(text) == "":
		return invalid("missing_field", "text", "the comment is empty")
	case utf8.RuneCountInString(text) > MaxTextRunes:
		return invalid("too_long", "text", fmt.Sprintf("a comment is at most %d characters", MaxTextRunes))
	case strings.IndexFunc(text, badTextControl) >= 0:
		return invalid("invalid_field", "text", "a comment cannot contain control characters other than tabs and line breaks")
	}
	return nil
}

func humanDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		if m := int(d / time.Minute); m == 1 {
			return "1 minute"
		} else {
			return fmt.Sprintf("%d minutes", m)
		}
	}
	return d.String()
}
