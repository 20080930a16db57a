package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/projections"
	"github.com/newsroom/commentd/web"
)

const adminToken = "9c4e1b7a2f6d8e3c5a0b9f7e1d4c2a6b8e3f5d7c9a1b2e4f6a8c0d3e5b7f9a1c" // openssl rand -hex 32

// modFixture serves the whole API on a real embedded JetStream with a real
// projector feeding the views (and the server's OnChange), as commentd
// does.
type modFixture struct {
	t        testing.TB
	log      *events.Log
	views    *web.TestViews
	tv       *web.TestViews
	accounts *accounts.Store
	web      *web.Server
	srv      *httptest.Server
	modTok   string // API token of moderator "mia"
}

func newModFixture(t testing.TB, mc web.ModerationConfig) *modFixture {
	t.Helper()
	_, js := natstest.Connect(t, natstest.Server(t))
	return newModFixtureOn(t, js, events.Config{}, mc)
}

// newModFixtureOn is newModFixture on a JetStream of the caller's, with
// the log opened with lc (replicas on a cluster).
func newModFixtureOn(t testing.TB, js jetstream.JetStream, lc events.Config, mc web.ModerationConfig) *modFixture {
	t.Helper()
	ctx := context.Background()
	l, err := events.Open(ctx, js, lc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := accounts.Open(ctx, js, accounts.Config{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	mc.Accounts, mc.AdminToken, mc.Secret = st, adminToken, []byte("test secret")
	tv := web.NewTestViews(t, js, l)
	views := tv
	srv := web.New(tv.Config(web.Config{Moderation: mc, Registry: prometheus.NewRegistry()}))
	tv.Serve(srv)
	tv.Live()
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.CloseStreams()
		hs.Close()
	})
	f := &modFixture{t: t, log: l, tv: tv, views: views, accounts: st, web: srv, srv: hs}
	if _, err := st.Add(ctx, "mia", "mia's password", accounts.Moderator, "test"); err != nil {
		t.Fatal(err)
	}
	if f.modTok, _, err = st.NewToken(ctx, "mia", "tests"); err != nil {
		t.Fatal(err)
	}
	return f
}

// holdAfterReports runs the worker role's reports consumer beside the
// server, holding a comment once n readers reported it.
func (f *modFixture) holdAfterReports(n int) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	h := &commands.ReportsHold{Log: f.log, Threshold: n}
	go func() { done <- h.Run(ctx) }()
	f.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			f.t.Errorf("reports consumer: %v", err)
		}
	})
}

// caughtUp waits until the views have applied everything in the log.
func (f *modFixture) caughtUp() {
	f.t.Helper()
	last, err := f.log.LastSeq(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	f.tv.WaitApplied(last)
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// call sends a request with a JSON body (when not empty) and returns the
// status and decoded JSON body.
func (f *modFixture) call(method, path, body string, auth func(*http.Request)) (int, map[string]any) {
	f.t.Helper()
	return callWith(f.t, http.DefaultClient, method, f.srv.URL+path, body, auth)
}

func callWith(t testing.TB, c *http.Client, method, url, body string, auth func(*http.Request)) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != nil {
		auth(req)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: not JSON: %q", method, url, b)
		}
	}
	return resp.StatusCode, out
}

func code(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// submit appends a comment as the API would, and returns its id.
func (f *modFixture) submit(article, author, text string) string {
	f.t.Helper()
	id := uuid.NewString()
	e, _ := events.New(uuid.NewString(), events.CommentSubmitted, article, id, events.ActorReader, "", time.Now(),
		events.Submitted{Author: author, AuthorID: "name:" + strings.ToLower(author), Text: text})
	if _, err := f.log.Append(context.Background(), e); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// rules appends the rules' decision on a comment.
func (f *modFixture) rules(typ events.Type, article, id string, d events.Decision) {
	f.t.Helper()
	seq, err := f.log.CommentSeq(context.Background(), article, id)
	if err != nil {
		f.t.Fatal(err)
	}
	e, _ := events.New(uuid.NewString(), typ, article, id, events.RulesActor("v1"), "", time.Now(), d)
	if _, err := f.log.AppendAfter(context.Background(), e, seq); err != nil {
		f.t.Fatal(err)
	}
}

// held submits a comment the rules hold, with evidence, and waits for
// the views.
func (f *modFixture) held(article, author, text string) string {
	f.t.Helper()
	id := f.submit(article, author, text)
	f.rules(events.CommentHeld, article, id, events.Decision{Reason: "language", Rules: []string{"mild-language"},
		Evidence: []events.Evidence{{Rule: "mild-language", Start: 0, End: min(4, len(text)), Match: text[:min(4, len(text))]}}})
	f.caughtUp()
	return id
}

func TestEveryModerationRouteNeedsCredentialsAndTheRightRole(t *testing.T) {
	// Many wrong tokens from one address: lift the limit on them.
	f := newModFixture(t, web.ModerationConfig{LoginsPerMinute: 1000})
	id := f.held("a1", "Ann", "darn it")
	routes := []struct {
		method, path, body string
		admin              bool
	}{
		{"GET", "/api/moderation/me", "", false},
		{"POST", "/api/moderation/logout", "", false},
		{"GET", "/api/moderation/queue", "", false},
		{"GET", "/api/moderation/events", "", false},
		{"GET", "/api/moderation/comments/" + id, "", false},
		{"GET", "/api/moderation/comments/" + id + "/history", "", false},
		{"POST", "/api/moderation/comments/" + id + "/decision", `{"action":"approve"}`, false},
		{"POST", "/api/moderation/decisions", `{"decisions":[]}`, false},
		{"GET", "/api/moderation/authors/name:ann", "", false},
		{"POST", "/api/moderation/authors/name:ann/ban", `{"reason":"spam"}`, false},
		{"POST", "/api/moderation/authors/name:ann/unban", `{}`, false},
		{"PUT", "/api/moderation/articles/a1/settings", `{"closed":false,"premoderated":false}`, false},
		{"GET", "/api/moderation/tokens", "", false},
		{"POST", "/api/moderation/tokens", `{}`, false},
		{"DELETE", "/api/moderation/tokens/0123456789abcdef", "", false},
		{"GET", "/api/moderation/nothing-here", "", false},
		{"GET", "/api/moderation/accounts", "", true},
		{"POST", "/api/moderation/accounts", `{"name":"x","password":"long enough pw"}`, true},
		{"DELETE", "/api/moderation/accounts/x", "", true},
		{"GET", "/api/moderation/rules", "", false},
		{"POST", "/api/moderation/rules/dryrun", `{"source":"rules: []"}`, false},
		{"PUT", "/api/moderation/rules", `{"source":"rules: []"}`, true},
		{"GET", "/moderation/", "", false},
		{"GET", "/moderation/items", "", false},
		{"GET", "/moderation/authors/name:ann", "", false},
		{"GET", "/moderation/elsewhere", "", false},
		{"POST", "/moderation/logout", "", false},
	}
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			if st, _ := f.call(r.method, r.path, r.body, nil); st != 401 {
				t.Errorf("without credentials: %d, want 401", st)
			}
			if st, _ := f.call(r.method, r.path, r.body, bearer("ct_not-a-token")); st != 401 {
				t.Errorf("with a wrong token: %d, want 401", st)
			}
			if st, _ := f.call(r.method, r.path, r.body, func(r *http.Request) { r.Header.Set("Authorization", "Basic eDp5") }); st != 401 {
				t.Errorf("with Basic auth: %d, want 401", st)
			}
			if r.admin {
				if st, body := f.call(r.method, r.path, r.body, bearer(f.modTok)); st != 403 || code(body) != "forbidden" {
					t.Errorf("a moderator: %d %v, want 403", st, body)
				}
			}
		})
	}
	// Nothing held or rejected leaks to readers.
	if st, body := f.call("GET", "/api/articles/a1/comments", "", nil); st != 200 || body["total"].(float64) != 0 {
		t.Errorf("readers see %v", body)
	}
}

func TestSignInSessionCSRFAndFailedLoginLimit(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{LoginsPerMinute: 3})
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	url := f.srv.URL

	if st, body := callWith(t, browser, "POST", url+"/api/moderation/login", `{"name":"mia","password":"wrong password"}`, nil); st != 401 || code(body) != "bad_credentials" {
		t.Fatalf("wrong password: %d %v", st, body)
	}
	st, body := callWith(t, browser, "POST", url+"/api/moderation/login", `{"name":"MIA","password":"mia's password"}`, nil)
	if st != 200 || body["name"] != "mia" || body["role"] != "moderator" {
		t.Fatalf("sign in: %d %v", st, body)
	}
	csrf := body["csrf_token"].(string)

	// The cookie is HttpOnly and SameSite, not readable by scripts.
	req, _ := http.NewRequest("POST", url+"/api/moderation/login", strings.NewReader(`{"name":"mia","password":"mia's password"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c := resp.Cookies()
	if len(c) != 1 || !c[0].HttpOnly || c[0].SameSite != http.SameSiteLaxMode || c[0].Secure {
		t.Fatalf("cookie = %+v", c)
	}

	id := f.held("a1", "Ann", "darn it")
	decide := url + "/api/moderation/comments/" + id + "/decision"
	if st, body := callWith(t, browser, "GET", url+"/api/moderation/queue", "", nil); st != 200 || len(body["items"].([]any)) != 1 {
		t.Fatalf("queue with the cookie: %d %v", st, body)
	}
	if st, body := callWith(t, browser, "POST", decide, `{"action":"approve"}`, nil); st != 403 || code(body) != "csrf" {
		t.Fatalf("change without the CSRF token: %d %v", st, body)
	}
	withCSRF := func(r *http.Request) { r.Header.Set("X-CSRF-Token", csrf) }
	crossSite := func(r *http.Request) { withCSRF(r); r.Header.Set("Sec-Fetch-Site", "cross-site") }
	if st, body := callWith(t, browser, "POST", decide, `{"action":"approve"}`, crossSite); st != 403 || code(body) != "cross_origin" {
		t.Fatalf("cross-site change: %d %v", st, body)
	}
	if st, body := callWith(t, browser, "POST", decide, `{"action":"approve"}`, withCSRF); st != 200 {
		t.Fatalf("change with the CSRF token: %d %v", st, body)
	}
	if st, _ := callWith(t, browser, "POST", url+"/api/moderation/logout", "", withCSRF); st != 204 {
		t.Fatalf("sign out: %d", st)
	}
	if st, _ := callWith(t, browser, "GET", url+"/api/moderation/queue", "", nil); st != 401 {
		t.Fatalf("after signing out: %d", st)
	}

	// Failed sign-ins are limited (3 a minute here); successes are not
	// counted. The wrong password of one more is refused unchecked.
	for i := range 2 {
		if st, _ := f.call("POST", "/api/moderation/login", `{"name":"mia","password":"wrong password"}`, nil); st != 401 {
			t.Fatalf("failure %d: %d", i+2, st)
		}
	}
	req, _ = http.NewRequest("POST", url+"/api/moderation/login", strings.NewReader(`{"name":"mia","password":"mia's password"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after 3 failures: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if st, _ := f.call("POST", "/api/moderation/login", `not json`, nil); st != 400 {
		t.Fatalf("bad JSON: %d", st)
	}
}

func TestAccountsAndTokens(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	admin := bearer(adminToken)
	if st, body := f.call("POST", "/api/moderation/accounts", `{"name":"zoe","password":"zoe's password","role":"admin"}`, admin); st != 201 || body["role"] != "admin" || body["password_hash"] != nil {
		t.Fatalf("add: %d %v", st, body)
	}
	if st, _ := f.call("POST", "/api/moderation/accounts", `{"name":"zoe","password":"zoe's password"}`, admin); st != 409 {
		t.Fatalf("add twice: %d", st)
	}
	if st, body := f.call("POST", "/api/moderation/accounts", `{"name":"z o e","password":"zoe's password"}`, admin); st != 400 {
		t.Fatalf("bad name: %d %v", st, body)
	}
	if st, _ := f.call("POST", "/api/moderation/accounts", `{"name":"yan","password":"short"}`, admin); st != 400 {
		t.Fatalf("short password: %d", st)
	}
	st, body := f.call("GET", "/api/moderation/accounts", "", admin)
	if st != 200 || len(body["accounts"].([]any)) != 2 {
		t.Fatalf("list: %d %v", st, body)
	}
	// zoe, an admin by token, removes mia; mia's token stops working.
	zoeTok, _, err := f.accounts.NewToken(context.Background(), "zoe", "")
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := f.call("DELETE", "/api/moderation/accounts/zoe", "", bearer(zoeTok)); st != 409 {
		t.Fatalf("remove self: %d", st)
	}
	if st, _ := f.call("DELETE", "/api/moderation/accounts/mia", "", bearer(zoeTok)); st != 204 {
		t.Fatalf("remove: %d", st)
	}
	if st, _ := f.call("DELETE", "/api/moderation/accounts/mia", "", bearer(zoeTok)); st != 404 {
		t.Fatalf("remove twice: %d", st)
	}
	if st, _ := f.call("GET", "/api/moderation/queue", "", bearer(f.modTok)); st != 401 {
		t.Fatalf("a removed account's token: %d", st)
	}

	// Tokens: make, list, use, revoke.
	st, body = f.call("POST", "/api/moderation/tokens", `{"label":"cron"}`, bearer(zoeTok))
	if st != 201 {
		t.Fatalf("new token: %d %v", st, body)
	}
	tok, tokID := body["token"].(string), body["id"].(string)
	if st, body := f.call("GET", "/api/moderation/me", "", bearer(tok)); st != 200 || body["name"] != "zoe" {
		t.Fatalf("me: %d %v", st, body)
	}
	if st, body := f.call("GET", "/api/moderation/tokens", "", bearer(tok)); st != 200 || len(body["tokens"].([]any)) != 2 {
		t.Fatalf("tokens: %d %v", st, body)
	}
	if st, _ := f.call("DELETE", "/api/moderation/tokens/"+tokID, "", bearer(zoeTok)); st != 204 {
		t.Fatalf("revoke: %d", st)
	}
	if st, _ := f.call("DELETE", "/api/moderation/tokens/"+tokID, "", bearer(zoeTok)); st != 404 {
		t.Fatalf("revoke twice: %d", st)
	}
	// An id no token can have is not found, never a failure of the store.
	for _, id := range []string{"%E9%E9%E9%E9%E9%E9%E9%E9%E9%E9%E9%E9%E9%E9%E9%E9", "0123456789abcde%09", "0123456789abcd%20f"} {
		if st, body := f.call("DELETE", "/api/moderation/tokens/"+id, "", bearer(zoeTok)); st != 404 {
			t.Errorf("revoke %s: %d %v", id, st, body)
		}
	}
	// admin-token is the bootstrap token's name and actor: no account may take it.
	if st, body := f.call("POST", "/api/moderation/accounts", `{"name":"admin-token","password":"zoe's password"}`, admin); st != 400 {
		t.Errorf("an account named admin-token: %d %v", st, body)
	}
	if st, _ := f.call("GET", "/api/moderation/me", "", bearer(tok)); st != 401 {
		t.Fatalf("revoked token: %d", st)
	}
}

func TestQueueFiltersPagesAndErrors(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	mod := bearer(f.modTok)
	var onA []string
	for i := range 5 {
		article := "a"
		if i%2 == 1 {
			article = "b"
		}
		id := f.held(article, "Ann", fmt.Sprintf("darn %d", i))
		if article == "a" {
			onA = append(onA, id)
		}
	}
	var got []string
	cursor := ""
	for range 5 {
		st, body := f.call("GET", "/api/moderation/queue?queue=held&article=a&limit=2&cursor="+cursor, "", mod)
		if st != 200 {
			t.Fatalf("queue: %d %v", st, body)
		}
		if body["total"].(float64) != 3 || body["counts"].(map[string]any)["held"].(float64) != 3 {
			t.Fatalf("total/counts: %v", body)
		}
		for _, it := range body["items"].([]any) {
			m := it.(map[string]any)
			got = append(got, m["id"].(string))
			if m["evidence"] == nil || m["rules"] == nil || m["author_stats"] == nil || m["seq"] == nil {
				t.Fatalf("an item without why it is there: %v", m)
			}
		}
		if cursor = body["next_cursor"].(string); cursor == "" {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(onA) {
		t.Errorf("pages = %v, want %v (oldest first)", got, onA)
	}
	for _, q := range []string{"queue=nope", "limit=0", "limit=x", "cursor=!!", "article=a%20b"} {
		if st, body := f.call("GET", "/api/moderation/queue?"+q, "", mod); st != 400 {
			t.Errorf("%s: %d %v", q, st, body)
		}
	}
	if st, body := f.call("GET", "/api/moderation/queue?queue=reported", "", mod); st != 200 || len(body["items"].([]any)) != 0 {
		t.Errorf("reported: %d %v", st, body)
	}
	if st, _ := f.call("GET", "/api/moderation/comments/"+onA[0], "", mod); st != 200 {
		t.Errorf("one item: %d", st)
	}
	if st, _ := f.call("GET", "/api/moderation/comments/"+uuid.NewString(), "", mod); st != 404 {
		t.Errorf("unknown item: %d", st)
	}
}

func TestDecisionsHistoryAndMetrics(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	mod := bearer(f.modTok)
	id := f.held("a1", "Ann", "darn it")
	path := "/api/moderation/comments/" + id + "/decision"
	for _, tt := range []struct{ body, code string }{
		{`{"action":"delete"}`, "invalid_action"},
		{`{"action":"reject"}`, "invalid_reason"},
		{`{"action":"reject","reason":"rude"}`, "invalid_reason"},
		{`{"action":"reject","reason":"spam","message":"` + strings.Repeat("x", 501) + `"}`, "too_long"},
		{`{"action":"approve","expected_seq":"x"}`, "invalid_json"},
	} {
		if st, body := f.call("POST", path, tt.body, mod); st != 400 || code(body) != tt.code {
			t.Errorf("%s: %d %v, want 400 %s", tt.body, st, body, tt.code)
		}
	}
	if st, _ := f.call("POST", "/api/moderation/comments/"+uuid.NewString()+"/decision", `{"action":"approve"}`, mod); st != 404 {
		t.Errorf("unknown comment: %d", st)
	}
	req := func() int {
		r, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(`{"action":"approve"}`))
		bearer(f.modTok)(r)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := req(); st != 415 {
		t.Errorf("without a content type: %d", st)
	}

	// Reject with a message for the author, then reverse: both stay.
	st, body := f.call("POST", path, `{"action":"reject","reason":"abusive","message":"Please keep it civil."}`, mod)
	if st != 200 {
		t.Fatalf("reject: %d %v", st, body)
	}
	if c := body["comment"].(map[string]any); c["status"] != "rejected" || c["decided_by"] != "moderator:mia" {
		t.Fatalf("after reject: %v", c)
	}
	f.caughtUp()
	if st, body := f.call("GET", "/api/comments/"+id, "", nil); st != 200 || body["status"] != "rejected" || body["message"] != "Please keep it civil." || body["reason"] != "abusive" {
		t.Fatalf("the author sees %d %v", st, body)
	}
	if st, body := f.call("POST", path, `{"action":"approve"}`, mod); st != 200 {
		t.Fatalf("reverse: %d %v", st, body)
	}
	f.caughtUp()
	st, body = f.call("GET", "/api/moderation/comments/"+id+"/history", "", mod)
	if st != 200 {
		t.Fatalf("history: %d", st)
	}
	var kinds []string
	for _, e := range body["events"].([]any) {
		m := e.(map[string]any)
		kinds = append(kinds, fmt.Sprintf("%s/%s", m["type"], m["actor_kind"]))
	}
	want := "[CommentSubmitted/reader CommentHeld/automatic CommentRejected/human CommentApproved/human]"
	if fmt.Sprint(kinds) != want {
		t.Errorf("history = %v, want %v", kinds, want)
	}
	if st, _ := f.call("GET", "/api/moderation/comments/"+uuid.NewString()+"/history", "", mod); st != 404 {
		t.Errorf("history of nothing: %d", st)
	}

	// An automatic approval a moderator rejects is an overturn.
	id2 := f.submit("a1", "Bo", "fine words")
	f.rules(events.CommentApproved, "a1", id2, events.Decision{Rules: []string{"clean"}})
	f.caughtUp()
	if st, body := f.call("POST", "/api/moderation/comments/"+id2+"/decision", `{"action":"reject","reason":"spam"}`, mod); st != 200 {
		t.Fatalf("reject approved: %d %v", st, body)
	}
	metrics := f.metrics()
	for _, line := range []string{
		`comments_moderation_decisions_total{actor_kind="human",outcome="reject",rule="mild-language"} 1`,
		`comments_moderation_decisions_total{actor_kind="human",outcome="approve",rule="none"} 1`,
		`comments_moderation_decisions_total{actor_kind="human",outcome="reject",rule="clean"} 1`,
		`comments_moderation_overturns_total{rule="clean"} 1`,
		`comments_queue_depth{queue="held"} 0`,
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
}

func (f *modFixture) metrics() string {
	f.t.Helper()
	resp, err := http.Get(f.srv.URL + "/metrics")
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// Two moderators decide the same comment at once: one wins, the other gets
// 409 with the comment as it now stands.
func TestTwoModeratorsRace(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	if _, err := f.accounts.Add(context.Background(), "max", "max's password", accounts.Moderator, "test"); err != nil {
		t.Fatal(err)
	}
	maxTok, _, _ := f.accounts.NewToken(context.Background(), "max", "")
	for round := range 5 {
		id := f.held("a1", "Ann", fmt.Sprintf("darn %d", round))
		it, _ := f.views.Item(id)
		body := func(action string) string {
			return fmt.Sprintf(`{"action":%q,"reason":"spam","expected_seq":%d}`, action, it.Seq)
		}
		var wg sync.WaitGroup
		res := make([]int, 2)
		bodies := make([]map[string]any, 2)
		for i, who := range []struct{ tok, action string }{{f.modTok, "approve"}, {maxTok, "reject"}} {
			wg.Go(func() {
				res[i], bodies[i] = f.call("POST", "/api/moderation/comments/"+id+"/decision", body(who.action), bearer(who.tok))
			})
		}
		wg.Wait()
		won, lost := 0, 1
		if res[0] != 200 {
			won, lost = 1, 0
		}
		if res[won] != 200 || res[lost] != 409 {
			t.Fatalf("round %d: statuses %v", round, res)
		}
		e := bodies[lost]["error"].(map[string]any)
		cur := e["current"].(map[string]any)
		winner := bodies[won]["comment"].(map[string]any)
		if cur["status"] != winner["status"] || cur["decided_by"] != winner["decided_by"] {
			t.Fatalf("round %d: 409 shows %v, the winner left %v", round, cur, winner)
		}
		// The log holds exactly one human decision.
		f.caughtUp()
		hist, _ := f.log.History(context.Background(), "a1", id)
		if len(hist) != 3 {
			t.Fatalf("round %d: %d events, want 3", round, len(hist))
		}
	}
}

// On a replicated stream a lost race answers with another error code
// (10164) than on one server (10071). A moderator who decides while the
// worker decides the same comment must get 409 there too, never a
// retryable 503: several moderators and the worker decide each comment at
// once, so most of them lose at the stream itself.
func TestModeratorRacingTheWorkerOnAClusterGets409(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-node cluster")
	}
	cl := natstest.NewCluster(t, 3)
	nc, err := nats.Connect(cl.ClientURLs(), nats.UserInfo(embedded.Operator, cl.Password(embedded.Operator)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	f := newModFixtureOn(t, js, events.Config{Replicas: 3}, web.ModerationConfig{})
	cl.WaitStreamCurrent(events.StreamName)
	ctx := context.Background()
	const moderators, rounds = 4, 5
	conflicts, wins := 0, 0
	for round := range rounds {
		id := f.submit("a1", "Ann", fmt.Sprintf("comment %d", round))
		// A moderator decides what the views showed them: the comment is
		// found through the views, never by a query of the log by id.
		f.caughtUp()
		seq, err := f.log.CommentSeq(ctx, "a1", id)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		status := make([]int, moderators)
		bodies := make([]map[string]any, moderators)
		var workerErr error
		wg.Go(func() {
			e, _ := events.New(uuid.NewString(), events.CommentApproved, "a1", id, events.RulesActor("v1"), "", time.Now(), events.Decision{Rules: []string{"default"}})
			_, workerErr = f.log.AppendAfter(ctx, e, seq)
		})
		for i := range moderators {
			wg.Go(func() {
				status[i], bodies[i] = f.call("POST", "/api/moderation/comments/"+id+"/decision", `{"action":"reject","reason":"spam"}`, bearer(f.modTok))
			})
		}
		wg.Wait()
		if workerErr != nil && !errors.Is(workerErr, events.ErrConflict) {
			t.Fatalf("round %d: the worker's append: %v", round, workerErr)
		}
		for i, st := range status {
			switch st {
			case 200:
				wins++
			case 409:
				conflicts++
				if code(bodies[i]) != "conflict" {
					t.Fatalf("round %d: 409 with %v", round, bodies[i])
				}
			default:
				t.Fatalf("round %d: a moderator racing the worker got %d %v, want 200 or 409", round, st, bodies[i])
			}
		}
	}
	if conflicts == 0 {
		t.Fatalf("no decision lost a race in %d rounds (%d won): the test did not race", rounds, wins)
	}
	t.Logf("%d decisions won, %d lost with 409", wins, conflicts)
}

func TestBulkDecisions(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	mod := bearer(f.modTok)
	a, b := f.held("a1", "Ann", "darn a"), f.held("a1", "Bo", "darn b")
	unknown := uuid.NewString()
	st, body := f.call("POST", "/api/moderation/decisions", fmt.Sprintf(`{"decisions":[
		{"id":%q,"action":"approve"},
		{"id":%q,"action":"reject","reason":"spam"},
		{"id":%q,"action":"approve"},
		{"id":%q,"action":"reject"},
		{"id":%q,"action":"approve","expected_seq":1}]}`, a, b, unknown, a, a), mod)
	if st != 200 {
		t.Fatalf("bulk: %d %v", st, body)
	}
	var got []string
	for _, r := range body["results"].([]any) {
		m := r.(map[string]any)
		got = append(got, fmt.Sprintf("%v", m["status"]))
	}
	if fmt.Sprint(got) != "[200 200 404 400 409]" {
		t.Errorf("results = %v", got)
	}
	for _, bad := range []string{`{"decisions":[]}`, `{}`, `{"decisions":[` + strings.Repeat(`{"id":"x","action":"approve"},`, web.MaxBulk) + `{"id":"x","action":"approve"}]}`} {
		if st, _ := f.call("POST", "/api/moderation/decisions", bad, mod); st != 400 {
			t.Errorf("%.40s: %d", bad, st)
		}
	}
}

// A moderator's decision reads the comment's history from the log, and
// must not create a consumer to do it: each one was an ephemeral consumer
// with a random name, a series per name in the exporter, and a line in
// commentctl status.
func TestModeratorActionsCreateNoConsumer(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	ctx := context.Background()
	mod := bearer(f.modTok)
	a, c := f.held("a1", "Spammy", "darn one"), f.held("a2", "Spammy", "darn three")
	b := f.submit("a1", "Ann", "a visible comment")
	f.rules(events.CommentApproved, "a1", b, events.Decision{})
	f.caughtUp()
	consumers := func() int {
		t.Helper()
		n := 0
		names := f.log.Stream().ConsumerNames(ctx)
		for range names.Name() {
			n++
		}
		if err := names.Err(); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := consumers()
	calls := []struct{ method, path, body string }{
		{"POST", "/api/comments/" + b + "/reports", `{"reason":"spam"}`},
		{"GET", "/api/moderation/comments/" + a + "/history", ""},
		{"POST", "/api/moderation/comments/" + a + "/decision", `{"action":"approve"}`},
		{"POST", "/api/moderation/decisions", `{"decisions":[{"id":"` + b + `","action":"reject","reason":"spam"}]}`},
		{"POST", "/api/moderation/authors/name:spammy/ban", `{"reason":"spam","reject_pending":true}`},
	}
	for _, call := range calls {
		if st, body := f.call(call.method, call.path, call.body, mod); st != 200 && st != 202 {
			t.Fatalf("%s %s: %d %v", call.method, call.path, st, body)
		}
		if n := consumers(); n != before {
			t.Fatalf("%s %s: the stream has %d consumers, %d before", call.method, call.path, n, before)
		}
	}
	f.caughtUp()
	if got, _ := f.views.Comment(c); got.Status != projections.Rejected {
		t.Fatalf("the ban left %s %s", c, got.Status)
	}
}

func TestBanRejectsWaitingCommentsAndUnban(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	mod := bearer(f.modTok)
	h1, h2 := f.held("a1", "Spammy", "buy buy"), f.held("a2", "Spammy", "cheap cheap")
	ok := f.submit("a1", "Spammy", "an earlier fine comment")
	f.rules(events.CommentApproved, "a1", ok, events.Decision{})
	other := f.held("a1", "Ann", "darn")
	f.caughtUp()

	if st, _ := f.call("POST", "/api/moderation/authors/name:nobody/ban", `{"reason":"spam"}`, mod); st != 404 {
		t.Errorf("ban of an unknown author: %d", st)
	}
	if st, body := f.call("POST", "/api/moderation/authors/name:spammy/ban", `{"reason":"because"}`, mod); st != 400 || code(body) != "invalid_reason" {
		t.Errorf("bad reason: %d %v", st, body)
	}
	st, body := f.call("POST", "/api/moderation/authors/name:spammy/ban", `{"reason":"spam","message":"No ads.","reject_pending":true}`, mod)
	if st != 200 || len(body["rejected"].([]any)) != 2 {
		t.Fatalf("ban: %d %v", st, body)
	}
	f.caughtUp()
	for id, want := range map[string]projections.Status{h1: projections.Rejected, h2: projections.Rejected, ok: projections.Approved, other: projections.Held} {
		if c, _ := f.views.Comment(id); c.Status != want {
			t.Errorf("%s: %s, want %s", id, c.Status, want)
		}
	}
	st, body = f.call("GET", "/api/moderation/authors/name:spammy", "", mod)
	if st != 200 || body["stats"].(map[string]any)["banned"] != true || body["total"].(float64) != 3 || body["ban_reason"] != "spam" {
		t.Fatalf("author: %d %v", st, body)
	}
	if !f.views.Author("name:spammy").Banned {
		t.Error("Store.Author does not say banned")
	}
	// Each rejection is caused by the ban.
	hist, _ := f.log.History(context.Background(), "a1", h1)
	if last := hist[len(hist)-1]; last.Type != events.CommentRejected || last.CausationID == "" || last.Actor != "moderator:mia" {
		t.Errorf("rejection = %+v", last)
	}
	if st, _ := f.call("POST", "/api/moderation/authors/name:spammy/unban", `{}`, mod); st != 200 {
		t.Fatalf("unban: %d", st)
	}
	f.caughtUp()
	if f.views.Author("name:spammy").Banned {
		t.Error("still banned")
	}
	if st, _ := f.call("GET", "/api/moderation/authors/name:nobody", "", mod); st != 404 {
		t.Errorf("unknown author: %d", st)
	}
	if st, _ := f.call("GET", "/api/moderation/authors/name:spammy?limit=0", "", mod); st != 400 {
		t.Errorf("bad limit: %d", st)
	}
}

// A timed ban: bad durations and ends are refused with a 400 and append
// nothing; a good one ends when it says, and the author page says so.
func TestTimedBan(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	mod := bearer(f.modTok)
	f.held("a1", "Spammy", "buy buy")
	f.caughtUp()
	last, _ := f.log.LastSeq(context.Background())
	for _, c := range []struct{ body, code string }{
		{`{"reason":"spam","duration":"7x"}`, "invalid_duration"},
		{`{"reason":"spam","duration":"0d"}`, "invalid_duration"},
		{`{"reason":"spam","duration":"-3h"}`, "invalid_duration"},
		{`{"reason":"spam","duration":"99999d"}`, "invalid_duration"},
		{`{"reason":"spam","until":"next tuesday"}`, "invalid_until"},
		{`{"reason":"spam","until":"2001-01-01T00:00:00Z"}`, "invalid_until"},
		{`{"reason":"spam","until":"2999-01-01T00:00:00Z"}`, "invalid_until"},
		{`{"reason":"spam","duration":"1d","until":"2999-01-01T00:00:00Z"}`, "invalid_until"},
	} {
		if st, body := f.call("POST", "/api/moderation/authors/name:spammy/ban", c.body, mod); st != 400 || code(body) != c.code {
			t.Errorf("%s: %d %v, want 400 %s", c.body, st, body, c.code)
		}
	}
	if now, _ := f.log.LastSeq(context.Background()); now != last {
		t.Fatalf("refused bans appended %d events", now-last)
	}
	before := time.Now()
	st, body := f.call("POST", "/api/moderation/authors/name:spammy/ban", `{"reason":"spam","duration":"7d"}`, mod)
	if st != 200 {
		t.Fatalf("timed ban: %d %v", st, body)
	}
	until, err := time.Parse(time.RFC3339, body["until"].(string))
	if err != nil || until.Before(before.Add(7*24*time.Hour-time.Second)) || until.After(time.Now().Add(7*24*time.Hour)) {
		t.Fatalf("until = %v (%v), want 7 days from now", body["until"], err)
	}
	f.caughtUp()
	st, body = f.call("GET", "/api/moderation/authors/name:spammy", "", mod)
	stats := body["stats"].(map[string]any)
	if st != 200 || stats["banned"] != true || stats["banned_until"] != until.Format(time.RFC3339) || body["banned_until"] != until.Format(time.RFC3339) {
		t.Fatalf("author: %d %v", st, body)
	}
	a := f.views.Author("name:spammy")
	if !a.BannedAt(until.Add(-time.Minute)) || a.BannedAt(until) {
		t.Errorf("the ban holds %v, %v around its end %v", a.BannedAt(until.Add(-time.Minute)), a.BannedAt(until), until)
	}
	// A ban with no end replaces it.
	if st, body := f.call("POST", "/api/moderation/authors/name:spammy/ban", `{"reason":"spam","duration":"permanent"}`, mod); st != 200 || body["until"] != nil {
		t.Fatalf("permanent ban: %d %v", st, body)
	}
	f.caughtUp()
	if a := f.views.Author("name:spammy"); !a.Banned || !a.BannedUntil.IsZero() {
		t.Errorf("after a permanent ban: %+v", a)
	}
}

func TestReportsAndTheHoldAfterEnough(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{RateLimitReports: 4})
	f.holdAfterReports(3)
	mod := bearer(f.modTok)
	id := f.submit("a1", "Ann", "a visible comment")
	f.rules(events.CommentApproved, "a1", id, events.Decision{})
	heldID := f.held("a1", "Bo", "darn")
	path := "/api/comments/" + id + "/reports"

	for _, tt := range []struct {
		path, body string
		status     int
	}{
		{path, `{"reason":"because"}`, 400},
		{path, `{}`, 400},
		{"/api/comments/" + uuid.NewString() + "/reports", `{"reason":"spam"}`, 404},
		{"/api/comments/" + heldID + "/reports", `{"reason":"spam"}`, 404}, // not visible: not reportable
	} {
		if st, body := f.call("POST", tt.path, tt.body, nil); st != tt.status {
			t.Errorf("%s %s: %d %v, want %d", tt.path, tt.body, st, body, tt.status)
		}
	}
	// The same reader twice counts once.
	for range 2 {
		if st, body := f.call("POST", path, `{"reason":"spam"}`, nil); st != 202 {
			t.Fatalf("report: %d %v", st, body)
		}
	}
	f.caughtUp()
	if r := f.views.Reports(id); r.Open != 1 {
		t.Fatalf("reports = %+v", r)
	}
	st, body := f.call("GET", "/api/moderation/queue?queue=reported", "", mod)
	if st != 200 || len(body["items"].([]any)) != 1 {
		t.Fatalf("reported queue: %d %v", st, body)
	}
	// The address is limited to 4 reports a minute (2 taken, 2 were refused before the limiter).
	for range 2 {
		f.call("POST", path, `{"reason":"spam"}`, nil)
	}
	if st, _ := f.call("POST", path, `{"reason":"spam"}`, nil); st != 429 {
		t.Errorf("fifth report a minute: %d", st)
	}

	// Two more readers (other addresses; appended as the API would) reach
	// the threshold: the comment is held by reports@3.
	for _, who := range []string{"ip:other-1", "ip:other-2"} {
		e, _ := events.New(uuid.NewString(), events.CommentReported, "a1", id, events.ActorReader, "", time.Now(), events.Reported{Reason: "abusive", ReporterID: who})
		if _, err := f.log.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	poll.True(f.t, 10*time.Second, "held after reports", func() bool { c, _ := f.views.Comment(id); return c.Status == projections.Held })
	c, _ := f.views.Comment(id)
	if c.DecidedBy != "reports@3" || c.HumanDecided() {
		t.Fatalf("held by %q", c.DecidedBy)
	}
	if st, body := f.call("GET", "/api/articles/a1/comments", "", nil); body["total"].(float64) != 0 {
		t.Fatalf("a held comment is still visible: %d %v", st, body)
	}
	// A moderator approves it: it stays up, however many report it later.
	if st, _ := f.call("POST", "/api/moderation/comments/"+id+"/decision", `{"action":"approve"}`, mod); st != 200 {
		t.Fatal("approve")
	}
	for _, who := range []string{"ip:other-3", "ip:other-4", "ip:other-5"} {
		e, _ := events.New(uuid.NewString(), events.CommentReported, "a1", id, events.ActorReader, "", time.Now(), events.Reported{Reason: "abusive", ReporterID: who})
		if _, err := f.log.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	f.caughtUp()
	if c, _ := f.views.Comment(id); c.Status != projections.Approved || f.views.Reports(id).Open != 3 {
		t.Fatalf("after a moderator's approval: %s, %+v", c.Status, f.views.Reports(id))
	}
}

func TestArticleSettings(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	mod := bearer(f.modTok)
	if st, body := f.call("PUT", "/api/moderation/articles/a1/settings", `{"closed":true,"premoderated":false}`, mod); st != 200 || body["closed"] != true {
		t.Fatalf("settings: %d %v", st, body)
	}
	var got []events.ArticleSettings
	f.log.Replay(context.Background(), 1, []string{"articles.a1.settings"}, func(e events.Envelope) error {
		var s events.ArticleSettings
		e.Payload(&s)
		got = append(got, s)
		return nil
	})
	if len(got) != 1 || !got[0].Closed || got[0].Premoderated {
		t.Fatalf("stored %v", got)
	}
	for _, tt := range []struct{ path, body string }{
		{"/api/moderation/articles/a1/settings", `{"closed":true}`},
		{"/api/moderation/articles/a1/settings", `{"closed":"yes","premoderated":false}`},
		{"/api/moderation/articles/a.b/settings", `{"closed":true,"premoderated":false}`},
	} {
		if st, _ := f.call("PUT", tt.path, tt.body, mod); st != 400 {
			t.Errorf("%s %s: %d", tt.path, tt.body, st)
		}
	}
}

// The live stream tells an open UI about a decision, and ends when the
// server shuts down.
func TestLiveUpdates(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	id := f.held("a1", "Ann", "darn")
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/moderation/events", nil)
	bearer(f.modTok)(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	if st, _ := f.call("POST", "/api/moderation/comments/"+id+"/decision", `{"action":"approve"}`, bearer(adminToken)); st != 200 {
		t.Fatal("decide")
	}
	timeout := time.After(10 * time.Second)
	for found := false; !found; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("stream ended early")
			}
			found = strings.HasPrefix(l, "data: ") && strings.Contains(l, id) && strings.Contains(l, `"decided_by":"moderator:admin-token"`)
		case <-timeout:
			t.Fatal("no update in 10s")
		}
	}
	f.web.CloseStreams()
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				return // the stream ended
			}
		case <-time.After(10 * time.Second):
			t.Fatal("stream still open after CloseStreams")
		}
	}
}

// Moderators' and readers' streams share one hub: after shutdown began,
// neither takes a new stream, and both say why, so the client retries.
func TestStreamsRefusedAfterShutdown(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	f.web.CloseStreams()
	for _, path := range []string{"/api/moderation/events", "/api/articles/a1/events"} {
		st, body := f.call("GET", path, "", bearer(f.modTok))
		if st != 503 || !strings.Contains(fmt.Sprint(body), "shutting_down") {
			t.Errorf("%s after shutdown: %d %v", path, st, body)
		}
	}
}

// clientFrom is an HTTP client whose connections come from ip, one of
// loopback's many addresses: another reader, as the server sees it.
func clientFrom(t testing.TB, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// Failing to sign in as someone from one address does not lock them out:
// their right password from another address still works.
func TestFailedSignInsDoNotLockTheNameOut(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{LoginsPerMinute: 3})
	attacker, owner := clientFrom(t, "127.0.0.2"), clientFrom(t, "127.0.0.3")
	login := f.srv.URL + "/api/moderation/login"
	for i := range 3 {
		if st, body := callWith(t, attacker, "POST", login, `{"name":"mia","password":"wrong password"}`, nil); st != 401 {
			t.Fatalf("failure %d: %d %v", i+1, st, body)
		}
	}
	if st, _ := callWith(t, attacker, "POST", login, `{"name":"mia","password":"mia's password"}`, nil); st != 429 {
		t.Fatalf("the failing address, past its limit: %d", st)
	}
	if st, body := callWith(t, owner, "POST", login, `{"name":"mia","password":"mia's password"}`, nil); st != 200 {
		t.Fatalf("the right password from another address: %d %v", st, body)
	}
}

// Wrong bearer tokens are limited per address; right ones do not count.
func TestWrongBearerTokensAreLimited(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{LoginsPerMinute: 3})
	attacker, owner := clientFrom(t, "127.0.0.2"), clientFrom(t, "127.0.0.3")
	me := f.srv.URL + "/api/moderation/me"
	for range 10 {
		if st, _ := callWith(t, owner, "GET", me, "", bearer(f.modTok)); st != 200 {
			t.Fatalf("a right token: %d", st)
		}
	}
	for i, tok := range []string{"ct_guess1", adminToken + "0", "ct_guess3"} {
		if st, _ := callWith(t, attacker, "GET", me, "", bearer(tok)); st != 401 {
			t.Fatalf("wrong token %d: %d", i+1, st)
		}
	}
	req, _ := http.NewRequest("GET", me, nil)
	bearer("ct_guess4")(req)
	resp, err := attacker.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("past the limit: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if st, _ := callWith(t, owner, "GET", me, "", bearer("ct_typo")); st != 401 {
		t.Fatalf("another address's first wrong token: %d", st)
	}
}
