package imports_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/imports"
	"github.com/newsroom/commentd/internal/natstest"
)

var importComments = flag.Int("import.comments", 20_000, "comments in BenchmarkImportDisqus's generated export (1000000 for the figure in BENCHMARKS.md)")

// maxRSS is the process's peak resident set so far, in MB.
func maxRSS() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}

// BenchmarkImportDisqus generates a Disqus export of -import.comments
// comments (genDisqus: about 1 KB each), parses it from its file,
// imports it into an embedded server with sealing on (events.Open makes
// the keys bucket), imports it again (nothing new is stored: checked),
// and, in the same run, appends the same number of events raw (the
// same window of async publishes, no sealing, no conditions) into a
// fresh stream: the reference.
//
//	go test -run '^$' -bench ImportDisqus -benchtime 1x ./imports/ -args -import.comments 1000000
func BenchmarkImportDisqus(b *testing.B) {
	n := *importComments
	dir := b.TempDir()
	path := filepath.Join(dir, "disqus.xml")
	w, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := genDisqus(w, n, 1); err != nil {
		b.Fatal(err)
	}
	w.Close()
	st, _ := os.Stat(path)
	b.Logf("export: %d comments, %.0f MB", n, float64(st.Size())/1e6)
	ctx := context.Background()
	for b.Loop() {
		rss0 := maxRSS()
		began := time.Now()
		r, _ := os.Open(path)
		f, err := imports.Parse("disqus", r)
		r.Close()
		if err != nil {
			b.Fatal(err)
		}
		parse := time.Since(began)
		rssParsed := maxRSS()

		ns := natstest.ServerAt(b, filepath.Join(dir, "nats-import"))
		_, js := natstest.Connect(b, ns)
		l, err := events.Open(ctx, js, events.Config{})
		if err != nil {
			b.Fatal(err)
		}
		began = time.Now()
		s, err := imports.Publish(ctx, l, f, nil)
		if err != nil || s.Imported != n {
			b.Fatal(err, s)
		}
		imp := time.Since(began)
		began = time.Now()
		s, err = imports.Publish(ctx, l, f, nil)
		if err != nil || s.Present != n {
			b.Fatal(err, s)
		}
		rerun := time.Since(began)
		if last, _ := l.LastSeq(ctx); last != uint64(2*n) {
			b.Fatalf("%d events for %d comments after two runs", last, n)
		}
		rssAll := maxRSS()
		// Said now: the reference below takes minutes at a million.
		fmt.Fprintf(os.Stderr, "parse %v (peak RSS %.0f → %.0f MB), import %v (%.0f comments/s), re-run %v (%.0f comments/s), peak RSS %.0f MB\n",
			parse.Round(time.Millisecond), rss0, rssParsed, imp.Round(time.Millisecond), float64(n)/imp.Seconds(), rerun.Round(time.Millisecond), float64(n)/rerun.Seconds(), rssAll)

		ref := rawAppends(b, filepath.Join(dir, "nats-ref"), 2*n)
		b.ReportMetric(float64(n)/imp.Seconds(), "imported-comments/s")
		b.ReportMetric(float64(n)/rerun.Seconds(), "rerun-comments/s")
		b.ReportMetric(float64(n)/ref.Seconds(), "reference-comments/s")
		b.ReportMetric(ref.Seconds()/imp.Seconds(), "ratio")
		b.Logf("parse %v (peak RSS %.0f → %.0f MB), import %v, re-run %v, reference %v (%d raw appends); peak RSS of the process %.0f MB",
			parse.Round(time.Millisecond), rss0, rssParsed, imp.Round(time.Millisecond), rerun.Round(time.Millisecond), ref.Round(time.Millisecond), 2*n, rssAll)
	}
}

// rawAppends publishes n submissions into a fresh stream through a
// window of DefaultWindow async publishes, each with its Msg-Id, no
// sealing and no expected sequence: what the stream takes at most.
func rawAppends(b *testing.B, dir string, n int) time.Duration {
	ctx := context.Background()
	ns := natstest.ServerAt(b, dir)
	nc, js := natstest.Connect(b, ns)
	if _, err := events.Open(ctx, js, events.Config{}); err != nil {
		b.Fatal(err)
	}
	pub, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(imports.DefaultWindow))
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC)
	began := time.Now()
	for i := range n {
		e, _ := events.New(uuid.NewString(), events.CommentSubmitted, "bench", uuid.NewString(), events.ActorReader, "", at,
			events.Submitted{Author: "reader", AuthorID: "name:reader", Text: fmt.Sprint("A typical comment of a sentence or two, of about the length of one in the export, number ", i)})
		subject, _ := events.Subject(e)
		data, _ := events.Encode(e)
		if _, err := pub.PublishMsgAsync(&nats.Msg{Subject: subject, Data: data}, jetstream.WithMsgID(e.ID), jetstream.WithExpectStream(events.StreamName), jetstream.WithStallWait(time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-pub.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("raw appends not acked")
	}
	return time.Since(began)
}
