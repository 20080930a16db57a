package commands

import (
	"context"
	"errors"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// maxAuthorIDLen bounds an author id a moderator names.
const maxAuthorIDLen = 256

// Ban bans or unbans an author.
type Ban struct {
	// AuthorID is the canonical author id (events.CanonicalAuthorID).
	AuthorID string
	Banned   bool
	Reason   string // a ReasonCodes entry; required to ban
	Message  string // to the author, with each rejection
	// RejectPending rejects what the author has waiting, with a ban.
	RejectPending bool
	// Until ends a ban (a timed suspension); zero bans with no end. It
	// must be in the future, at most MaxBan ahead.
	Until time.Time
}

// MaxBan is the longest timed ban: further than that, ban with no end.
const MaxBan = 10 * 365 * 24 * time.Hour

// Ban appends AuthorBanned or AuthorUnbanned. A ban with RejectPending
// then rejects each comment of the author that still waits and that no
// person decided, each rejection caused by the ban event; it returns the
// ids it rejected. A comment decided meanwhile by someone else is left as
// they decided it.
func (s *Service) Ban(ctx context.Context, actor string, b Ban) (rejected []string, err error) {
	if b.AuthorID == "" || len(b.AuthorID) > maxAuthorIDLen || !utf8.ValidString(b.AuthorID) {
		return nil, events.ErrNotFound
	}
	switch known, err := s.cfg.Views.AuthorKnown(ctx, b.AuthorID); {
	case err != nil:
		return nil, err
	case !known:
		return nil, events.ErrNotFound
	}
	if b.Banned && !slices.Contains(ReasonCodes, b.Reason) {
		return nil, invalid("invalid_reason", "reason", "a ban needs a reason: one of offensive, abusive, spam, off-topic, personal-information, other")
	}
	if err := checkMessage(b.Message); err != nil {
		return nil, err
	}
	now := time.Now()
	switch {
	case b.Until.IsZero():
	case !b.Banned:
		return nil, invalid("invalid_until", "until", "an unban has no end time")
	case !b.Until.After(now):
		return nil, invalid("invalid_until", "until", "a ban must end in the future")
	case b.Until.Sub(now) > MaxBan:
		return nil, invalid("invalid_until", "until", "a timed ban ends within 10 years; ban without an end instead")
	}
	typ, verb := events.AuthorUnbanned, "unbanned"
	if b.Banned {
		typ, verb = events.AuthorBanned, "banned"
	}
	e, err := events.New(uuid.NewString(), typ, "", "", actor, "", now,
		events.AuthorAction{AuthorID: b.AuthorID, Reason: b.Reason, RejectPending: b.Banned && b.RejectPending, Until: b.Until.UTC().Truncate(time.Second)})
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.Log.Append(ctx, e); err != nil {
		return nil, err
	}
	s.log.Info("author "+verb, "author_key", events.AuthorKey(b.AuthorID), "actor", actor)
	rejected = []string{}
	if !b.Banned || !b.RejectPending {
		return rejected, nil
	}
	waiting, err := s.cfg.Views.Undecided(ctx, b.AuthorID)
	if err != nil {
		return rejected, err
	}
	for _, c := range waiting {
		// The views may lag the log: judge each comment by the log, and
		// reject it only if it still waits and no person decided it.
		st, err := s.stateOf(ctx, c.Article, c.ID)
		if err != nil {
			return rejected, err
		}
		now := st.Comment
		if now.HumanDecided() || (now.Status != projections.Pending && now.Status != projections.Held) {
			continue
		}
		seq := now.Seq
		d := Decision{Comment: c.ID, Action: "reject", Reason: b.Reason, Message: b.Message, ExpectedSeq: &seq}
		_, err = s.decide(ctx, actor, events.CommentRejected, d, st, e.ID)
		switch {
		case err == nil:
			rejected = append(rejected, c.ID)
		case errors.Is(err, events.ErrConflict):
			// Decided meanwhile by someone else: theirs stands.
		default:
			return rejected, err
		}
	}
	return rejected, nil
}
