package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsroom/commentd/internal/poll"
)

// TestMain lets the test binary run commentd itself, so the crash test can
// kill a real process.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("COMMENTD_TEST_CHILD_ARGS"); ok {
		ctx, stop := signalContext()
		defer stop()
		if err := run(ctx, strings.Fields(args), func(string) string { return "" }, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var servingLine = regexp.MustCompile(`commentd: .*(http://[^/\s]+)`)

// instance is one running commentd.
type instance struct {
	url  string
	stop func()
	out  *lockedBuffer // stdout after the serving line
	logs *lockedBuffer
}

// start runs commentd in-process on a free port with dataDir, and waits
// until it is ready.
func start(t *testing.T, dataDir string, extra ...string) *instance {
	t.Helper()
	return startWithin(t, 30*time.Second, dataDir, extra...)
}

// startWithin is start, waiting up to ready for /readyz.
func startWithin(t *testing.T, ready time.Duration, dataDir string, extra ...string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	args := append([]string{"--http-addr", "127.0.0.1:0", "--nats-monitor", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "warn", "--rate-limit-per-ip", "0", "--rate-limit-per-author", "0"}, extra...)
	logs := &lockedBuffer{}
	go func() {
		err := run(ctx, args, func(string) string { return "" }, pw, logs)
		pw.Close()
		done <- err
	}()
	url := readURL(t, pr)
	inst := &instance{url: url, out: &lockedBuffer{}, logs: logs}
	go io.Copy(inst.out, pr)
	var once sync.Once
	inst.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
			// Every role connects with its own permissions: none may
			// have been refused something it needs.
			if strings.Contains(strings.ToLower(logs.String()), "permissions violation") {
				t.Errorf("commentd was refused something by NATS:\n%s", logs)
			}
		})
	}
	t.Cleanup(inst.stop)
	waitReadyWithin(t, ready, url)
	return inst
}

func readURL(t *testing.T, r io.Reader) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				return
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatal("commentd exited before serving")
		}
		return u
	case <-time.After(60 * time.Second):
		t.Fatal("commentd did not start in 60s")
	}
	return ""
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	waitReadyWithin(t, 30*time.Second, url)
}

func waitReadyWithin(t *testing.T, within time.Duration, url string) {
	t.Helper()
	poll.True(t, within, "ready", func() bool {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

func postComment(url, article, author, text string) (int, string, error) {
	body, _ := json.Marshal(map[string]string{"author": author, "text": text})
	resp, err := http.Post(url+"/api/articles/"+article+"/comments", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var out struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return resp.StatusCode, "", err
	}
	return resp.StatusCode, out.ID, nil
}

type listed struct {
	Total    int
	Comments []struct{ ID, Author, Text string }
}

func list(t *testing.T, url, article string) listed {
	t.Helper()
	var all listed
	cursor := ""
	for {
		resp, err := http.Get(url + "/api/articles/" + article + "/comments?limit=200&cursor=" + cursor)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			listed
			NextCursor string `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		all.Total = page.Total
		all.Comments = append(all.Comments, page.Comments...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

func status(url, id string) string {
	resp, err := http.Get(url + "/api/comments/" + id)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var st struct{ Status string }
	json.NewDecoder(resp.Body).Decode(&st)
	return st.Status
}

func waitFinal(t *testing.T, url string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		poll.True(t, 30*time.Second, "decided: "+id, func() bool {
			switch status(url, id) {
			case "approved", "rejected", "held":
				return true
			}
			return false
		})
	}
}

func TestEndToEndAndRestart(t *testing.T) {
	dir := t.TempDir()
	c := start(t, dir)
	code, clean, err := postComment(c.url, "lavrov-kerry-talks", "Anna", "Good piece.")
	if err != nil || code != 202 {
		t.Fatalf("post: %d %v", code, err)
	}
	code, rude, err := postComment(c.url, "lavrov-kerry-talks", "Troll", "What a load of f u c k i n g rubbish.")
	if err != nil || code != 202 {
		t.Fatalf("post: %d %v", code, err)
	}
	waitFinal(t, c.url, clean, rude)
	if s := status(c.url, clean); s != "approved" {
		t.Fatalf("clean comment is %s", s)
	}
	if s := status(c.url, rude); s != "rejected" {
		t.Fatalf("profane comment is %s", s)
	}
	var before listed
	poll.True(t, 10*time.Second, "the clean comment in the approved view", func() bool {
		before = list(t, c.url, "lavrov-kerry-talks")
		return before.Total > 0
	})
	if before.Total != 1 || before.Comments[0].ID != clean {
		t.Fatalf("approved view: %+v", before)
	}
	c.stop()

	// Restart on the same data: everything is there, nothing twice.
	c = start(t, dir)
	after := list(t, c.url, "lavrov-kerry-talks")
	if after.Total != 1 || len(after.Comments) != 1 || after.Comments[0].ID != clean {
		t.Fatalf("after restart: %+v", after)
	}
	if s := status(c.url, rude); s != "rejected" {
		t.Fatalf("after restart the profane comment is %s", s)
	}
	// And it goes on working.
	_, third, _ := postComment(c.url, "lavrov-kerry-talks", "Bo", "Thanks for the report.")
	waitFinal(t, c.url, third)
	// The status view can say approved a moment before this api's copy of
	// the article's view has the comment: each view has its own watcher.
	poll.True(t, 10*time.Second, "the new comment in the approved view", func() bool {
		return list(t, c.url, "lavrov-kerry-talks").Total == 2
	})
	c.stop()

	// Rebuilding from sequence 1 gives the same views.
	c = start(t, dir, "--rebuild-projections")
	if got := list(t, c.url, "lavrov-kerry-talks"); got.Total != 2 {
		t.Fatalf("rebuilt: %+v", got)
	}
}

func TestConfigFromFlagsAndEnvironment(t *testing.T) {
	env := map[string]string{"COMMENTD_HTTP_ADDR": ":9999", "COMMENTD_ROLES": "worker", "COMMENTD_RATE_LIMIT_PER_IP": "5"}
	cfg, err := parseConfig([]string{"--roles", "api,projector"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != ":9999" || cfg.RateLimitPerIP != 5 || !cfg.has(roleAPI) || !cfg.has(roleProjector) || cfg.has(roleWorker) {
		t.Fatalf("flags should win over the environment, which fills the rest: %+v", cfg)
	}
	for _, args := range [][]string{{"--roles", "api,cook"}, {"--roles", ""}, {"--replicas", "0"}, {"--log-format", "xml"}, {"stray"}} {
		if _, err := parseConfig(args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	if _, err := parseConfig(nil, func(k string) string {
		if k == "COMMENTD_RATE_LIMIT_PER_IP" {
			return "many"
		}
		return ""
	}, io.Discard); err == nil || !strings.Contains(err.Error(), "COMMENTD_RATE_LIMIT_PER_IP") {
		t.Errorf("a bad environment value: %v", err)
	}
}

// An admin token anyone could guess is refused at start, with how to make
// a good one; the README's old example was accepted.
func TestWeakAdminTokenRefused(t *testing.T) {
	for _, tok := range []string{"change-me-to-a-long-secret", "change-me-to-a-long-secret-please-ok", strings.Repeat("a", 64), "0123456789abcdef0123456789abcdef"} {
		_, err := parseConfig([]string{"--admin-token", tok}, func(string) string { return "" }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "openssl rand -hex 32") {
			t.Errorf("--admin-token %q: %v", tok, err)
		}
	}
	if _, err := parseConfig(nil, func(k string) string {
		if k == "COMMENTD_ADMIN_TOKEN" {
			return testAdminToken
		}
		return ""
	}, io.Discard); err != nil {
		t.Errorf("a random token: %v", err)
	}
}

// --cookie-secure is on unless the HTTP listener is loopback only, and
// the flag or its environment twin says otherwise.
func TestCookieSecureDefault(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		want bool
	}{
		{nil, "", true}, // :8080 listens on every interface
		{[]string{"--http-addr", "0.0.0.0:8080"}, "", true},
		{[]string{"--http-addr", "192.0.2.7:8080"}, "", true},
		{[]string{"--http-addr", "127.0.0.1:8080"}, "", false},
		{[]string{"--http-addr", "[::1]:8080"}, "", false},
		{[]string{"--http-addr", "localhost:8080"}, "", false},
		{[]string{"--http-addr", "localhost:8080", "--cookie-secure"}, "", true},
		{[]string{"--cookie-secure=false"}, "", false},
		{[]string{"--http-addr", "127.0.0.1:8080"}, "true", true},
		{nil, "false", false},
	} {
		cfg, err := parseConfig(tc.args, func(k string) string {
			if k == "COMMENTD_COOKIE_SECURE" {
				return tc.env
			}
			return ""
		}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.CookieSecure != tc.want {
			t.Errorf("%v, COMMENTD_COOKIE_SECURE=%q: cookie secure %v, want %v", tc.args, tc.env, cfg.CookieSecure, tc.want)
		}
	}
}
