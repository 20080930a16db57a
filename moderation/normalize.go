package moderation

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// stream is a comment as the word matcher sees it: one symbol per run of
// equal letters, words separated by a single ' ', and for every symbol the
// span of the original text it came from. Normalization exists only for
// matching; evidence always points back into the original text.
//
// Symbols are a–z, 'I' (a leet 1 ! | that may be i or l), '*' (a wildcard
// letter), digits, the UTF-8 bytes of letters in other scripts, and ' '.
type stream struct {
	sym  []byte
	cnt  []uint8 // how many times the symbol repeats in the original (capped)
	src  []int32 // byte offset where the symbol's first rune starts
	end  []int32 // byte offset where its last rune ends
	soft []uint8 // a word may also start before this symbol: softJoin, softEdge

	text      string
	stars     bool // some word has a wildcard
	lookalike bool // some letter has a Latin look-alike: words may need folding
	ascii     bool // the text is all ASCII (after scan)

	word    []elem    // the word being read
	words   []wordRec // every emitted word, for joining spaced letters
	singles int       // length of the current run of one-letter words
	spaced  bool      // some run of one-letter words is long enough to join
}

// elem is one folded rune of the word being read.
type elem struct {
	kind     uint8
	r        rune
	src, end int32
}

type wordRec struct {
	start  int32 // index of the word's first symbol
	single bool  // one letter (possibly repeated): a candidate for "f u c k"
}

// Why a word may start before a symbol inside a word.
const (
	softJoin  = 1 << iota // a joined spaced-out letter ("f u c k")
	softEdge              // leet at a word's edge that may be punctuation ("shit!", "$hit")
	joinedRun             // the run took in a spaced-out letter ("a a s s"): its length is no stretch
)

const (
	minSpaced = 3 // one-letter words in a row that are read as one word
	maxGap    = 6 // bytes between spaced letters ("f . u" but not a sentence)
)

// Normalize returns the text as the matcher reads it: NFKC-like folding,
// lower case, invisible characters and marks removed, leetspeak inside words
// read as letters, spaced-out letters joined, words separated by one space
// (or a line break, where the gap is too wide to join spaced letters).
// It is for tests and for people debugging a rule; Evaluate does not build
// this string.
func Normalize(text string) string {
	var s stream
	s.scan(text)
	var b strings.Builder
	for i := 0; i < len(s.sym); {
		c := s.sym[i]
		n := 1
		if c >= utf8.RuneSelf {
			_, n = utf8.DecodeRune(s.sym[i:])
		}
		switch {
		case c == symCyrWord:
			for _, r := range s.text[s.src[i]:s.end[i]] {
				b.WriteString(lookup(r).out)
			}
			i++
			continue
		case c == 'I':
			c = 'i'
		case c == ' ' && (s.end[i]-s.src[i] > maxGap || s.hasNewline(int32(i))):
			c = '\n' // keeps spaced letters apart when normalized again
		}
		for range s.cnt[i] {
			if n == 1 {
				b.WriteByte(c)
			} else {
				b.Write(s.sym[i : i+n])
			}
		}
		i += n
	}
	return b.String()
}

func (s *stream) reset() {
	s.sym, s.cnt, s.src, s.end, s.soft = s.sym[:0], s.cnt[:0], s.src[:0], s.end[:0], s.soft[:0]
	s.word, s.words = s.word[:0], s.words[:0]
	s.stars, s.singles, s.spaced, s.lookalike = false, 0, false, false
}

// scan fills the stream from text.
func (s *stream) scan(text string) {
	s.reset()
	s.text = text
	s.ascii = true
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			switch f := &asciiFold[c]; f.kind {
			case kLatin:
				s.word = append(s.word, elem{kind: kLatin, r: rune(f.out[0]), src: int32(i), end: int32(i + 1)})
			case kDigit:
				s.word = append(s.word, elem{kind: kDigit, r: rune(c), src: int32(i), end: int32(i + 1)})
			case kLeet:
				if c == '(' && i+1 < len(text) && text[i+1] == ')' {
					s.word = append(s.word, elem{kind: kLeet, r: 'o', src: int32(i), end: int32(i + 2)})
					i += 2
					continue
				}
				if c == '(' && len(s.word) == 0 && strings.IndexByte(text[i+1:], ')') >= 0 {
					// An opening parenthesis with its closing one later:
					// "(until then)", "(unter Einschluß …)" are not "cunt".
					s.endWord()
					i++
					continue
				}
				s.word = append(s.word, elem{kind: kLeet, r: rune(leet[c]), src: int32(i), end: int32(i + 1)})
			case kStar:
				s.word = append(s.word, elem{kind: kStar, r: '*', src: int32(i), end: int32(i + 1)})
			case kSep:
				if c == '-' && len(s.word) > 0 {
					if n := lineBreakHyphen(text, i); n > 0 {
						i += n // "fuc-\nking", "Scun-\nthorpe": one word
						continue
					}
				}
				s.endWord()
			}
			i++
			continue
		}
		s.ascii = false
		if (c == 0xD0 || c == 0xD1) && len(s.word) == 0 {
			if n := s.cyrillicWord(text, i); n > 0 {
				i += n
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		f := lookup(r)
		from, to := int32(i), int32(i+size)
		switch f.kind {
		case kSep:
			s.endWord()
		case kSym:
			s.endWord()
			s.word = append(s.word, elem{kind: kSym, r: r, src: from, end: to})
			s.endWord()
		case kLatin:
			for j := 0; j < len(f.out); j++ {
				s.word = append(s.word, elem{kind: kLatin, r: rune(f.out[j]), src: from, end: to})
			}
		case kDigit:
			s.word = append(s.word, elem{kind: kDigit, r: rune(f.out[0]), src: from, end: to})
		case kLeet:
			s.word = append(s.word, elem{kind: kLeet, r: rune(f.out[0]), src: from, end: to})
		case kOther, kConf:
			for _, fr := range f.out {
				s.word = append(s.word, elem{kind: f.kind, r: fr, src: from, end: to})
				s.lookalike = s.lookalike || f.kind == kConf
			}
		}
		i += size
	}
	s.endWord()
	// Joining spaced letters can make a word that mixes scripts, and
	// folding look-alikes can make new one-letter words: repeat until
	// neither changes anything (each step only merges or folds, so this
	// ends), which is what makes Normalize idempotent.
	for range 8 {
		changed := s.spaced && s.joinSpaced()
		if !s.lookalike {
			break
		}
		if !s.foldLookalikes() && !changed {
			break
		}
		s.spaced = true
	}
}

func isLetter(k uint8) bool { return k == kLatin || k == kOther || k == kConf }

// endWord decides how to read the word just scanned and emits its symbols.
func (s *stream) endWord() {
	w := s.word
	if len(w) == 0 {
		return
	}
	s.word = w[:0]
	// "k!" after spaced letters ("f u c k!"): a '!' after one letter is
	// punctuation, not a leet i, so the letter stays a one-letter word.
	if n := len(w); n > 1 && s.text[w[n-1].src] == '!' {
		k := n
		for k > 0 && w[k-1].kind == kLeet && s.text[w[k-1].src] == '!' {
			k--
		}
		single := k > 0
		for i := 0; i < k; i++ {
			single = single && w[i].kind == kLatin && w[i].r == w[0].r
		}
		if single {
			w = w[:k]
		}
	}
	// "Керри!", "рубль!": a '!' after a word without Latin letters is
	// punctuation, not a leet i that would make it a mixed-script word
	// and fold its look-alike letters to Latin.
	if n := len(w); n > 1 && w[n-1].kind == kLeet && s.text[w[n-1].src] == '!' {
		k := n
		for k > 0 && w[k-1].kind == kLeet && s.text[w[k-1].src] == '!' {
			k--
		}
		foreign := k > 0
		for i := 0; i < k; i++ {
			foreign = foreign && (w[i].kind == kConf || w[i].kind == kOther)
		}
		if foreign {
			w = w[:k]
		}
	}
	letters, latin := 0, 0
	for i := range w {
		switch w[i].kind {
		case kSym:
			s.emitWord(w)
			return
		case kLatin:
			latin++
			letters++
		case kConf, kOther:
			letters++
		}
	}
	if latin == len(w) {
		s.emitPlain(w)
		return
	}
	if letters > latin && s.turned(w) { // a turned form is not a Latin letter
		return
	}
	if letters == 0 {
		if !s.leetOnly(w) {
			// Numbers and symbols alone: "2024", "!!!" and "$5" are not words.
			s.emitDigits(w)
			return
		}
		// "@$$": every character stands for a letter, and not all the same one.
		for i := range w {
			w[i].kind, w[i].r = kLatin, leetLetter(&w[i])
		}
	}
	// Leading stars are decoration ("**bold**"), not letters; a leading
	// '#' makes a hashtag, whose capitals start its words.
	hashtag := len(w) > 0 && w[0].kind == kStar && s.text[w[0].src] == '#'
	for len(w) > 0 && w[0].kind == kStar {
		w = w[1:]
	}
	if s.separated(w) {
		// "f*u*c*k", "f+u+c+k": the stars or plus signs separate letters.
		for i := 1; i < len(w); i += 2 {
			w[i].kind = kStar
		}
		for i := range w {
			if w[i].kind != kStar {
				s.emitWord(w[i : i+1])
			}
		}
		return
	}
	if hashtag {
		// "#PutinIsACunt" is the words "Putin Is A Cunt": each is
		// matched, allowed ("#DickCheney", "#MobyDick") and joined as
		// words are.
		start := 0
		for i := 1; i < len(w); i++ {
			if s.camelStart(w, i) {
				s.emitWord(w[start:i])
				start = i
			}
		}
		w = w[start:]
	}
	s.emitWord(w)
}

// camelStart reports whether w[i] starts a word of a hashtag written in
// camel case: a capital after a small letter, or a capital before a small
// letter after another capital ("ACunt", "HTMLCode").
func (s *stream) camelStart(w []elem, i int) bool {
	if w[i].kind != kLatin || !s.upper(&w[i]) || w[i-1].kind != kLatin {
		return false
	}
	return !s.upper(&w[i-1]) || i+1 < len(w) && w[i+1].kind == kLatin && !s.upper(&w[i+1])
}

// upper reports whether the letter e was read from is a capital ("N",
// "É"); hashtags are rare, so the Unicode table costs nothing here.
func (s *stream) upper(e *elem) bool {
	r, _ := utf8.DecodeRuneInString(s.text[e.src:])
	return unicode.IsUpper(r)
}

// turnedLetters are the letters of text written upside down ("ʞɔnɟ" is
// "fuck" turned through 180°): the turned forms, and the Latin letters
// that read as another when turned. A word is upside down when it has a
// turned form and every letter is one of these.
var (
	turnedForm = map[rune]byte{
		'ɐ': 'a', 'ɔ': 'c', 'ǝ': 'e', 'ə': 'e', 'ɟ': 'f', 'ƃ': 'g', 'ᵷ': 'g', 'ɥ': 'h', 'ᴉ': 'i', 'ɾ': 'j',
		'ʞ': 'k', 'ꞁ': 'l', 'ɯ': 'm', 'ɹ': 'r', 'ʇ': 't', 'ʌ': 'v', 'ʍ': 'w', 'ʎ': 'y',
	}
	turnedLatin = [128]byte{'b': 'q', 'd': 'p', 'p': 'd', 'q': 'b', 'n': 'u', 'u': 'n', 'o': 'o', 's': 's', 'x': 'x', 'z': 'z', 'l': 'l', 'i': 'i'}
)

// turned emits an upside-down word as the word it shows, turned back:
// each letter read the right way up and the order reversed, so "ʞɔnɟ"
// is "fuck" (and "ɟnɔʞ", turned letters without reversing, "kcuf", which
// the reversed list holds). Every symbol spans the whole word, since the
// letters are no longer in the text's order. It reports whether w was
// such a word.
func (s *stream) turned(w []elem) bool {
	form := false
	for i := range w {
		e := &w[i]
		switch {
		case e.kind == kLatin && e.r < utf8.RuneSelf && turnedLatin[e.r] != 0:
		case (e.kind == kOther || e.kind == kConf) && turnedForm[e.r] != 0:
			form = true
		default:
			return false
		}
	}
	if !form {
		return false
	}
	from, to := w[0].src, w[len(w)-1].end
	for i, j := 0, len(w)-1; i <= j; i, j = i+1, j-1 {
		w[i], w[j] = w[j], w[i]
	}
	for i := range w {
		e := &w[i]
		if e.kind == kLatin {
			e.r = rune(turnedLatin[e.r])
		} else {
			e.r = rune(turnedForm[e.r])
		}
		e.kind, e.src, e.end = kLatin, from, to
	}
	s.emitPlain(w)
	return true
}

// leetOnly reports whether a word without letters reads as leetspeak: not
// all digits, every character a strong leet one, at least two different
// letters.
func (s *stream) leetOnly(w []elem) bool {
	digits := 0
	var first rune
	two := false
	for i := range w {
		e := &w[i]
		l := leetLetter(e)
		if l == 0 || e.kind == kStar || s.weakLeet(e) {
			return false
		}
		if e.kind == kDigit {
			digits++
		}
		if first == 0 {
			first = l
		} else if l != first {
			two = true
		}
	}
	return two && digits < len(w)
}

// leetLetter is the letter a digit or leet symbol stands for, or 0.
func leetLetter(e *elem) rune {
	switch e.kind {
	case kLeet:
		return e.r // mapped when scanned
	case kDigit:
		if e.r < 128 {
			return rune(leet[e.r])
		}
	}
	return 0
}

// weakLeet reports whether e is a leet symbol that is a letter only
// beside letters: '2' (z), '+' (t) and the symbols of leetExtra. Numbers,
// sums and prices are written with them ("2+2", "€20", "§ 5", "5¢"), so
// a word of digits and symbols alone never reads them as letters.
func (s *stream) weakLeet(e *elem) bool {
	switch e.kind {
	case kDigit:
		return e.r == '2'
	case kLeet:
		c := s.text[e.src]
		return c == '+' || c >= utf8.RuneSelf
	}
	return false
}

// separated reports whether w is single letters separated by stars or by
// plus signs ("f*u*c*k", "f+u+c+k"), one kind of separator throughout.
func (s *stream) separated(w []elem) bool {
	n := 0
	var sep byte
	for i := range w {
		if i%2 == 0 {
			if !isLetter(w[i].kind) && w[i].kind != kDigit && w[i].kind != kLeet {
				return false
			}
			n++
			continue
		}
		c := s.text[w[i].src]
		if w[i].kind != kStar && c != '+' || sep != 0 && c != sep {
			return false
		}
		sep = c
	}
	return n >= minSpaced && len(w)%2 == 1
}

func (s *stream) emitDigits(w []elem) {
	started := false
	for i := range w {
		if w[i].kind != kDigit {
			// "2+2", "14+88": a weak symbol between numbers separates them.
			started = started && !s.weakLeet(&w[i])
			continue
		}
		if !started {
			s.space(w[i].src)
			s.words = append(s.words, wordRec{start: int32(len(s.sym))})
			s.singles = 0
			started = true
		}
		s.push(w[i].r, w[i].src, w[i].end, 0)
	}
}

// emitPlain appends a word of Latin letters only, the common case, without
// the leet and edge handling of emitWord.
func (s *stream) emitPlain(w []elem) {
	s.space(w[0].src)
	start := int32(len(s.sym))
	prev := rune(-1)
	runs := 0
	for i := range w {
		e := &w[i]
		if e.r == prev {
			s.extend(e.end)
			continue
		}
		s.sym = append(s.sym, byte(e.r))
		s.cnt = append(s.cnt, 1)
		s.src = append(s.src, e.src)
		s.end = append(s.end, e.end)
		s.soft = append(s.soft, 0)
		prev = e.r
		runs++
	}
	single := runs == 1
	s.words = append(s.words, wordRec{start: start, single: single})
	if single {
		s.singles++
		s.spaced = s.spaced || s.singles >= minSpaced
	} else {
		s.singles = 0
	}
}

// emitWord appends a word that has at least one letter (or is one pictograph).
func (s *stream) emitWord(w []elem) {
	if len(w) == 0 {
		return
	}
	first, last := -1, -1
	for i := range w {
		if isLetter(w[i].kind) || w[i].kind == kSym {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	s.space(w[0].src)
	start := int32(len(s.sym))
	runs := 0
	var prev rune = -1
	for i := range w {
		e := &w[i]
		r := e.r
		switch e.kind {
		case kDigit:
			if l := leet[r]; l != 0 {
				r = rune(l)
			}
		case kStar:
			s.stars = true
		}
		// A leet symbol at a word's edge may be punctuation ("shit!",
		// "(idiot"), so a match may also start or end beside it.
		var soft uint8
		if first >= 0 && (i == first && first > 0 || i == last+1 && e.kind != kStar) {
			soft = softEdge
		}
		if r == prev && soft == 0 {
			s.extend(e.end)
			continue
		}
		s.push(r, e.src, e.end, soft)
		if k := rune(rendered(byte(r))); r >= utf8.RuneSelf || k != rune(rendered(byte(prev))) || prev >= utf8.RuneSelf {
			runs++
		}
		prev = r
	}
	c := s.sym[start]
	single := runs == 1 && (c >= 'a' && c <= 'z' || c == 'I' || c >= utf8.RuneSelf && w[0].kind != kSym)
	s.words = append(s.words, wordRec{start: start, single: single})
	if single {
		s.singles++
		if s.singles >= minSpaced {
			s.spaced = true
		}
	} else {
		s.singles = 0
	}
}

// space separates words.
func (s *stream) space(at int32) {
	if len(s.sym) == 0 {
		return
	}
	s.sym = append(s.sym, ' ')
	s.cnt = append(s.cnt, 1)
	s.src = append(s.src, s.end[len(s.end)-1])
	s.end = append(s.end, at)
	s.soft = append(s.soft, 0)
}

func (s *stream) push(r rune, from, to int32, soft uint8) {
	if r < utf8.RuneSelf {
		s.sym = append(s.sym, byte(r))
		s.cnt = append(s.cnt, 1)
		s.src = append(s.src, from)
		s.end = append(s.end, to)
		s.soft = append(s.soft, soft)
		return
	}
	n := len(s.sym)
	s.sym = utf8.AppendRune(s.sym, r)
	for range len(s.sym) - n {
		s.cnt = append(s.cnt, 1)
		s.src = append(s.src, from)
		s.end = append(s.end, to)
		s.soft = append(s.soft, soft)
	}
}

// extend lengthens the last symbol's run to the rune ending at to.
func (s *stream) extend(to int32) {
	n := len(s.sym) - 1
	for i := n; i >= 0; i-- {
		if s.cnt[i] < 255 {
			s.cnt[i]++
		}
		s.end[i] = to
		if s.sym[i] < utf8.RuneSelf || utf8.RuneStart(s.sym[i]) {
			break
		}
	}
}

// joinSpaced reads runs of one-letter words close together ("f u c k",
// "f.u.c.k", "f_u_c_k") as one word whose letters may each start a match.
// It reports whether it joined any.
func (s *stream) joinSpaced() bool {
	s.indexWords()
	// Mark the spaces to remove with 0, a byte no symbol uses.
	run, any := 0, false
	for k := 0; k <= len(s.words); k++ {
		ok := k < len(s.words) && s.words[k].single
		if ok && run > 0 {
			sp := s.words[k].start - 1
			if s.src[s.words[k].start]-s.end[sp-1] > maxGap || s.hasNewline(sp) {
				ok = false
			}
		}
		if ok {
			run++
			continue
		}
		if run >= minSpaced {
			for j := k - run + 1; j < k; j++ {
				s.sym[s.words[j].start-1] = 0
			}
			any = true
		}
		run = 0
		if k < len(s.words) && s.words[k].single {
			run = 1
		}
	}
	if !any {
		return false
	}
	j := 0
	joined := false
	for i := 0; i < len(s.sym); i++ {
		if s.sym[i] == 0 {
			joined = true
			continue
		}
		if joined && j > 0 && s.sym[i] == s.sym[j-1] && s.sym[i] < utf8.RuneSelf {
			c := int(s.cnt[j-1]) + int(s.cnt[i])
			s.cnt[j-1] = uint8(min(c, 255))
			s.end[j-1] = s.end[i]
			s.soft[j-1] |= joinedRun
			joined = false
			continue
		}
		s.sym[j], s.cnt[j], s.src[j], s.end[j] = s.sym[i], s.cnt[i], s.src[i], s.end[i]
		s.soft[j] = s.soft[i]
		if joined {
			s.soft[j] |= softJoin
		}
		joined = false
		j++
	}
	s.sym, s.cnt, s.src, s.end, s.soft = s.sym[:j], s.cnt[:j], s.src[:j], s.end[:j], s.soft[:j]
	return true
}

// rendered is how Normalize writes a symbol byte.
func rendered(c byte) byte {
	if c == 'I' {
		return 'i'
	}
	return c
}

// indexWords lists the words of the stream and whether each is one letter.
func (s *stream) indexWords() {
	s.words = s.words[:0]
	for i := 0; i < len(s.sym); {
		w := wordRec{start: int32(i)}
		c := s.sym[i]
		size := 1
		switch {
		case c >= 'a' && c <= 'z' || c == 'I':
			w.single = true
		case c >= utf8.RuneSelf:
			var r rune
			r, size = utf8.DecodeRune(s.sym[i:])
			w.single = isLetter(lookup(r).kind)
		}
		i += size
		// "oo" may be two symbols (the second was a leet 0 at the word's
		// edge) yet reads as one run when normalized again.
		for i < len(s.sym) && s.sym[i] != ' ' {
			if rendered(s.sym[i]) != rendered(c) || size > 1 {
				w.single = false
			}
			i++
		}
		s.words = append(s.words, w)
		i++
	}
}

// lineBreakHyphen returns the length of a hyphen that breaks a word at a
// line's end, text[i] being '-': the hyphen, blanks with one line break,
// then a letter (or 0 when it is anything else). Such a word is one word
// ("fuc-\nking"), as a reader dehyphenates it; a blank line after the
// hyphen ends the word.
func lineBreakHyphen(text string, i int) int {
	if text[i] != '-' {
		return 0
	}
	j, lines := i+1, 0
	for j < len(text) && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r' || text[j] == '\n') {
		if text[j] == '\n' {
			lines++
		}
		j++
	}
	if lines != 1 || j == len(text) {
		return 0
	}
	if c := text[j]; c < utf8.RuneSelf && asciiFold[c].kind != kLatin {
		return 0
	}
	return j - i
}

// hasNewline reports whether the gap recorded by the space symbol at i
// crosses a line: letters on separate lines are not one word.
func (s *stream) hasNewline(i int32) bool {
	return strings.IndexByte(s.text[s.src[i]:s.end[i]], '\n') >= 0
}

// foldLookalikes replaces Cyrillic and Greek look-alike letters with the
// Latin letters they pass for, in a word that mixes scripts ("сunt"), or in
// a word wholly made of look-alikes ("сосk") when the text is mostly Latin.
// A Russian comment stays Russian. It runs after spaced letters are joined,
// so "с о с k" is one mixed word; a mixed word counts as Latin, which keeps
// Normalize idempotent.
func (s *stream) foldLookalikes() bool {
	type word struct {
		start, end           int
		latin, conf, foreign int
	}
	var words [64]word
	ws := words[:0]
	latin, other := 0, 0
	for i := 0; i < len(s.sym); {
		w := word{start: i}
		for i < len(s.sym) && s.sym[i] != ' ' {
			c := s.sym[i]
			n := int(s.cnt[i])
			switch {
			case c >= 'a' && c <= 'z' || c == 'I':
				w.latin += n
				i++
			case c >= utf8.RuneSelf:
				r, size := utf8.DecodeRune(s.sym[i:])
				if lookup(r).kind == kConf {
					w.conf += n
				} else {
					w.foreign += n
				}
				i += size
			default:
				i++
			}
		}
		w.end = i
		if w.latin > 0 {
			latin += w.latin + w.conf + w.foreign
		} else {
			other += w.conf + w.foreign
		}
		ws = append(ws, w)
		i++ // the space
	}
	some := false
	for _, w := range ws {
		some = some || w.conf > 0 && (w.latin > 0 || w.foreign == 0 && latin > other)
	}
	if !some {
		return false // a Russian comment: nothing to fold or move
	}
	folded := false
	j := 0
	for k, w := range ws {
		if k > 0 {
			s.move(j, w.start-1)
			j++
		}
		fold := w.conf > 0 && (w.latin > 0 || w.foreign == 0 && latin > other)
		wordStart := j
		for i := w.start; i < w.end; {
			c := s.sym[i]
			size := 1
			if c >= utf8.RuneSelf {
				_, size = utf8.DecodeRune(s.sym[i:])
				if fold {
					orig, _ := utf8.DecodeRuneInString(s.text[s.src[i]:])
					if l := lookup(orig).conf; l != 0 {
						c = l
						folded = true
					}
				}
			}
			if c < utf8.RuneSelf && size > 1 || c >= utf8.RuneSelf {
				if c < utf8.RuneSelf { // folded: one byte now
					if j > wordStart && s.sym[j-1] == c && s.soft[i] == 0 {
						s.cnt[j-1] = uint8(min(int(s.cnt[j-1])+int(s.cnt[i]), 255))
						s.end[j-1] = s.end[i]
					} else {
						s.move(j, i)
						s.sym[j] = c
						j++
					}
				} else {
					for b := range size {
						s.move(j, i+b)
						j++
					}
				}
				i += size
				continue
			}
			if fold && j > wordStart && s.sym[j-1] == c && s.soft[i] == 0 {
				s.cnt[j-1] = uint8(min(int(s.cnt[j-1])+int(s.cnt[i]), 255))
				s.end[j-1] = s.end[i]
			} else {
				s.move(j, i)
				j++
			}
			i++
		}
	}
	s.sym, s.cnt, s.src, s.end, s.soft = s.sym[:j], s.cnt[:j], s.src[:j], s.end[:j], s.soft[:j]
	return folded
}

// move copies symbol i to position j (j <= i).
func (s *stream) move(j, i int) {
	s.sym[j], s.cnt[j], s.src[j], s.end[j], s.soft[j] = s.sym[i], s.cnt[i], s.src[i], s.end[i], s.soft[i]
}

// symCyrWord stands in the stream for a whole word of Russian letters that
// the Latin lists can never match: it has a letter without a Latin
// look-alike ("привет"), so foldLookalikes would leave it as it is, and at
// least two different letters, so it is not a spaced-out letter. Its count
// is the word's letters (capped), which is what foldLookalikes weighs when
// it decides whether a text is mostly Latin. 0xFE never occurs in UTF-8,
// so it matches no entry. Reading such a word as one symbol instead of a
// dozen bytes is most of the Latin stream's cost on Russian text.
const symCyrWord = 0xFE

// cyrKinds is lookup's kind for U+0400–U+045F, built on first use.
var cyrKinds = sync.OnceValue(func() (t [0x60]uint8) {
	for r := rune(0x400); r < 0x460; r++ {
		t[r-0x400] = lookup(r).kind
	}
	return t
})

// cyrillicWord emits the word of Russian letters (А–я, Ё, ё) starting at
// text[i] as one symCyrWord symbol and returns its length in bytes, or
// returns 0 when the word is anything else (a one-letter or one-run word,
// a word of look-alikes only, a word with Latin letters, digits, leet,
// marks or invisible characters in it, or one that ends in such), which the
// caller then reads rune by rune.
func (s *stream) cyrillicWord(text string, i int) int {
	kinds := cyrKinds()
	j, letters, foreign := i, 0, false
	var first rune
	two := false
loop:
	for j+1 < len(text) {
		b0, b1 := text[j], text[j+1]
		var r rune
		switch {
		case b0 == 0xD0 && (b1 == 0x81 || b1 >= 0x90 && b1 <= 0xBF):
			r = rune(b1) - 0x80 + 0x400
		case b0 == 0xD1 && (b1 <= 0x8F && b1 >= 0x80 || b1 == 0x91):
			r = rune(b1) - 0x80 + 0x440
		default:
			break loop
		}
		switch kinds[r-0x400] {
		case kOther:
			foreign = true
		case kConf:
		default:
			return 0
		}
		if r >= 'А' && r <= 'Я' {
			r += 'а' - 'А'
		} else if r == 'Ё' {
			r = 'ё'
		}
		if first == 0 {
			first = r
		} else if r != first {
			two = true
		}
		letters++
		j += 2
	}
	if !foreign || !two || j < len(text) && (text[j] >= utf8.RuneSelf || asciiFold[text[j]].kind != kSep && text[j] != '!') {
		return 0
	}
	s.space(int32(i))
	s.words = append(s.words, wordRec{start: int32(len(s.sym))})
	s.singles = 0
	s.sym = append(s.sym, symCyrWord)
	s.cnt = append(s.cnt, uint8(min(letters, 255)))
	s.src = append(s.src, int32(i))
	s.end = append(s.end, int32(j))
	s.soft = append(s.soft, 0)
	return j - i
}
