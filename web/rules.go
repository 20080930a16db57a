package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/moderation"
)

// maxRuleFileBytes bounds a rule file sent over HTTP.
const maxRuleFileBytes = 1 << 20

// handleGetRules answers the rule set in force: version, name and source.
func (s *Server) handleGetRules() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := moderation.LatestPublication(r.Context(), s.cfg.Log)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, p)
	}
}

// handlePublishRules makes a rule file the one every worker applies.
func (s *Server) handlePublishRules() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, source, err := readRuleFile(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		rs, published, err := s.cmd.PublishRules(r.Context(), principalOf(r.Context()).Actor, name, source)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"version": rs.Version, "name": rs.Name, "published": published})
	}
}

// handleDryRunRules reports what a rule file would decide differently on
// the comments in the log, writing nothing.
func (s *Server) handleDryRunRules() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, source, err := readRuleFile(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		rs, err := moderation.ParseRuleset(name, source)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		report, err := commands.DryRun(r.Context(), s.cfg.Log, rs, r.URL.Query().Get("article"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, report)
	}
}

// readRuleFile takes a rule file as the body (application/yaml, text/yaml
// or text/plain) or as JSON {"name":"…","source":"…"}.
func readRuleFile(w http.ResponseWriter, r *http.Request) (name string, source []byte, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		var in struct{ Name, Source string }
		if err := decodeJSONBody(w, r, &in); err != nil {
			return "", nil, err
		}
		name, source = in.Name, []byte(in.Source)
	case "application/yaml", "application/x-yaml", "text/yaml", "text/plain":
		source, err = io.ReadAll(http.MaxBytesReader(w, r.Body, maxRuleFileBytes))
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return "", nil, &apiError{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: fmt.Sprintf("a rule file is at most %d bytes", maxRuleFileBytes)}
		}
		if err != nil {
			return "", nil, badRequest("bad_body", "", "the body could not be read")
		}
	default:
		return "", nil, &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send the rule file as application/yaml, or JSON {\"source\": …}"}
	}
	if len(source) == 0 {
		return "", nil, badRequest("missing_field", "source", "the rule file is empty")
	}
	if name == "" {
		name = "rules.yaml"
	}
	return name, source, nil
}
