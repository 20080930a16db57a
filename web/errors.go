package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/projections"
)

// apiError is the one error body of the API.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Current is the comment as it stands, with a 409 from a decision.
	Current any `json:"current,omitempty"`
	// retryAfter is the Retry-After of a 429, in seconds.
	retryAfter int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

var (
	errUnavailable = &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "the service cannot take this request now; try again"}
	errInternal    = &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "something went wrong on our side; it has been logged"}
	errGone        = &apiError{Status: statusClientClosed, Code: "client_closed", Message: "the request was abandoned"}
)

// statusClientClosed is what a request whose client left is counted as
// (nginx's 499): nobody reads the answer, and it is no server error.
const statusClientClosed = 499

func badRequest(code, field, msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Field: field, Message: msg}
}

// errorTable is the one mapping from the errors the packages return to what
// the API answers, most specific first. keepMessage passes the error's own
// text to the client: only for errors whose text is written for the person
// who sent the input (a password too weak, a rule file's line and rule).
var errorTable = []struct {
	err         error
	answer      apiError
	keepMessage bool
}{
	{accounts.ErrNameTaken, apiError{Status: http.StatusConflict, Code: "exists", Field: "name", Message: "an account with this name exists"}, false},
	{commands.ErrForbidden, apiError{Status: http.StatusForbidden, Code: "forbidden", Message: "you may not do this"}, false},
	{commands.ErrExpired, apiError{Status: http.StatusGone, Code: "expired", Message: "too late"}, false},
	{commands.ErrClosed, apiError{Status: http.StatusForbidden, Code: "article_closed", Message: "comments on this article are closed"}, false},
	{commands.ErrKeyReused, apiError{Status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused", Field: "Idempotency-Key", Message: "this Idempotency-Key was used for another comment"}, false},
	{ErrInvalidToken, apiError{Status: http.StatusUnauthorized, Code: "invalid_token"}, true},
	{events.ErrNotFound, apiError{Status: http.StatusNotFound, Code: "not_found", Message: "not found"}, false},
	{events.ErrConflict, apiError{Status: http.StatusConflict, Code: "conflict", Message: "changed by someone else; reload and try again"}, false},
	{accounts.ErrBadCredentials, *errUnauthenticated, false},
	{moderation.ErrInvalid, apiError{Status: http.StatusBadRequest, Code: "invalid_rules", Field: "source"}, true},
	{events.ErrInvalid, apiError{Status: http.StatusBadRequest, Code: "invalid"}, true},
	{events.ErrUnavailable, *errUnavailable, false},
	{projections.ErrNotReady, *errRestoring, false},
}

// writeError answers with the JSON error body, its status and the headers
// that go with it.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := s.apiErrorOf(r, err)
	switch ae.Status {
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(ae.retryAfter))
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="commentd"`)
	}
	writeJSON(w, ae.Status, map[string]*apiError{"error": ae})
}

// apiErrorOf maps any error to the API's error through errorTable, logs
// what is the server's fault, and counts refused input. An error it does
// not know is a bug: 500 internal, logged with its chain, its text never
// sent to the client (it may name subjects, buckets or servers).
func (s *Server) apiErrorOf(r *http.Request, err error) *apiError {
	ae := lookupError(r.Context(), err)
	switch {
	case ae == nil:
		s.log.Error("request failed", "route", r.Pattern, "err", err, "chain", errChain(err))
		ae = errInternal
	case ae.Status == http.StatusServiceUnavailable && errors.Is(err, events.ErrUnavailable):
		// An outage, not a bug: every request says so meanwhile.
		s.log.Warn("stream unavailable", "route", r.Pattern, "err", err)
	}
	if ae.Status < 500 {
		s.metrics.rejected(ae.Code)
	}
	return ae
}

// lookupError is the API's error for err, or nil when the table does not
// know it.
func lookupError(ctx context.Context, err error) *apiError {
	if ae, ok := errors.AsType[*apiError](err); ok {
		return ae
	}
	// A command's refusal: its kind gives the status, and it names and
	// says the refusal itself.
	if ce, ok := errors.AsType[*commands.Error](err); ok {
		row := lookupError(ctx, ce.Err)
		if row == nil {
			return nil
		}
		ae := *row
		ae.Code, ae.Field, ae.Message = ce.Code, ce.Field, ce.Message
		if ce.Current != nil {
			ae.Current = ce.Current
		}
		return &ae
	}
	for _, row := range errorTable {
		if errors.Is(err, row.err) {
			ae := row.answer
			if row.keepMessage {
				ae.Message = err.Error()
				if row.err == events.ErrInvalid {
					// Without the sentinel's own word: "invalid: an
					// account name is …" reads "an account name is …".
					ae.Message = strings.TrimPrefix(ae.Message, "invalid: ")
				}
			}
			return &ae
		}
	}
	// The client left (or its deadline passed) before the answer: not
	// the server's fault, and not an outage.
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return errGone
	}
	return nil
}

// errChain names the type of each error err wraps, outermost first, so a
// log line says where an unknown error came from.
func errChain(err error) []string {
	var chain []string
	for err != nil && len(chain) < 16 {
		chain = append(chain, fmt.Sprintf("%T", err))
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			errs := u.Unwrap()
			if len(errs) == 0 {
				return chain
			}
			err = errs[0]
		default:
			return chain
		}
	}
	return chain
}
