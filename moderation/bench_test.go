package moderation

import (
	"strings"
	"testing"
)

// benchEvaluate evaluates every comment once per iteration and reports
// throughput over their bytes and allocations per comment.
func benchEvaluate(b *testing.B, comments []string) {
	rs := DefaultRuleset()
	n := 0
	for _, c := range comments {
		n += len(c)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	var allocs int
	for b.Loop() {
		for _, c := range comments {
			v := rs.Evaluate(Input{Text: c})
			allocs += len(v.Rules)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(comments)), "ns/comment")
}

// Typical comments: testdata/comments.txt, one comment per line (70 bytes
// on average).
func BenchmarkEvaluateComments(b *testing.B) {
	benchEvaluate(b, readLines(b, "testdata/comments.txt"))
}

// Longer comments: four lines of testdata/comments.txt each (280 bytes).
func BenchmarkEvaluateParagraphs(b *testing.B) {
	lines := readLines(b, "testdata/comments.txt")
	var paras []string
	for i := 0; i+4 <= len(lines); i += 4 {
		paras = append(paras, strings.Join(lines[i:i+4], " "))
	}
	benchEvaluate(b, paras)
}

// Disguised abuse: every comment is held or rejected, so verdicts allocate.
func BenchmarkEvaluateDisguised(b *testing.B) {
	benchEvaluate(b, readLines(b, "testdata/heldout.txt"))
}

// Clean prose with long sentences: Newton's Opticks.
func BenchmarkEvaluateOpticks(b *testing.B) {
	for _, c := range cleanCorpora(b) {
		if c.name == "opticks" {
			benchEvaluate(b, c.texts)
			return
		}
	}
	b.Skip("no Opticks text in GOROOT")
}

func BenchmarkNormalize(b *testing.B) {
	text := strings.Join(readLines(b, "testdata/comments.txt"), "\n")
	b.SetBytes(int64(len(text)))
	var s stream
	for b.Loop() {
		s.scan(text)
	}
}

// Clean Russian comments (russianClean): the Cyrillic stream and lists run.
func BenchmarkEvaluateRussian(b *testing.B) {
	benchEvaluate(b, russianClean)
}

// Russian mat and its disguises (russianProfane): every comment is held
// or rejected.
func BenchmarkEvaluateRussianProfane(b *testing.B) {
	benchEvaluate(b, russianProfane)
}

// Latin language detection alone on typical comments: its share of
// EvaluateComments is the cost of telling German, French and Spanish
// from English.
func BenchmarkDetectLatin(b *testing.B) {
	comments := readLines(b, "testdata/comments.txt")
	n := 0
	for _, c := range comments {
		n += len(c)
	}
	b.SetBytes(int64(n))
	var segs []latinSeg
	for b.Loop() {
		for _, c := range comments {
			segs = detectLatin(c, segs[:0])
		}
	}
}
