package moderation

import (
	"unicode"
	"unicode/utf8"
)

// The Cyrillic stream is a comment as the Russian lists see it. Each
// Cyrillic letter is one byte (0x80 + its place in а–я, ё read as е), so
// the automaton, the wildcard comparison and the allowlist work on it
// exactly as they do on Latin text. A word is in the stream only if it has
// a Cyrillic letter; in such a word the Latin letters and digits that
// disguise Cyrillic ones are read as those ("xуй" with a Latin x, "пи3да",
// "е6ать"), and runs of one letter are one symbol ("бляяять"), since no
// Russian root on the lists needs a doubled letter.
//
// Latin words never enter it, so the English lists keep Latin text and the
// Russian lists keep Cyrillic text: English look-alike folding (which turns
// "сосk" into "cock") happens only in the Latin stream, and only in words
// that mix scripts or in mostly-Latin text, as before.

const (
	cyrBase  = 0x80 // а
	cyrUkr   = 0xA0 // і ї є ґ ў, after я
	cyrOther = 0xFE // a letter of another script: matches nothing
)

// cyrByte is the stream byte of a lower-case Cyrillic letter, or 0.
func cyrByte(r rune) byte {
	switch {
	case r >= 'а' && r <= 'я':
		return byte(cyrBase + r - 'а')
	case r == 'ё':
		return cyrBase + ('е' - 'а')
	case r == 'і':
		return cyrUkr
	case r == 'ї':
		return cyrUkr + 1
	case r == 'є':
		return cyrUkr + 2
	case r == 'ґ':
		return cyrUkr + 3
	case r == 'ў':
		return cyrUkr + 4
	}
	return 0
}

// cyrRune is the inverse of cyrByte, for Normalize-style output.
func cyrRune(b byte) rune {
	switch {
	case b >= cyrBase && b < cyrBase+32:
		return 'а' + rune(b-cyrBase)
	case b >= cyrUkr && b <= cyrUkr+4:
		return []rune("іїєґў")[b-cyrUkr]
	case b == cyrOther:
		return '�'
	}
	return rune(b)
}

// latinAsCyr reads a Latin letter inside a Cyrillic word: first as the
// Cyrillic letter it looks like (capitals look different: H is Н, h is
// х as in transliteration), else as its transliteration.
var latinAsCyr = func() (t [128]rune) {
	for c, r := range map[byte]rune{
		'a': 'а', 'b': 'б', 'c': 'с', 'd': 'д', 'e': 'е', 'f': 'ф', 'g': 'г', 'h': 'х',
		'i': 'и', 'j': 'й', 'k': 'к', 'l': 'л', 'm': 'м', 'n': 'п', 'o': 'о', 'p': 'р',
		'r': 'г', 's': 'с', 't': 'т', 'u': 'и', 'v': 'в', 'w': 'ш', 'x': 'х', 'y': 'у', 'z': 'з',
		'A': 'а', 'B': 'в', 'C': 'с', 'D': 'д', 'E': 'е', 'F': 'ф', 'G': 'г', 'H': 'н',
		'I': 'и', 'J': 'й', 'K': 'к', 'L': 'л', 'M': 'м', 'N': 'и', 'O': 'о', 'P': 'р',
		'R': 'я', 'S': 'с', 'T': 'т', 'U': 'и', 'V': 'в', 'W': 'ш', 'X': 'х', 'Y': 'у', 'Z': 'з',
		// Leet inside a Cyrillic word.
		'0': 'о', '3': 'з', '4': 'ч', '6': 'б', '8': 'в', '@': 'а', '$': 'с', '1': 'и', '!': 'и', '|': 'и',
	} {
		t[c] = r
	}
	return t
}()

// hasCyrillic reports whether text may contain a Cyrillic letter (U+0400
// to U+04FF start with the bytes D0 to D3).
func hasCyrillic(text string) bool {
	for i := 0; i < len(text); i++ {
		if c := text[i]; c >= 0xD0 && c <= 0xD3 {
			return true
		}
	}
	return false
}

// scanCyrillic fills s with the Cyrillic words of text.
func (s *stream) scanCyrillic(text string) {
	s.reset()
	s.text = text
	cyr := false
	for i := 0; i < len(text); {
		c := text[i]
		if (c == '.' || c == '_') && cyr && lowerCyrillicAt(text, i+1) && i > 0 && lowerCyrillicBefore(text, i) {
			// "пи.зда", "х_уйня": a dot or underscore between lower-case
			// Cyrillic letters splits a word, not a sentence ("конец.
			// Начало" has a capital after it).
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch asciiFold[c].kind {
			case kLatin, kDigit:
				s.word = append(s.word, elem{kind: kLatin, r: rune(c), src: int32(i), end: int32(i + 1)})
			case kLeet:
				if c == '+' { // "слово+слово": two words, as before '+' was leet in Latin words
					s.endCyrillic(cyr)
					cyr = false
					break
				}
				s.word = append(s.word, elem{kind: kLeet, r: rune(c), src: int32(i), end: int32(i + 1)})
			case kStar:
				s.word = append(s.word, elem{kind: kStar, r: '*', src: int32(i), end: int32(i + 1)})
			case kSep:
				s.endCyrillic(cyr)
				cyr = false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		from, to := int32(i), int32(i+size)
		i += size
		if r >= 'А' && r <= 'я' || r == 'ё' || r == 'Ё' {
			// Russian letters, the common case, without the fold table.
			switch {
			case r == 'Ё':
				r = 'ё'
			case r < 'а':
				r += 'а' - 'А'
			}
			s.word = append(s.word, elem{kind: kOther, r: rune(cyrByte(r)), src: from, end: to})
			cyr = true
			continue
		}
		switch f := lookup(r); f.kind {
		case kDrop:
		case kSep, kSym, kLeet: // "€", "§": punctuation beside Cyrillic words
			s.endCyrillic(cyr)
			cyr = false
		case kLatin:
			for j := 0; j < len(f.out); j++ {
				s.word = append(s.word, elem{kind: kLatin, r: rune(f.out[j]), src: from, end: to})
			}
		case kDigit:
			s.word = append(s.word, elem{kind: kLatin, r: rune(f.out[0]), src: from, end: to})
		default:
			if b := cyrByte(unicode.ToLower(r)); b != 0 {
				s.word = append(s.word, elem{kind: kOther, r: rune(b), src: from, end: to})
				cyr = true
			} else {
				s.word = append(s.word, elem{kind: kOther, r: cyrOther, src: from, end: to})
			}
		}
	}
	s.endCyrillic(cyr)
	s.joinCyrillicLetters()
}

// joinCyrillicLetters reads runs of at least minSpaced one-letter words
// close together ("х у й", "п.и.з.д.а") as one word, as the Latin stream
// does. Russian has one-letter words (и, в, с, к, у, о, а, я), but a root
// of the lists is never spelt by three of them in a row.
func (s *stream) joinCyrillicLetters() {
	n := len(s.sym)
	if n < 2*minSpaced-1 {
		return
	}
	// single reports whether the word starting at i is one symbol long.
	single := func(i int) bool { return i < n && (i+1 == n || s.sym[i+1] == ' ') }
	j := 0
	for i := 0; i < n; {
		if !single(i) || (i > 0 && s.sym[i-1] != ' ') {
			s.move(j, i)
			j++
			i++
			continue
		}
		// A run of one-letter words from i: they sit at i, i+2, i+4, …
		k := i
		for k+2 < n && s.sym[k+1] == ' ' && single(k+2) &&
			s.end[k+1]-s.src[k+1] <= maxGap && !s.hasNewline(int32(k+1)) {
			k += 2
		}
		if (k-i)/2+1 < minSpaced {
			for ; i <= k; i++ {
				s.move(j, i)
				j++
			}
			continue
		}
		runStart := j
		for ; i <= k; i += 2 {
			if j > runStart && s.sym[j-1] == s.sym[i] && s.sym[i] != '*' {
				s.end[j-1] = s.end[i] // "б л я я т ь": one run
				continue
			}
			s.move(j, i)
			j++
		}
		i = k + 1
	}
	s.sym, s.cnt, s.src, s.end, s.soft = s.sym[:j], s.cnt[:j], s.src[:j], s.end[:j], s.soft[:j]
}

// lowerCyrillicAt reports whether a lower-case Russian letter starts at i.
func lowerCyrillicAt(text string, i int) bool {
	r, _ := utf8.DecodeRuneInString(text[i:])
	return r >= 'а' && r <= 'я' || r == 'ё'
}

// lowerCyrillicBefore reports whether a lower-case Russian letter ends at i.
func lowerCyrillicBefore(text string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return r >= 'а' && r <= 'я' || r == 'ё'
}

// endCyrillic emits the word just read if it has a Cyrillic letter.
func (s *stream) endCyrillic(cyr bool) {
	w := s.word
	s.word = w[:0]
	if !cyr {
		return
	}
	// Leading stars are markup, as in the Latin stream; symbols at a word's
	// edges are punctuation ("сука!", "(бля").
	for len(w) > 0 && (w[0].kind == kStar || w[0].kind == kLeet) {
		w = w[1:]
	}
	for len(w) > 0 && w[len(w)-1].kind == kLeet {
		w = w[:len(w)-1]
	}
	first := true
	prev := byte(0)
	for i := range w {
		e := &w[i]
		var b byte
		switch e.kind {
		case kStar:
			b = '*'
			s.stars = true
		case kLatin, kLeet:
			if r := latinAsCyr[e.r&0x7F]; r != 0 && e.r < utf8.RuneSelf {
				b = cyrByte(r)
			} else if e.r >= '0' && e.r <= '9' {
				b = byte(e.r)
			} else {
				continue // a symbol that stands for no letter: "х(й"
			}
		default:
			b = byte(e.r)
		}
		if b == prev && b != '*' {
			s.end[len(s.end)-1] = e.end
			continue
		}
		if first {
			s.space(e.src)
			first = false
		}
		s.sym = append(s.sym, b)
		s.cnt = append(s.cnt, 1)
		s.src = append(s.src, e.src)
		s.end = append(s.end, e.end)
		s.soft = append(s.soft, 0)
		prev = b
	}
}

// NormalizeCyrillic returns the text as the Cyrillic lists read it. It is
// for tests and for people debugging a rule.
func NormalizeCyrillic(text string) string {
	var s stream
	s.scanCyrillic(text)
	out := make([]rune, 0, len(s.sym))
	for _, b := range s.sym {
		out = append(out, cyrRune(b))
	}
	return string(out)
}
