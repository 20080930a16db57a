package moderation

import (
	_ "embed"
	"sync"
)

// defaultRules is the built-in rule set for English news sites. Its word
// lists derive from third-party lists: rules/NOTICE.md carries their
// attribution and must travel with it.
//
//go:embed rules/default.yaml
var defaultRules []byte

var defaultRuleset = sync.OnceValue(func() *Ruleset {
	rs, err := ParseRuleset("default.yaml", defaultRules)
	if err != nil {
		panic("moderation: built-in rule set is invalid: " + err.Error())
	}
	return rs
})

// DefaultRuleset returns the built-in rule set, parsed once and shared.
func DefaultRuleset() *Ruleset { return defaultRuleset() }

// DefaultRulesetSource returns the YAML of the built-in rule set, a
// starting point for a site's own rule file.
func DefaultRulesetSource() []byte { return append([]byte(nil), defaultRules...) }
