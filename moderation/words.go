package moderation

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// entry is one word or phrase of a list as the rule file wrote it.
// "word" matches the whole word, "word*" words that start with it, "*word"
// words that end with it, "*word*" anywhere inside a word.
type entry struct {
	text        string
	check       int32 // index of its word check; allowed for the allowlist
	left, right bool  // must start (end) at a word boundary
	lang        uint8 // 0: any text; else matched only in text of latinLangs[lang-1]
	masked      bool  // of a masked: check: matched only by a word with stars
	raw         []byte
}

const allowed = -1

// maxSpellings bounds the spellings one entry's {a,b} groups expand to.
const maxSpellings = 1024

// expandEntry spells out the {a,b,c} groups of an entry: "{за,вы,}еба*" is
// "заеба*", "выеба*" and "еба*". Groups do not nest; an empty choice is
// allowed. It is how a Russian root is written once with its prefixes.
func expandEntry(text string) ([]string, error) {
	out := []string{""}
	for rest := text; rest != ""; {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			for k := range out {
				out[k] += rest
			}
			break
		}
		if rest[i] == '}' {
			return nil, fmt.Errorf("%q: '}' without '{'", text)
		}
		j := strings.IndexAny(rest[i+1:], "{}")
		if j < 0 || rest[i+1+j] == '{' {
			return nil, fmt.Errorf("%q: '{' without '}' (groups do not nest)", text)
		}
		choices := strings.Split(rest[i+1:i+1+j], ",")
		if len(out)*len(choices) > maxSpellings {
			return nil, fmt.Errorf("%q spells more than %d entries", text, maxSpellings)
		}
		next := make([]string, 0, len(out)*len(choices))
		for _, o := range out {
			for _, c := range choices {
				next = append(next, o+rest[:i]+c)
			}
		}
		out = next
		rest = rest[i+2+j:]
	}
	return out, nil
}

// pattern is one spelling of an entry in the automaton: the entry's
// symbols with each i or l possibly written as a leet 'I'.
type pattern struct {
	entry int32
	sym   []byte
	cnt   []uint8 // the least run length per symbol ("ass" needs two s); nil if all 1
}

// hit is an entry found in a stream, as a span of symbols [start, end).
type hit struct {
	entry, check int32
	start, end   int32
}

// matcher finds the entries of every word check of a rule set in one pass.
type matcher struct {
	entries []entry
	pats    []pattern
	ac      *automaton
	wild    []int32 // entries a word with a wildcard is compared against
	// cyrillic: entries are Cyrillic and read with scanCyrillic, and every
	// symbol of the stream is one byte.
	cyrillic bool
	hasLang  bool           // some entry has a language: hits are filtered by the text's
	masked   map[int32]bool // checks written as masked: (see wildEqualMasked)
}

// maxLeetPositions bounds the spellings of one entry: 2^4.
const maxLeetPositions = 4

// swap is the other spelling of a letter in an entry's variants.
var swap = [256]byte{'i': 'I', 'l': 'I', 'u': 'v', 'g': 'q'}

// add compiles text into an entry of check, or says why it cannot be one.
func (m *matcher) add(text string, check int32, lang uint8) error {
	w := strings.TrimSpace(text)
	e := entry{text: text, check: check, left: true, right: true, lang: lang}
	if strings.HasPrefix(w, "*") {
		e.left, w = false, w[1:]
	}
	if strings.HasSuffix(w, "*") {
		e.right, w = false, w[:len(w)-1]
	}
	if strings.Contains(w, "*") {
		return fmt.Errorf("%q: '*' only at the start or end of an entry", text)
	}
	var s stream
	if m.cyrillic {
		s.scanCyrillic(w)
	} else {
		s.scan(w)
	}
	if len(s.sym) == 0 {
		return fmt.Errorf("%q has no letters or digits to match", text)
	}
	sym := append([]byte(nil), s.sym...)
	var cnt []uint8
	for i, c := range s.cnt {
		if c > 1 {
			if cnt == nil {
				cnt = make([]uint8, len(sym))
				for j := range cnt {
					cnt[j] = 1
				}
			}
			cnt[i] = c
		}
	}
	for i, c := range sym {
		if c == ' ' {
			continue
		}
		for range s.cnt[i] {
			e.raw = append(e.raw, c)
		}
	}
	if slices.Contains(sym, ' ') {
		e.raw = nil // phrases are not compared against wildcard words
	}
	ei := int32(len(m.entries))
	if m.masked[check] {
		// Compared only against words with stars, more stars allowed.
		if e.raw != nil {
			e.masked = true
			m.entries = append(m.entries, e)
			m.wild = append(m.wild, ei)
		}
		return nil
	}
	m.entries = append(m.entries, e)
	if e.raw != nil && check != allowed {
		m.wild = append(m.wild, ei)
	}
	// Spellings with a leet 'I' for i or l, v for u ("fvck") and q for g
	// ("niqqer").
	var pos []int
	for i, c := range sym {
		if c == 'g' && s.cnt[i] < 2 {
			continue // "faq" is not "fag"; "niqqer" is "nigger"
		}
		if swap[c] != 0 && len(pos) < maxLeetPositions {
			pos = append(pos, i)
		}
	}
	for mask := 0; mask < 1<<len(pos); mask++ {
		v := sym
		if mask != 0 {
			v = append([]byte(nil), sym...)
			for b, p := range pos {
				if mask&(1<<b) != 0 {
					v[p] = swap[v[p]]
				}
			}
		}
		m.pats = append(m.pats, pattern{entry: ei, sym: v, cnt: cnt})
	}
	return nil
}

func (m *matcher) compile() {
	pats := make([][]byte, len(m.pats))
	for i := range m.pats {
		pats[i] = m.pats[i].sym
	}
	m.ac = newAutomaton(pats)
}

// find appends to hits every entry found in s, without the ones inside an
// allowlisted word, sorted by check and start, and without hits contained
// in another hit of the same check. An entry with a language is found only
// where segs says the text is in that language.
func (m *matcher) find(s *stream, hits []hit, segs []latinSeg) []hit {
	a := m.ac
	if a == nil {
		return hits
	}
	base := len(hits)
	st := int32(0)
	sym := s.sym
	for i := 0; i < len(sym); i++ {
		st = a.delta[st*a.ncls+int32(a.class[sym[i]])]
		if lo, hi := a.first[st], a.first[st+1]; lo < hi {
			for _, pi := range a.outs[lo:hi] {
				if h, ok := m.verify(s, pi, int32(i+1)); ok {
					hits = append(hits, h)
				}
			}
		}
	}
	if !m.cyrillic {
		hits = m.splitWords(s, hits)
	}
	if s.stars {
		hits = m.wildcards(s, hits)
	}
	if m.hasLang {
		hits = m.inLanguage(s, hits, base, segs)
	}
	if len(hits) == base {
		return hits
	}
	return tidy(hits, base)
}

// inLanguage drops the hits of entries for another language than the
// text's where they were found.
func (m *matcher) inLanguage(s *stream, hits []hit, base int, segs []latinSeg) []hit {
	j := base
	for _, h := range hits[base:] {
		if l := m.entries[h.entry].lang; l != 0 && langAt(segs, s.src[h.start])+1 != l {
			continue
		}
		hits[j] = h
		j++
	}
	return hits[:j]
}

func (m *matcher) verify(s *stream, pi int32, end int32) (hit, bool) {
	p := &m.pats[pi]
	start := end - int32(len(p.sym))
	e := &m.entries[p.entry]
	if e.left && !s.boundary(start) || e.right && !s.boundary(end) {
		return hit{}, false
	}
	// A run in the text may be longer than in the entry ("fuuuck"), but
	// one doubled letter alone turns "asses" into "assess": a whole
	// word (or a word's start or end, "shiitake") counts as stretched when
	// one letter is stretched by two or more, or every letter is doubled
	// ("ffuucckk"). Extra letters are counted per letter, not summed: two
	// different doubled letters make "Daggoo", not a stretched "dago".
	extra, doubled, every := 0, false, true
	for k := range p.sym {
		tc, pc := s.cnt[start+int32(k)], uint8(1)
		if p.cnt != nil {
			pc = p.cnt[k]
		}
		if tc < pc {
			return hit{}, false
		}
		if s.soft[start+int32(k)]&joinedRun != 0 {
			continue
		}
		extra = max(extra, int(tc-pc))
		// The last letter of a stem doubled before an ending ("shitty",
		// "shitting") is inflection, not a doubled letter.
		inflected := k == len(p.sym)-1 && !e.right && int(end) < len(s.sym) && s.sym[end] != ' '
		doubled = doubled || pc == 1 && tc == 2 && !inflected
		every = every && tc > pc
	}
	if doubled && extra < 2 && !every && (e.left || e.right) {
		return hit{}, false
	}
	return m.span(s, p.entry, start, end), true
}

// maxSplit bounds the symbols of two words read as one by splitWords.
const maxSplit = 10

// splitWords finds entries split in two by one space or punctuation mark
// ("fu ck", "f uck", "fu.ck", "fu'ck", "bit ch") or by a capital in a
// hashtag ("#FuCk", no gap at all): two neighbouring words,
// one of them at most two symbols long, are read as one word, and an entry
// found across the split counts. One short word is what makes it cheap and
// keeps it off prose ("as is", "of the"); TestDefaultCleanProse and the
// dictionary probes measure what it costs.
func (m *matcher) splitWords(s *stream, hits []hit) []hit {
	a := m.ac
	var tmp stream
	var buf [4][maxSplit]byte
	aStart, aEnd := -1, -1
	for bStart := 0; bStart <= len(s.sym); {
		// s.sym[bStart:bEnd] is a word: up to the next space.
		bEnd := len(s.sym)
		if k := bytes.IndexByte(s.sym[bStart:], ' '); k >= 0 {
			bEnd = bStart + k
		}
		if aStart >= 0 && aEnd+1 == bStart && (aEnd-aStart <= 2 || bEnd-bStart <= 2) {
			la, lb := aEnd-aStart, bEnd-bStart
			gap := s.end[aEnd] - s.src[aEnd]
			short := s.sym[aStart:aEnd]
			if lb < la {
				short = s.sym[bStart:bEnd]
			}
			if min(la, lb) <= 2 && la+lb <= maxSplit && gap <= 1 && s.soft[bStart]&softJoin == 0 && !shortWord(short) {
				n := la + lb
				tmp.sym = append(buf[0][:0], s.sym[aStart:aEnd]...)
				tmp.sym = append(tmp.sym, s.sym[bStart:bEnd]...)
				tmp.cnt = append(append(buf[1][:0], s.cnt[aStart:aEnd]...), s.cnt[bStart:bEnd]...)
				tmp.soft = append(append(buf[2][:0], s.soft[aStart:aEnd]...), s.soft[bStart:bEnd]...)
				for k := range tmp.soft {
					tmp.soft[k] &^= softJoin | softEdge
				}
				st := int32(0)
				for k := 0; k < n; k++ {
					st = a.delta[st*a.ncls+int32(a.class[tmp.sym[k]])]
					lo, hi := a.first[st], a.first[st+1]
					for _, pi := range a.outs[lo:hi] {
						h, ok := m.verify(&tmp, pi, int32(k+1))
						// The entry must start the first word and end the
						// second, or run into it when the entry takes any
						// ending ("fu cking"): "polish it" holds "shit"
						// and "blowjob ad" "blowjob", but neither is split.
						pEnd := k + 1
						pStart := pEnd - len(m.pats[pi].sym)
						e := &m.entries[m.pats[pi].entry]
						if !ok || pStart != 0 || !(pEnd == n || !e.right && pEnd > la) || e.check == allowed {
							continue
						}
						// Back to the stream's symbols: the hit spans both
						// words and the space between.
						h.start = int32(aStart) + h.start
						h.end = int32(bStart) + h.end - int32(la)
						hits = append(hits, h)
					}
				}
			}
		}
		aStart, aEnd = bStart, bEnd
		bStart = bEnd + 1
	}
	return hits
}

// shortWord reports whether a word of one or two symbols is a word of
// English, German, French or Spanish ("put a" is not "puta", "is it" not a
// split word, "un hueso si" not "huesos"). 'I' is a leet i or l.
func shortWord(w []byte) bool {
	switch string(w) {
	case "a", "I", "i", "o", "y", "e", "u", "is", "It", "it", "to", "of", "In", "in", "on", "at", "an", "as", "be", "by",
		"he", "me", "my", "no", "or", "so", "up", "us", "we", "do", "go", "if", "am", "ok", "oh", "hi", "ah", "eh",
		// German, French, Spanish
		// ("ni" is Spanish too, but "ni gger" is the split it stands for)
		"da", "du", "er", "es", "ob", "zu", "wo", "im", "um", "ja", "je", "le", "la", "de", "ce", "se", "ne", "te", "et",
		"il", "ou", "sa", "ta", "si", "el", "lo", "mi", "tu", "ya", "un", "su", "en":
		return true
	}
	return false
}

// boundary reports whether a word may begin (or end) before symbol i.
func (s *stream) boundary(i int32) bool {
	return i == 0 || int(i) == len(s.sym) || s.sym[i-1] == ' ' || s.sym[i] == ' ' || s.soft[i]&(softJoin|softEdge) != 0
}

// span makes the hit for an entry found at [start, end), widened to the
// whole word on a side the entry leaves open, so evidence shows "fuckwit"
// and not "fuck" (but not "FUCK!!!"). Spaced-out letters joined into one
// word ("a f.u.c.k.i.n.g") were each a word of their own, and the run may
// have taken in a real one-letter word before the hit ("a", "I"): the span
// does not widen left across one, so evidence shows "f.u.c.k.i.n.g" and
// not "a f.u.c.k.i.n.g". To the right it still takes the word's end.
func (m *matcher) span(s *stream, ei, start, end int32) hit {
	e := &m.entries[ei]
	if !e.left {
		for start > 0 && s.sym[start-1] != ' ' && s.soft[start]&(softEdge|softJoin) == 0 {
			start--
		}
	}
	if !e.right {
		for int(end) < len(s.sym) && s.sym[end] != ' ' && s.soft[end]&softEdge == 0 {
			end++
		}
	}
	return hit{entry: ei, check: e.check, start: start, end: end}
}

// maxWildWord bounds the letters of a word compared letter by letter.
const maxWildWord = 64

// wildcards compares words with a '*' ("f*ck", "a**hole") letter by letter
// against the listed words. Such words are rare, so this slow path costs
// nothing on ordinary comments.
func (m *matcher) wildcards(s *stream, hits []hit) []hit {
	var raw [maxWildWord]byte
	var at [maxWildWord]int32
	for ws := 0; ws < len(s.sym); {
		we := ws
		star := false
		for we < len(s.sym) && s.sym[we] != ' ' {
			star = star || s.sym[we] == '*'
			we++
		}
		n := 0
		for i := ws; star && i < we; i++ {
			if s.sym[i] >= 0x80 && !m.cyrillic || n+int(s.cnt[i]) > maxWildWord {
				star = false
				break
			}
			for range s.cnt[i] {
				raw[n], at[n] = s.sym[i], int32(i)
				n++
			}
		}
		// "b*tch!": a '!' after the last letter is punctuation here.
		for star && n > 1 && raw[n-1] == 'I' && s.text[s.src[at[n-1]]] == '!' {
			n--
		}
		if star {
			hits = m.wildWord(s, raw[:n], at[:n], hits)
		}
		ws = we + 1
	}
	return hits
}

func (m *matcher) wildWord(s *stream, raw []byte, at []int32, hits []hit) []hit {
	for _, ei := range m.wild {
		e := &m.entries[ei]
		n := len(e.raw)
		if n > len(raw) || e.left && e.right && n != len(raw) {
			continue
		}
		lo, hi := 0, len(raw)-n
		if e.left {
			hi = 0
		}
		if e.right {
			lo = hi
			if !e.left {
				lo = len(raw) - n
			}
		}
		eq := wildEqual
		if e.masked {
			eq = wildEqualMasked
		}
		for off := lo; off <= hi; off++ {
			if eq(raw[off:off+n], e.raw) {
				hits = append(hits, m.span(s, ei, at[off], at[off+n-1]+1))
				break
			}
		}
	}
	return hits
}

// wildEqual compares a word with stars to a listed word. A star stands for
// one letter, but the word must start with a letter and show at least as
// many letters as stars (two stars are allowed in a short word, "a**"), so
// "n****r" or "****" match nothing.
func wildEqual(w, p []byte) bool {
	if w[0] == '*' {
		return false
	}
	stars := 0
	for i, c := range w {
		switch {
		case c == '*':
			stars++
		case c == p[i], c == 'I' && (p[i] == 'i' || p[i] == 'l'), c == 'v' && p[i] == 'u':
		default:
			return false
		}
	}
	return stars > 0 && stars <= max(len(w)-stars, 2)
}

// wildEqualMasked is wildEqual for a word masked more than wildEqual
// allows ("f***", "b***h", "n****r"): it starts with a letter, and the
// letters shown are the listed word's in their places. Such a word names
// a listed word without spelling it; the masked: check holds it for a
// moderator rather than reject or approve it.
func wildEqualMasked(w, p []byte) bool {
	if w[0] == '*' {
		return false
	}
	stars := 0
	for i, c := range w {
		switch {
		case c == '*':
			stars++
		case c == p[i], c == 'I' && (p[i] == 'i' || p[i] == 'l'), c == 'v' && p[i] == 'u':
		default:
			return false
		}
	}
	return stars > max(len(w)-stars, 2) && len(w) >= 3
}

// tidy drops the hits inside an allowlisted word or phrase, sorts the
// rest by check and position and drops a hit contained in another hit of
// the same check.
func tidy(hits []hit, base int) []hit {
	hs := hits[base:]
	slices.SortFunc(hs, func(a, b hit) int {
		return cmp.Or(cmp.Compare(a.check, b.check), cmp.Compare(a.start, b.start), cmp.Compare(b.end, a.end))
	})
	// Allowlist hits sort first (check -1): the widest end seen among those
	// starting at or before a hit says whether one covers it.
	na := 0
	for na < len(hs) && hs[na].check == allowed {
		na++
	}
	allow := hs[:na]
	out := hs[na:na] // written behind the reader, never over allow
	kept := -1
	j, reach := 0, int32(-1) // allow[:j] start at or before the hit; reach is their widest end
	for i := na; i < len(hs); i++ {
		h := hs[i]
		if i == na || hs[i-1].check != h.check {
			j, reach, kept = 0, -1, -1
		}
		for j < len(allow) && allow[j].start <= h.start {
			reach = max(reach, allow[j].end)
			j++
		}
		if reach >= h.end {
			continue
		}
		if kept >= 0 && out[kept].end >= h.end {
			continue
		}
		out = append(out, h)
		kept = len(out) - 1
	}
	n := copy(hs, out)
	return hits[:base+n]
}
