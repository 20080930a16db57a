// Package commands is the write side: every change a reader, a moderator or
// an operator asks for becomes an event appended to the log here, after the
// checks that decide whether it may be. It owns the one reading of "what
// state is this comment in" from the comment's own history (State), which
// decisions, the moderators' history and the rules' dry-run share.
//
// The HTTP package decodes a request, calls a command and encodes what it
// returns; errors are *Error or the events sentinels, mapped to statuses in
// one table there.
package commands

import (
	"context"
	"crypto/rand"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// Views is what the commands read of the views before they write. The views
// may lag the log: they only answer what the log cannot cheaply (is this
// parent on this article, is the article closed, which comments of an
// author wait); a command that must be right about one comment's state
// folds that comment's history from the log.
type Views interface {
	// Comment is one comment as the views know it; events.ErrNotFound
	// when they do not.
	Comment(ctx context.Context, id string) (projections.Comment, error)
	// Depth is how many replies deep a comment is: 0 at the top.
	Depth(ctx context.Context, id string) (int, error)
	// ArticleSettings are an article's settings; the zero value for an
	// article never configured.
	ArticleSettings(ctx context.Context, article string) (events.ArticleSettings, error)
	// AuthorKnown reports whether the views have seen the author.
	AuthorKnown(ctx context.Context, authorID string) (bool, error)
	// Undecided are the author's comments that wait for a decision
	// (pending or held), oldest first.
	Undecided(ctx context.Context, authorID string) ([]projections.Comment, error)
}

// Statuses finds a comment by id: the comment status view
// (projections.StatusView), whose entry names the comment's article. A
// comment it does not hold is events.ErrNotFound.
type Statuses interface {
	Status(ctx context.Context, id string) (projections.StatusEntry, error)
}

// Config is what the commands need.
type Config struct {
	Log   *events.Log
	Views Views
	// Status locates a comment's article before its history is read;
	// when nil, or when it does not hold the comment yet, Views answers.
	// Either way a comment is never looked for in the log by id alone
	// (a wildcard subject query on every call).
	Status Statuses
	// Secret keys the ids derived from an Idempotency-Key; api processes
	// that share it derive the same ids. Random when empty.
	Secret []byte
	// MaxReplyDepth is how deep replies nest; DefaultMaxReplyDepth when 0.
	MaxReplyDepth int
	Logger        *slog.Logger
	// Registry takes the moderators' decision counters; nil keeps them
	// unregistered.
	Registry prometheus.Registerer
}

// DefaultMaxReplyDepth is how deep replies nest when Config leaves it 0:
// deep enough for a conversation, shallow enough to stay readable on a
// phone and to stop reply-chain flooding.
const DefaultMaxReplyDepth = 6

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if len(c.Secret) == 0 {
		c.Secret = make([]byte, 32)
		rand.Read(c.Secret) // never fails (crypto/rand)
	}
	if c.MaxReplyDepth <= 0 {
		c.MaxReplyDepth = DefaultMaxReplyDepth
	}
}

// Service runs the commands. Safe for concurrent use.
type Service struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
}

// New returns the commands over cfg.Log.
func New(cfg Config) *Service {
	cfg.setDefaults()
	return &Service{cfg: cfg, log: cfg.Logger, metrics: newMetrics(cfg.Registry)}
}
