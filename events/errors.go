package events

import (
	"errors"

	"github.com/nats-io/nats.go/jetstream"
)

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

// lostRace says whether a publish with an expected last sequence failed
// because another writer stored first. One server answers 10071; a
// replicated stream answers 10164 for the same race (nats.go's own KV
// checks both). Every expected-sequence publish asks this, nothing else.
func lostRace(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
