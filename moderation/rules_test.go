package moderation

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// oneRule parses a rule file whose only rule, "r", holds when cond does.
func oneRule(t *testing.T, cond string) *Ruleset {
	t.Helper()
	src := fmt.Sprintf("flood_window: 10m\nrules:\n  - id: r\n    action: hold\n    reason: test\n    if:\n%s\n", indent(cond, "      "))
	rs, err := ParseRuleset("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse:\n%s\n%v", src, err)
	}
	return rs
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = by + lines[i]
	}
	return strings.Join(lines, "\n")
}

func TestChecks(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		cond  string
		in    Input
		fires bool
		match []string // evidence, when it fires
	}{
		{"words whole word", `words: [cat]`, Input{Text: "a cat sat"}, true, []string{"cat"}},
		{"words not inside a word", `words: [cat]`, Input{Text: "concatenate"}, false, nil},
		{"words prefix", `words: ["cat*"]`, Input{Text: "catalogue"}, true, []string{"catalogue"}},
		{"words prefix needs a word start", `words: ["cat*"]`, Input{Text: "concatenate"}, false, nil},
		{"words suffix", `words: ["*cat"]`, Input{Text: "wildcat"}, true, []string{"wildcat"}},
		{"words substring", `words: ["*cat*"]`, Input{Text: "concatenate"}, true, []string{"concatenate"}},
		{"words doubled letter needs two", `words: [ass]`, Input{Text: "as it is"}, false, nil},
		{"words doubled letter", `words: [ass]`, Input{Text: "an aaasss"}, true, []string{"aaasss"}},
		{"phrases", `phrases: ["buy now"]`, Input{Text: "Buy   NOW!"}, true, []string{"Buy   NOW"}},
		{"phrase needs its words in order", `phrases: ["buy now"]`, Input{Text: "now buy"}, false, nil},
		{"regex", `regex: '(?i)\bfree\s+money\b'`, Input{Text: "get FREE money"}, true, []string{"FREE money"}},
		{"regex no match", `regex: 'x{3}'`, Input{Text: "xx"}, false, nil},
		{"starts_with", `starts_with: ["first!"]`, Input{Text: "  FIRST! yay"}, true, []string{"FIRST!"}},
		{"starts_with no", `starts_with: ["first!"]`, Input{Text: "not first!"}, false, nil},
		{"ends_with", `ends_with: ["lol"]`, Input{Text: "so funny LOL \n"}, true, []string{"LOL"}},
		{"longer_than", `longer_than: 5`, Input{Text: "123456"}, true, nil},
		{"longer_than no", `longer_than: 5`, Input{Text: " 12345 "}, false, nil},
		{"shorter_than", `shorter_than: 3`, Input{Text: "ok"}, true, nil},
		{"shorter_than counts characters", `shorter_than: 3`, Input{Text: "éé"}, true, nil},
		{"shorter_than no", `shorter_than: 3`, Input{Text: "éée"}, false, nil},
		{"caps", `caps: {share: 0.8, min_letters: 5}`, Input{Text: "STOP THIS NOW"}, true, nil},
		{"caps too few letters", `caps: {share: 0.8, min_letters: 5}`, Input{Text: "OK"}, false, nil},
		{"caps not enough", `caps: {share: 0.8, min_letters: 5}`, Input{Text: "Stop this now"}, false, nil},
		{"repeated_chars", `repeated_chars: 4`, Input{Text: "no!!!! way"}, true, []string{"!!!!"}},
		{"repeated_chars spaces do not count", `repeated_chars: 4`, Input{Text: "a      b"}, false, nil},
		{"repeated_chars no", `repeated_chars: 4`, Input{Text: "no!!! way"}, false, nil},
		{"links", `links: 1`, Input{Text: "see https://example.com/a?b=1."}, true, []string{"https://example.com/a?b=1"}},
		{"links www", `links: 1`, Input{Text: "see www.example.org"}, true, []string{"www.example.org"}},
		{"links bare domain", `links: 1`, Input{Text: "buy at cheap-pills.com today"}, true, []string{"cheap-pills.com"}},
		{"links count", `links: 2`, Input{Text: "see https://example.com"}, false, nil},
		{"links not e.g. or decimals", `links: 1`, Input{Text: "e.g. 3.14 and Node.js, end. Next"}, false, nil},
		{"link_domains deny", `link_domains: {deny: [spam.example]}`, Input{Text: "go to http://www.SPAM.example/x"}, true, []string{"http://www.SPAM.example/x"}},
		{"link_domains deny other", `link_domains: {deny: [spam.example]}`, Input{Text: "go to http://notspam.example/x"}, false, nil},
		{"link_domains allow", `link_domains: {allow: [example.com]}`, Input{Text: "https://example.com and https://evil.com"}, true, []string{"https://evil.com"}},
		{"link_domains allow ok", `link_domains: {allow: [example.com]}`, Input{Text: "https://news.example.com/a"}, false, nil},
		{"not", `not: {words: [please]}`, Input{Text: "give it"}, true, nil},
		{"not no", `not: {words: [please]}`, Input{Text: "please give it"}, false, nil},
		{"any", "any:\n  - words: [cat]\n  - words: [dog]", Input{Text: "a dog"}, true, []string{"dog"}},
		{"any no", "any:\n  - words: [cat]\n  - words: [dog]", Input{Text: "a cow"}, false, nil},
		{"all checks must hold", "words: [cat]\nis_reply: true", Input{Text: "a cat"}, false, nil},
		{"all checks hold", "words: [cat]\nis_reply: true", Input{Text: "a cat", IsReply: true}, true, []string{"cat"}},
		{"author banned", `author: {banned: true}`, Input{Author: AuthorStats{Banned: true}}, true, nil},
		{"author not banned", `author: {banned: true}`, Input{}, false, nil},
		{"timed ban before its end", `author: {banned: true}`, Input{Now: now, Author: AuthorStats{Banned: true, BannedUntil: now.Add(time.Second)}}, true, nil},
		{"timed ban at its end", `author: {banned: true}`, Input{Now: now, Author: AuthorStats{Banned: true, BannedUntil: now}}, false, nil},
		{"timed ban after its end", `author: {banned: false}`, Input{Now: now.Add(time.Hour), Author: AuthorStats{Banned: true, BannedUntil: now}}, true, nil},
		{"author approved_max", `author: {approved_max: 0}`, Input{}, true, nil},
		{"author approved_max no", `author: {approved_max: 0}`, Input{Author: AuthorStats{ApprovedCount: 1}}, false, nil},
		{"author approved_min", `author: {approved_min: 10}`, Input{Author: AuthorStats{ApprovedCount: 10}}, true, nil},
		{"author approved_min no", `author: {approved_min: 10}`, Input{Author: AuthorStats{ApprovedCount: 9}}, false, nil},
		{"author first seen within", `author: {first_seen_within: 24h}`, Input{Now: now, Author: AuthorStats{FirstSeen: now.Add(-time.Hour)}}, true, nil},
		{"author first seen never", `author: {first_seen_within: 24h}`, Input{Now: now}, true, nil},
		{"author first seen long ago", `author: {first_seen_within: 24h}`, Input{Now: now, Author: AuthorStats{FirstSeen: now.Add(-48 * time.Hour)}}, false, nil},
		{"author rejection rate", `author: {rejection_rate_min: 0.5}`, Input{Author: AuthorStats{RecentRejectionRate: 0.5}}, true, nil},
		{"author rejection rate no", `author: {rejection_rate_min: 0.5}`, Input{Author: AuthorStats{RecentRejectionRate: 0.4}}, false, nil},
		{"article closed", `article: {closed: true}`, Input{Article: ArticleSettings{Closed: true}}, true, nil},
		{"article open", `article: {closed: true}`, Input{}, false, nil},
		{"article premoderated", `article: {premoderated: true}`, Input{Article: ArticleSettings{Premoderated: true}}, true, nil},
		{"is_reply false", `is_reply: false`, Input{IsReply: true}, false, nil},
		{"reports", `reports: 3`, Input{Reports: 3}, true, nil},
		{"reports no", `reports: 3`, Input{Reports: 2}, false, nil},
		{"flood same text", `flood: {same_text: 3}`, Input{Flood: FloodStats{SameTextCount: 3}}, true, nil},
		{"flood same text no", `flood: {same_text: 3}`, Input{Flood: FloodStats{SameTextCount: 2}}, false, nil},
		{"flood author", `flood: {author_comments: 5}`, Input{Flood: FloodStats{AuthorRecentCount: 7}}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := oneRule(t, tt.cond)
			v := rs.Evaluate(tt.in)
			if fired := slices.Contains(v.Rules, "r"); fired != tt.fires {
				t.Fatalf("fired = %v, want %v (verdict %+v)", fired, tt.fires, v)
			}
			var got []string
			for _, e := range v.Evidence {
				if tt.in.Text[e.Start:e.End] != e.Match {
					t.Errorf("evidence %+v does not match the text span %q", e, tt.in.Text[e.Start:e.End])
				}
				got = append(got, e.Match)
			}
			if tt.fires && !slices.Equal(got, tt.match) {
				t.Errorf("evidence = %q, want %q", got, tt.match)
			}
			if tt.fires && (v.Action != Hold || v.Reason != "test") {
				t.Errorf("verdict = %v %q, want hold test", v.Action, v.Reason)
			}
		})
	}
}

const orderRules = `
rules:
  - id: low-reject
    priority: 1
    action: reject
    reason: low
    message: "rejected for {{match}}"
    if: {words: [bad]}
  - id: high-hold
    priority: 10
    action: hold
    reason: high
    if: {words: [bad, meh]}
  - id: shadowed
    mode: shadow
    action: reject
    reason: shadow
    if: {words: [bad]}
  - id: disabled
    mode: "off"
    action: reject
    reason: off
    if: {words: [meh]}
  - id: approve-trusted
    priority: 20
    action: approve
    if: {author: {approved_min: 5}}
`

func TestStrictestWins(t *testing.T) {
	rs, err := ParseRuleset("order.yaml", []byte(orderRules))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in     Input
		action Action
		reason string
		msg    string
		rules  []string
		shadow []string
	}{
		{Input{Text: "fine"}, Approve, "", "", nil, nil},
		{Input{Text: "bad"}, Reject, "low", "rejected for bad", []string{"high-hold", "low-reject"}, []string{"shadowed"}},
		{Input{Text: "meh"}, Hold, "high", "Your comment is awaiting review by a moderator.", []string{"high-hold"}, nil},
		// An approve rule is recorded but never overrides a stricter one.
		{Input{Text: "bad", Author: AuthorStats{ApprovedCount: 9}}, Reject, "low", "rejected for bad", []string{"approve-trusted", "high-hold", "low-reject"}, []string{"shadowed"}},
		{Input{Text: "fine", Author: AuthorStats{ApprovedCount: 9}}, Approve, "", "", []string{"approve-trusted"}, nil},
	}
	for _, tt := range tests {
		v := rs.Evaluate(tt.in)
		if v.Action != tt.action || v.Reason != tt.reason || v.Message != tt.msg ||
			!slices.Equal(v.Rules, tt.rules) || !slices.Equal(v.Shadow, tt.shadow) {
			t.Errorf("Evaluate(%q) = %v %q %q rules %v shadow %v, want %v %q %q rules %v shadow %v",
				tt.in.Text, v.Action, v.Reason, v.Message, v.Rules, v.Shadow, tt.action, tt.reason, tt.msg, tt.rules, tt.shadow)
		}
	}
}

func TestAllowlist(t *testing.T) {
	rs, err := ParseRuleset("allow.yaml", []byte(`
allow: [scunthorpe, "magna cum laude", "snigger*"]
rules:
  - id: r
    action: reject
    if: {words: ["*cunt*", cum, "*nigger*"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]Action{
		"Scunthorpe":                      Approve,
		"S c u n t h o r p e":             Approve,
		"magna cum laude":                 Approve,
		"Magna  Cum  Laude, then cum":     Reject,
		"sniggering":                      Approve,
		"cunt in Scunthorpe":              Reject,
		"the cum":                         Reject,
		"MAGNA CUM LAUDE and scunthorpes": Reject, // not the allowlisted word
	} {
		if v := rs.Evaluate(Input{Text: text}); v.Action != want {
			t.Errorf("Evaluate(%q) = %v, want %v (evidence %v)", text, v.Action, want, v.Evidence)
		}
	}
}

func TestActionString(t *testing.T) {
	for _, a := range []Action{Approve, Hold, Reject} {
		b, ok := ParseAction(a.String())
		if !ok || b != a {
			t.Errorf("ParseAction(%q) = %v, %v", a.String(), b, ok)
		}
	}
	if _, ok := ParseAction("delete"); ok {
		t.Error(`ParseAction("delete") succeeded`)
	}
}
