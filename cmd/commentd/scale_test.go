package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/internal/loadgen"
	"github.com/newsroom/commentd/internal/poll"
)

// scaleComments is the size of TestLoadedLog's history: 20,000 comments
// unless COMMENTD_SCALE_COMMENTS says otherwise (bench/scale.sh measures
// the large sizes from outside), 2,000 with -short.
func scaleComments(t *testing.T) int {
	if v := os.Getenv("COMMENTD_SCALE_COMMENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 {
			t.Fatalf("COMMENTD_SCALE_COMMENTS=%q: want a number of comments, at least 100", v)
		}
		return n
	}
	if testing.Short() {
		return 2000
	}
	return 20_000
}

// loadStopped writes cfg's history into the stopped install in dir, as
// commentctl load --data-dir does.
func loadStopped(t *testing.T, dir string, cfg loadgen.Config) loadgen.Result {
	t.Helper()
	ns, err := embedded.Start(embedded.Options{StoreDir: dir, Name: "commentd"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	pw, err := embedded.Password(dir, embedded.Operator)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect("", nats.InProcessServer(ns), nats.UserInfo(embedded.Operator, pw))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r, err := loadgen.Load(ctx, js, cfg, loadgen.Options{DrainWorker: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.DrainStopped || r.Drained != r.Comments {
		t.Fatalf("drained %d of %d loaded submissions (stopped: %v)", r.Drained, r.Comments, r.DrainStopped)
	}
	return r
}

// TestLoadedLog: commentd started on a log the loader filled (the path of
// the scale benchmarks) serves what the log holds: the hottest article's
// every page, each outcome's status, and new comments on top. Timing is
// BENCHMARKS.md's business (bench/scale.sh), not this test's.
func TestLoadedLog(t *testing.T) {
	dir := t.TempDir()
	start(t, dir).stop() // provisions, publishes the rules, makes the workers' consumer
	n := scaleComments(t)
	r := loadStopped(t, dir, loadgen.Config{Comments: n, Articles: max(10, n/20), Seed: 14})
	if r.HottestComments < 10*20 || r.Held == 0 || r.Rejected == 0 || r.Replies == 0 {
		t.Fatalf("loaded history without its shape: %+v", r)
	}

	// The first start projects the loaded history into the views.
	inst := startWithin(t, 10*time.Minute, dir)
	// Every approved comment of the hottest article, page by page, each
	// once, oldest first.
	got := list(t, inst.url, r.Hottest)
	if got.Total != r.HottestApproved || len(got.Comments) != r.HottestApproved {
		t.Fatalf("%s lists %d comments (total %d), want the %d approved the loader wrote", r.Hottest, len(got.Comments), got.Total, r.HottestApproved)
	}
	seen := map[string]bool{}
	for _, c := range got.Comments {
		if seen[c.ID] {
			t.Fatalf("comment %s listed twice", c.ID)
		}
		seen[c.ID] = true
	}
	for outcome, want := range map[string]string{"approve": "approved", "hold": "held", "reject": "rejected", "reply": ""} {
		id := r.Example[outcome]
		st := status(inst.url, id)
		if want == "" {
			want = st // a reply is whatever its text made it, but known
		}
		if st == "" || st != want {
			t.Errorf("the loaded %s comment %s: status %q, want %q", outcome, id, st, want)
		}
	}
	// A deep page answers directly with its cursor, as the first does.
	resp, err := http.Get(inst.url + "/api/articles/" + r.Hottest + "/comments?limit=50&sort=newest")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Comments []struct{ ID string }
	}
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if err != nil || len(page.Comments) != 50 || page.Comments[0].ID != got.Comments[len(got.Comments)-1].ID {
		t.Errorf("newest page of %s: %d comments (%v), want the last listed first", r.Hottest, len(page.Comments), err)
	}

	// The write path on top of the history.
	code, id, err := postComment(inst.url, r.Hottest, "Late Reader", "A comment on top of the loaded history.")
	if err != nil || code != http.StatusAccepted {
		t.Fatalf("POST: %d, %v", code, err)
	}
	waitFinal(t, inst.url, id)
	poll.True(t, 10*time.Second, "one more approved comment listed", func() bool {
		return list(t, inst.url, r.Hottest).Total == r.HottestApproved+1
	})
	t.Logf("%d comments loaded in %s; hottest %s with %d approved", r.Comments, r.Took.Round(time.Millisecond), r.Hottest, r.HottestApproved)
}
