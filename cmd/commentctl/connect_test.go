package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
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
)

// setenv replaces the environment commentctl reads for one test.
func setenv(t *testing.T, env map[string]string) {
	t.Helper()
	old := getenv
	getenv = func(k string) string { return env[k] }
	t.Cleanup(func() { getenv = old })
}

func TestConnectionPrecedence(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want target
		err  error
	}{
		{"nothing: commentd's default data dir", nil, nil, target{dataDir: "./data"}, nil},
		{"env data dir", nil, map[string]string{"COMMENTD_DATA_DIR": "/srv/d"}, target{dataDir: "/srv/d"}, nil},
		{"env url beats env data dir, as in commentd", nil, map[string]string{"COMMENTD_DATA_DIR": "/srv/d", "COMMENTD_NATS_URL": "nats://e:4222"}, target{url: "nats://e:4222"}, nil},
		{"flag url beats env", []string{"--nats-url", "nats://f:4222"}, map[string]string{"COMMENTD_DATA_DIR": "/srv/d"}, target{url: "nats://f:4222"}, nil},
		{"flag data dir beats env url", []string{"--data-dir", "/x"}, map[string]string{"COMMENTD_NATS_URL": "nats://e:4222"}, target{dataDir: "/x"}, nil},
		{"both flags: a running install on this machine", []string{"--data-dir", "/x", "--nats-url", "nats://f:4222"}, nil, target{url: "nats://f:4222", dataDir: "/x"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setenv(t, tc.env)
			var c connection
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c.flags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			got, err := c.target()
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("target = %+v, %v; want %+v, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

// stoppedInstall makes what a single-binary commentd leaves in its data
// dir when it stops: the log with one submission, the dead-letter stream.
func stoppedInstall(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ns, err := embedded.Start(embedded.Options{StoreDir: dir, Name: "commentd"})
	if err != nil {
		t.Fatal(err)
	}
	pw, err := embedded.Password(dir, embedded.Operator)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect("", nats.InProcessServer(ns), nats.UserInfo(embedded.Operator, pw))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	log, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := deadletter.Open(ctx, js, log, deadletter.Config{}); err != nil {
		t.Fatal(err)
	}
	e, _ := events.New(uuid.NewString(), events.CommentSubmitted, "a1", uuid.NewString(), events.ActorReader, "", time.Now(), events.Submitted{Author: "A", Text: "green eggs"})
	if _, err := log.Append(ctx, e); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	ns.Shutdown()
	ns.WaitForShutdown()
	return dir
}

// TestEveryCommandOpensADataDir: every subcommand that reaches the
// installation takes --data-dir (or COMMENTD_DATA_DIR) as well as
// --nats-url, through the one connection.
func TestEveryCommandOpensADataDir(t *testing.T) {
	dir := stoppedInstall(t)
	rules := filepath.Join(t.TempDir(), "eggs.yaml")
	os.WriteFile(rules, []byte("name: eggs\nrules:\n  - id: no-eggs\n    action: hold\n    if:\n      words: [eggs]\n"), 0o644)

	for _, args := range [][]string{
		{"dlq", "list", "--data-dir", dir},
		{"rules", "dryrun", "--data-dir", dir, rules},
		{"rules", "publish", "--data-dir", dir, rules},
		{"moderators", "list", "--data-dir", dir},
		{"status", "--data-dir", dir},
		{"export", "--data-dir", dir},
	} {
		out, stderr, err := runCtl(t, "", args...)
		if err != nil && !(args[0] == "status" && errors.Is(err, errUnhealthy)) {
			t.Errorf("commentctl %q: %v\n%s%s", args, err, out, stderr)
		}
	}
	// A rebuild is the running projector's work: a stopped install is
	// told so.
	if _, _, err := runCtl(t, "", "rebuild", "--data-dir", dir, "VIEW_STATUS"); err == nil || !strings.Contains(err.Error(), "running projector") {
		t.Errorf("rebuild --data-dir: %v, want the running projector named", err)
	}
	// The one submission, which no worker ever took, is reported
	// (unhealthy).
	if out, _, err := runCtl(t, "", "status", "--data-dir", dir); !errors.Is(err, errUnhealthy) ||
		!strings.Contains(out, `no "moderation" consumer: no worker (--roles worker) has ever run, and submissions since seq 1 wait`) ||
		!strings.Contains(out, "NATS server commentd: a single server, outside any cluster") {
		t.Errorf("status on the data dir = %q, %v", out, err)
	}
	// The environment, as commentd reads it.
	setenv(t, map[string]string{"COMMENTD_DATA_DIR": dir})
	if out, _, err := runCtl(t, "", "rules", "dryrun", rules); err != nil || !strings.Contains(out, `"now":"hold"`) {
		t.Errorf("dryrun with COMMENTD_DATA_DIR = %q, %v", out, err)
	}
}

// TestMissingDataDir: a read on a data dir with no store is a clear
// error, and leaves nothing behind.
func TestMissingDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "typo")
	_, _, err := runCtl(t, "", "dlq", "list", "--data-dir", dir)
	if err == nil || !strings.Contains(err.Error(), "no commentd store in "+dir) {
		t.Errorf("dlq list on a missing data dir: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed read made %s: %v", dir, err)
	}
	if _, _, err := runCtl(t, "", "dlq", "list", "--data-dir", dir, "--nats-url", "nats://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "operator's credential of "+dir) {
		t.Errorf("both flags, no credential in the data dir: %v", err)
	}
}

// commentctl beside a running all-in-one with --nats-listen: --data-dir
// and --nats-url together reach it with the operator's credential from
// the data dir; the URL alone is anonymous and refused, unless given a
// user and password.
func TestRunningInstallOnThisMachine(t *testing.T) {
	dir := stoppedInstall(t)
	ns := natstest.Start(t, embedded.Options{StoreDir: dir, Name: "commentd"})
	url := ns.ClientURL()
	if out, stderr, err := runCtl(t, "", "dlq", "list", "--data-dir", dir, "--nats-url", url); err != nil {
		t.Errorf("with the data dir's credential: %v\n%s%s", err, out, stderr)
	}
	if _, _, err := runCtl(t, "", "dlq", "list", "--nats-url", url); err == nil || !strings.Contains(err.Error(), "Authorization Violation") {
		t.Errorf("anonymous: %v", err)
	}
	pw := natstest.Password(t, ns, embedded.Operator)
	if out, stderr, err := runCtl(t, "", "dlq", "list", "--nats-url", url, "--nats-user", "operator", "--nats-password", pw); err != nil {
		t.Errorf("with --nats-user: %v\n%s%s", err, out, stderr)
	}
	setenv(t, map[string]string{"COMMENTD_NATS_USER": "operator", "COMMENTD_NATS_PASSWORD": pw})
	if out, stderr, err := runCtl(t, "", "dlq", "list", "--nats-url", url); err != nil {
		t.Errorf("with COMMENTD_NATS_USER: %v\n%s%s", err, out, stderr)
	}
}
