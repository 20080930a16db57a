package moderation

import (
	"unicode"
	"unicode/utf8"
)

// Languages are detected by script, word by word: it costs one pass over
// the letters and needs no model. Inside Latin text, each sentence's
// language (English, German, French or Spanish) comes from detectLatin's
// trigram scores (latin.go); Cyrillic is "ru" unless a letter only
// Ukrainian or Belarusian uses appears.

// script of one letter, as far as language detection cares.
func scriptLang(r rune) string {
	switch {
	case r < utf8.RuneSelf:
		if r|0x20 >= 'a' && r|0x20 <= 'z' {
			return "en"
		}
		return ""
	case r >= 'а' && r <= 'я' || r >= 'А' && r <= 'Я' || r == 'ё' || r == 'Ё':
		return "ru" // the common case first, without a table search
	case r < 0x250:
		if unicode.IsLetter(r) {
			return "en" // Latin-1 and Latin Extended
		}
		return ""
	case unicode.Is(unicode.Latin, r):
		return "en"
	case unicode.Is(unicode.Cyrillic, r):
		switch r {
		case 'і', 'І', 'ї', 'Ї', 'є', 'Є', 'ґ', 'Ґ':
			return "uk"
		case 'ў', 'Ў':
			return "be"
		}
		return "ru"
	case unicode.Is(unicode.Greek, r):
		return "el"
	case unicode.Is(unicode.Arabic, r):
		return "ar"
	case unicode.Is(unicode.Hebrew, r):
		return "he"
	case unicode.Is(unicode.Hangul, r):
		return "ko"
	case unicode.In(r, unicode.Hiragana, unicode.Katakana):
		return "ja"
	case unicode.Is(unicode.Han, r):
		return "zh"
	case unicode.Is(unicode.Devanagari, r):
		return "hi"
	case unicode.IsLetter(r):
		return "und"
	}
	return ""
}

// maxLangs bounds the languages reported for one comment.
const maxLangs = 4

// detectLanguages returns the languages a text is written in, most
// letters first. A word is counted for the script most of its letters are
// in, so a disguised "сunt" (Cyrillic с) counts as Latin and an English
// word inside a Russian comment as English. Ukrainian and Belarusian
// letters mark the whole Cyrillic part of a comment, since most Ukrainian
// words are spelt with letters Russian shares.
// segs are the Latin languages of the text's sentences (detectLatin).
func detectLanguages(text string, segs []latinSeg) []string {
	ascii, letter := true, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		letter = letter || c|0x20 >= 'a' && c|0x20 <= 'z'
	}
	if ascii {
		if !letter {
			return nil
		}
		if len(segs) <= 1 {
			return oneLang[latinLangs[langAt(segs, 0)]] // most comments: no rune decoding
		}
	}
	type count struct {
		lang string
		n    int
	}
	var counts [maxLangs + 4]count
	nc := 0
	cyr := "ru"
	var word [8]count // letters per script in the current word
	nw := 0
	wordAt := 0 // byte offset of the current word's first letter
	flush := func() {
		best := -1
		for i := range nw {
			if best < 0 || word[i].n > word[best].n {
				best = i
			}
		}
		if best >= 0 {
			l := word[best].lang
			if l == "uk" || l == "be" {
				cyr = l
				l = "ru"
			}
			if l == "en" {
				l = latinLangs[langAt(segs, int32(wordAt))]
			}
			j := 0
			for j < nc && counts[j].lang != l {
				j++
			}
			if j == nc && nc < len(counts) {
				counts[j].lang = l
				nc++
			}
			if j < nc {
				counts[j].n += word[best].n
			}
		}
		nw = 0
	}
	for i, r := range text {
		l := scriptLang(r)
		if nw == 0 {
			wordAt = i
		}
		if l == "" {
			if r < utf8.RuneSelf {
				if r < '0' || r > '9' {
					flush()
				}
				continue
			}
			if !unicode.IsDigit(r) && !unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
				flush()
			}
			continue
		}
		if l == "ru" || l == "uk" || l == "be" {
			if l != "ru" {
				cyr = l
			}
			l = "ru"
		}
		j := 0
		for j < nw && word[j].lang != l {
			j++
		}
		if j == nw && nw < len(word) {
			word[j].lang, word[j].n = l, 0
			nw++
		}
		if j < nw {
			word[j].n++
		}
	}
	flush()
	// Few comments have more than two scripts: insertion sort.
	for i := 1; i < nc; i++ {
		for j := i; j > 0 && counts[j].n > counts[j-1].n; j-- {
			counts[j], counts[j-1] = counts[j-1], counts[j]
		}
	}
	name := func(l string) string {
		if l == "ru" {
			return cyr
		}
		return l
	}
	switch nc {
	case 0:
		return nil
	case 1:
		if one, ok := oneLang[name(counts[0].lang)]; ok {
			return one // shared, so that an approved comment allocates nothing
		}
	}
	out := make([]string, 0, min(nc, maxLangs))
	for i := range min(nc, maxLangs) {
		out = append(out, name(counts[i].lang))
	}
	return out
}

// oneLang holds the result of a comment in a single language.
var oneLang = func() map[string][]string {
	m := map[string][]string{}
	for _, l := range []string{"en", "de", "fr", "es", "ru", "uk", "be", "el", "ar", "he", "ko", "ja", "zh", "hi", "und"} {
		m[l] = []string{l}
	}
	return m
}()
