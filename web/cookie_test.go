package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/web"
)

// The session cookie is Secure by the operator's flag, named __Host-, and
// no request header changes that: before, X-Forwarded-Proto from any peer
// decided it, and a plain-HTTP request made it a cookie any network
// could read.
func TestSessionCookieSecureByConfiguration(t *testing.T) {
	for _, secure := range []bool{true, false} {
		t.Run(map[bool]string{true: "secure", false: "plain"}[secure], func(t *testing.T) {
			ctx := context.Background()
			_, js := natstest.Connect(t, natstest.Server(t))
			l, err := events.Open(ctx, js, events.Config{})
			if err != nil {
				t.Fatal(err)
			}
			st, err := accounts.Open(ctx, js, accounts.Config{BcryptCost: bcrypt.MinCost})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.Add(ctx, "mia", "mia's password", accounts.Moderator, "test"); err != nil {
				t.Fatal(err)
			}
			srv := web.New(web.NewTestViews(t, js, l).Config(web.Config{Registry: prometheus.NewRegistry(), CookieSecure: secure,
				Moderation: web.ModerationConfig{Accounts: st, Secret: []byte("test secret")}}))
			hs := httptest.NewServer(srv)
			t.Cleanup(hs.Close)
			t.Cleanup(srv.CloseStreams)

			login := func(proto string) *http.Cookie {
				req, _ := http.NewRequest("POST", hs.URL+"/api/moderation/login", strings.NewReader(`{"name":"mia","password":"mia's password"}`))
				req.Header.Set("Content-Type", "application/json")
				if proto != "" {
					req.Header.Set("X-Forwarded-Proto", proto)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 || len(resp.Cookies()) != 1 {
					t.Fatalf("sign in: %d %v", resp.StatusCode, resp.Cookies())
				}
				return resp.Cookies()[0]
			}
			wantName := "commentd_session"
			if secure {
				wantName = "__Host-commentd_session"
			}
			for _, proto := range []string{"", "https", "http"} {
				c := login(proto)
				if c.Name != wantName || c.Secure != secure || c.Path != "/" || c.Domain != "" || !c.HttpOnly {
					t.Errorf("X-Forwarded-Proto %q: cookie %+v, want %s with Secure=%v", proto, c, wantName, secure)
				}
			}
			// Only the configured name is a session: a cookie without the
			// prefix may have been planted over plain HTTP.
			c := login("")
			queue := func(name string) int {
				req, _ := http.NewRequest("GET", hs.URL+"/api/moderation/queue", nil)
				req.AddCookie(&http.Cookie{Name: name, Value: c.Value})
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if got := queue(wantName); got != 200 {
				t.Errorf("with the session cookie: %d", got)
			}
			other := "__Host-commentd_session"
			if secure {
				other = "commentd_session"
			}
			if got := queue(other); got != 401 {
				t.Errorf("with the session under %s: %d, want 401", other, got)
			}
		})
	}
}
