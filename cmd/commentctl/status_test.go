package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/deadletter"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/projections"
)

// statusJSON runs status --json with args and decodes it.
func statusJSON(t *testing.T, args ...string) (status, string, error) {
	t.Helper()
	out, stderr, err := runCtl(t, "", append([]string{"status", "--json"}, args...)...)
	var st status
	if jerr := json.Unmarshal([]byte(out), &st); jerr != nil {
		t.Fatalf("status --json: %v (%v)\n%s%s", jerr, err, out, stderr)
	}
	return st, out, err
}

func hasLine(lines []string, parts ...string) bool {
	for _, l := range lines {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}

// TestStatusWorkerAndViews: the oldest undecided submission and a view
// behind the stream make status unhealthy once they are older than
// --max-delay, and the report says which and why.
func TestStatusWorkerAndViews(t *testing.T) {
	h := newHistory(t) // 8 events; the worker's consumer has taken none
	ctx := context.Background()
	url := "--nats-url=" + h.url

	// A view that reflects the stream up to seq 5, and one not made yet.
	if err := projections.OpenStatusView(ctx, h.js, 1); err != nil {
		t.Fatal(err)
	}
	kv, err := h.js.KeyValue(ctx, projections.StatusBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, viewCheckpointKey, []byte("5")); err != nil {
		t.Fatal(err)
	}

	st, out, err := statusJSON(t, url)
	if err != nil || !st.Healthy || len(st.Problems) != 0 {
		t.Fatalf("a fresh backlog and a view 3 events behind are healthy with --max-delay 1m: %v\n%s", err, out)
	}
	w := st.Worker
	if w == nil || w.Pending != 4 || w.AckFloor != 0 || w.Oldest == nil || w.Oldest.Seq != 1 || w.Oldest.StoredAt.IsZero() {
		t.Fatalf("worker = %+v", w)
	}
	views := map[string]viewStatus{}
	for _, v := range st.Views {
		views[v.Bucket] = v
	}
	if v := views[projections.StatusBucket]; !v.Present || v.Checkpoint != 5 || v.Behind != 3 || v.MissingSince.IsZero() || v.CheckpointAt.IsZero() || v.Keys != 1 {
		t.Errorf("view %s = %+v", projections.StatusBucket, v)
	}
	if v, ok := views["VIEW_ARTICLES"]; !ok || v.Present {
		t.Errorf("a view not provisioned yet = %+v, %v; want shown as absent", v, ok)
	}

	// The same, judged a few milliseconds later with --max-delay 1ms.
	time.Sleep(5 * time.Millisecond)
	st, out, err = statusJSON(t, url, "--max-delay", "1ms")
	if !errors.Is(err, errUnhealthy) || st.Healthy {
		t.Fatalf("status = %v, healthy %v; want unhealthy\n%s", err, st.Healthy, out)
	}
	if !hasLine(st.Problems, "oldest undecided submission (seq 1)", "no worker pulls") ||
		!hasLine(st.Problems, "view VIEW_STATUS is 3 events behind the stream", "lacked seq 6", "projector") {
		t.Errorf("problems = %q", st.Problems)
	}
	if hasLine(st.Problems, "VIEW_ARTICLES") {
		t.Errorf("an absent view is a problem: %q", st.Problems)
	}

	// A worker that decides everything: healthy again, however short
	// --max-delay is, and nothing is undecided.
	cons, err := h.log.Stream().Consumer(ctx, moderation.ConsumerName)
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(4, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for m := range batch.Messages() {
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 4 {
		t.Fatalf("fetched %d submissions, want 4", n)
	}
	if _, err := kv.Put(ctx, viewCheckpointKey, []byte(strconv.FormatUint(h.last, 10))); err != nil {
		t.Fatal(err)
	}
	st, out, err = statusJSON(t, url, "--max-delay", "1ms")
	if err != nil || !st.Healthy || st.Worker.Oldest != nil || st.Worker.AckFloor != h.last {
		t.Errorf("all decided, views current: %v\n%s", err, out)
	}

	// The report for people says the same.
	text, _, err := runCtl(t, "", "status", url)
	if err != nil {
		t.Fatal(err)
	}
	text = squash(text)
	for _, want := range []string{"healthy\n", "moderation worker (consumer moderation)", "oldest undecided none",
		"VIEW_STATUS 8 0 - 1", "VIEW_ARTICLES not present", "NATS servers: not asked"} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}
}

// TestStatusDoesNotChangeTheInstallation: status creates no consumer, on
// the log or any bucket, and no bucket.
func TestStatusDoesNotChangeTheInstallation(t *testing.T) {
	h := newHistory(t)
	ctx := context.Background()
	if err := projections.OpenStatusView(ctx, h.js, 1); err != nil {
		t.Fatal(err)
	}
	count := func() (streams, consumers int) {
		for info := range h.js.ListStreams(ctx).Info() {
			streams++
			consumers += info.State.Consumers
		}
		return
	}
	s0, c0 := count()
	if _, _, err := statusJSON(t, "--nats-url="+h.url); err != nil {
		t.Fatal(err)
	}
	if s1, c1 := count(); s1 != s0 || c1 != c0 {
		t.Errorf("status changed the installation: %d streams, %d consumers before; %d, %d after", s0, c0, s1, c1)
	}
}

// TestStatusOfAClusterWithAServerDown: on a three-node cluster with
// everything at three replicas, status is healthy; with one server
// stopped it is unhealthy (exit 3) and names the server, from its
// monitoring endpoint and from the replicas alike; once the server is
// back, healthy again.
func TestStatusOfAClusterWithAServerDown(t *testing.T) {
	c := natstest.NewCluster(t, 3)
	ctx := context.Background()
	nc, err := nats.Connect(c.ClientURLs(), nats.UserInfo(embedded.Operator, c.Password(embedded.Operator)))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	log, err := events.Open(ctx, js, events.Config{Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := deadletter.Open(ctx, js, log, deadletter.Config{Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	if err := projections.OpenStatusView(ctx, js, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := log.Stream().CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: moderation.ConsumerName, FilterSubject: events.SubmittedSubjects, AckPolicy: jetstream.AckExplicitPolicy,
	}); err != nil {
		t.Fatal(err)
	}
	e, _ := events.New(uuid.NewString(), events.CommentSubmitted, "a1", uuid.NewString(), events.ActorReader, "", time.Now(), events.Submitted{Author: "A", Text: "Hello."})
	seq, err := log.Append(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	kv, _ := js.KeyValue(ctx, projections.StatusBucket)
	if _, err := kv.Put(ctx, viewCheckpointKey, []byte(strconv.FormatUint(seq, 10))); err != nil {
		t.Fatal(err)
	}

	monitors := fmt.Sprintf("--nats-monitor=%s,%s,%s", c.MonitorURL(0), c.MonitorURL(1), c.MonitorURL(2))
	args := []string{"--nats-url", c.ClientURLs(), "--nats-user", embedded.Operator, "--nats-password", c.Password(embedded.Operator)}
	var st status
	poll.Until(t, 30*time.Second, func() error {
		var out string
		st, out, err = statusJSON(t, append(args, monitors)...)
		if err != nil {
			return fmt.Errorf("%v: %q\n%s", err, st.Problems, out)
		}
		return nil
	})
	if cl := st.Cluster; cl == nil || cl.Name != "test-cluster" || cl.MetaLeader == "" || len(cl.Servers) != 3 {
		t.Fatalf("cluster = %+v", cl)
	}
	streams := map[string]streamHealth{}
	for _, s := range st.Streams {
		streams[s.Name] = s
	}
	for _, name := range []string{events.StreamName, deadletter.StreamName, "KV_" + projections.StatusBucket} {
		if s := streams[name]; s.Replicas != 3 || s.Group.Leader == "" || len(s.Group.Peers) != 2 {
			t.Errorf("stream %s = %+v", name, s)
		}
	}
	if w := st.Worker; w == nil || w.Group.Leader == "" || len(w.Group.Peers) != 2 || w.Pending != 1 {
		t.Errorf("worker = %+v", w)
	}

	// Stop a server that is neither the meta leader nor the log's leader,
	// so what remains answers at once.
	leader := c.StreamLeader(events.StreamName)
	down := -1
	for i, s := range c.Servers {
		if i != leader && !s.JetStreamIsLeader() {
			down = i
		}
	}
	if down < 0 {
		t.Fatal("no server to stop that leads nothing")
	}
	name := fmt.Sprintf("n%d", down)
	c.Stop(down)

	poll.Until(t, 30*time.Second, func() error {
		st, _, err = statusJSON(t, append(args, monitors)...)
		if !errors.Is(err, errUnhealthy) {
			return fmt.Errorf("status = %v with %s stopped", err, name)
		}
		if !hasLine(st.Problems, "server "+name+": the replicas it holds are down", events.StreamName) {
			return fmt.Errorf("problems %q do not name %s's replicas", st.Problems, name)
		}
		return nil
	})
	if !hasLine(st.Problems, c.MonitorURL(down), "does not answer") {
		t.Errorf("problems %q do not name %s's monitoring endpoint", st.Problems, name)
	}
	// Without the monitoring endpoints the replicas still tell.
	if st, _, err := statusJSON(t, args...); !errors.Is(err, errUnhealthy) || !hasLine(st.Problems, "server "+name+":") || st.Cluster != nil {
		t.Errorf("status without --nats-monitor = %v, %q", err, st.Problems)
	}
	text, _, _ := runCtl(t, "", append([]string{"status"}, append(args, monitors)...)...)
	if !strings.HasPrefix(text, "UNHEALTHY: ") || !strings.Contains(text, "NATS cluster test-cluster: meta leader n") ||
		!strings.Contains(text, name+" OFFLINE") && !strings.Contains(text, name+" SILENT") {
		t.Errorf("status for people:\n%s", text)
	}

	// Two of three down: no quorum. Each question is bounded, so the
	// report still comes, and says so.
	other := (down + 1) % 3
	c.Stop(other)
	asked := time.Now()
	st, out, err := statusJSON(t, append(args, "--nats-monitor="+c.MonitorURL(3-down-other))...)
	// Which it says first depends on whether the survivor has noticed
	// yet that it lost its quorum: no meta leader, or both peers down.
	otherName := fmt.Sprintf("n%d", other)
	if !errors.Is(err, errUnhealthy) || !hasLine(st.Problems, "no JetStream meta leader") && !(hasLine(st.Problems, name) && hasLine(st.Problems, otherName)) {
		t.Errorf("status with two servers of three stopped = %v, %q\n%s", err, st.Problems, out)
	}
	t.Logf("status without a quorum answered in %s: %q", time.Since(asked).Round(100*time.Millisecond), st.Problems)
	c.Restart(other)

	c.Restart(down)
	poll.Until(t, 60*time.Second, func() error {
		st, _, err = statusJSON(t, append(args, monitors)...)
		if err != nil {
			return fmt.Errorf("status = %v after %s came back: %q", err, name, st.Problems)
		}
		return nil
	})
}

func TestMonitorURLs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"127.0.0.1:8222", []string{"http://127.0.0.1:8222"}},
		{":8222", []string{"http://127.0.0.1:8222"}},
		{"0.0.0.0:8222, nats-2:8222", []string{"http://127.0.0.1:8222", "http://nats-2:8222"}},
		{"https://n1.example:8222/", []string{"https://n1.example:8222"}},
	} {
		got, err := monitorURLs(tc.in)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("monitorURLs(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"nats://n1:4222", "http://"} {
		if _, err := monitorURLs(bad); err == nil {
			t.Errorf("monitorURLs(%q) accepted", bad)
		}
	}
}

// TestStatusOfARunningAllInOne: the all-in-one's own server, asked through
// its monitoring endpoint, is a single server outside any cluster, and
// healthy; an endpoint given that does not answer is a problem.
func TestStatusOfARunningAllInOne(t *testing.T) {
	ns := natstest.Start(t, embedded.Options{StoreDir: t.TempDir(), Name: "commentd", Monitor: "127.0.0.1:0"})
	_, js := natstest.Connect(t, ns)
	ctx := context.Background()
	log, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := deadletter.Open(ctx, js, log, deadletter.Config{}); err != nil {
		t.Fatal(err)
	}
	monitor := "--nats-monitor=" + ns.MonitorAddr().String()
	st, out, err := statusJSON(t, "--nats-url="+natstest.OperatorURL(t, ns), monitor)
	if err != nil || st.Cluster == nil || st.Cluster.Name != "" || st.Cluster.MetaLeader != "commentd" || len(st.Cluster.Servers) != 1 ||
		st.Cluster.Servers[0].State != "leader" || !strings.HasPrefix(st.Cluster.Servers[0].Monitor, "http://127.0.0.1:") {
		t.Errorf("status of a single server = %v\n%s", err, out)
	}
	// COMMENTS, DEADLETTERS and the authors' keys (events.Open makes them).
	if len(st.Streams) != 3 || st.Streams[0].Replicas != 1 {
		t.Errorf("streams = %+v", st.Streams)
	}
	text, _, _ := runCtl(t, "", "status", "--nats-url="+natstest.OperatorURL(t, ns), monitor)
	if !strings.Contains(text, "NATS server commentd: a single server, outside any cluster") {
		t.Errorf("status:\n%s", text)
	}

	closed := freeMonitor(t)
	st, _, err = statusJSON(t, "--nats-url="+natstest.OperatorURL(t, ns), "--nats-monitor="+closed)
	if !errors.Is(err, errUnhealthy) || !hasLine(st.Problems, "http://"+closed, "does not answer") {
		t.Errorf("an endpoint that does not answer: %v, %q", err, st.Problems)
	}
}

// freeMonitor is a loopback address nothing listens on.
func freeMonitor(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
