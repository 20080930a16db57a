package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
)

func TestImportAndExportDisqus(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Server(t)
	_, js := natstest.Connect(t, ns)
	log, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	url := natstest.OperatorURL(t, ns)
	fixture := "../../imports/testdata/disqus.xml"
	var out, errs bytes.Buffer
	if err := run(ctx, []string{"import", "--format", "disqus", "--dry-run", fixture}, nil, &out, &errs); err != nil {
		t.Fatalf("dry run: %v %s", err, errs.String())
	}
	if !strings.Contains(out.String(), "would import (dry run): 5 comments (2 replies) on 2 articles") || !strings.Contains(out.String(), "rejected   2") {
		t.Errorf("dry run said %s", out.String())
	}
	if n, _ := log.LastSeq(ctx); n != 0 {
		t.Fatalf("a dry run stored %d events", n)
	}
	for i, want := range []string{"stored now: 5; already there from an earlier run: 0", "stored now: 0; already there from an earlier run: 5"} {
		out.Reset()
		errs.Reset()
		if err := run(ctx, []string{"import", "--nats-url", url, "--format", "disqus", fixture}, nil, &out, &errs); err != nil {
			t.Fatalf("import %d: %v %s", i, err, errs.String())
		}
		if !strings.Contains(out.String(), want) || !strings.Contains(errs.String(), "5/5 comments") {
			t.Errorf("import %d said %s / %s", i, out.String(), errs.String())
		}
	}
	if n, _ := log.LastSeq(ctx); n != 10 {
		t.Errorf("two imports of 5 comments stored %d events", n)
	}

	bad := filepath.Join(t.TempDir(), "bad.xml")
	os.WriteFile(bad, []byte("<disqus>\n<post dsq:id=\"1\">\n</disqus>"), 0o644)
	err = run(ctx, []string{"import", "--nats-url", url, "--format", "disqus", bad}, nil, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "nothing imported") || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("bad file: %v", err)
	}
	if err := run(ctx, []string{"import", "--format", "csv", bad}, nil, &out, &errs); err != errUsage {
		t.Errorf("unknown format: %v", err)
	}

	out.Reset()
	if err := run(ctx, []string{"export", "--nats-url", url, "--format", "disqus", "--article", "election-night-2024"}, nil, &out, &errs); err != nil {
		t.Fatalf("export: %v", err)
	}
	if s := out.String(); strings.Count(s, "<post ") != 2 || !strings.Contains(s, "Same here, waited 40 minutes.") || !strings.Contains(s, `<thread dsq:id="election-night-2024">`) {
		t.Errorf("export:\n%s", s)
	}
}
