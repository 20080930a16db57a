package moderation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
)

// PublishRuleset parses a rule file and appends RulesetPublished unless
// the newest published version is already this one. Invalid files are
// refused before anything is written. Publishing an older version again
// (a rollback) is a new publication; two publishers racing cannot both
// win: the loser gets events.ErrConflict.
func PublishRuleset(ctx context.Context, log *events.Log, name string, source []byte, actor string) (rs *Ruleset, published bool, err error) {
	rs, err = ParseRuleset(name, source)
	if err != nil {
		return nil, false, err
	}
	var after uint64
	switch last, err := log.Last(ctx, events.RulesetSubjects); {
	case err == nil:
		if latest, perr := parsePublication(last); perr == nil && latest.Version == rs.Version {
			return rs, false, nil
		}
		after = last.Seq
	case !errors.Is(err, events.ErrNotFound):
		return nil, false, err
	}
	e, err := events.New(uuid.NewString(), events.RulesetPublished, "", "", actor, "", time.Now(),
		events.RulesetPublication{Version: rs.Version, Name: name, Source: string(source)})
	if err != nil {
		return nil, false, err
	}
	if _, err := log.AppendAfter(ctx, e, after); err != nil {
		return nil, false, err
	}
	return rs, true, nil
}

// LatestRuleset is the newest rule set published in the log, or
// events.ErrNotFound.
func LatestRuleset(ctx context.Context, log *events.Log) (*Ruleset, error) {
	e, err := log.Last(ctx, events.RulesetSubjects)
	if err != nil {
		return nil, err
	}
	return parsePublication(e)
}

func parsePublication(e events.Envelope) (*Ruleset, error) {
	var p events.RulesetPublication
	if err := e.Payload(&p); err != nil {
		return nil, err
	}
	rs, err := ParseRuleset(p.Name, []byte(p.Source))
	if err != nil {
		return nil, fmt.Errorf("published rule set %s: %w", p.Version, err)
	}
	return rs, nil
}

// Rules is the rule set in force in one process. Follow switches it to
// every newer version published in the log, so workers change rules
// without a restart.
type Rules struct {
	cur atomic.Pointer[Ruleset]
}

// NewRules starts with rs in force.
func NewRules(rs *Ruleset) *Rules {
	r := &Rules{}
	r.cur.Store(rs)
	return r
}

// Current is the rule set in force now.
func (r *Rules) Current() *Ruleset { return r.cur.Load() }

// Follow applies the newest published rule set and each one published
// after it, until ctx ends. A publication that does not parse (written by
// an older or newer version of this program) is logged and skipped.
func (r *Rules) Follow(ctx context.Context, log *events.Log, logger *slog.Logger) error {
	cfg := events.FollowConfig{Filters: []string{events.RulesetSubjects}, LastPerSubject: true}
	// A follow that fails in a failover starts again (from the newest
	// publication: LastPerSubject) once the stream answers.
	err := events.Retry(ctx, logger, "follow the rule sets", func(ctx context.Context) error {
		return log.Follow(ctx, cfg, r.apply(logger))
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// apply puts each published rule set in force as it is read.
func (r *Rules) apply(logger *slog.Logger) func(events.Envelope, uint64, error) error {
	return func(e events.Envelope, _ uint64, err error) error {
		var rs *Ruleset
		if err == nil {
			rs, err = parsePublication(e)
		}
		if err != nil {
			logger.Error("published rule set not usable; keeping the one in force", "seq", e.Seq, "err", err)
			return nil
		}
		if old := r.cur.Swap(rs); old == nil || old.Version != rs.Version {
			logger.Info("rule set in force", "version", rs.Version, "name", rs.Name)
		}
		return nil
	}
}

// LatestPublication is the newest RulesetPublished payload, source
// included, or events.ErrNotFound.
func LatestPublication(ctx context.Context, log *events.Log) (events.RulesetPublication, error) {
	var p events.RulesetPublication
	e, err := log.Last(ctx, events.RulesetSubjects)
	if err == nil {
		err = e.Payload(&p)
	}
	return p, err
}
