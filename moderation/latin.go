package moderation

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Latin-script text is told apart as English, German, French or Spanish by
// character trigrams: for each language, the cost (-log2 of the probability,
// times triScale) of a letter after the two before it, learnt from every
// word form of Debian's hunspell dictionaries plus each language's most
// frequent words (TestTrigramTable builds rules/trigrams.bin; see
// rules/NOTICE.md). Scoring is one pass over the bytes with one table
// load per letter, and it runs per sentence, so a comment that quotes a
// French sentence in English gets both languages where each is written.

// latinLangs are the languages of the trigram table, in its column order.
var latinLangs = [...]string{"en", "de", "fr", "es"}

const otherLatin = 39

const (
	nLatin     = len(latinLangs)
	triClasses = 40 // 0 is a word boundary
	triScale   = 8  // cost units per bit
	// A sentence is given a language of its own when it has at least
	// minTrigrams trigrams and that language costs at least
	// marginPerTrigram units per trigram less than English (English
	// wins a tie: the English lists are the fuller ones).
	minTrigrams      = 8
	marginPerTrigram = 1
	wordBonus        = 80
	shortMargin      = 48
)

// frequent maps the hash of a word's trigram classes to the languages
// (bit k for latinLangs[k]) whose frequentWords list it; an open-addressed
// table of frequentSlots, 0 for an empty slot.
const frequentSlots = 1024

var frequent = func() (t [frequentSlots]struct {
	h    uint32
	mask uint8
}) {
	for l, ws := range frequentWords {
		for _, w := range strings.Fields(ws) {
			h := uint32(wordHashInit)
			for _, r := range w {
				h = wordHash(h, uint32(triClass(r)))
			}
			i := h % frequentSlots
			for t[i].h != 0 && t[i].h != h {
				i = (i + 1) % frequentSlots
			}
			t[i].h = h
			t[i].mask |= 1 << l
		}
	}
	return t
}()

const wordHashInit = 2166136261

func wordHash(h, c uint32) uint32 { return (h ^ c) * 16777619 }

// frequentMask is the languages that list the word with hash h.
func frequentMask(h uint32) uint8 {
	for i := h % frequentSlots; frequent[i].h != 0; i = (i + 1) % frequentSlots {
		if frequent[i].h == h {
			return frequent[i].mask
		}
	}
	return 0
}

// frequentWords are each language's most frequent words, written by hand.
// A dictionary lists "the" once, as it lists "thegn", while running text
// is largely such words: the table is learnt with each counted as
// functionWeight word forms, and a sentence's words found here make its
// language cheaper by wordBonus each (many, such as "die" or "also",
// are in two lists and favour both).
var frequentWords = [nLatin]string{
	`the of and to a in is it that for you was with on as have but be they at not this are or he i his by
	from we an she my all one so there what their can if would about which when were will do had has me your
	out them more just no like people our who than been how its also any some up only these into time could
	other should very then because even does did think know those over being most really why here get said`,
	`der die das und ist nicht ein eine einen einem einer zu den dem des mit von sich auf für im es ich du er
	sie wir ihr sind war hat haben auch als wie aber oder wenn noch nur so schon dass daß bei nach aus um doch
	mal kein keine mehr sehr hier heute man werden wird wurde kann muss diese dieser gibt uns mich mir dir ja
	nein über gegen ohne warum weil wer was alle jetzt immer dann denn etwas viel gut`,
	`le la les de des du et est un une en que qui pas ne dans pour sur au aux ce cette il elle ils nous vous
	je tu on se son sa ses mais ou avec plus par tout très bien être avoir sont était fait comme leur été
	aussi même peut faut oui non rien quel quelle quels toujours encore alors donc moi toi lui eux quand où pourquoi parce
	cela ça ces mes nos vos notre votre déjà après avant contre sans a y ni`,
	`el la los las de del y que en un una es por con para no se lo le su sus al como más pero muy ya está
	son fue ha hay este esta eso todo también sin sobre entre cuando porque yo tú él ella nosotros ellos me te
	nos qué cómo donde sí bien hacer ser estar tiene puede han era esto estos esas mi tu otro otra años
	hasta desde a sino aquel quien quienes ni cada nada nunca siempre ahora así`,
}

//go:embed rules/trigrams.bin
var trigramTable []byte // triClasses^3 rows of nLatin costs

// trigramLanes is trigramTable with each row's nLatin costs spread into
// the 16-bit lanes of a uint64 (lane k, bits 16k to 16k+15, for
// latinLangs[k]), so that scoring a trigram is one load and one add for
// all four languages. A lane takes up to laneAdds costs of at most 255
// before it must be flushed into 32-bit totals.
var trigramLanes = func() []uint64 {
	t := make([]uint64, len(trigramTable)/nLatin)
	for i := range t {
		r := trigramTable[i*nLatin:][:nLatin]
		t[i] = uint64(r[0]) | uint64(r[1])<<16 | uint64(r[2])<<32 | uint64(r[3])<<48
	}
	return t
}()

const laneAdds = 256 // 256 × 255 < 1<<16

// bonusLanes[m] adds wordBonus to the lanes of the languages not in mask m.
var bonusLanes = func() (t [1 << nLatin]uint64) {
	for m := range t {
		for k := range nLatin {
			if m&(1<<k) == 0 {
				t[m] |= wordBonus << (16 * k)
			}
		}
	}
	return t
}()

// triASCII is the class of an ASCII byte: letters 1–26, all else 0.
var triASCII = func() (t [128]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = uint8(c-'a') + 1
		t[c-'a'+'A'] = uint8(c-'a') + 1
	}
	return t
}()

// triClass is the trigram class of a rune: a–z, the accented letters
// that tell the four languages apart, another Latin letter, or 0.
func triClass(r rune) uint8 {
	if r < utf8.RuneSelf {
		return triASCII[r]
	}
	if r >= 0xFF21 && r <= 0xFF5A {
		return triASCII[r-0xFF21+'A'] // fullwidth letters read as the letters
	}
	if r >= 0x370 && r < 0x1D00 || r >= 0x2000 && r < 0x2C60 || r >= 0x2E00 && r < 0xA720 {
		return 0 // Greek, Cyrillic and the scripts after, symbols, CJK: no Latin
	}
	switch unicode.ToLower(r) {
	case 'ä':
		return 27
	case 'ö':
		return 28
	case 'ü':
		return 29
	case 'ß':
		return 30
	case 'é':
		return 31
	case 'è', 'ê', 'ë':
		return 32
	case 'à', 'â':
		return 33
	case 'ç':
		return 34
	case 'î', 'ï', 'ô', 'û', 'ù', 'œ', 'æ':
		return 35
	case 'ñ':
		return 36
	case 'á', 'í', 'ó', 'ú':
		return 37
	case '¿', '¡':
		return 38 // Spanish opening marks: a letter-like signal between words
	}
	if unicode.Is(unicode.Latin, r) {
		return otherLatin // costs the same in every language
	}
	return 0
}

// latinSeg is a stretch of text (a sentence) and the Latin language it is
// written in, an index into latinLangs.
type latinSeg struct {
	start, end int32
	lang       uint8
}

// isSentenceEnd reports whether an ASCII byte ends a sentence.
func isSentenceEnd(c byte) bool { return c == '.' || c == '!' || c == '?' || c == '\n' || c == ';' }

// detectLatin splits text into sentences and decides each one's Latin
// language; a sentence too short to tell takes the language of the whole
// text, and a text too short to tell is English. It appends to segs and
// returns it; every byte of text is in one segment.
func detectLatin(text string, segs []latinSeg) []latinSeg {
	type score struct {
		cost [nLatin]uint32
		n    uint32
	}
	base := len(segs)
	var total, cur score
	// lanes holds cur's costs not yet added to cur.cost, pending how many
	// adds; flush moves them over.
	var lanes uint64
	pending := 0
	flush := func() {
		cur.cost[0] += uint32(lanes & 0xFFFF)
		cur.cost[1] += uint32(lanes >> 16 & 0xFFFF)
		cur.cost[2] += uint32(lanes >> 32 & 0xFFFF)
		cur.cost[3] += uint32(lanes >> 48)
		lanes, pending = 0, 0
	}
	tbl := trigramLanes
	c1, c2 := uint32(0), uint32(0)
	h := uint32(wordHashInit)
	start := 0
	add := func(c3 uint32) {
		if pending == laneAdds {
			flush()
		}
		lanes += tbl[(c1*triClasses+c2)*triClasses+c3]
		pending++
		cur.n++
	}
	// wordEnd scores the word just read: a word-final trigram, and the
	// bonus of a frequent word.
	wordLen := 0
	wordEnd := func() {
		if wordLen == 1 {
			// A one-letter word ("a", "y", or spaced-out letters) says
			// little: take back its first trigram, keep only the bonus.
			flush()
			row := trigramTable[c2*uint32(nLatin):][:nLatin]
			for k := range nLatin {
				cur.cost[k] -= uint32(row[k])
			}
			cur.n--
		} else {
			add(0)
		}
		wordLen = 0
		if m := frequentMask(h); m != 0 {
			if pending == laneAdds {
				flush()
			}
			lanes += bonusLanes[m]
			pending++
		}
		c1, c2, h = 0, 0, wordHashInit
	}
	end := func(at int) {
		flush()
		for k := range nLatin {
			total.cost[k] += cur.cost[k]
		}
		total.n += cur.n
		lang := decide(&cur.cost, cur.n)
		if n := len(segs); n > base && segs[n-1].lang == lang {
			segs[n-1].end = int32(at) // same language: one segment
		} else {
			segs = append(segs, latinSeg{start: int32(start), end: int32(at), lang: lang})
		}
		start = at
		cur = score{}
	}
	for i := 0; i < len(text); {
		b := text[i]
		var cl uint8
		if b < utf8.RuneSelf {
			cl = triASCII[b]
			i++
			if cl == 0 && isSentenceEnd(b) {
				if c2 != 0 {
					wordEnd()
				}
				if cur.n > 0 {
					end(i)
				}
				continue
			}
		} else {
			r, size := utf8.DecodeRuneInString(text[i:])
			cl = triClass(r)
			i += size
		}
		if cl == 0 {
			if c2 != 0 {
				wordEnd()
			}
			continue
		}
		if uint32(cl) == c2 && c2 == c1 {
			continue // a stretched letter ("wooooog") is read twice at most
		}
		add(uint32(cl))
		c1, c2 = c2, uint32(cl)
		h = wordHash(h, uint32(cl))
		wordLen++
	}
	if c2 != 0 {
		wordEnd()
	}
	end(len(text))
	all := decide(&total.cost, total.n)
	if all == 255 {
		all = 0
	}
	for k := base; k < len(segs); k++ {
		if segs[k].lang == 255 {
			segs[k].lang = all
		}
	}
	// Neighbours that now agree are one segment.
	j := base
	for k := base; k < len(segs); k++ {
		if k > base && segs[j].lang == segs[k].lang {
			segs[j].end = segs[k].end
			continue
		}
		if k > base {
			j++
		}
		segs[j] = segs[k]
	}
	segs = segs[:j+1]
	segs[base].start = 0
	return segs
}

// decide picks the cheapest language, English unless another is cheaper
// by the margin; 255 when the text is too short to tell (fewer than
// minTrigrams trigrams and no language cheaper than English by
// shortMargin, as "ß" makes "Er aß").
func decide(cost *[nLatin]uint32, n uint32) uint8 {
	best := uint8(0)
	for k := 1; k < nLatin; k++ {
		if cost[k] < cost[best] {
			best = uint8(k)
		}
	}
	if n < minTrigrams {
		if best != 0 && cost[0]-cost[best] >= shortMargin {
			return best
		}
		return 255
	}
	if best != 0 && cost[0]-cost[best] < marginPerTrigram*n {
		return 0
	}
	return best
}

// langAt is the Latin language of the segment holding byte offset at.
func langAt(segs []latinSeg, at int32) uint8 {
	for _, s := range segs {
		if at < s.end {
			return s.lang
		}
	}
	if len(segs) > 0 {
		return segs[len(segs)-1].lang
	}
	return 0
}
