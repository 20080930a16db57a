package moderation

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// latinCorpora are running texts in each Latin language, by sentence:
// English from our comments, the demo article and Newton's Opticks; German
// and Spanish from Debian's fortunes-de and fortunes-es; French from
// Voltaire's Candide (public domain, in golang.org/x/text's test data).
// A language whose text is missing here has no entry.
func latinCorpora(t testing.TB) map[string][]string {
	out := map[string][]string{}
	for _, c := range cleanCorpora(t) {
		out["en"] = append(out["en"], c.texts...)
	}
	for lang, dir := range map[string]string{"de": "/usr/share/games/fortunes/de", "es": "/usr/share/games/fortunes/es"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			if strings.HasSuffix(f, ".dat") || strings.HasSuffix(f, ".u8") || strings.Contains(f, "asciiart") || strings.Contains(f, "channel-debian") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			for _, fortune := range strings.Split(string(b), "\n%\n") {
				for _, s := range sentences(fortune) {
					if prose(s) {
						out[lang] = append(out[lang], s)
					}
				}
			}
		}
	}
	if dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/text").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(dir)), "encoding", "testdata", "candide-utf-8.txt")
		if b, err := os.ReadFile(p); err == nil {
			out["fr"] = sentences(string(b))
		}
	}
	return out
}

// prose reports whether a fortune's sentence is prose: not an attribution
// ("-- Uli Hoeneß (Welt 2002)"), a shell command or a web address, and at
// least four words.
func prose(s string) bool {
	return !strings.HasPrefix(s, "-") && !strings.HasPrefix(s, "(") && !strings.ContainsAny(s, "/@=|<>[]{}`") &&
		len(strings.Fields(s)) >= 4
}

// mainLatin is the language of most of the text's bytes.
func mainLatin(text string) string {
	var by [nLatin]int32
	for _, s := range detectLatin(text, nil) {
		by[s.lang] += s.end - s.start
	}
	best := 0
	for k := range by {
		if by[k] > by[best] {
			best = k
		}
	}
	return latinLangs[best]
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(n, len(f))], " ")
}

// TestLatinDetection measures how often a sentence (and its first five
// words, as long as a short comment) is given its own language.
func TestLatinDetection(t *testing.T) {
	corpora := latinCorpora(t)
	for _, lang := range latinLangs {
		texts := corpora[lang]
		if len(texts) == 0 {
			t.Logf("%s: no corpus here", lang)
			continue
		}
		for _, n := range []int{0, 5, 2} {
			right := 0
			wrong := map[string]int{}
			var shown []string
			for _, s := range texts {
				if n > 0 {
					s = firstWords(s, n)
				}
				got := mainLatin(s)
				if got == lang {
					right++
					continue
				}
				wrong[got]++
				if len(shown) < 25 {
					shown = append(shown, got+": "+s)
				}
			}
			what := "sentences"
			if n > 0 {
				what = fmt.Sprintf("first %d words", n)
			}
			pct := 100 * float64(right) / float64(len(texts))
			t.Logf("%s %s: %d/%d right (%.1f%%), wrong %v", lang, what, right, len(texts), pct, wrong)
			for _, s := range shown {
				t.Logf("    %s", s)
			}
		}
	}
}
