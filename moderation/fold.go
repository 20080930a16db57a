package moderation

import (
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Kinds of characters, as the matcher sees them after folding.
const (
	kSep   uint8 = iota // ends a word: spaces, punctuation
	kDrop               // invisible: removed without ending a word (zero-width, soft hyphen, marks)
	kLatin              // Latin letter(s) a–z after folding
	kOther              // letter or digit of another script, kept (other lists may match it)
	kConf               // Cyrillic or Greek letter that has a Latin look-alike
	kDigit              // ASCII digit; may stand for a letter inside a word
	kLeet               // symbol that may stand for a letter inside a word
	kStar               // '*', a wildcard letter inside a word
	kSym                // pictograph: a word of its own (🖕)
)

// fold is what one input rune becomes.
type fold struct {
	kind uint8
	conf byte   // kConf: the Latin look-alike
	out  string // kLatin: lowercase a–z; kOther, kConf: the folded rune(s); kDigit: the digit; kLeet (non-ASCII): the letter
}

// asciiFold covers the common case without a table lookup through a slice of
// entries; leet holds the letter a digit or symbol stands for inside a word.
var (
	asciiFold [128]fold
	leet      = [128]byte{
		'4': 'a', '@': 'a', '3': 'e', '1': 'I', '!': 'I', '|': 'I',
		'0': 'o', '5': 's', '$': 's', '7': 't', '8': 'b', '9': 'g', '(': 'c', '*': '*',
		'2': 'z', '+': 't',
	}
	// leetExtra are symbols outside ASCII that stand for a letter inside a
	// word ("¢unt", "a§§", "b¡tch", "fr€€"). Like '2' and '+' they are
	// weak (see weakLeet): in a word without letters they are numbers,
	// prices and signs ("€20", "§ 5", "2+2"), never letters.
	leetExtra = map[rune]byte{'€': 'e', '¢': 'c', '§': 's', '¡': 'I'}
)

func init() {
	for c := 0; c < 128; c++ {
		b := byte(c)
		switch {
		case b >= 'a' && b <= 'z':
			asciiFold[c] = fold{kind: kLatin, out: string(b)}
		case b >= 'A' && b <= 'Z':
			asciiFold[c] = fold{kind: kLatin, out: string(b + 'a' - 'A')}
		case b >= '0' && b <= '9':
			asciiFold[c] = fold{kind: kDigit, out: string(b)}
		case b == '*', b == '#':
			// '#' masks a letter as '*' does ("f#ck"); a leading one is
			// a hashtag's mark, dropped as leading stars are.
			asciiFold[c] = fold{kind: kStar}
		case leet[c] != 0:
			asciiFold[c] = fold{kind: kLeet}
		case b < 0x20 && b != '\t' && b != '\n' && b != '\r':
			asciiFold[c] = fold{kind: kDrop}
		default:
			asciiFold[c] = fold{kind: kSep}
		}
	}
}

// The table for the Basic Multilingual Plane is built on first use: it costs
// a few milliseconds, which a binary that never moderates should not pay.
var (
	bmpOnce  sync.Once
	bmpIndex []uint16 // rune -> index into bmpFolds
	bmpFolds []fold
)

func lookup(r rune) fold {
	if r < utf8.RuneSelf {
		return asciiFold[r]
	}
	if r <= 0xFFFF {
		bmpOnce.Do(buildBMP)
		return bmpFolds[bmpIndex[r]]
	}
	return foldRune(r)
}

func buildBMP() {
	bmpIndex = make([]uint16, 0x10000)
	seen := map[fold]uint16{{kind: kSep}: 0}
	bmpFolds = []fold{{kind: kSep}}
	for r := rune(0); r <= 0xFFFF; r++ {
		var f fold
		if r < utf8.RuneSelf {
			f = asciiFold[r]
		} else {
			f = foldRune(r)
		}
		i, ok := seen[f]
		if !ok {
			i = uint16(len(bmpFolds))
			seen[f] = i
			bmpFolds = append(bmpFolds, f)
		}
		bmpIndex[r] = i
	}
}

var folder = struct {
	sync.Mutex
	c cases.Caser
}{c: cases.Fold()}

// foldRune computes the fold of one rune: NFKD (fullwidth, ligatures,
// mathematical and enclosed letters), marks dropped, case folded, repeated
// to a fixed point so that folding is idempotent.
func foldRune(r rune) fold {
	switch {
	case invisible(r):
		return fold{kind: kDrop}
	case r >= 0x249C && r <= 0x24B5: // parenthesized letters: ⒡⒰⒞⒦
		return fold{kind: kLatin, out: string(rune('a' + r - 0x249C))}
	case r >= 0x1F1E6 && r <= 0x1F1FF: // regional indicators spell letters
		return fold{kind: kLatin, out: string(rune('a' + r - 0x1F1E6))}
	case r >= 0x1F130 && r <= 0x1F189: // squared and negative circled or squared letters: 🅵🆄
		if i := (r - 0x1F130) % 0x20; i < 26 {
			return fold{kind: kLatin, out: string(rune('a' + i))}
		}
	}
	if l, ok := latinExtra[r]; ok {
		return fold{kind: kLatin, out: l}
	}
	if l := leetExtra[r]; l != 0 {
		return fold{kind: kLeet, out: string(l)}
	}
	s := string(r)
	folder.Lock()
	seen := []string{s}
	for range 4 {
		t := folder.c.String(stripMarks(norm.NFKD.String(s)))
		if t == s {
			break
		}
		if slices.Contains(seen, t) {
			// A cycle (Cherokee case folds both ways): its smallest
			// member stands for all of it.
			s = slices.Min(seen)
			break
		}
		seen = append(seen, t)
		s = t
	}
	folder.Unlock()
	if s == "" {
		return fold{kind: kDrop}
	}
	if ascii := asciiAlnum(s); ascii != "" {
		if ascii[0] >= '0' && ascii[0] <= '9' && len(ascii) == 1 {
			return fold{kind: kDigit, out: ascii}
		}
		if allLetters(ascii) {
			return fold{kind: kLatin, out: ascii}
		}
		return fold{kind: kOther, out: string(r)} // "㊵" is a number, not the digits 4 and 0
	}
	first, _ := utf8.DecodeRuneInString(s)
	if (unicode.IsLetter(first) || unicode.IsNumber(first)) && utf8.RuneCountInString(s) > 1 {
		// "½" decomposes to "1⁄2", "㍩" to digits and a letter: outside
		// Latin, keep such a character whole rather than split it.
		return fold{kind: kOther, out: string(r)}
	}
	if l, ok := latinExtra[first]; ok && utf8.RuneCountInString(s) == 1 {
		return fold{kind: kLatin, out: l}
	}
	switch {
	case unicode.IsLetter(first) || unicode.IsNumber(first):
		c := confusable[r]
		if c == 0 && utf8.RuneCountInString(s) == 1 {
			c = confusable[first]
		}
		// Other scripts' look-alikes (Armenian "օ", Cherokee "Ꮪ", Lisu
		// "ꓝ"), generated from Unicode's confusables.txt.
		if c == 0 {
			c = confusableTable[r]
		}
		if c == 0 && utf8.RuneCountInString(s) == 1 {
			c = confusableTable[first]
		}
		if c != 0 {
			return fold{kind: kConf, conf: c, out: s}
		}
		return fold{kind: kOther, out: s}
	case unicode.Is(unicode.So, r) && r > 0x2000:
		return fold{kind: kSym, out: string(r)}
	}
	return fold{kind: kSep}
}

// invisible runes are deleted before matching: they are how "f\u200Buck"
// hides from a plain word filter.
func invisible(r rune) bool {
	switch {
	case r == 0xAD, r >= 0x200B && r <= 0x200F, r >= 0x2060 && r <= 0x2064, r == 0xFEFF,
		r == 0x034F, r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF,
		// Hangul fillers and the Braille blank render as nothing or a
		// blank, yet are letters or symbols to Unicode.
		r == 0x115F, r == 0x1160, r == 0x3164, r == 0xFFA0, r == 0x2800:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf)
}

func stripMarks(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if !unicode.In(r, unicode.Mn, unicode.Me) {
			out = append(out, r)
		}
	}
	return string(out)
}

// asciiAlnum returns s when it is all ASCII letters or digits, else "".
func asciiAlnum(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return s
}

func allLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// latinExtra folds Latin letters that NFKD leaves alone, and the small
// capitals and IPA letters used to spell words that look Latin.
var latinExtra = map[rune]string{
	'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d", 'ħ': "h", 'Ħ': "h",
	'ı': "i", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ð': "d", 'Ð': "d",
	'þ': "th", 'Þ': "th", 'ß': "ss", 'ŧ': "t", 'ƒ': "f", 'ɨ': "i", 'ɑ': "a", 'ɡ': "g",
	'ᴀ': "a", 'ʙ': "b", 'ᴄ': "c", 'ᴅ': "d", 'ᴇ': "e", 'ꜰ': "f", 'ɢ': "g", 'ʜ': "h",
	'ɪ': "i", 'ᴊ': "j", 'ᴋ': "k", 'ʟ': "l", 'ᴍ': "m", 'ɴ': "n", 'ᴏ': "o", 'ᴘ': "p",
	'ǫ': "q", 'ʀ': "r", 'ꜱ': "s", 'ᴛ': "t", 'ᴜ': "u", 'ᴠ': "v", 'ᴡ': "w", 'ʏ': "y", 'ᴢ': "z",
}

// confusable maps Cyrillic and Greek letters to the Latin letter they pass
// for (after Unicode TR39's confusables, restricted to what reads as Latin
// in running text). Capitals have their own entries because they look
// different from their lowercase forms (Greek Η passes for H, η for n).
var confusable = map[rune]byte{
	// Cyrillic lowercase
	'а': 'a', 'в': 'b', 'г': 'r', 'е': 'e', 'ё': 'e', 'и': 'u', 'й': 'u', 'к': 'k',
	'м': 'm', 'н': 'h', 'о': 'o', 'п': 'n', 'р': 'p', 'с': 'c', 'т': 't', 'у': 'y',
	'х': 'x', 'ш': 'w', 'щ': 'w', 'ъ': 'b', 'ь': 'b', 'ѕ': 's', 'і': 'i', 'ї': 'i',
	'ј': 'j', 'һ': 'h', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ү': 'y', 'ӏ': 'l',
	// Cyrillic capitals
	'А': 'a', 'В': 'b', 'Е': 'e', 'К': 'k', 'М': 'm', 'Н': 'h', 'О': 'o', 'Р': 'p',
	'С': 'c', 'Т': 't', 'У': 'y', 'Х': 'x', 'Ѕ': 's', 'І': 'i', 'Ј': 'j', 'Ӏ': 'l',
	// Greek lowercase
	'α': 'a', 'β': 'b', 'γ': 'y', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v',
	'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x', 'ω': 'w', 'ς': 'c', 'μ': 'u',
	'ϲ': 'c', 'ϳ': 'j',
	// Greek capitals
	'Α': 'a', 'Β': 'b', 'Ε': 'e', 'Ζ': 'z', 'Η': 'h', 'Ι': 'i', 'Κ': 'k', 'Μ': 'm',
	'Ν': 'n', 'Ο': 'o', 'Ρ': 'p', 'Τ': 't', 'Υ': 'y', 'Χ': 'x',
}
