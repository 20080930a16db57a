package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/web"
)

type fixture struct {
	t     *testing.T
	log   *events.Log
	tv    *web.TestViews
	views *web.TestViews
	web   *web.Server
	srv   *httptest.Server
}

// newFixture serves the API on a real embedded JetStream, with the views
// in KV written by a real projector. The projector runs when the test says
// (applyAll), so each test decides what it has seen.
func newFixture(t *testing.T, cfg web.Config) *fixture {
	t.Helper()
	_, js := natstest.Connect(t, natstest.Server(t))
	l, err := events.Open(context.Background(), js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tv := web.NewTestViews(t, js, l)
	w := web.New(tv.Config(cfg))
	tv.Serve(w)
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	t.Cleanup(w.CloseStreams) // runs first: live streams end, so srv.Close returns
	return &fixture{t: t, log: l, tv: tv, views: tv, web: w, srv: srv}
}

// applyAll runs the projector until the views reflect every stored event.
func (f *fixture) applyAll() {
	f.t.Helper()
	f.tv.Sync()
}

func (f *fixture) lastSeq() uint64 {
	f.t.Helper()
	seq, err := f.log.LastSeq(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return seq
}

func (f *fixture) post(path, contentType, body string, header map[string]string) (*http.Response, map[string]any) {
	f.t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return f.do(req)
}

func (f *fixture) get(path string) (*http.Response, map[string]any) {
	f.t.Helper()
	req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
	return f.do(req)
}

func (f *fixture) do(req *http.Request) (*http.Response, map[string]any) {
	f.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &body); err != nil {
			f.t.Fatalf("%s %s: body %q is not JSON: %v", req.Method, req.URL.Path, b, err)
		}
	}
	return resp, body
}

func errorOf(body map[string]any) (code, field string) {
	e, _ := body["error"].(map[string]any)
	code, _ = e["code"].(string)
	field, _ = e["field"].(string)
	if msg, _ := e["message"].(string); msg == "" {
		return "", ""
	}
	return code, field
}

const path = "/api/articles/a1/comments"

func TestBadInputIsRefusedAndNothingIsPublished(t *testing.T) {
	f := newFixture(t, web.Config{})
	long := strings.Repeat("é", web.MaxTextRunes+1)
	tests := []struct {
		name, path, contentType, body string
		header                        map[string]string
		status                        int
		code, field                   string
	}{
		{"invalid JSON", path, "application/json", `{"author":`, nil, 400, "invalid_json", ""},
		{"not an object", path, "application/json", `[1,2]`, nil, 400, "invalid_json", ""},
		{"wrong type", path, "application/json", `{"author":1,"text":"x"}`, nil, 400, "invalid_json", "author"},
		{"two objects", path, "application/json", `{"author":"a","text":"x"}{}`, nil, 400, "invalid_json", ""},
		{"missing author", path, "application/json", `{"text":"hello"}`, nil, 400, "missing_field", "author"},
		{"blank author", path, "application/json", `{"author":"  ","text":"hello"}`, nil, 400, "missing_field", "author"},
		{"control characters in author", path, "application/json", `{"author":"a\u0007b","text":"hello"}`, nil, 400, "invalid_field", "author"},
		{"missing text", path, "application/json", `{"author":"Anna"}`, nil, 400, "missing_field", "text"},
		{"blank text", path, "application/json", `{"author":"Anna","text":" \n "}`, nil, 400, "missing_field", "text"},
		{"text too long", path, "application/json", `{"author":"Anna","text":"` + long + `"}`, nil, 400, "too_long", "text"},
		{"author too long", path, "application/json", `{"author":"` + strings.Repeat("a", 81) + `","text":"x"}`, nil, 400, "too_long", "author"},
		{"invalid UTF-8", path, "application/json", "{\"author\":\"Anna\",\"text\":\"bad \xff\xfe\"}", nil, 400, "invalid_utf8", ""},
		{"unknown parent", path, "application/json", `{"author":"Anna","text":"x","parent_id":"` + uuid.NewString() + `"}`, nil, 400, "unknown_parent", "parent_id"},
		{"parent not an id", path, "application/json", `{"author":"Anna","text":"x","parent_id":"../../etc"}`, nil, 400, "unknown_parent", "parent_id"},
		{"bad article id", "/api/articles/a.b%2A/comments", "application/json", `{"author":"Anna","text":"x"}`, nil, 400, "invalid_article", "article"},
		{"article id too long", "/api/articles/" + strings.Repeat("a", 129) + "/comments", "application/json", `{"author":"Anna","text":"x"}`, nil, 400, "invalid_article", "article"},
		{"body too large", path, "application/json", `{"author":"Anna","text":"` + strings.Repeat("a", web.MaxBodyBytes) + `"}`, nil, 413, "body_too_large", ""},
		{"wrong content type", path, "text/plain", `{"author":"Anna","text":"x"}`, nil, 415, "unsupported_media_type", ""},
		{"no content type", path, "", `{"author":"Anna","text":"x"}`, nil, 415, "unsupported_media_type", ""},
		{"idempotency key too long", path, "application/json", `{"author":"Anna","text":"x"}`, map[string]string{"Idempotency-Key": strings.Repeat("k", 201)}, 400, "invalid_idempotency_key", "Idempotency-Key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.post(tt.path, tt.contentType, tt.body, tt.header)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (body %v)", resp.StatusCode, tt.status, body)
			}
			if code, field := errorOf(body); code != tt.code || field != tt.field {
				t.Fatalf("error code %q field %q, want %q %q (body %v)", code, field, tt.code, tt.field, body)
			}
		})
	}
	if n := f.lastSeq(); n != 0 {
		t.Fatalf("bad input published %d events", n)
	}
}

func TestPostListAndStatus(t *testing.T) {
	f := newFixture(t, web.Config{})
	resp, body := f.post(path, "application/json; charset=utf-8", `{"author":"Anna","text":"Good piece."}`, nil)
	if resp.StatusCode != 202 || body["status"] != "pending" {
		t.Fatalf("POST: %d %v", resp.StatusCode, body)
	}
	id := body["id"].(string)

	// Before the projector has seen it, the author still learns it is pending.
	if resp, st := f.get("/api/comments/" + id); resp.StatusCode != 200 || st["status"] != "pending" || st["article"] != "a1" {
		t.Fatalf("status before projection: %d %v", resp.StatusCode, st)
	}
	f.applyAll()
	if _, list := f.get(path); list["total"].(float64) != 0 {
		t.Fatalf("a pending comment is listed: %v", list)
	}
	sub, err := f.log.History(context.Background(), "a1", id)
	if err != nil {
		t.Fatal(err)
	}
	dec, _ := events.New(uuid.NewString(), events.CommentApproved, "a1", id, events.RulesActor("v1"), sub[0].ID, time.Now(), events.Decision{})
	if _, err := f.log.AppendAfter(context.Background(), dec, sub[0].Seq); err != nil {
		t.Fatal(err)
	}
	f.applyAll()
	_, list := f.get(path)
	comments := list["comments"].([]any)
	if list["total"].(float64) != 1 || len(comments) != 1 || list["article"] != "a1" {
		t.Fatalf("list: %v", list)
	}
	c := comments[0].(map[string]any)
	for k, want := range map[string]any{"id": id, "author": "Anna", "text": "Good piece.", "parent_id": ""} {
		if c[k] != want {
			t.Errorf("comment %s = %v, want %v", k, c[k], want)
		}
	}
	if _, ok := c["created_at"].(string); !ok {
		t.Error("no created_at")
	}
	if _, st := f.get("/api/comments/" + id); st["status"] != "approved" {
		t.Fatalf("status after approval: %v", st)
	}
	if resp, _ := f.get("/api/comments/" + uuid.NewString()); resp.StatusCode != 404 {
		t.Fatalf("unknown comment: %d", resp.StatusCode)
	}
	if resp, _ := f.get("/api/comments/not-an-id"); resp.StatusCode != 404 {
		t.Fatalf("malformed id: %d", resp.StatusCode)
	}

	// A reply to a known comment of the same article is accepted.
	resp, body = f.post(path, "application/json", `{"author":"Bo","text":"Agreed.","parent_id":"`+id+`"}`, nil)
	if resp.StatusCode != 202 {
		t.Fatalf("reply: %d %v", resp.StatusCode, body)
	}
	// ... but not on another article.
	if resp, body := f.post("/api/articles/a2/comments", "application/json", `{"author":"Bo","text":"x","parent_id":"`+id+`"}`, nil); resp.StatusCode != 400 {
		t.Fatalf("reply across articles: %d %v", resp.StatusCode, body)
	}
}

func TestListQueryValidation(t *testing.T) {
	f := newFixture(t, web.Config{})
	for _, q := range []string{"?limit=0", "?limit=201", "?limit=x", "?cursor=!!", "?sort=random"} {
		if resp, body := f.get(path + q); resp.StatusCode != 400 {
			t.Errorf("%s: %d %v", q, resp.StatusCode, body)
		}
	}
	if resp, body := f.get("/api/articles/a.b/comments"); resp.StatusCode != 400 {
		t.Errorf("bad article: %d %v", resp.StatusCode, body)
	}
	if resp, body := f.get(path + "?limit=10&sort=newest"); resp.StatusCode != 200 || body["total"].(float64) != 0 {
		t.Errorf("empty article: %d %v", resp.StatusCode, body)
	}
}

func TestIdempotencyKeyGivesOneComment(t *testing.T) {
	f := newFixture(t, web.Config{})
	key := map[string]string{"Idempotency-Key": "k-123"}
	var wg sync.WaitGroup
	ids := make([]string, 6)
	for i := range ids {
		wg.Go(func() {
			resp, body := f.post(path, "application/json", `{"author":"Anna","text":"once"}`, key)
			if resp.StatusCode != 202 {
				t.Errorf("POST %d: %d %v", i, resp.StatusCode, body)
				return
			}
			ids[i] = body["id"].(string)
		})
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("same key, different ids: %v", ids)
		}
	}
	if n := f.lastSeq(); n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}
	// After the projector knows the comment, the key still names it (the
	// stream's duplicate window may have passed by then).
	f.applyAll()
	if _, body := f.post(path, "application/json", `{"author":"Anna","text":"once"}`, key); body["id"] != ids[0] {
		t.Fatalf("later retry: %v", body)
	}
	// The same key on another article is another comment.
	if _, body := f.post("/api/articles/a2/comments", "application/json", `{"author":"Anna","text":"once"}`, key); body["id"] == ids[0] {
		t.Fatal("a key is shared across articles")
	}
	if n := f.lastSeq(); n != 2 {
		t.Fatalf("%d events stored, want 2", n)
	}
	// So is the same key from another author.
	if _, body := f.post(path, "application/json", `{"author":"Bo","text":"once"}`, key); body["id"] == ids[0] {
		t.Fatal("a key is shared across authors")
	}
	// The same key with another comment is refused, not taken for a retry,
	// whether or not the read models know the first comment yet.
	resp, body := f.post(path, "application/json", `{"author":"Bo","text":"something else"}`, key)
	if resp.StatusCode != 422 || errorCode(body) != "idempotency_key_reused" {
		t.Fatalf("key reused before the views know it: %d %v", resp.StatusCode, body)
	}
	f.applyAll()
	resp, body = f.post(path, "application/json", `{"author":"Anna","text":"twice"}`, key)
	if resp.StatusCode != 422 || errorCode(body) != "idempotency_key_reused" {
		t.Fatalf("key reused: %d %v", resp.StatusCode, body)
	}
	if n := f.lastSeq(); n != 3 {
		t.Fatalf("%d events stored, want 3", n)
	}
}

func errorCode(body map[string]any) string {
	code, _ := errorOf(body)
	return code
}

// Beyond the stream's duplicate window, and before the read models know
// the comment, a retry is still answered with the stored comment.
func TestIdempotencyKeyBeyondTheDuplicateWindow(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t))
	l, err := events.Open(context.Background(), js, events.Config{DuplicateWindow: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.NewTestViews(t, js, l).Config(web.Config{})))
	t.Cleanup(srv.Close)
	f := &fixture{t: t, log: l, srv: srv}
	key := map[string]string{"Idempotency-Key": "k-1"}
	_, first := f.post(path, "application/json", `{"author":"Anna","text":"once"}`, key)
	time.Sleep(300 * time.Millisecond) // let the duplicate window pass: what this test is about
	resp, again := f.post(path, "application/json", `{"author":"Anna","text":"once"}`, key)
	if resp.StatusCode != 202 || again["id"] != first["id"] {
		t.Fatalf("retry: %d %v, want 202 %v", resp.StatusCode, again, first["id"])
	}
	if resp, body := f.post(path, "application/json", `{"author":"Anna","text":"other"}`, key); resp.StatusCode != 422 {
		t.Fatalf("reused key: %d %v", resp.StatusCode, body)
	}
	if n := f.lastSeq(); n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}
}

// A retry of an accepted comment is answered even past the rate limit.
func TestIdempotentRetrySpendsNoRateLimit(t *testing.T) {
	f := newFixture(t, web.Config{RateLimitPerIP: 1})
	key := map[string]string{"Idempotency-Key": "k-9"}
	if resp, body := f.post(path, "application/json", `{"author":"Anna","text":"once"}`, key); resp.StatusCode != 202 {
		t.Fatalf("first: %d %v", resp.StatusCode, body)
	}
	f.applyAll()
	if resp, body := f.post(path, "application/json", `{"author":"Anna","text":"once"}`, key); resp.StatusCode != 202 {
		t.Fatalf("retry past the limit: %d %v", resp.StatusCode, body)
	}
}

func TestRateLimits(t *testing.T) {
	f := newFixture(t, web.Config{RateLimitPerIP: 3, RateLimitPerAuthor: 2})
	post := func(author string) *http.Response {
		resp, _ := f.post(path, "application/json", `{"author":"`+author+`","text":"x"}`, nil)
		return resp
	}
	for i := range 2 {
		if r := post("Anna"); r.StatusCode != 202 {
			t.Fatalf("post %d: %d", i, r.StatusCode)
		}
	}
	r := post("anna") // the same author, whatever the case
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("third post by one author: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r := post("Bo"); r.StatusCode != 202 {
		t.Fatalf("another author: %d", r.StatusCode)
	}
	if r := post("Cy"); r.StatusCode != 429 {
		t.Fatalf("fifth post from one address: %d", r.StatusCode)
	}
	if n := f.lastSeq(); n != 3 {
		t.Fatalf("%d events stored, want 3", n)
	}
}

func TestArticlePageFormPostRedirectGet(t *testing.T) {
	f := newFixture(t, web.Config{})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"author": {"Anna"}, "text": {"<script>alert(1)</script> Fine piece."}}
	resp, err := client.PostForm(f.srv.URL+"/articles/"+web.DemoArticle, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "posted=") {
		t.Fatalf("form post: %d Location %q", resp.StatusCode, loc)
	}
	f.applyAll()
	page := f.getPage(loc)
	if !strings.Contains(page, "awaiting review") {
		t.Errorf("no pending notice on %s", loc)
	}
	if !strings.Contains(page, "Lavrov") || !strings.Contains(page, `<form method="post"`) {
		t.Error("the demo article or its form is missing")
	}

	// An invalid form comes back with the error and what was typed.
	resp, err = client.PostForm(f.srv.URL+"/articles/"+web.DemoArticle, url.Values{"author": {"Anna"}, "text": {""}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "the comment is empty") || !strings.Contains(string(b), `value="Anna"`) {
		t.Fatalf("invalid form: %d", resp.StatusCode)
	}
	if n := f.lastSeq(); n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}
}

func (f *fixture) getPage(path string) string {
	f.t.Helper()
	resp, err := http.Get(f.srv.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		f.t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return string(b)
}

func TestHealthAndReadiness(t *testing.T) {
	var ready atomic.Bool
	f := newFixture(t, web.Config{Ready: func(uint64) bool { return ready.Load() }})
	if resp, _ := f.get("/healthz"); resp.StatusCode != 200 {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	if resp, _ := f.get("/readyz"); resp.StatusCode != 503 {
		t.Fatalf("readyz before catching up: %d", resp.StatusCode)
	}
	ready.Store(true)
	if resp, _ := f.get("/readyz"); resp.StatusCode != 200 {
		t.Fatalf("readyz after: %d", resp.StatusCode)
	}
}

// Every API answer is JSON, wrong routes and methods included.
func TestUnknownAPIRoutesAnswerJSON(t *testing.T) {
	f := newFixture(t, web.Config{})
	resp, body := f.get("/api/nothing/here")
	if resp.StatusCode != 404 || errorCode(body) != "not_found" {
		t.Fatalf("unknown route: %d %v", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("DELETE", f.srv.URL+path, nil)
	resp, body = f.do(req)
	if resp.StatusCode != 405 || errorCode(body) != "method_not_allowed" || resp.Header.Get("Allow") != "GET, POST" {
		t.Fatalf("wrong method: %d %v Allow %q", resp.StatusCode, body, resp.Header.Get("Allow"))
	}
	if resp, body := f.post(path, "application/json", `[1,2]`, nil); resp.StatusCode != 400 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "JSON object") {
		t.Fatalf("array body: %d %v", resp.StatusCode, body)
	}
}

// Another site's page cannot post the article form for its visitors.
func TestArticleFormRefusesCrossSitePosts(t *testing.T) {
	f := newFixture(t, web.Config{})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		header, value string
		want          int
	}{
		{"Sec-Fetch-Site", "cross-site", 403},
		{"Origin", "https://evil.example", 403},
		{"Sec-Fetch-Site", "same-origin", 303},
	} {
		req, _ := http.NewRequest("POST", f.srv.URL+"/articles/"+web.DemoArticle, strings.NewReader(url.Values{"author": {"Anna"}, "text": {"Hello " + tc.value}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(tc.header, tc.value)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %s: %d, want %d", tc.header, tc.value, resp.StatusCode, tc.want)
		}
	}
	if n := f.lastSeq(); n != 1 {
		t.Fatalf("%d comments stored, want 1", n)
	}
}

// When the stream cannot take a comment, the reader gets 503 with
// Retry-After and the JSON error body (nothing was accepted), and /readyz
// says the log is unavailable.
func TestLogUnavailable(t *testing.T) {
	nc, js := natstest.Connect(t, natstest.Server(t))
	l, err := events.Open(context.Background(), js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.NewTestViews(t, js, l).Config(web.Config{})))
	t.Cleanup(srv.Close)
	f := &fixture{t: t, log: l, srv: srv}
	nc.Close()
	resp, body := f.post(path, "application/json", `{"author":"Anna","text":"Hello"}`, nil)
	if resp.StatusCode != 503 || errorCode(body) != "unavailable" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("POST with the log down: %d %v Retry-After %q", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	if resp, body := f.get("/readyz"); resp.StatusCode != 503 || body["status"] != "log unavailable" {
		t.Fatalf("readyz with the log down: %d %v", resp.StatusCode, body)
	}
}
