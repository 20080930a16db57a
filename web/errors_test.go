package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
)

// A secret-looking detail that must never reach a client.
const internalDetail = "KV_SESSIONS on nats://10.0.0.7:4222"

func TestErrorTable(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("web: doing something with %s: %w", internalDetail, err) }
	tests := []struct {
		name        string
		err         error
		status      int
		code, field string
		retryAfter  string
		// message is what the client reads: exact, or "" to check only
		// that internalDetail is not in it.
		message string
	}{
		{"not found", wrap(events.ErrNotFound), 404, "not_found", "", "", "not found"},
		{"conflict", wrap(events.ErrConflict), 409, "conflict", "", "", "changed by someone else; reload and try again"},
		{"account name taken", wrap(accounts.ErrNameTaken), 409, "exists", "name", "", "an account with this name exists"},
		{"bad credentials", wrap(accounts.ErrBadCredentials), 401, "unauthenticated", "", "", errUnauthenticated.Message},
		{"invalid input keeps its words", fmt.Errorf("%w: role is moderator or admin", events.ErrInvalid), 400, "invalid", "", "", "role is moderator or admin"},
		{"invalid rule file", &moderation.RuleError{Line: 3, Rule: "r1", Msg: "unknown action"}, 400, "invalid_rules", "source", "", ""},
		{"stream unavailable", wrap(fmt.Errorf("%w: nats: timeout", events.ErrUnavailable)), 503, "unavailable", "", "1", errUnavailable.Message},
		{"an API error passes through", wrap(badRequest("too_long", "text", "at most 5000")), 400, "too_long", "text", "", "at most 5000"},
		{"rate limited", tooMany(7e9), 429, "rate_limited", "", "7", ""},
		{"a command's refusal names itself", wrap(&commands.Error{Err: events.ErrInvalid, Code: "too_long", Field: "text", Message: "at most 5000"}), 400, "too_long", "text", "", "at most 5000"},
		{"a closed article", &commands.Error{Err: commands.ErrClosed, Code: "article_closed", Message: "closed here"}, 403, "article_closed", "", "", "closed here"},
		{"a reused key", &commands.Error{Err: commands.ErrKeyReused, Code: "idempotency_key_reused", Field: "Idempotency-Key", Message: "new key"}, 422, "idempotency_key_reused", "Idempotency-Key", "", "new key"},
		{"a lost decision", &commands.Error{Err: events.ErrConflict, Code: "conflict", Message: "now approved"}, 409, "conflict", "", "", "now approved"},
		{"a command's refusal of an unknown kind", &commands.Error{Err: errors.New(internalDetail), Code: "odd", Message: "odd"}, 500, "internal", "", "", errInternal.Message},
		{"a refused sign-in token says why", func() error { _, err := VerifySSO("a.b.c", []byte("k"), time.Now()); return err }(), 401, "invalid_token", "", "", "invalid sign-in token: bad header"},
		{"unknown", wrap(errors.New("bucket exploded")), 500, "internal", "", "", errInternal.Message},
		{"unknown, joined", errors.Join(errors.New("one "+internalDetail), errors.New("two")), 500, "internal", "", "", errInternal.Message},
		{"a deadline of ours is no client leaving", wrap(context.DeadlineExceeded), 500, "internal", "", "", errInternal.Message},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := New(Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			w := httptest.NewRecorder()
			s.writeError(w, httptest.NewRequest("GET", "/api/x", nil), tt.err)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d", w.Code, tt.status)
			}
			if got := w.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			var body struct {
				Error struct{ Code, Message, Field string }
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			e := body.Error
			if e.Code != tt.code || e.Field != tt.field {
				t.Errorf("code %q field %q, want %q %q", e.Code, e.Field, tt.code, tt.field)
			}
			if tt.message != "" && e.Message != tt.message {
				t.Errorf("message %q, want %q", e.Message, tt.message)
			}
			if e.Message == "" || strings.Contains(e.Message, internalDetail) {
				t.Errorf("message %q: empty, or it tells the client what is ours", e.Message)
			}
			logged := logs.String()
			if tt.status == 500 {
				if !strings.Contains(logged, "level=ERROR") || !strings.Contains(logged, internalDetail) || !strings.Contains(logged, "chain=") {
					t.Errorf("an unknown error was not logged with its chain: %q", logged)
				}
			} else if strings.Contains(logged, "level=ERROR") {
				t.Errorf("a known error logged as a failure: %q", logged)
			}
		})
	}
}

// A request whose client left is no failure of ours and no outage.
func TestErrorOfAnAbandonedRequest(t *testing.T) {
	var logs bytes.Buffer
	s := New(Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	logs.Reset() // New's own warnings
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/api/x", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	s.writeError(w, r, fmt.Errorf("events: append: %w", context.Canceled))
	if w.Code != statusClientClosed || w.Header().Get("Retry-After") != "" || logs.Len() != 0 {
		t.Fatalf("status %d, Retry-After %q, logs %q", w.Code, w.Header().Get("Retry-After"), logs.String())
	}
}

func TestErrChain(t *testing.T) {
	err := fmt.Errorf("a: %w", &apiError{Code: "x"})
	got := errChain(err)
	if len(got) != 2 || got[0] != "*fmt.wrapError" || got[1] != "*web.apiError" {
		t.Fatalf("errChain = %v", got)
	}
	if errChain(nil) != nil {
		t.Fatal("errChain(nil) is not empty")
	}
}
