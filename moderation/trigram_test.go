package moderation

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsroom/commentd/moderation/internal/hunspell"
)

var update = flag.Bool("update", false, "rewrite the generated files: rules/trigrams.bin from the hunspell dictionaries (TestTrigramTable), confusables_table.go from testdata/unicode/confusables.txt (TestConfusablesTable)")

// latinDicts are the dictionaries the trigram table is learnt from, in
// latinLangs order (Debian packages hunspell-en-us, hunspell-de-de,
// hunspell-fr-classical or -comprehensive, hunspell-es).
var latinDicts = [nLatin]string{"en_US", "de_DE", "fr", "es_ES"}

const functionWeight = 3000

// buildTrigramTable learns the table from word lists: cost of a letter
// after two letters (or a word's start), add-half smoothed, -log2 times
// triScale, capped at 255.
func buildTrigramTable(words [nLatin][]string, weights [nLatin][]int) []byte {
	const n = triClasses
	out := make([]byte, n*n*n*nLatin)
	for l := range nLatin {
		counts := make([]float64, n*n*n)
		ctx := make([]float64, n*n)
		for wi, w := range words[l] {
			wt := float64(weights[l][wi])
			c1, c2 := 0, 0
			step := func(c3 int) {
				counts[(c1*n+c2)*n+c3] += wt
				ctx[c1*n+c2] += wt
			}
			for _, r := range w {
				cl := int(triClass(r))
				if cl == 0 {
					continue // apostrophes and hyphens inside entries
				}
				step(cl)
				c1, c2 = c2, cl
			}
			if c2 != 0 {
				step(0)
			}
		}
		for i := range counts {
			p := (counts[i] + 0.5) / (ctx[i/n] + 0.5*n)
			cost := math.Round(-math.Log2(p) * triScale)
			if i/(n*n) == otherLatin || i/n%n == otherLatin || i%n == otherLatin {
				// Letters no dictionary here uses much (ø, ł, fullwidth
				// or small capitals in a disguise) tell nothing.
				cost = math.Round(math.Log2(n) * triScale)
			}
			out[i*nLatin+l] = byte(min(cost, 255))
		}
	}
	return out
}

func latinTrainingWords(t testing.TB) (words [nLatin][]string, weights [nLatin][]int) {
	for l, d := range latinDicts {
		forms, err := hunspell.Forms(filepath.Join(hunspell.Dir, d))
		if err != nil {
			t.Skipf("hunspell dictionary %s: %v", d, err)
		}
		for _, f := range forms {
			words[l] = append(words[l], strings.ToLower(f))
			weights[l] = append(weights[l], 1)
		}
		for _, f := range strings.Fields(frequentWords[l]) {
			words[l] = append(words[l], f)
			weights[l] = append(weights[l], functionWeight)
		}
	}
	return words, weights
}

// TestTrigramTable checks that rules/trigrams.bin is what the dictionaries
// make (go test -run TrigramTable -update ./moderation/ rewrites it).
func TestTrigramTable(t *testing.T) {
	if len(trigramTable) != triClasses*triClasses*triClasses*nLatin {
		t.Fatalf("rules/trigrams.bin: %d bytes, want %d", len(trigramTable), triClasses*triClasses*triClasses*nLatin)
	}
	if raceEnabled && !*update {
		t.Skip("reading four dictionaries takes minutes under the race detector")
	}
	got := buildTrigramTable(latinTrainingWords(t))
	if *update {
		if err := os.WriteFile("rules/trigrams.bin", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, trigramTable) {
		t.Error("rules/trigrams.bin is not what the dictionaries make: go test -run TrigramTable -update ./moderation/")
	}
}
