package moderation

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // substrings of the error, in order
	}{
		{"not yaml", "rules: [", []string{"bad.yaml: "}},
		{"empty", "", []string{"bad.yaml: empty rule file"}},
		{"no rules", "name: x\n", []string{`bad.yaml:1: no rules`}},
		{"unknown top-level field", "rulez: []\nrules: []\n", []string{`bad.yaml:1: unknown field "rulez"`}},
		{"unknown rule field", "rules:\n  - id: a\n    action: hold\n    iff: {links: 1}\n", []string{`bad.yaml:4: rule "a": unknown field "iff"`, `bad.yaml:2: rule "a": no conditions`}},
		{"bad action", "rules:\n  - id: a\n    action: delete\n    if: {links: 1}\n", []string{`bad.yaml:3: rule "a": action "delete"`}},
		{"missing action", "rules:\n  - id: a\n    if: {links: 1}\n", []string{`bad.yaml:2: rule "a": no action`}},
		{"missing id", "rules:\n  - action: hold\n    if: {links: 1}\n", []string{`bad.yaml:2: rule without an id`}},
		{"duplicate id", "rules:\n  - id: a\n    action: hold\n    if: {links: 1}\n  - id: a\n    action: hold\n    if: {links: 2}\n", []string{`bad.yaml:5: rule "a": id used twice (first at line 2)`}},
		{"bad regex", "rules:\n  - id: re\n    action: hold\n    if:\n      regex: 'a(b'\n", []string{`bad.yaml:5: rule "re": regex: error parsing regexp`}},
		{"long regex", "rules:\n  - id: re\n    action: hold\n    if:\n      regex: '" + strings.Repeat("a", 1001) + "'\n", []string{`rule "re": regex: longer than 1000 bytes`}},
		{"unknown check", "rules:\n  - id: a\n    action: hold\n    if:\n      swears: [x]\n", []string{`bad.yaml:5: rule "a": unknown field "swears"`}},
		{"unknown list", "rules:\n  - id: a\n    action: hold\n    if:\n      words: [\"@nope\"]\n", []string{`bad.yaml:5: rule "a": no list named "nope"`}},
		{"bad entry in a list points at the entry", "lists:\n  l:\n    - ok\n    - \"!!!\"\nrules:\n  - id: a\n    action: hold\n    if: {words: \"@l\"}\n", []string{`bad.yaml:4: rule "a": words: "!!!" has no letters`}},
		{"star inside an entry", "rules:\n  - id: a\n    action: hold\n    if: {words: [\"f*ck\"]}\n", []string{`rule "a": words: "f*ck": '*' only at the start or end`}},
		{"bad number", "rules:\n  - id: a\n    action: hold\n    if: {links: many}\n", []string{`bad.yaml:4: rule "a": "many": want a whole number`}},
		{"share out of range", "rules:\n  - id: a\n    action: hold\n    if: {caps: {share: 2}}\n", []string{`rule "a": "2": want a number from 0 to 1`}},
		{"flood without window", "rules:\n  - id: a\n    action: hold\n    if: {flood: {same_text: 2}}\n", []string{`bad.yaml:4: rule "a": flood: the rule file needs a flood_window`}},
		{"bad placeholder", "rules:\n  - id: a\n    action: hold\n    message: 'hi {{name}}'\n    if: {links: 1}\n", []string{`bad.yaml:4: rule "a": message: the only placeholder is {{match}}`}},
		{"bad mode", "rules:\n  - id: a\n    action: hold\n    mode: maybe\n    if: {links: 1}\n", []string{`bad.yaml:4: rule "a": mode "maybe"`}},
		{"alias", "x: &a [1]\nrules:\n  - id: a\n    action: hold\n    if: {words: *a}\n", []string{`unknown field "x"`, `aliases are not supported`}},
		{"bad id", "rules:\n  - id: 'Has Space'\n    action: hold\n    if: {links: 1}\n", []string{`bad.yaml:2: rule "Has Space": id "Has Space"`}},
		{"empty checks", "rules:\n  - id: a\n    action: hold\n    if: {}\n", []string{`bad.yaml:4: rule "a": no checks`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRuleset("bad.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("no error for:\n%s", tt.src)
			}
			if !errors.Is(err, ErrInvalid) && !strings.Contains(tt.name, "yaml") {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				i := strings.Index(msg, w)
				if i < 0 {
					t.Fatalf("error\n%s\ndoes not contain\n%s", msg, w)
				}
				msg = msg[i+len(w):]
			}
		})
	}
}

func TestVersionIsContentHash(t *testing.T) {
	a := []byte("rules:\n  - id: a\n    action: hold\n    if: {links: 1}\n")
	b := []byte("rules:\n  - id: a\n    action: hold\n    if: {links: 2}\n")
	ra, err := ParseRuleset("a.yaml", a)
	if err != nil {
		t.Fatal(err)
	}
	ra2, _ := ParseRuleset("other-name.yaml", a)
	rb, _ := ParseRuleset("a.yaml", b)
	if ra.Version != ra2.Version || ra.Version == rb.Version || len(ra.Version) != 12 {
		t.Errorf("versions %q %q %q: want equal for equal content, different otherwise, 12 hex digits", ra.Version, ra2.Version, rb.Version)
	}
}

func TestLoadRulesetFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(path, DefaultRulesetSource(), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := LoadRulesetFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Version != DefaultRuleset().Version || rs.Name != "default-en" || rs.FloodWindow.String() != "10m0s" {
		t.Errorf("loaded %q %q %v, want the default rule set", rs.Version, rs.Name, rs.FloodWindow)
	}
	if _, err := LoadRulesetFile(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("no error for a missing file")
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("rules: 3\n"), 0o644)
	if _, err := LoadRulesetFile(bad); err == nil || !strings.HasPrefix(err.Error(), "bad.yaml:1: ") {
		t.Errorf("error = %v, want one naming bad.yaml:1", err)
	}
}
