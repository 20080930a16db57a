// Package hunspell reads the word forms of a Hunspell dictionary: every stem
// and the forms its prefix and suffix rules make (one level, with prefixes
// and suffixes crossed where both allow it). It is for tests and for
// generating tables from Debian's hunspell-* dictionaries, not a spelling
// checker: continuation flags, compounding and conversion tables are
// ignored.
package hunspell

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Dir is where Debian installs the dictionaries.
const Dir = "/usr/share/hunspell"

type affix struct {
	strip, add string
	cond       []condPart
	cross      bool
}

type condPart struct {
	set string
	neg bool
	any bool
}

type dict struct {
	flagMode string // "", "long", "num", "UTF-8"
	sfx, pfx map[string][]affix
	skip     map[string]bool // flags that mark a stem that is not a word alone
}

// Forms returns every word form of the dictionary at base (base.aff and
// base.dic, UTF-8), each once, in dictionary order.
func Forms(base string) ([]string, error) {
	aff, err := os.ReadFile(base + ".aff")
	if err != nil {
		return nil, err
	}
	d, err := parseAff(aff)
	if err != nil {
		return nil, fmt.Errorf("%s.aff: %w", base, err)
	}
	f, err := os.Open(base + ".dic")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	seen := map[string]bool{}
	var forms []string
	add := func(w string) {
		if w != "" && !seen[w] {
			seen[w] = true
			forms = append(forms, w)
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first { // the word count
			first = false
			continue
		}
		if line == "" || line[0] == '\t' || line[0] == '#' {
			continue
		}
		// Morphological fields follow the word after a tab or a space.
		if i := strings.IndexAny(line, "\t "); i >= 0 {
			line = line[:i]
		}
		stem, flagStr := line, ""
		if i := slashIndex(line); i >= 0 {
			stem, flagStr = line[:i], line[i+1:]
		}
		stem = strings.ReplaceAll(stem, `\/`, "/")
		flags := d.split(flagStr)
		alone := true
		for _, fl := range flags {
			if d.skip[fl] {
				alone = false
			}
		}
		if alone {
			add(stem)
		}
		var suffixed []string
		for _, fl := range flags {
			for _, a := range d.sfx[fl] {
				if w, ok := a.applySuffix(stem); ok {
					add(w)
					if a.cross {
						suffixed = append(suffixed, w)
					}
				}
			}
		}
		for _, fl := range flags {
			for _, a := range d.pfx[fl] {
				if w, ok := a.applyPrefix(stem); ok {
					add(w)
				}
				if !a.cross {
					continue
				}
				for _, s := range suffixed {
					if w, ok := a.applyPrefix(s); ok {
						add(w)
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return forms, nil
}

// slashIndex finds the '/' before the flags, skipping an escaped "\/".
func slashIndex(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' && (i == 0 || s[i-1] != '\\') {
			return i
		}
	}
	return -1
}

func parseAff(b []byte) (*dict, error) {
	d := &dict{sfx: map[string][]affix{}, pfx: map[string][]affix{}, skip: map[string]bool{}}
	cross := map[string]bool{}
	for _, line := range bytes.Split(b, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "FLAG":
			d.flagMode = f[1]
		case "NEEDAFFIX", "ONLYINCOMPOUND", "FORBIDDENWORD":
			d.skip[f[1]] = true
		case "SFX", "PFX":
			if len(f) == 4 { // header: flag, cross product, count
				cross[f[0]+f[1]] = f[2] == "Y"
				continue
			}
			if len(f) < 5 {
				continue
			}
			strip, add := f[2], f[3]
			if strip == "0" {
				strip = ""
			}
			add, _, _ = strings.Cut(add, "/")
			if add == "0" {
				add = ""
			}
			a := affix{strip: strip, add: add, cond: parseCond(f[4]), cross: cross[f[0]+f[1]]}
			if f[0] == "SFX" {
				d.sfx[f[1]] = append(d.sfx[f[1]], a)
			} else {
				d.pfx[f[1]] = append(d.pfx[f[1]], a)
			}
		}
	}
	if len(d.sfx)+len(d.pfx) == 0 {
		return nil, fmt.Errorf("no affix rules")
	}
	return d, nil
}

// split reads a stem's flags as the FLAG line says they are written.
func (d *dict) split(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	switch d.flagMode {
	case "long":
		for len(s) > 0 {
			_, n1 := utf8.DecodeRuneInString(s)
			_, n2 := utf8.DecodeRuneInString(s[n1:])
			out = append(out, s[:n1+n2])
			s = s[n1+n2:]
		}
	case "num":
		for _, n := range strings.Split(s, ",") {
			if _, err := strconv.Atoi(n); err == nil {
				out = append(out, n)
			}
		}
	default: // one character a flag ("UTF-8" or the default one byte, ASCII here)
		for _, r := range s {
			out = append(out, string(r))
		}
	}
	return out
}

func (a affix) applySuffix(w string) (string, bool) {
	if !strings.HasSuffix(w, a.strip) || !condHoldsEnd(a.cond, w) {
		return "", false
	}
	return strings.TrimSuffix(w, a.strip) + a.add, true
}

func (a affix) applyPrefix(w string) (string, bool) {
	if !strings.HasPrefix(w, a.strip) || !condHoldsStart(a.cond, w) {
		return "", false
	}
	return a.add + strings.TrimPrefix(w, a.strip), true
}

func parseCond(c string) []condPart {
	var out []condPart
	for c != "" {
		switch {
		case c[0] == '.':
			out = append(out, condPart{any: true})
			c = c[1:]
		case c[0] == '[':
			j := strings.IndexByte(c, ']')
			if j < 0 {
				j = len(c) - 1
			}
			set, neg := c[1:j], false
			if strings.HasPrefix(set, "^") {
				set, neg = set[1:], true
			}
			out = append(out, condPart{set: set, neg: neg})
			c = c[j+1:]
		default:
			_, n := utf8.DecodeRuneInString(c)
			out = append(out, condPart{set: c[:n]})
			c = c[n:]
		}
	}
	return out
}

func (p condPart) holds(r rune) bool {
	return p.any || strings.ContainsRune(p.set, r) != p.neg
}

// condHoldsEnd reports whether the word ends as a suffix condition says.
func condHoldsEnd(cond []condPart, w string) bool {
	for i := len(cond) - 1; i >= 0; i-- {
		r, n := utf8.DecodeLastRuneInString(w)
		if n == 0 || !cond[i].holds(r) {
			return false
		}
		w = w[:len(w)-n]
	}
	return true
}

// condHoldsStart reports whether the word starts as a prefix condition says.
func condHoldsStart(cond []condPart, w string) bool {
	for _, p := range cond {
		r, n := utf8.DecodeRuneInString(w)
		if n == 0 || !p.holds(r) {
			return false
		}
		w = w[n:]
	}
	return true
}
