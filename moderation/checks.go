package moderation

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// check is one condition of a rule. eval reports whether it holds and
// appends the spans of the original text that made it hold to c.sc.spans.
type check interface {
	eval(c *evalCtx) bool
}

// needs says which costly facts about a comment some rule looks at.
type needs struct {
	words bool
}

// evalCtx is one evaluation: the input and the facts computed on demand.
type evalCtx struct {
	in Input // a copy: a pointer to the caller's would make it escape to the heap
	sc *scratch
	rs *Ruleset

	linksDone bool
}

func (c *evalCtx) add(start, end int) {
	c.sc.spans = append(c.sc.spans, span{start: int32(start), end: int32(end)})
}

// all holds when every check holds (the checks of one rule).
type all []check

func (a all) eval(c *evalCtx) bool {
	mark := len(c.sc.spans)
	for _, ch := range a {
		if !ch.eval(c) {
			c.sc.spans = c.sc.spans[:mark]
			return false
		}
	}
	return true
}

// anyOf holds when one of its checks holds; it records the evidence of
// every one that does.
type anyOf []check

func (a anyOf) eval(c *evalCtx) bool {
	ok := false
	for _, ch := range a {
		if ch.eval(c) {
			ok = true
		}
	}
	return ok
}

// not holds when its check does not; a check that fails has no evidence.
type not struct{ check }

func (n not) eval(c *evalCtx) bool {
	mark := len(c.sc.spans)
	ok := n.check.eval(c)
	c.sc.spans = c.sc.spans[:mark]
	return !ok
}

// words holds when an entry of its lists is in the text, after
// normalization, outside the allowlist.
type words struct{ index int32 }

func (w words) eval(c *evalCtx) bool {
	s := &c.sc.s
	ok := false
	for _, h := range c.sc.hits {
		if h.check == w.index {
			c.sc.spans = append(c.sc.spans, span{start: s.src[h.start], end: s.end[h.end-1], lang: latinLangs[langAt(c.sc.segs, s.src[h.start])]})
			ok = true
		}
	}
	cs := &c.sc.cs
	latin := len(c.sc.spans)
	for _, h := range c.sc.chits {
		if h.check == w.index {
			ok = true
			if c.covered(latin, cs.src[h.start], cs.end[h.end-1]) {
				continue // "xуй" matched both as "xyu" and as "хуй"
			}
			c.sc.spans = append(c.sc.spans, span{start: cs.src[h.start], end: cs.end[h.end-1], lang: "ru"})
		}
	}
	return ok
}

// covered reports whether a span recorded before index upto covers
// [start, end).
func (c *evalCtx) covered(upto int, start, end int32) bool {
	for _, sp := range c.sc.spans[:upto] {
		if sp.start <= start && sp.end >= end {
			return true
		}
	}
	return false
}

// maxRegexEvidence bounds the matches a regex check reports.
const maxRegexEvidence = maxEvidence

// regex holds when the RE2 expression matches the original text. RE2 runs
// in time linear in the text, so a rule author cannot write a slow rule.
type regex struct{ re *regexp.Regexp }

func (r regex) eval(c *evalCtx) bool {
	m := r.re.FindAllStringIndex(c.in.Text, maxRegexEvidence)
	for _, ix := range m {
		c.add(ix[0], ix[1])
	}
	return len(m) > 0
}

// affix holds when the trimmed text starts (or ends) with one of the
// strings, ignoring case.
type affix struct {
	strs []string
	end  bool
}

func (a affix) eval(c *evalCtx) bool {
	t := c.in.Text
	lo := len(t) - len(strings.TrimLeftFunc(t, unicode.IsSpace))
	hi := len(strings.TrimRightFunc(t, unicode.IsSpace))
	if hi < lo {
		return false
	}
	t = t[lo:hi]
	for _, s := range a.strs {
		if len(s) > len(t) {
			continue
		}
		if !a.end && strings.EqualFold(t[:len(s)], s) {
			c.add(lo, lo+len(s))
			return true
		}
		if a.end && strings.EqualFold(t[len(t)-len(s):], s) {
			c.add(hi-len(s), hi)
			return true
		}
	}
	return false
}

// length holds when the trimmed text has more than longer or fewer than
// shorter characters (0 is no bound).
type length struct{ longer, shorter int }

func (l length) eval(c *evalCtx) bool {
	n := utf8.RuneCountInString(strings.TrimSpace(c.in.Text))
	return l.longer > 0 && n > l.longer || l.shorter > 0 && n < l.shorter
}

// caps holds when at least share of the letters are capitals, in a text
// with at least minLetters letters ("OK" is not shouting).
type caps struct {
	share      float64
	minLetters int
}

// asciiCase is 1 for an ASCII letter, plus 2 for a capital.
var asciiCase = func() (t [utf8.RuneSelf]uint8) {
	for b := 'a'; b <= 'z'; b++ {
		t[b], t[b-'a'+'A'] = 1, 3
	}
	return t
}()

func (k caps) eval(c *evalCtx) bool {
	letters, upper := 0, 0
	t := c.in.Text
	// ASCII without decoding or branches, up to the first other byte.
	i := 0
	for ; i < len(t) && t[i] < utf8.RuneSelf; i++ {
		f := asciiCase[t[i]]
		letters += int(f & 1)
		upper += int(f >> 1)
	}
	for _, r := range t[i:] {
		if r < utf8.RuneSelf {
			switch {
			case r >= 'a' && r <= 'z':
				letters++
			case r >= 'A' && r <= 'Z':
				letters++
				upper++
			}
			continue
		}
		if r >= 0x400 && r < 0x460 {
			// Cyrillic (Russian, Ukrainian, Belarusian), the common case
			// after ASCII, without the Unicode tables: all letters,
			// capitals below а.
			letters++
			if r < 'а' {
				upper++
			}
			continue
		}
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return letters >= k.minLetters && letters > 0 && float64(upper) >= k.share*float64(letters)
}

// repeated holds when one character (not a space) repeats n times in a row.
type repeated struct{ n int }

func (k repeated) eval(c *evalCtx) bool {
	t := c.in.Text
	run, start := 0, 0
	for i := 0; i < len(t); {
		b := t[i]
		if b < utf8.RuneSelf {
			if i > 0 && t[i-1] == b && b != ' ' && b != '\t' && b != '\n' && b != '\r' {
				run++
			} else {
				run, start = 1, i
			}
			if run == k.n {
				c.add(start, i+1)
				return true
			}
			i++
			continue
		}
		// Runes are compared as bytes; only a repeated one is decoded
		// (to tell a run of spaces from a run of letters).
		size := runeLen(t, i)
		if i >= size && t[i-size:i] == t[i:i+size] && !unicode.IsSpace(rune0(t[i:i+size])) {
			run++
		} else {
			run, start = 1, i
		}
		if run == k.n {
			c.add(start, i+size)
			return true
		}
		i += size
	}
	return false
}

// runeLen is the length of the UTF-8 sequence at t[i], 1 for a byte
// that starts none (as DecodeRuneInString reads it).
func runeLen(t string, i int) int {
	if b := t[i]; b >= 0xC2 && b < 0xE0 && i+1 < len(t) && t[i+1]&0xC0 == 0x80 {
		return 2 // Cyrillic, Greek, Latin-1: no decoding
	}
	_, n := utf8.DecodeRuneInString(t[i:])
	return n
}

func rune0(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// links holds when the text has at least min links.
type links struct{ min int }

func (l links) eval(c *evalCtx) bool {
	ls := c.links()
	if len(ls) < l.min {
		return false
	}
	for _, sp := range ls {
		c.add(int(sp.start), int(sp.end))
	}
	return true
}

// linkDomains holds when a link goes to a denied domain, or, when allow is
// set, to a domain not allowed. A domain covers its subdomains.
type linkDomains struct{ deny, allow []string }

func (l linkDomains) eval(c *evalCtx) bool {
	ok := false
	for i, sp := range c.links() {
		h := c.sc.hosts[i]
		if l.deny != nil && domainIn(h, l.deny) || l.allow != nil && !domainIn(h, l.allow) {
			c.add(int(sp.start), int(sp.end))
			ok = true
		}
	}
	return ok
}

func domainIn(host string, list []string) bool {
	for _, d := range list {
		// host is a slice of the original text, so compare ignoring case.
		if n := len(host) - len(d); n == 0 && strings.EqualFold(host, d) ||
			n > 0 && host[n-1] == '.' && strings.EqualFold(host[n:], d) {
			return true
		}
	}
	return false
}

// author holds when every set field holds for the author.
type author struct {
	approvedMin, approvedMax int // -1: unset
	firstSeenWithin          time.Duration
	rejectionRate            float64 // -1: unset
	banned                   *bool
}

func (a author) eval(c *evalCtx) bool {
	s := &c.in.Author
	switch {
	case a.approvedMin >= 0 && s.ApprovedCount < a.approvedMin,
		a.approvedMax >= 0 && s.ApprovedCount > a.approvedMax,
		a.firstSeenWithin > 0 && !s.FirstSeen.IsZero() && c.in.Now.Sub(s.FirstSeen) >= a.firstSeenWithin,
		a.rejectionRate >= 0 && s.RecentRejectionRate < a.rejectionRate,
		a.banned != nil && s.BannedAt(c.in.Now) != *a.banned:
		return false
	}
	return true
}

// situation holds when every set field holds for the article and comment.
type situation struct {
	closed, premoderated, reply *bool
	reports                     int // at least this many; 0: unset
}

func (k situation) eval(c *evalCtx) bool {
	in := &c.in
	switch {
	case k.closed != nil && in.Article.Closed != *k.closed,
		k.premoderated != nil && in.Article.Premoderated != *k.premoderated,
		k.reply != nil && in.IsReply != *k.reply,
		k.reports > 0 && in.Reports < k.reports:
		return false
	}
	return true
}

// flood holds when the counts in the flood window reach every set bound.
type flood struct{ sameText, author int }

func (f flood) eval(c *evalCtx) bool {
	s := &c.in.Flood
	return (f.sameText == 0 || s.SameTextCount >= f.sameText) &&
		(f.author == 0 || s.AuthorRecentCount >= f.author)
}
