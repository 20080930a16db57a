package imports_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/imports"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/projections"
)

func parseFile(t *testing.T, format, path string) imports.File {
	t.Helper()
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := imports.Parse(format, r)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// brief is one comment as a line: source id, article, parent, author,
// state, time, text.
func brief(c imports.Comment) string {
	return fmt.Sprintf("%s %s ^%s %s %s %s %q", c.SourceID, c.Article, c.ParentID, c.Author, c.State, c.CreatedAt.Format(time.RFC3339), c.Text)
}

func TestParseFixtures(t *testing.T) {
	for _, tt := range []struct {
		format, path string
		want         []string
		skipped      map[string]int
	}{
		{"disqus", "testdata/disqus.xml", []string{
			`5012001 election-night-2024 ^ Anna K approved 2024-11-05T23:01:12Z "Polls closing in the east. Turnout looks huge & lines are long.\nStay safe out there."`,
			`5012002 election-night-2024 ^5012001 Guest voter approved 2024-11-05T23:07:40Z "Same here, waited 40 minutes."`,
			`5012004 election-night-2024 ^5012002 Guest voter rejected 2024-11-05T23:30:00Z "I take back what I said."`,
			`5012003 election-night-2024 ^ watches rejected 2024-11-05T23:09:00Z "Buy cheap watches at http://spam.example"`,
			`5012005 turnout_record ^ Bo held 2024-11-06T08:15:00Z "A record, and the night's not over."`,
		}, map[string]int{}},
		{"remark42", "testdata/remark42.json", []string{
			`9f1c2a3e-0001-4c2d-9d4e-1a2b3c4d5e01 kerry-lavrov-talks ^ Ann approved 2023-03-01T10:05:00Z "Good summary of the talks."`,
			`9f1c2a3e-0002-4c2d-9d4e-1a2b3c4d5e02 kerry-lavrov-talks ^9f1c2a3e-0001-4c2d-9d4e-1a2b3c4d5e01 Sergei approved 2023-03-01T11:00:00Z "Agreed, *especially* the part on Syria."`,
			`9f1c2a3e-0003-4c2d-9d4e-1a2b3c4d5e03 kerry-lavrov-talks ^ troll rejected 2023-03-01T12:30:00Z ""`,
		}, map[string]int{}},
		{"wxr", "testdata/wordpress.xml", []string{
			`41 bridge-reopens ^ Margaret approved 2022-06-01T08:15:00Z "Finally! My commute was\nan extra 20 minutes."`,
			`42 bridge-reopens ^41 Dev held 2022-06-01T08:40:00Z "Mine too — glad it’s over."`,
			`44 bridge-reopens ^ cheap-pills rejected 2022-06-02T10:00:00Z "pills"`,
		}, map[string]int{"pingback": 1}},
	} {
		t.Run(tt.format, func(t *testing.T) {
			f := parseFile(t, tt.format, tt.path)
			var got []string
			for _, c := range f.Comments {
				got = append(got, brief(c))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if fmt.Sprint(f.Skipped) != fmt.Sprint(tt.skipped) {
				t.Errorf("skipped %v, want %v", f.Skipped, tt.skipped)
			}
		})
	}
}

func TestBadFilesSayWhereAndImportNothing(t *testing.T) {
	for _, tt := range []struct{ format, body, want string }{
		{"disqus", "<disqus><thread dsq:id=\"1\"><id>a</id>\n<post>", "line 2"},
		{"disqus", "<rss/>", "starts with <disqus>"},
		{"disqus", `<disqus xmlns:dsq="http://disqus.com/disqus-internals"><thread dsq:id="1"><id>a1</id></thread>
<post dsq:id="p1"><message>hi</message><createdAt>2024-01-01T00:00:00Z</createdAt><thread dsq:id="1"/><parent dsq:id="p0"/></post>
<post dsq:id="p2"><message>hi</message><createdAt>yesterday</createdAt><thread dsq:id="1"/></post>
<post dsq:id="p3"><message>hi</message><createdAt>2024-01-01T00:00:00Z</createdAt><thread dsq:id="9"/></post></disqus>`,
			"line 2: comment \"p1\" replies to \"p0\", which the file does not hold|line 3: post \"p2\": createdAt \"yesterday\"|line 4: post \"p3\" names thread \"9\""},
		{"remark42", "{\"version\":1}\n{\"id\":\"a\",\"text\":\"x\",\"locator\":{\"url\":\"https://b.example/p/\"},\"time\":\"2023-01-01T00:00:00Z\"}\n{not json\n", "line 3: not a remark42 comment"},
		{"remark42", "{\"id\":\"a\"}\n", "line 1: a remark42 backup starts with its header"},
		{"remark42", "{\"version\":1}\n{\"id\":\"a\",\"text\":\"\",\"locator\":{\"url\":\"https://b.example/p/\"},\"time\":\"2023-01-01T00:00:00Z\"}\n", "line 2: comment \"a\" has no text"},
		{"wxr", "<rss><channel><item><title>T</title><link>https://x.example/t/</link>\n<wp:comment xmlns:wp=\"http://wordpress.org/export/1.2/\"><wp:comment_id>1</wp:comment_id><wp:comment_content>x</wp:comment_content><wp:comment_approved>maybe</wp:comment_approved><wp:comment_date_gmt>2022-01-01 00:00:00</wp:comment_date_gmt></wp:comment></item></channel></rss>",
			"line 1: item \"T\", comment 1 (1): comment_approved \"maybe\""},
		{"wxr", "<rss><channel><item><link>https://x.example/</link><wp:comment xmlns:wp=\"http://wordpress.org/export/1.2/\"><wp:comment_id>1</wp:comment_id><wp:comment_content>x</wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_date_gmt>2022-01-01 00:00:00</wp:comment_date_gmt></wp:comment></item></channel></rss>",
			"no article id can be made"},
	} {
		_, err := imports.Parse(tt.format, strings.NewReader(tt.body))
		if err == nil || !errors.Is(err, events.ErrInvalid) {
			t.Errorf("%s %q: %v, want an invalid-input error", tt.format, tt.body, err)
			continue
		}
		for _, w := range strings.Split(tt.want, "|") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", tt.format, err, w)
			}
		}
	}
	if _, err := imports.Parse("csv", strings.NewReader("")); !errors.Is(err, imports.ErrFormat) {
		t.Errorf("unknown format: %v", err)
	}
}

func openLog(t testing.TB) *events.Log {
	t.Helper()
	_, js := natstest.Connect(t, natstest.Server(t))
	l, err := events.Open(context.Background(), js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// fold is every comment of the log as the views fold it.
func fold(t *testing.T, l *events.Log) map[string]projections.Comment {
	t.Helper()
	out := map[string]projections.Comment{}
	err := l.Replay(context.Background(), 1, nil, func(e events.Envelope) error {
		if ch := projections.Fold(out[e.Comment], e); ch.Known() {
			out[e.Comment] = ch.After
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Each format imported twice: the same comments, states, parents, times
// and ids; the second run stores nothing.
func TestImportTwiceStoresOnce(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct{ format, path string }{
		{"disqus", "testdata/disqus.xml"}, {"remark42", "testdata/remark42.json"}, {"wxr", "testdata/wordpress.xml"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			l := openLog(t)
			f := parseFile(t, tt.format, tt.path)
			var progress []int
			s, err := imports.Publish(ctx, l, f, func(n int) { progress = append(progress, n) })
			if err != nil {
				t.Fatal(err)
			}
			if s.Imported != len(f.Comments) || s.Present != 0 || len(progress) != len(f.Comments) {
				t.Errorf("first run: %+v, progress %v", s, progress)
			}
			last, _ := l.LastSeq(ctx)
			if last != uint64(2*len(f.Comments)) {
				t.Errorf("%d events for %d comments", last, len(f.Comments))
			}
			first := fold(t, l)
			again, err := imports.Publish(ctx, l, parseFile(t, tt.format, tt.path), nil)
			if err != nil {
				t.Fatal(err)
			}
			if again.Imported != 0 || again.Present != len(f.Comments) {
				t.Errorf("second run: %+v", again)
			}
			if n, _ := l.LastSeq(ctx); n != last {
				t.Errorf("the second run stored %d events", n-last)
			}
			if fmt.Sprint(fold(t, l)) != fmt.Sprint(first) {
				t.Error("the second run changed the comments")
			}
			ids := map[string]string{}
			for _, c := range f.Comments {
				ids[c.SourceID] = c.ID()
			}
			want := map[imports.State]projections.Status{imports.Approved: projections.Approved, imports.Held: projections.Held, imports.Rejected: projections.Rejected}
			for _, c := range f.Comments {
				got, ok := first[c.ID()]
				switch {
				case !ok:
					t.Errorf("%s not stored", c.SourceID)
				case got.Status != want[c.State] || got.Text != c.Text || got.Article != c.Article || !got.CreatedAt.Equal(c.CreatedAt) ||
					got.ParentID != ids[c.ParentID] || got.DecidedBy != imports.ImportActor(tt.format) || got.AuthorID != events.AnonymousAuthorID(c.Author):
					t.Errorf("%s stored as %+v", c.SourceID, got)
				}
			}
		})
	}
}

// An import that stopped between a comment and its decision is completed
// by the next run, not left pending.
func TestImportCompletesAHalfImport(t *testing.T) {
	ctx := context.Background()
	l := openLog(t)
	f := parseFile(t, "wxr", "testdata/wordpress.xml")
	half := f
	half.Comments = f.Comments[:1]
	if _, err := imports.Publish(ctx, l, half, nil); err != nil {
		t.Fatal(err)
	}
	// The second comment's submission alone, as a crashed run leaves it.
	sub, _ := events.New("x", events.CommentSubmitted, "bridge-reopens", f.Comments[1].ID(), events.ActorReader, "", time.Now(), events.Submitted{Author: "Dev", AuthorID: "name:dev", Text: "Mine"})
	if _, err := l.Append(ctx, sub); err != nil {
		t.Fatal(err)
	}
	s, err := imports.Publish(ctx, l, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Present != 1 || s.Completed != 1 || s.Imported != 1 {
		t.Errorf("summary %+v, want 1 present, 1 completed, 1 imported", s)
	}
	if c := fold(t, l)[f.Comments[1].ID()]; c.Status != projections.Held {
		t.Errorf("the half-imported comment is %s", c.Status)
	}
}

// The approved comments go out as a Disqus export that reads back in with
// their threads and parents; a reply to a comment not shown hangs under
// the nearest shown one.
func TestExportDisqusRoundTrip(t *testing.T) {
	ctx := context.Background()
	l := openLog(t)
	f := parseFile(t, "disqus", "testdata/disqus.xml")
	if _, err := imports.Publish(ctx, l, f, nil); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	n, err := imports.WriteDisqus(ctx, &out, imports.ExportConfig{Log: l, BaseURL: "https://www.dailyplanet.example/a/"})
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("exported %d comments, want the 2 approved", n)
	}
	doc := out.String()
	back, err := imports.ParseDisqus(&out)
	if err != nil {
		t.Fatalf("the export does not read back: %v\n%s", err, out.String())
	}
	var got []string
	for _, c := range back.Comments {
		got = append(got, fmt.Sprintf("%s %s %s %q", c.Article, c.Author, c.State, c.Text))
	}
	want := []string{
		`election-night-2024 Anna K approved "Polls closing in the east. Turnout looks huge & lines are long.\nStay safe out there."`,
		`election-night-2024 Guest voter approved "Same here, waited 40 minutes."`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("read back:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if back.Comments[1].ParentID != back.Comments[0].SourceID || back.Comments[0].SourceID != f.Comments[0].ID() {
		t.Errorf("parents: %+v", back.Comments)
	}
	if !strings.Contains(doc, "<link>https://www.dailyplanet.example/a/election-night-2024</link>") {
		t.Errorf("no thread link:\n%s", doc)
	}
}

// A stream that refuses appends part-way (it is full: max messages,
// discard new) stops the import with every comment it did not store
// counted; once the stream takes appends again, the same import stores
// the rest: every comment once, its decision once, every reply after
// its parent.
func TestImportRefusedHalfWayCompletesOnRerun(t *testing.T) {
	ctx := context.Background()
	_, js := natstest.Connect(t, natstest.Server(t))
	l, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 600
	var src bytes.Buffer
	if err := genDisqus(&src, n, 7); err != nil {
		t.Fatal(err)
	}
	f, err := imports.Parse("disqus", bytes.NewReader(src.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	setMax := func(m int64) {
		t.Helper()
		s, err := js.Stream(ctx, events.StreamName)
		if err != nil {
			t.Fatal(err)
		}
		cfg := s.CachedInfo().Config
		cfg.MaxMsgs, cfg.Discard = m, jetstream.DiscardNew
		if _, err := js.UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	setMax(501) // room for 250 comments and a submission
	began := time.Now()
	s, err := imports.Publish(ctx, l, f, nil)
	t.Log("first run", time.Since(began))
	if !errors.Is(err, imports.ErrIncomplete) {
		t.Fatalf("an import into a full stream: %v", err)
	}
	if s.Failed == 0 || s.Imported+s.Failed != n || s.Refused["refused by the stream: maximum messages exceeded"] == 0 {
		t.Errorf("summary %+v: every comment is stored or counted as failed", s)
	}
	if last, _ := l.LastSeq(ctx); last != 501 {
		t.Errorf("the stream holds %d events", last)
	}
	setMax(-1)
	again, err := imports.Publish(ctx, l, f, nil)
	if err != nil {
		t.Fatalf("the second run: %v (%+v)", err, again)
	}
	if again.Imported+again.Completed != s.Failed || again.Present != s.Imported || again.Failed != 0 {
		t.Errorf("second run %+v after first %+v", again, s)
	}
	checkImported(t, l, f)
	third, err := imports.Publish(ctx, l, f, nil)
	if err != nil || third.Present != n {
		t.Errorf("a third run: %+v %v", third, err)
	}
	checkImported(t, l, f)
}

// An import stopped by its caller (Ctrl-C) part-way is completed by the
// next run.
func TestImportCancelledCompletesOnRerun(t *testing.T) {
	l := openLog(t)
	var src bytes.Buffer
	if err := genDisqus(&src, 400, 8); err != nil {
		t.Fatal(err)
	}
	f, err := imports.Parse("disqus", bytes.NewReader(src.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := imports.Publish(ctx, l, f, func(done int) {
		if done == 100 {
			cancel()
		}
	})
	if !errors.Is(err, imports.ErrIncomplete) || !errors.Is(err, context.Canceled) || s.Imported+s.Failed != 400 || s.Failed == 0 {
		t.Fatalf("a cancelled import: %v %+v", err, s)
	}
	if _, err := imports.Publish(context.Background(), l, f, nil); err != nil {
		t.Fatal(err)
	}
	checkImported(t, l, f)
}

// checkImported checks the log holds every comment of f once, with one
// decision, the source's, and every reply stored after its parent.
func checkImported(t *testing.T, l *events.Log, f imports.File) {
	t.Helper()
	subs, decs := map[string]uint64{}, map[string]int{}
	parents := map[string]string{}
	err := l.Replay(context.Background(), 1, nil, func(e events.Envelope) error {
		switch e.Type {
		case events.CommentSubmitted:
			if _, dup := subs[e.Comment]; dup {
				t.Errorf("%s submitted twice", e.Comment)
			}
			subs[e.Comment] = e.Seq
			var p events.Submitted
			if err := e.Payload(&p); err != nil {
				t.Fatal(err)
			}
			if p.ParentID != "" {
				if _, ok := subs[p.ParentID]; !ok {
					t.Errorf("reply %s stored before its parent %s", e.Comment, p.ParentID)
				}
				parents[e.Comment] = p.ParentID
			}
		default:
			if _, ok := subs[e.Comment]; !ok {
				t.Errorf("%s decided before it was submitted", e.Comment)
			}
			decs[e.Comment]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != len(f.Comments) {
		t.Errorf("%d comments stored, want %d", len(subs), len(f.Comments))
	}
	want := map[imports.State]projections.Status{imports.Approved: projections.Approved, imports.Held: projections.Held, imports.Rejected: projections.Rejected}
	folded := fold(t, l)
	replies := 0
	for _, c := range f.Comments {
		if decs[c.ID()] != 1 {
			t.Errorf("%s has %d decisions", c.SourceID, decs[c.ID()])
		}
		if got := folded[c.ID()]; got.Status != want[c.State] {
			t.Errorf("%s is %s, want %s", c.SourceID, got.Status, c.State)
		}
		if c.ParentID != "" {
			replies++
		}
	}
	if replies == 0 || len(parents) != replies {
		t.Errorf("%d replies stored, %d in the file", len(parents), replies)
	}
}
