package events

import "errors"

// Sentinel errors, matched with errors.Is and mapped to HTTP status in one
// place by the web package.
var (
	// ErrInvalid: the input can never succeed (bad id, undecodable event).
	ErrInvalid = errors.New("invalid")
	// ErrNotFound: no such comment, article or event.
	ErrNotFound = errors.New("not found")
	// ErrConflict: another writer changed the comment first.
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: the stream cannot answer now (NATS down, no leader,
	// no quorum), within the log's deadline; the same call may succeed
	// in a moment.
	ErrUnavailable = errors.New("the stream is unavailable")
)
