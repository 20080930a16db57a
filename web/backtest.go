package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/newsroom/commentd/backtest"
	"github.com/newsroom/commentd/moderation"
)

// errBacktestBusy answers a backtest asked for while another runs in this
// process: each replays the whole log.
var errBacktestBusy = &apiError{Status: http.StatusTooManyRequests, Code: "backtest_running", retryAfter: 10,
	Message: "a backtest is already running on this server; try again when it is done"}

// backtestScope is the part of the log a backtest or shadow report reads:
// ?since=DURATION back from now and ?article=ID.
func (s *Server) backtestScope(r *http.Request) (backtest.Config, error) {
	q := r.URL.Query()
	cfg := backtest.Config{Log: s.cfg.Log, Article: q.Get("article")}
	if v := q.Get("since"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return cfg, badRequest("invalid_since", "since", "since is a duration such as 720h (a month) or 90m")
		}
		cfg.Since = time.Now().Add(-d)
	}
	return cfg, nil
}

// handleBacktestRules replays past submissions through a rule file (the
// body, as for a publish) with the facts of their time and answers the
// report (backtest.Report), publishing nothing. ?since=DURATION (a Go
// duration: 720h) and ?article=ID narrow the comments reported on;
// ?examples=N the comment ids listed.
func (s *Server) handleBacktestRules() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cfg, err := s.backtestScope(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if v := r.URL.Query().Get("examples"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				s.writeError(w, r, badRequest("invalid_examples", "examples", "examples is a number from 1 to 1000"))
				return
			}
			cfg.Examples = n
		}
		name, source, err := readRuleFile(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if cfg.Rules, err = moderation.ParseRuleset(name, source); err != nil {
			s.writeError(w, r, err)
			return
		}
		select {
		case s.backtests <- struct{}{}:
			defer func() { <-s.backtests }()
		default:
			s.writeError(w, r, errBacktestBusy)
			return
		}
		report, err := backtest.Run(r.Context(), cfg)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.log.Info("rule set backtested", "version", report.Ruleset, "comments", report.Comments, "changed", report.Changed,
			"elapsed", report.Elapsed, "by", principalOf(r.Context()).Actor)
		writeJSON(w, http.StatusOK, report)
	}
}

// handleShadowRules reports the rules in shadow mode on live traffic
// (backtest.ShadowReport): what the rules' decisions in the log say they
// would have done, against the moderators' decisions. ?since=DURATION and
// ?article=ID narrow it.
func (s *Server) handleShadowRules() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cfg, err := s.backtestScope(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		select {
		case s.backtests <- struct{}{}:
			defer func() { <-s.backtests }()
		default:
			s.writeError(w, r, errBacktestBusy)
			return
		}
		report, err := backtest.Shadow(r.Context(), cfg)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, report)
	}
}
