package main

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
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
