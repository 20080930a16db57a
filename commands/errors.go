package commands

import (
	"errors"
	"fmt"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// Sentinels of the commands, beside events.ErrInvalid, ErrNotFound,
// ErrConflict and ErrUnavailable.
var (
	// ErrClosed: the article takes no comments.
	ErrClosed = errors.New("closed")
	// ErrKeyReused: an Idempotency-Key came again with another comment.
	ErrKeyReused = errors.New("idempotency key reused")
)

// Error is a command refused for a reason its sender can act on. Err is
// the kind (a sentinel, matched with errors.Is); Code and Field name the
// refusal for a client, Message says it to a person.
type Error struct {
	Err     error
	Code    string
	Field   string
	Message string
	// Current is the comment as it stands, with a conflict.
	Current *projections.Comment
}

// Error is for logs: the code, the message and the kind.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s (%v)", e.Code, e.Message, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

func invalid(code, field, msg string) *Error {
	return &Error{Err: events.ErrInvalid, Code: code, Field: field, Message: msg}
}

// ErrArticleID refuses an article id that cannot be one.
var ErrArticleID = invalid("invalid_article", "article", fmt.Sprintf("an article id is 1 to %d letters, digits, '-' or '_'", events.MaxArticleIDLen))

// conflict refuses a decision on a comment that changed since its sender
// looked, with the comment as it stands.
func conflict(c projections.Comment) *Error {
	return &Error{Err: events.ErrConflict, Code: "conflict",
		Message: fmt.Sprintf("the comment changed meanwhile (now %s, by %s); look again", c.Status, c.DecidedBy), Current: &c}
}
