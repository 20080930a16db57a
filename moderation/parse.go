package moderation

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrInvalid is wrapped by every error of a rule file that cannot be used.
var ErrInvalid = errors.New("invalid rule set")

// RuleError is one problem in a rule file, located precisely enough for its
// author to fix it.
type RuleError struct {
	File string
	Line int
	Rule string // rule id, when the problem is inside a rule
	Msg  string
}

func (e *RuleError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Rule != "" {
		fmt.Fprintf(&b, ": rule %q", e.Rule)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

func (e *RuleError) Unwrap() error { return ErrInvalid }

// Limits a rule file must stay within, so that a rule set published by
// mistake cannot make evaluation slow or the worker run out of memory.
const (
	maxRules       = 500
	maxEntries     = 50000
	maxRegexLen    = 1000
	maxErrorsShown = 20
	versionLen     = 12
)

var (
	idPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	defaultReason = map[Action]string{Hold: "held", Reject: "rejected"}
	defaultMsg    = map[Action]string{
		Hold:   "Your comment is awaiting review by a moderator.",
		Reject: "Your comment was not published because it breaks the community rules.",
	}
)

// LoadRulesetFile reads and parses a rule file.
func LoadRulesetFile(path string) (*Ruleset, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load rule set: %w", err)
	}
	return ParseRuleset(filepath.Base(path), data)
}

// ParseRuleset parses and validates a rule file. name is used in errors and
// as the rule set's Name unless the file has a "name:" field. The error
// lists every problem found (up to a limit), each with file, line and rule.
func ParseRuleset(name string, data []byte) (*Ruleset, error) {
	p := &parser{file: name}
	rs := p.parse(data)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	sum := sha256.Sum256(data)
	rs.Version = hex.EncodeToString(sum[:])[:versionLen]
	return rs, nil
}

type parser struct {
	file      string
	rule      string // id of the rule being parsed
	errs      []error
	rs        *Ruleset
	lists     map[string]list
	allow     []listEntry
	nword     int32
	flood     *yaml.Node // a flood check, which needs flood_window
	floodRule string
}

func (p *parser) fail(n *yaml.Node, format string, args ...any) {
	if len(p.errs) == maxErrorsShown {
		p.errs = append(p.errs, &RuleError{File: p.file, Msg: "too many errors"})
	}
	if len(p.errs) > maxErrorsShown {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &RuleError{File: p.file, Line: line, Rule: p.rule, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) parse(data []byte) *Ruleset {
	p.rs = &Ruleset{Name: p.file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.errs = append(p.errs, &RuleError{File: p.file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")})
		return nil
	}
	if len(doc.Content) == 0 {
		p.fail(nil, "empty rule file")
		return nil
	}
	root := doc.Content[0]
	if !p.mapping(root) {
		return nil
	}
	var rules *yaml.Node
	p.fields(root, func(key string, k, v *yaml.Node) bool {
		switch key {
		case "name":
			p.rs.Name = p.str(v)
		case "flood_window":
			p.rs.FloodWindow = p.duration(v)
		case "allow":
			for _, n := range p.scalars(v) {
				p.allow = append(p.allow, listEntry{node: n})
			}
		case "allow_in":
			p.parseAllowIn(v)
		case "lists":
			p.parseLists(v)
		case "rules":
			rules = v
		default:
			return false
		}
		return true
	})
	if rules == nil {
		p.fail(root, "no rules: a rule file needs a \"rules:\" list")
		return nil
	}
	for _, w := range p.allow {
		p.addEntry(w, allowed, "allow")
	}
	p.parseRules(rules)
	if p.flood != nil && p.rs.FloodWindow == 0 {
		p.rule = p.floodRule
		p.fail(p.flood, "flood: the rule file needs a flood_window (e.g. 10m)")
	}
	if n := len(p.rs.words.entries) + len(p.rs.cyr.entries); n > maxEntries {
		p.fail(root, "%d list entries, more than the limit of %d", n, maxEntries)
	}
	if len(p.errs) > 0 {
		return nil
	}
	p.rs.words.hasLang = slices.ContainsFunc(p.rs.words.entries, func(e entry) bool { return e.lang != 0 })
	p.rs.words.compile()
	if len(p.rs.cyr.entries) > 0 {
		p.rs.cyr.compile()
	}
	slices.SortStableFunc(p.rs.rules, func(a, b *rule) int { return b.priority - a.priority })
	return p.rs
}

func (p *parser) parseLists(n *yaml.Node) {
	if !p.mapping(n) {
		return
	}
	p.lists = map[string]list{}
	p.fields(n, func(key string, k, v *yaml.Node) bool {
		if !idPattern.MatchString(key) {
			p.fail(k, "list name %q: use lower-case letters, digits, '-' and '_'", key)
		}
		if _, dup := p.lists[key]; dup {
			p.fail(k, "list %q defined twice", key)
		}
		var l list
		if v.Kind == yaml.MappingNode {
			// {lang: de, words: [...]}: entries matched only in text
			// detected as that language.
			p.sub(v, func(f string, v *yaml.Node) bool {
				switch f {
				case "lang":
					l.lang = p.latinLang(v)
				case "words":
					l.nodes = p.scalars(v)
				default:
					return false
				}
				return true
			})
			if l.nodes == nil {
				p.fail(v, "list %q: a list written as a mapping needs words:", key)
			}
		} else {
			l.nodes = p.scalars(v)
		}
		p.lists[key] = l
		return true
	})
}

// list is a named list of entries under lists:, and the language its
// entries are for (0: every language).
type list struct {
	nodes []*yaml.Node
	lang  uint8
}

// listEntry is one entry as a check or the allowlist uses it.
type listEntry struct {
	node *yaml.Node
	lang uint8
}

// parseAllowIn reads allow_in: a mapping from a Latin language to entries
// that no list matches in text detected as that language ("wog" is
// German for "weighed").
func (p *parser) parseAllowIn(n *yaml.Node) {
	if !p.mapping(n) {
		return
	}
	p.fields(n, func(key string, k, v *yaml.Node) bool {
		lang := p.latinLang(k)
		for _, e := range p.scalars(v) {
			p.allow = append(p.allow, listEntry{node: e, lang: lang})
		}
		return true
	})
}

// latinLang reads a language told apart in Latin text: its index in
// latinLangs plus one.
func (p *parser) latinLang(v *yaml.Node) uint8 {
	s := p.str(v)
	for k, l := range latinLangs {
		if s == l {
			return uint8(k + 1)
		}
	}
	p.fail(v, "language %q: the languages told apart in Latin text are %s", s, strings.Join(latinLangs[:], ", "))
	return 0
}

func (p *parser) parseRules(n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, "rules: want a list of rules")
		return
	}
	if len(n.Content) > maxRules {
		p.fail(n, "%d rules, more than the limit of %d", len(n.Content), maxRules)
		return
	}
	seen := map[string]int{}
	for _, rn := range n.Content {
		p.rule = ""
		if !p.mapping(rn) {
			continue
		}
		r := &rule{line: rn.Line, priority: 0, mode: enforced}
		var cond *yaml.Node
		var message *yaml.Node
		reasonSet := false
		// The id first, so that every other error can name the rule.
		for i := 0; i+1 < len(rn.Content); i += 2 {
			if rn.Content[i].Value == "id" {
				r.id = p.str(rn.Content[i+1])
				p.rule = r.id
				if !idPattern.MatchString(r.id) {
					p.fail(rn.Content[i+1], "id %q: use lower-case letters, digits, '-' and '_'", r.id)
				} else if line, dup := seen[r.id]; dup {
					p.fail(rn.Content[i+1], "id used twice (first at line %d)", line)
				}
				seen[r.id] = rn.Line
			}
		}
		if r.id == "" {
			p.fail(rn, "rule without an id")
		}
		actionSet := false
		p.fields(rn, func(key string, k, v *yaml.Node) bool {
			switch key {
			case "id", "description":
				p.str(v)
			case "priority":
				r.priority = p.int(v, math.MinInt32, math.MaxInt32)
			case "action":
				a, ok := ParseAction(p.str(v))
				if !ok {
					p.fail(v, "action %q: want approve, hold or reject", v.Value)
				}
				r.action, actionSet = a, true
			case "reason":
				r.reason, reasonSet = p.str(v), true
				if !idPattern.MatchString(r.reason) {
					p.fail(v, "reason %q: a reason is a code: lower-case letters, digits, '-' and '_'", r.reason)
				}
			case "message":
				message = v
			case "mode":
				switch p.str(v) {
				case "enforce":
					r.mode = enforced
				case "shadow":
					r.mode = shadowed
				case "off":
					r.mode = disabled
				default:
					p.fail(v, "mode %q: want enforce, shadow or off", v.Value)
				}
			case "if":
				cond = v
			default:
				return false
			}
			return true
		})
		if !actionSet {
			p.fail(rn, "no action: want approve, hold or reject")
		}
		if !reasonSet {
			r.reason = defaultReason[r.action]
		}
		msg := defaultMsg[r.action]
		if message != nil {
			msg = p.str(message)
		}
		r.message = strings.Split(msg, "{{match}}")
		if rest := strings.Join(r.message, ""); strings.Contains(rest, "{{") {
			p.fail(message, "message: the only placeholder is {{match}}")
		}
		if cond == nil {
			p.fail(rn, "no conditions: a rule needs an \"if:\" with at least one check")
			continue
		}
		r.cond = p.checks(cond)
		p.rs.rules = append(p.rs.rules, r)
	}
	p.rule = ""
}

// checks parses a mapping of checks, all of which must hold.
func (p *parser) checks(n *yaml.Node) check {
	if !p.mapping(n) {
		return all(nil)
	}
	var cs all
	p.fields(n, func(key string, k, v *yaml.Node) bool {
		c := p.check(key, v)
		if c == nil {
			return false
		}
		cs = append(cs, c)
		return true
	})
	if len(cs) == 0 && len(n.Content) == 0 {
		p.fail(n, "no checks")
	}
	if len(cs) == 1 {
		return cs[0]
	}
	return cs
}

// check parses one check; nil means the key is not a check.
func (p *parser) check(key string, v *yaml.Node) check {
	switch key {
	case "words", "phrases", "masked":
		idx := p.nword
		p.nword++
		p.rs.needs.words = true
		if key == "masked" {
			for _, m := range []*matcher{&p.rs.words, &p.rs.cyr} {
				if m.masked == nil {
					m.masked = map[int32]bool{}
				}
				m.masked[idx] = true
			}
		}
		entries := p.wordList(v)
		if len(entries) == 0 {
			p.fail(v, "%s: empty list", key)
		}
		for _, e := range entries {
			p.addEntry(e, idx, key)
		}
		return words{index: idx}
	case "regex":
		src := p.str(v)
		if len(src) > maxRegexLen {
			p.fail(v, "regex: longer than %d bytes", maxRegexLen)
			return regex{}
		}
		re, err := regexp.Compile(src)
		if err != nil {
			p.fail(v, "regex: %v", err)
		}
		return regex{re: re}
	case "starts_with", "ends_with":
		ss := p.strs(v)
		for _, s := range ss {
			if s == "" {
				p.fail(v, "%s: empty string", key)
			}
		}
		return affix{strs: ss, end: key == "ends_with"}
	case "longer_than":
		return length{longer: p.int(v, 1, math.MaxInt32)}
	case "shorter_than":
		return length{shorter: p.int(v, 1, math.MaxInt32)}
	case "caps":
		k := caps{share: -1, minLetters: 1}
		p.sub(v, func(key string, v *yaml.Node) bool {
			switch key {
			case "share":
				k.share = p.float(v, 0, 1)
			case "min_letters":
				k.minLetters = p.int(v, 1, math.MaxInt32)
			default:
				return false
			}
			return true
		})
		if k.share < 0 {
			p.fail(v, "caps: needs share (0..1)")
		}
		return k
	case "repeated_chars":
		return repeated{n: p.int(v, 2, 10000)}
	case "links":
		return links{min: p.int(v, 1, math.MaxInt32)}
	case "link_domains":
		var l linkDomains
		p.sub(v, func(key string, v *yaml.Node) bool {
			switch key {
			case "deny":
				l.deny = p.domains(v)
			case "allow":
				l.allow = p.domains(v)
			default:
				return false
			}
			return true
		})
		if l.deny == nil && l.allow == nil {
			p.fail(v, "link_domains: needs deny or allow")
		}
		return l
	case "not":
		return not{p.checks(v)}
	case "any":
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			p.fail(v, "any: want a non-empty list of checks")
			return anyOf(nil)
		}
		var a anyOf
		for _, c := range v.Content {
			a = append(a, p.checks(c))
		}
		return a
	case "author":
		a := author{approvedMin: -1, approvedMax: -1, rejectionRate: -1}
		p.sub(v, func(key string, v *yaml.Node) bool {
			switch key {
			case "approved_min":
				a.approvedMin = p.int(v, 0, math.MaxInt32)
			case "approved_max":
				a.approvedMax = p.int(v, 0, math.MaxInt32)
			case "first_seen_within":
				a.firstSeenWithin = p.duration(v)
			case "rejection_rate_min":
				a.rejectionRate = p.float(v, 0, 1)
			case "banned":
				b := p.bool(v)
				a.banned = &b
			default:
				return false
			}
			return true
		})
		return a
	case "article":
		var s situation
		p.sub(v, func(key string, v *yaml.Node) bool {
			b := p.bool(v)
			switch key {
			case "closed":
				s.closed = &b
			case "premoderated":
				s.premoderated = &b
			default:
				return false
			}
			return true
		})
		return s
	case "is_reply":
		b := p.bool(v)
		return situation{reply: &b}
	case "reports":
		return situation{reports: p.int(v, 1, math.MaxInt32)}
	case "flood":
		var f flood
		p.sub(v, func(key string, v *yaml.Node) bool {
			switch key {
			case "same_text":
				f.sameText = p.int(v, 1, math.MaxInt32)
			case "author_comments":
				f.author = p.int(v, 1, math.MaxInt32)
			default:
				return false
			}
			return true
		})
		p.flood, p.floodRule = v, p.rule
		return f
	}
	return nil
}

// addEntry adds a list entry, each spelling of its {a,b} groups, to the
// matcher of its script: an entry with a Cyrillic letter is for Cyrillic
// text.
func (p *parser) addEntry(le listEntry, check int32, what string) {
	n := le.node
	texts, err := expandEntry(n.Value)
	if err != nil {
		p.fail(n, "%s: %v", what, err)
		return
	}
	for _, t := range texts {
		m := &p.rs.words
		if hasCyrillic(t) {
			if le.lang != 0 {
				p.fail(n, "%s: %q: a language applies to Latin-script entries (Cyrillic ones are Russian)", what, t)
				return
			}
			m = &p.rs.cyr
			m.cyrillic = true
		}
		if err := m.add(t, check, le.lang); err != nil {
			p.fail(n, "%s: %v", what, err)
			return
		}
	}
}

// wordList reads a list of entries; "@name" stands for a list under lists:.
func (p *parser) wordList(v *yaml.Node) []listEntry {
	refs := []*yaml.Node{v}
	if v.Kind != yaml.ScalarNode {
		refs = p.scalars(v)
	}
	var out []listEntry
	for _, r := range refs {
		name, ok := strings.CutPrefix(r.Value, "@")
		if !ok {
			out = append(out, listEntry{node: r})
			continue
		}
		l, ok := p.lists[name]
		if !ok {
			p.fail(r, "no list named %q under lists:", name)
		}
		for _, n := range l.nodes {
			out = append(out, listEntry{node: n, lang: l.lang})
		}
	}
	return out
}

func (p *parser) domains(v *yaml.Node) []string {
	ds := p.strs(v)
	for i, d := range ds {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "."))
		if d == "" || strings.ContainsAny(d, "/: ") {
			p.fail(v, "domain %q: want a host name such as example.com", ds[i])
		}
		ds[i] = d
	}
	if ds == nil {
		ds = []string{}
	}
	return ds
}

// fields calls f for each key of a mapping; f returns false for a key it
// does not know.
func (p *parser) fields(n *yaml.Node, f func(key string, k, v *yaml.Node) bool) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.AliasNode {
			p.fail(v, "%s: aliases are not supported", k.Value)
			continue
		}
		if seen[k.Value] {
			p.fail(k, "%s given twice", k.Value)
		}
		seen[k.Value] = true
		if !f(k.Value, k, v) {
			p.fail(k, "unknown field %q", k.Value)
		}
	}
}

func (p *parser) sub(n *yaml.Node, f func(key string, v *yaml.Node) bool) {
	if !p.mapping(n) {
		return
	}
	p.fields(n, func(key string, k, v *yaml.Node) bool { return f(key, v) })
}

func (p *parser) mapping(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode {
		p.fail(n, "want a mapping of key: value")
		return false
	}
	return true
}

func (p *parser) str(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		p.fail(n, "want a string")
		return ""
	}
	return n.Value
}

func (p *parser) strs(n *yaml.Node) []string {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, "want a list of strings")
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, p.str(c))
	}
	return out
}

// scalars returns the items of a list of strings.
func (p *parser) scalars(n *yaml.Node) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, "want a list of strings")
		return nil
	}
	for _, c := range n.Content {
		p.str(c)
	}
	return n.Content
}

func (p *parser) int(n *yaml.Node, lo, hi int) int {
	i, err := strconv.Atoi(p.str(n))
	if err != nil || i < lo || i > hi {
		p.fail(n, "%q: want a whole number from %d to %d", n.Value, lo, hi)
	}
	return i
}

func (p *parser) float(n *yaml.Node, lo, hi float64) float64 {
	f, err := strconv.ParseFloat(p.str(n), 64)
	if err != nil || !(f >= lo && f <= hi) {
		p.fail(n, "%q: want a number from %g to %g", n.Value, lo, hi)
	}
	return f
}

func (p *parser) bool(n *yaml.Node) bool {
	switch p.str(n) {
	case "true":
		return true
	case "false":
		return false
	}
	p.fail(n, "%q: want true or false", n.Value)
	return false
}

func (p *parser) duration(n *yaml.Node) time.Duration {
	d, err := time.ParseDuration(p.str(n))
	if err != nil || d <= 0 {
		p.fail(n, "%q: want a duration such as 10m or 24h", n.Value)
	}
	return d
}
