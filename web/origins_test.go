package web_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/newsroom/commentd/web"
)

// A page of an origin the allow-list does not name is refused by the
// browser, silently: the server's log says so, once per origin, and never
// for the allowed origin or the site's own pages.
func TestRefusedOriginLoggedOnce(t *testing.T) {
	var logs syncBuffer
	f := newFixture(t, web.Config{AllowedOrigins: []string{"https://news.example"}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	get := func(origin, method string) {
		t.Helper()
		req, _ := http.NewRequest(method, f.srv.URL+"/api/articles/a1/comments", nil)
		req.Header.Set("Origin", origin)
		if method == http.MethodOptions {
			req.Header.Set("Access-Control-Request-Method", "GET")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for range 3 {
		get("https://elsewhere.example", http.MethodGet)
		get("https://elsewhere.example", http.MethodOptions)
		get("https://news.example", http.MethodGet)
		get(f.srv.URL, http.MethodGet)
	}
	get("https://third.example", http.MethodOptions)
	out := logs.String()
	if n := strings.Count(out, "origin=https://elsewhere.example"); n != 1 {
		t.Errorf("the refused origin is logged %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "origin=https://third.example"); n != 1 {
		t.Errorf("a second refused origin is logged %d times, want once:\n%s", n, out)
	}
	if strings.Contains(out, "news.example") || strings.Contains(out, f.srv.URL) {
		t.Errorf("an allowed origin or the site's own was logged:\n%s", out)
	}
}

// The bootstrap admin token is not an account: asking it for an API token
// of its own says so and what to do, instead of a bare 404.
func TestAdminTokenHasNoTokens(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	for _, path := range []string{"/api/moderation/tokens", "/api/moderation/accounts/admin-token/tokens"} {
		st, body := f.call("POST", path, `{"label":"cron"}`, bearer(adminToken))
		if b := fmt.Sprint(body); st != http.StatusBadRequest || !strings.Contains(b, "no_account") || !strings.Contains(b, "/api/moderation/accounts") {
			t.Errorf("POST %s with the admin token: %d %s", path, st, body)
		}
	}
}

// A refusal's message is the reason alone, without the sentinel's
// "invalid: " in front.
func TestInvalidMessageHasNoPrefix(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	st, body := f.call("POST", "/api/moderation/accounts", `{"name":"Bad Name","password":"amber lantern in the fog"}`, bearer(adminToken))
	msg := fmt.Sprint(body["error"].(map[string]any)["message"])
	if st != http.StatusBadRequest || strings.HasPrefix(msg, "invalid") || !strings.Contains(msg, "account name") {
		t.Fatalf("%d %q", st, msg)
	}
}
