package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/internal/natstest"
)

func TestModeratorsAddListTokenRemove(t *testing.T) {
	dir := t.TempDir()
	ctl := func(stdin string, args ...string) (string, error) {
		t.Helper()
		// Flags go before the subcommand's arguments.
		args = append([]string{"moderators", args[0], "--data-dir", dir}, args[1:]...)
		out, _, err := runCtl(t, stdin, args...)
		return out, err
	}
	if _, err := ctl("correct horse battery\n", "add", "--role", "admin", "Alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl("short\n", "add", "bob"); err == nil {
		t.Error("a short password was taken")
	}
	if _, err := ctl("correct horse battery\n", "add", "alice"); err == nil {
		t.Error("a name was taken twice")
	}
	out, err := ctl("", "list")
	if err != nil || !strings.Contains(out, "alice") || !strings.Contains(out, "admin") {
		t.Fatalf("list = %q, %v", out, err)
	}
	out, err = ctl("", "token", "--label", "cron", "alice")
	if err != nil || !strings.HasPrefix(out, "ct_") {
		t.Fatalf("token = %q, %v", out, err)
	}
	if _, err := ctl("", "remove", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl("", "remove", "alice"); err == nil {
		t.Error("removed twice")
	}
	if _, err := ctl("", "sideways", "alice"); err == nil {
		t.Error("an unknown subcommand ran")
	}
}

// On a live cluster the operator chose three replicas and a session TTL:
// every moderators subcommand attaches to the buckets and leaves both as
// they were.
func TestModeratorsLeaveTheBucketsAsTheOperatorSetThem(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-node cluster")
	}
	ctx := context.Background()
	cl := natstest.NewCluster(t, 3)
	pw := cl.Password(embedded.Operator)
	nc, err := nats.Connect(cl.ClientURLs(), nats.UserInfo(embedded.Operator, pw))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	const ttl = 3 * time.Hour
	if _, err := accounts.Open(ctx, js, accounts.Config{Replicas: 3, SessionTTL: ttl}); err != nil {
		t.Fatal(err)
	}
	conn := []string{"--nats-url", cl.ClientURLs(), "--nats-user", embedded.Operator, "--nats-password", pw}
	for _, args := range [][]string{
		{"add", "alice"}, {"list"}, {"token", "alice"}, {"remove", "alice"},
	} {
		stdin := ""
		if args[0] == "add" {
			stdin = "correct horse battery\n"
		}
		all := append(append([]string{"moderators", args[0]}, conn...), args[1:]...)
		if _, stderr, err := runCtl(t, stdin, all...); err != nil {
			t.Fatalf("moderators %s: %v (%s)", args[0], err, stderr)
		}
		for _, bucket := range []string{accounts.AccountsBucket, accounts.SessionsBucket} {
			s, err := js.Stream(ctx, "KV_"+bucket)
			if err != nil {
				t.Fatal(err)
			}
			c := s.CachedInfo().Config
			if c.Replicas != 3 {
				t.Errorf("after moderators %s: bucket %s has %d replicas, want 3", args[0], bucket, c.Replicas)
			}
			if bucket == accounts.SessionsBucket && c.MaxAge != ttl {
				t.Errorf("after moderators %s: sessions expire after %v, want %v", args[0], c.MaxAge, ttl)
			}
		}
	}
}

// The first account of a fresh install may be made before commentd first
// starts: add creates the buckets that do not exist.
func TestModeratorsAddOnAFreshServerCreatesTheBuckets(t *testing.T) {
	ns := natstest.Server(t)
	url := "--nats-url=" + natstest.OperatorURL(t, ns)
	if out, _, err := runCtl(t, "", "moderators", "list", url); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("list on a server without accounts = %q, %v; want the header alone", out, err)
	}
	if _, _, err := runCtl(t, "", "moderators", "token", url, "alice"); err == nil || !strings.Contains(err.Error(), "moderators add") {
		t.Fatalf("token on a server without accounts: %v", err)
	}
	_, js := natstest.Connect(t, ns)
	if _, err := js.KeyValue(context.Background(), accounts.AccountsBucket); err == nil {
		t.Fatal("a read made the accounts bucket")
	}
	if _, stderr, err := runCtl(t, "correct horse battery\n", "moderators", "add", url, "alice"); err != nil {
		t.Fatalf("add: %v (%s)", err, stderr)
	}
	if out, _, err := runCtl(t, "", "moderators", "list", url); err != nil || !strings.Contains(out, "alice") {
		t.Fatalf("list = %q, %v", out, err)
	}
}
