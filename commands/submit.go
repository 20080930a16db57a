package commands

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// Limits on what readers send.
const (
	MaxTextRunes   = 5000
	MaxAuthorRunes = 80
	MaxKeyLen      = 200
)

// idNamespace derives comment and event ids from an Idempotency-Key, so
// the same key always names the same comment.
var idNamespace = uuid.MustParse("8d1f6a0e-2b7c-4c1e-a5f3-6e9b0d4c7a21")

// Submission is a reader's comment, from someone the caller identified.
type Submission struct {
	Article string
	// Author is the name as it is kept and shown (events.CleanName);
	// AuthorID who wrote it (events.AnonymousAuthorID or a signed-in id).
	Author   string
	AuthorID string
	Text     string
	ParentID string
	// Key is the client's Idempotency-Key, "" for none: the same key from
	// the same author on the same article names the same comment.
	Key string
	// Source is the key of the sender's address the rules' flood check
	// reads.
	Source string
	// Email is where the author asks to be told of replies and of the
	// decision on a held comment ("" for nowhere), Lang the language they
	// read. Sealed with their personal fields; shown to nobody.
	Email string
	Lang  string
	// Admit runs once the submission is valid and new, right before it is
	// appended: the caller's rate limits. Its error refuses the
	// submission. A retry of a stored comment is answered without it.
	Admit func() error
}

// Accepted is the answer to a submission.
type Accepted struct {
	ID     string
	Status projections.Status
	// Stored says this call appended the submission (not a retry).
	Stored bool
}

// Submit validates a comment and appends CommentSubmitted. A submission
// sent again with its Key is answered with the stored comment.
func (s *Service) Submit(ctx context.Context, in Submission) (Accepted, error) {
	if !events.ValidArticleID(in.Article) {
		return Accepted{}, ErrArticleID
	}
	if err := validate(in); err != nil {
		return Accepted{}, err
	}
	commentID, eventID := uuid.Must(uuid.NewV7()).String(), uuid.NewString()
	if in.Key != "" {
		if len(in.Key) > MaxKeyLen {
			return Accepted{}, invalid("invalid_idempotency_key", "Idempotency-Key", fmt.Sprintf("at most %d bytes", MaxKeyLen))
		}
		// A key is the author's own: the same key from another author is
		// another comment. The event id covers the body, so a key sent
		// again with another comment is not taken for a retry.
		scope := in.Article + "\n" + in.AuthorID + "\n" + in.Key
		commentID = s.keyedID("comment\n" + scope)
		eventID = s.keyedID("submitted\n" + scope + "\n" + in.ParentID + "\n" + in.Text)
		// A retry the views know is answered before any limit.
		switch c, err := s.cfg.Views.Comment(ctx, commentID); {
		case err == nil:
			return retried(c.ID, c.Status, c.Text == in.Text && c.ParentID == in.ParentID)
		case !errors.Is(err, events.ErrNotFound):
			return Accepted{}, err
		}
	}
	if err := s.checkArticle(ctx, in.Article, in.ParentID); err != nil {
		return Accepted{}, err
	}
	if in.Admit != nil {
		if err := in.Admit(); err != nil {
			return Accepted{}, err
		}
	}
	e, err := events.New(eventID, events.CommentSubmitted, in.Article, commentID, events.ActorReader, "", time.Now(),
		events.Submitted{Author: in.Author, AuthorID: in.AuthorID, Text: in.Text, ParentID: in.ParentID, Source: in.Source,
			Email: in.Email, Lang: in.Lang})
	if err != nil {
		return Accepted{}, err
	}
	if in.Key == "" {
		_, err = s.cfg.Log.Append(ctx, e)
	} else {
		// Only if the comment does not exist yet. The same request again
		// inside the duplicate window is the same event and answered
		// with the first copy's sequence, before this check.
		_, err = s.cfg.Log.AppendAfter(ctx, e, 0)
		if errors.Is(err, events.ErrConflict) {
			return s.keyUsedBefore(ctx, in, commentID)
		}
	}
	if err != nil {
		return Accepted{}, err
	}
	return Accepted{ID: commentID, Status: projections.Pending, Stored: true}, nil
}

// keyedID derives an id from data keyed by the secret (HMAC-SHA256, a
// version 8 UUID): processes that share the secret derive the same id, and
// nobody without it can compute the id of another reader's key.
func (s *Service) keyedID(data string) string {
	return uuid.NewHash(hmac.New(sha256.New, s.cfg.Secret), idNamespace, []byte(data), 8).String()
}

// keyUsedBefore answers a keyed comment that the log already holds and the
// views do not know yet.
func (s *Service) keyUsedBefore(ctx context.Context, in Submission, commentID string) (Accepted, error) {
	st, err := s.stateOf(ctx, in.Article, commentID)
	if err != nil {
		return Accepted{}, err
	}
	status := projections.Pending
	if c, err := s.cfg.Views.Comment(ctx, commentID); err == nil {
		status = c.Status
	}
	return retried(commentID, status, st.Comment.Text == in.Text && st.Comment.ParentID == in.ParentID)
}

// retried answers a comment sent again with its Idempotency-Key: the
// stored comment, or ErrKeyReused if the key came with another comment.
func retried(id string, status projections.Status, same bool) (Accepted, error) {
	if !same {
		return Accepted{}, &Error{Err: ErrKeyReused, Code: "idempotency_key_reused", Field: "Idempotency-Key",
			Message: "this Idempotency-Key was used for another comment; use a new key for a new comment"}
	}
	return Accepted{ID: id, Status: status}, nil
}

func validate(in Submission) error {
	switch {
	case !utf8.ValidString(in.Author) || !utf8.ValidString(in.Text):
		return invalid("invalid_utf8", "", "the comment is not valid UTF-8")
	case in.Author == "":
		return invalid("missing_field", "author", "a name is required")
	case utf8.RuneCountInString(in.Author) > MaxAuthorRunes:
		return invalid("too_long", "author", fmt.Sprintf("a name is at most %d characters", MaxAuthorRunes))
	case strings.IndexFunc(in.Author, unicode.IsControl) >= 0:
		return invalid("invalid_field", "author", "a name cannot contain control characters")
	case strings.TrimSpace(in.Text) == "":
		return invalid("missing_field", "text", "the comment is empty")
	case utf8.RuneCountInString(in.Text) > MaxTextRunes:
		return invalid("too_long", "text", fmt.Sprintf("a comment is at most %d characters", MaxTextRunes))
	case strings.IndexFunc(in.Text, badTextControl) >= 0:
		// Terminal escapes, backspaces and NULs mean nothing in a comment
		// and can attack whoever reads it in a terminal or a log.
		return invalid("invalid_field", "text", "a comment cannot contain control characters other than tabs and line breaks")
	case in.ParentID != "" && uuid.Validate(in.ParentID) != nil:
		return invalid("unknown_parent", "parent_id", "parent_id is not a comment id")
	case in.Email != "" && !ValidEmail(in.Email):
		return invalid("invalid_email", "email", "this is not an e-mail address like name@example.com")
	case len(in.Lang) > 8:
		return invalid("invalid_field", "lang", "not a language code")
	}
	return nil
}

// MaxEmailLen bounds an e-mail address (RFC 5321's path limit).
const MaxEmailLen = 254

// ValidEmail reports whether s is one bare e-mail address (no name, no
// list, no spaces), as readers leave one for notifications.
func ValidEmail(s string) bool {
	if len(s) > MaxEmailLen || !utf8.ValidString(s) || strings.ContainsAny(s, " \t\r\n<>,;\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".") && !strings.HasSuffix(s, ".")
}

// badTextControl reports the control characters a comment may not hold:
// all but tab, line feed and carriage return.
func badTextControl(r rune) bool {
	return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
}

// checkArticle refuses what the article does not take: any comment when
// it is closed, and replies to unknown comments or nested too deep.
// Pre-moderated articles take comments; the worker holds them all.
func (s *Service) checkArticle(ctx context.Context, article, parentID string) error {
	set, err := s.cfg.Views.ArticleSettings(ctx, article)
	if err != nil {
		return err
	}
	if set.Closed {
		return &Error{Err: ErrClosed, Code: "article_closed", Message: "comments on this article are closed"}
	}
	if parentID == "" {
		return nil
	}
	parent, err := s.cfg.Views.Comment(ctx, parentID)
	if errors.Is(err, events.ErrNotFound) || err == nil && parent.Article != article {
		return invalid("unknown_parent", "parent_id", "there is no such comment on this article to reply to")
	}
	if err != nil {
		return err
	}
	depth, err := s.cfg.Views.Depth(ctx, parentID)
	if err != nil {
		return err
	}
	if depth+1 > s.cfg.MaxReplyDepth {
		return invalid("reply_too_deep", "parent_id", fmt.Sprintf("replies nest at most %d deep; reply to an earlier comment in the thread", s.cfg.MaxReplyDepth))
	}
	return nil
}
