package web

import (
	"errors"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
)

// What the rules screen needs beside web/rules.go: validation with every
// mistake on its line, a verdict on one text, and the published versions
// (to roll back to one by publishing it again).

type ruleProblem struct {
	Line    int    `json:"line,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Message string `json:"message"`
}

// parseRules parses a rule file; a file that is not valid gives its
// problems, each with its line and rule.
func parseRules(name string, source []byte) (*moderation.Ruleset, []ruleProblem, error) {
	rs, err := moderation.ParseRuleset(name, source)
	if err == nil {
		return rs, nil, nil
	}
	if !errors.Is(err, moderation.ErrInvalid) {
		return nil, nil, err
	}
	var out []ruleProblem
	var walk func(error)
	walk = func(err error) {
		if re, ok := errors.AsType[*moderation.RuleError](err); ok && errors.Unwrap(err) == moderation.ErrInvalid {
			out = append(out, ruleProblem{Line: re.Line, Rule: re.Rule, Message: re.Msg})
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		out = append(out, ruleProblem{Message: err.Error()})
	}
	walk(err)
	return nil, out, nil
}

// handleValidateRules answers whether a rule file is valid: its version
// and rules, or every problem found with its line.
func (s *Server) handleValidateRules() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, source, err := readRuleFile(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		rs, problems, err := parseRules(name, source)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if problems != nil {
			writeJSON(w, http.StatusOK, map[string]any{"valid": false, "errors": problems})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"valid": true, "version": rs.Version, "name": rs.Name, "rules": len(rs.Rules())})
	}
}

// maxCheckRunes bounds the text of a check, as a comment is bounded.
const maxCheckRunes = 5000

// handleCheckRules evaluates one text as a new reader's first comment,
// with the rule file sent, or the rule set in force when none is: what
// commentctl rules check does.
func (s *Server) handleCheckRules() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Source string `json:"source"`
			Text   string `json:"text"`
		}
		if err := decodeJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		if in.Text == "" {
			s.writeError(w, r, badRequest("missing_field", "text", "send the text to check"))
			return
		}
		if !utf8.ValidString(in.Text) || utf8.RuneCountInString(in.Text) > maxCheckRunes {
			s.writeError(w, r, badRequest("too_long", "text", "a text is at most 5000 characters of UTF-8"))
			return
		}
		var rs *moderation.Ruleset
		if in.Source != "" {
			var problems []ruleProblem
			var err error
			if rs, problems, err = parseRules("rules.yaml", []byte(in.Source)); err != nil {
				s.writeError(w, r, err)
				return
			}
			if problems != nil {
				writeJSON(w, http.StatusOK, map[string]any{"valid": false, "errors": problems})
				return
			}
		} else {
			var err error
			if rs, err = moderation.LatestRuleset(r.Context(), s.cfg.Log); errors.Is(err, events.ErrNotFound) {
				rs, err = moderation.DefaultRuleset(), nil
			}
			if err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		v := rs.Evaluate(moderation.Input{Text: in.Text, Now: time.Now()})
		if v.Rules == nil {
			v.Rules = []string{}
		}
		if v.Evidence == nil {
			v.Evidence = []events.Evidence{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"valid": true, "version": rs.Version, "action": v.Action.String(), "reason": v.Reason,
			"message": v.Message, "rules": v.Rules, "evidence": v.Evidence, "languages": v.Languages})
	}
}

type ruleVersion struct {
	Version     string    `json:"version"`
	Name        string    `json:"name,omitempty"`
	Actor       string    `json:"actor"`
	PublishedAt time.Time `json:"published_at"`
	Seq         uint64    `json:"seq"`
	Source      string    `json:"source,omitempty"`
}

// maxRuleVersions bounds the versions listed, newest kept.
const maxRuleVersions = 100

// ruleVersions reads the published rule sets from the log, newest first.
func (s *Server) ruleVersions(r *http.Request, withSource bool) ([]ruleVersion, error) {
	var out []ruleVersion
	err := s.cfg.Log.Replay(r.Context(), 1, []string{events.RulesetSubjects}, func(e events.Envelope) error {
		var p events.RulesetPublication
		if e.Payload(&p) != nil {
			return nil
		}
		v := ruleVersion{Version: p.Version, Name: p.Name, Actor: e.Actor, PublishedAt: e.OccurredAt, Seq: e.Seq}
		if withSource {
			v.Source = p.Source
		}
		out = append(out, v)
		if len(out) > maxRuleVersions {
			out = out[1:]
		}
		return nil
	})
	slices.Reverse(out)
	if out == nil {
		out = []ruleVersion{}
	}
	return out, err
}

func (s *Server) handleRuleVersions() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		list, err := s.ruleVersions(r, false)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"versions": list})
	}
}

// handleRuleVersion is one published version with its source: what a
// roll back publishes again.
func (s *Server) handleRuleVersion() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		list, err := s.ruleVersions(r, true)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, v := range list {
			if v.Version == r.PathValue("version") {
				writeJSON(w, http.StatusOK, v)
				return
			}
		}
		s.writeError(w, r, events.ErrNotFound)
	}
}

type rulesPage struct {
	modPage
	InForce  events.RulesetPublication
	Builtin  bool // no rule set was published: the built-in one is in force
	Versions []ruleVersion
	Error    string
}

func (s *Server) handleRulesPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pg := rulesPage{modPage: s.modPage(r, pageI18n(r).T("Rules"))}
		pg.Page, pg.Counts = "rules", counts(s.cfg.Views.QueueCounts(""))
		p, err := moderation.LatestPublication(r.Context(), s.cfg.Log)
		switch {
		case errors.Is(err, events.ErrNotFound):
			rs := moderation.DefaultRuleset()
			pg.Builtin, pg.InForce = true, events.RulesetPublication{Version: rs.Version, Name: rs.Name, Source: string(moderation.DefaultRulesetSource())}
		case err != nil:
			pg.Error = s.apiErrorOf(r, err).Message
		default:
			pg.InForce = p
		}
		if pg.Versions, err = s.ruleVersions(r, false); err != nil && pg.Error == "" {
			pg.Error = s.apiErrorOf(r, err).Message
		}
		s.render(w, http.StatusOK, "rules", pg)
	}
}
