package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/newsroom/commentd/internal/poll"
)

func TestReaderFlags(t *testing.T) {
	env := map[string]string{"COMMENTD_ALLOWED_ORIGINS": "https://www.example.com/, http://localhost:3000", "COMMENTD_MAX_REPLY_DEPTH": "3"}
	cfg, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.AllowedOrigins, " ") != "https://www.example.com http://localhost:3000" || cfg.MaxReplyDepth != 3 {
		t.Fatalf("%+v", cfg)
	}
	for _, args := range [][]string{
		{"--allowed-origins", "www.example.com"},
		{"--allowed-origins", "https://www.example.com/path"},
		{"--allowed-origins", "ftp://x"},
		{"--sso-secret", "short"},
		{"--max-reply-depth", "0"},
	} {
		if _, err := parseConfig(args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestTrustedProxiesFlag(t *testing.T) {
	env := map[string]string{"COMMENTD_TRUSTED_PROXIES": "10.1.2.3/8, fd00::/8,192.0.2.1"}
	cfg, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(cfg.TrustedProxies); got != "[10.0.0.0/8 fd00::/8 192.0.2.1/32]" {
		t.Fatalf("trusted proxies: %s", got)
	}
	if cfg, _ := parseConfig(nil, func(string) string { return "" }, io.Discard); len(cfg.TrustedProxies) != 0 {
		t.Fatalf("trusted by default: %v", cfg.TrustedProxies)
	}
	for _, v := range []string{"0.0.0.0/0", "::/0", "proxy.internal", "10.0.0.0/33", "10.0.0.0/8;192.0.2.0/24"} {
		if _, err := parseConfig([]string{"--trusted-proxies", v}, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("--trusted-proxies %s: no error", v)
		}
	}
}

// A live stream must not hold a graceful shutdown until its timeout.
func TestShutdownEndsLiveStreams(t *testing.T) {
	c := start(t, t.TempDir(), "--shutdown-timeout", "20s")
	resp, err := http.Get(c.url + "/api/articles/a1/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "retry:") {
		t.Fatalf("stream opened with %q, %v", line, err)
	}
	began := time.Now()
	c.stop()
	if d := time.Since(began); d > 10*time.Second {
		t.Fatalf("shutdown took %v with a stream open", d)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		t.Fatalf("the stream did not end cleanly: %v", err)
	}
}

// Article settings changed by a moderator reach both doors: the worker
// holds every comment of a pre-moderated article, and the API refuses
// comments on a closed one.
func TestArticleSettingsEndToEnd(t *testing.T) {
	const token = testAdminToken
	c := start(t, t.TempDir(), "--admin-token", token)
	settings := func(body string) {
		req, _ := http.NewRequest("PUT", c.url+"/api/moderation/articles/a1/settings", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("settings %s: %d", body, resp.StatusCode)
		}
	}
	settings(`{"closed":false,"premoderated":true}`)
	// The worker reads the settings from this process's views: wait until
	// they are there (a page of the article says so).
	poll.True(t, 10*time.Second, "pre-moderated", func() bool { return strings.Contains(page(c.url+"/articles/a1"), "reviewed by a moderator") })
	code, id, err := postComment(c.url, "a1", "Anna", "A perfectly fine comment.")
	if err != nil || code != 202 {
		t.Fatalf("post: %d %v", code, err)
	}
	waitFinal(t, c.url, id)
	if s := status(c.url, id); s != "held" {
		t.Fatalf("a comment on a pre-moderated article is %s", s)
	}

	settings(`{"closed":true,"premoderated":false}`)
	poll.True(t, 10*time.Second, "closed", func() bool {
		code, _, _ := postComment(c.url, "a1", "Bo", "Too late?")
		return code == 403
	})
}

func page(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
