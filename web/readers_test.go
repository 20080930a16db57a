package web_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/web"
)

// comment posts a comment (a reply when parent is set) and returns its id.
func (f *fixture) comment(article, author, text, parent string, header map[string]string) string {
	f.t.Helper()
	body, _ := json.Marshal(map[string]string{"author": author, "text": text, "parent_id": parent})
	resp, out := f.post("/api/articles/"+article+"/comments", "application/json", string(body), header)
	if resp.StatusCode != 202 {
		f.t.Fatalf("post %q: %d %v", text, resp.StatusCode, out)
	}
	return out["id"].(string)
}

// decide appends a decision for a comment, as the worker or a moderator
// would, and applies the log.
func (f *fixture) decide(typ events.Type, article, id, actor, message string) {
	f.t.Helper()
	ctx := context.Background()
	seq, err := f.log.CommentSeq(ctx, article, id)
	if err != nil {
		f.t.Fatal(err)
	}
	e, _ := events.New(uuid.NewString(), typ, article, id, actor, "", time.Now(), events.Decision{Reason: "test", Message: message})
	if _, err := f.log.AppendAfter(ctx, e, seq); err != nil {
		f.t.Fatal(err)
	}
	f.applyAll()
}

func (f *fixture) approve(article string, ids ...string) {
	f.t.Helper()
	for _, id := range ids {
		f.decide(events.CommentApproved, article, id, "moderator:test", "")
	}
}

func (f *fixture) settings(article string, set events.ArticleSettings) {
	f.t.Helper()
	e, _ := events.New(uuid.NewString(), events.ArticleSettingsChanged, article, "", "moderator:test", "", time.Now(), set)
	if _, err := f.log.Append(context.Background(), e); err != nil {
		f.t.Fatal(err)
	}
	f.applyAll()
}

type listPage struct {
	Total    int `json:"total"`
	Comments []struct {
		ID       string `json:"id"`
		ParentID string `json:"parent_id"`
		Author   string `json:"author"`
		Text     string `json:"text"`
	} `json:"comments"`
	NextCursor string `json:"next_cursor"`
}

func (f *fixture) list(path string) listPage {
	f.t.Helper()
	resp, err := http.Get(f.srv.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var p listPage
	if resp.StatusCode != 200 {
		f.t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		f.t.Fatal(err)
	}
	return p
}

func TestThreadsPaginationAndReplyDepth(t *testing.T) {
	f := newFixture(t, web.Config{MaxReplyDepth: 2})
	const a = "threads"
	root := f.comment(a, "Anna", "root", "", nil)
	f.applyAll() // a reply needs its parent in the read models
	reply := f.comment(a, "Bo", "reply", root, nil)
	f.applyAll()
	deeper := f.comment(a, "Cy", "reply to reply", reply, nil)
	f.applyAll()
	second := f.comment(a, "Di", "second thread", "", nil)
	f.applyAll()

	// Depth 3 is past the limit of 2.
	resp, body := f.post("/api/articles/"+a+"/comments", "application/json", `{"author":"Ed","text":"too deep","parent_id":"`+deeper+`"}`, nil)
	if code, field := errorOf(body); resp.StatusCode != 400 || code != "reply_too_deep" || field != "parent_id" {
		t.Fatalf("too deep: %d %v", resp.StatusCode, body)
	}
	f.approve(a, root, reply, deeper, second)

	// The API pages the flat list, oldest first, with parent ids to
	// build threads from.
	var got []string
	parents := map[string]string{}
	cursor := ""
	for pages := 0; ; pages++ {
		p := f.list("/api/articles/" + a + "/comments?limit=3&cursor=" + cursor)
		if p.Total != 4 || len(p.Comments) > 3 {
			t.Fatalf("page %d: %+v", pages, p)
		}
		for _, c := range p.Comments {
			got = append(got, c.ID)
			parents[c.ID] = c.ParentID
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if want := []string{root, reply, deeper, second}; !slices.Equal(got, want) {
		t.Fatalf("oldest first: %v, want %v", got, want)
	}
	if parents[reply] != root || parents[deeper] != reply || parents[root] != "" {
		t.Fatalf("parents: %v", parents)
	}
	if p := f.list("/api/articles/" + a + "/comments?limit=1&sort=newest"); len(p.Comments) != 1 || p.Comments[0].ID != second || p.NextCursor == "" {
		t.Fatalf("newest first: %+v", p)
	}

	// The page nests replies and offers a reply form only where the
	// limit allows one.
	page := f.getPage("/articles/" + a)
	for _, want := range []string{`class="comment d0" id="c-` + root, `class="comment d1" id="c-` + reply, `class="comment d2" id="c-` + deeper, `name="parent_id" value="` + reply + `"`, "4 comments"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, `name="parent_id" value="`+deeper+`"`) {
		t.Error("a reply form under a comment at the depth limit")
	}
	newest := f.getPage("/articles/" + a + "?sort=newest")
	if strings.Index(newest, "c-"+second) > strings.Index(newest, "c-"+root) {
		t.Error("newest first does not put the second thread first")
	}
}

func TestReplyFormWithoutJavaScript(t *testing.T) {
	f := newFixture(t, web.Config{})
	const a = "replies"
	root := f.comment(a, "Anna", "root", "", nil)
	f.applyAll()
	f.approve(a, root)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"author": {"Bo"}, "text": {"a reply"}, "parent_id": {root}, "idempotency_key": {"k1-" + root}}
	for range 2 { // a double submit is one comment
		resp, err := client.PostForm(f.srv.URL+"/articles/"+a, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("reply: %d", resp.StatusCode)
		}
	}
	f.applyAll()
	if n := f.lastSeq(); n != 3 {
		t.Fatalf("%d events, want 3 (submit, approve, one reply)", n)
	}
	// An error comes back in the reply form, open, with what was typed.
	resp, err := client.PostForm(f.srv.URL+"/articles/"+a, url.Values{"author": {"Bo"}, "text": {" "}, "parent_id": {root}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.StatusCode != 400 || !strings.Contains(page, `<details class="reply" open>`) || !strings.Contains(page, `role="alert">the comment is empty`) {
		t.Fatalf("reply error: %d\n%s", resp.StatusCode, page)
	}
}

func TestCounts(t *testing.T) {
	f := newFixture(t, web.Config{})
	ids := []string{f.comment("a1", "Anna", "one", "", nil), f.comment("a1", "Bo", "two", "", nil), f.comment("a2", "Cy", "three", "", nil)}
	f.applyAll()
	f.approve("a1", ids[0], ids[1])
	resp, body := f.get("/api/counts?articles=a1,a2,none")
	want := map[string]any{"a1": 2.0, "a2": 0.0, "none": 0.0}
	if resp.StatusCode != 200 || fmt.Sprint(body["counts"]) != fmt.Sprint(want) {
		t.Fatalf("counts: %d %v", resp.StatusCode, body)
	}
	many := strings.TrimSuffix(strings.Repeat("a,", web.MaxCountArticles+1), ",")
	for _, q := range []string{"", "?articles=", "?articles=a.b", "?articles=a,,b", "?articles=" + many} {
		if resp, body := f.get("/api/counts" + q); resp.StatusCode != 400 {
			t.Errorf("%q: %d %v", q, resp.StatusCode, body)
		}
	}
}

func TestClosedAndPremoderatedArticles(t *testing.T) {
	f := newFixture(t, web.Config{})
	const a = "settings"
	root := f.comment(a, "Anna", "before closing", "", nil)
	f.applyAll()
	f.approve(a, root)

	f.settings(a, events.ArticleSettings{Closed: true})
	before := f.lastSeq()
	resp, body := f.post("/api/articles/"+a+"/comments", "application/json", `{"author":"Bo","text":"late"}`, nil)
	if code, _ := errorOf(body); resp.StatusCode != 403 || code != "article_closed" {
		t.Fatalf("closed: %d %v", resp.StatusCode, body)
	}
	resp, body = f.post("/api/articles/"+a+"/comments", "application/json", `{"author":"Bo","text":"late","parent_id":"`+root+`"}`, nil)
	if resp.StatusCode != 403 {
		t.Fatalf("a reply on a closed article: %d %v", resp.StatusCode, body)
	}
	form, err := http.PostForm(f.srv.URL+"/articles/"+a, url.Values{"author": {"Bo"}, "text": {"late"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(form.Body)
	form.Body.Close()
	if form.StatusCode != 403 || !strings.Contains(string(b), "comments on this article are closed") {
		t.Fatalf("closed form: %d", form.StatusCode)
	}
	page := f.getPage("/articles/" + a)
	if strings.Contains(page, `id="comment-form"`) || strings.Contains(page, `name="parent_id"`) || !strings.Contains(page, "Comments on this article are closed.") {
		t.Error("a closed article still shows forms")
	}
	if !strings.Contains(page, "before closing") {
		t.Error("closing hid the comments")
	}
	if f.lastSeq() != before {
		t.Fatal("a closed article stored a comment")
	}

	// Pre-moderated: comments are taken (the worker holds them) and the
	// page says so.
	f.settings(a, events.ArticleSettings{Premoderated: true})
	if got := f.views.ArticleSettings(a); got.Closed || !got.Premoderated {
		t.Fatalf("settings: %+v", got)
	}
	f.comment(a, "Bo", "reviewed first", "", nil)
	if page := f.getPage("/articles/" + a); !strings.Contains(page, "reviewed by a moderator before they appear") || !strings.Contains(page, `id="comment-form"`) {
		t.Error("the page of a pre-moderated article does not say so")
	}
}

func TestSignedInReaders(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	f := newFixture(t, web.Config{SSOSecret: secret, RateLimitPerAuthor: 1})
	now := time.Now()
	valid := web.SignSSO(web.SSOClaims{Subject: "u-42", Name: "Anna K.", Expires: now.Add(time.Hour).Unix()}, secret)
	id := f.comment("sso", "ignored", "signed in", "", map[string]string{"Authorization": "Bearer " + valid})
	hist, err := f.log.History(context.Background(), "sso", id)
	if err != nil {
		t.Fatal(err)
	}
	var sub events.Submitted
	if err := hist[0].Payload(&sub); err != nil {
		t.Fatal(err)
	}
	if sub.AuthorID != "sso:u-42" || sub.Author != "Anna K." {
		t.Fatalf("a signed-in reader is %q %q", sub.AuthorID, sub.Author)
	}
	// The limit follows the person, whatever name they type.
	resp, _ := f.post("/api/articles/sso/comments", "application/json", `{"author":"other","text":"again"}`, map[string]string{"Authorization": "Bearer " + valid})
	if resp.StatusCode != 429 {
		t.Fatalf("second post by the same person: %d", resp.StatusCode)
	}

	seg := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	claims := seg(map[string]any{"sub": "u-1", "name": "Eve", "exp": now.Add(time.Hour).Unix()})
	parts := strings.Split(valid, ".")
	for name, token := range map[string]string{
		"expired":        web.SignSSO(web.SSOClaims{Subject: "u-1", Name: "Eve", Expires: now.Add(-time.Hour).Unix()}, secret),
		"bad signature":  web.SignSSO(web.SSOClaims{Subject: "u-1", Name: "Eve", Expires: now.Add(time.Hour).Unix()}, []byte("another secret, just as long....")),
		"claims swapped": parts[0] + "." + claims + "." + parts[2],
		"alg none":       seg(map[string]string{"alg": "none", "typ": "JWT"}) + "." + claims + ".",
		"alg HS512":      seg(map[string]string{"alg": "HS512"}) + "." + claims + "." + parts[2],
		"alg RS256":      seg(map[string]string{"alg": "RS256"}) + "." + claims + "." + parts[2],
		"no exp":         web.SignSSO(web.SSOClaims{Subject: "u-1", Name: "Eve"}, secret),
		"no sub":         web.SignSSO(web.SSOClaims{Name: "Eve", Expires: now.Add(time.Hour).Unix()}, secret),
		"not a JWT":      "garbage",
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := f.post("/api/articles/sso/comments", "application/json", `{"author":"Eve","text":"x"}`, map[string]string{"Authorization": "Bearer " + token})
			if code, _ := errorOf(body); resp.StatusCode != 401 || code != "invalid_token" {
				t.Fatalf("%d %v", resp.StatusCode, body)
			}
		})
	}
	// Without a secret configured, a token is refused, not ignored.
	g := newFixture(t, web.Config{})
	if resp, body := g.post("/api/articles/sso/comments", "application/json", `{"author":"Eve","text":"x"}`, map[string]string{"Authorization": "Bearer " + valid}); resp.StatusCode != 401 {
		t.Fatalf("no SSO configured: %d %v", resp.StatusCode, body)
	}
}

func TestNoRawAddressInEvents(t *testing.T) {
	f := newFixture(t, web.Config{Secret: []byte("k")})
	id := f.comment("privacy", "Anna", "hello", "", nil)
	hist, err := f.log.History(context.Background(), "privacy", id)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := events.Encode(hist[0])
	var sub events.Submitted
	hist[0].Payload(&sub)
	if strings.Contains(string(raw), "127.0.0.1") || len(sub.Source) != 32 {
		t.Fatalf("event %s: source %q", raw, sub.Source)
	}
	// The same address with another key is another hash: no rainbow table.
	g := newFixture(t, web.Config{Secret: []byte("other")})
	id2 := g.comment("privacy", "Anna", "hello", "", nil)
	hist2, _ := g.log.History(context.Background(), "privacy", id2)
	var sub2 events.Submitted
	hist2[0].Payload(&sub2)
	if sub2.Source == sub.Source {
		t.Fatal("the address hash does not depend on the secret")
	}
}

func TestCORS(t *testing.T) {
	f := newFixture(t, web.Config{AllowedOrigins: []string{"https://news.example"}})
	preflight := func(origin, method, headers string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", f.srv.URL+"/api/articles/a1/comments", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		req.Header.Set("Access-Control-Request-Headers", headers)
		resp, _ := f.do(req)
		return resp
	}
	r := preflight("https://news.example", "POST", "content-type,idempotency-key,authorization")
	if r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://news.example" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("allowed preflight: %d %v", r.StatusCode, r.Header)
	}
	for _, bad := range [][3]string{{"https://evil.example", "POST", "content-type"}, {"https://news.example", "DELETE", ""}, {"https://news.example", "POST", "x-secret"}} {
		if r := preflight(bad[0], bad[1], bad[2]); r.StatusCode != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%v: %d %v", bad, r.StatusCode, r.Header)
		}
	}
	get := func(origin string) http.Header {
		req, _ := http.NewRequest("GET", f.srv.URL+"/api/articles/a1/comments", nil)
		req.Header.Set("Origin", origin)
		resp, _ := f.do(req)
		return resp.Header
	}
	if h := get("https://news.example"); h.Get("Access-Control-Allow-Origin") != "https://news.example" || !strings.Contains(h.Get("Vary"), "Origin") {
		t.Errorf("allowed GET: %v", h)
	}
	if h := get("https://evil.example"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("other origin GET: %v", h)
	}
}

// sse reads Server-Sent Events from a stream.
type sse struct {
	t    *testing.T
	body io.ReadCloser
	r    *bufio.Reader
}

func (f *fixture) stream(ctx context.Context, path string) *sse {
	f.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		f.t.Fatalf("stream: %d %v", resp.StatusCode, resp.Header)
	}
	return &sse{t: f.t, body: resp.Body, r: bufio.NewReader(resp.Body)}
}

// next returns the next event's name and data; io.EOF when the stream
// ended.
func (s *sse) next() (event, data string, err error) {
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return "", "", err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && event != "":
			return event, data, nil
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		}
	}
}

func (s *sse) expect(event string) map[string]any {
	s.t.Helper()
	got, data, err := s.next()
	if err != nil || got != event {
		s.t.Fatalf("event %q (%v), want %q", got, err, event)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		s.t.Fatalf("%s data %q: %v", event, data, err)
	}
	return v
}

func TestLiveStream(t *testing.T) {
	f := newFixture(t, web.Config{})
	const a = "live"
	mine := f.comment(a, "Anna", "mine", "", nil)
	other := f.comment(a, "Bo", "someone else's", "", nil)
	f.applyAll()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := f.stream(ctx, "/api/articles/"+a+"/events?watch="+mine)
	if set := s.expect("settings"); set["closed"] != false {
		t.Fatalf("settings on open: %v", set)
	}
	// Another stream, without a watch list, sees only public changes.
	public := f.stream(ctx, "/api/articles/"+a+"/events")
	public.expect("settings")

	f.decide(events.CommentRejected, a, other, "moderator:test", "Off topic.")
	f.approve(a, mine)
	if c := s.expect("comment"); c["id"] != mine || c["text"] != "mine" || c["author"] != "Anna" {
		t.Fatalf("comment event: %v", c)
	}
	if st := s.expect("status"); st["id"] != mine || st["status"] != "approved" {
		t.Fatalf("status event: %v", st)
	}
	if c := public.expect("comment"); c["id"] != mine {
		t.Fatalf("public stream: %v", c)
	}
	// A moderator takes it down: both streams learn it is gone.
	f.decide(events.CommentRejected, a, mine, "moderator:test", "Spam.")
	if r := public.expect("removed"); r["id"] != mine {
		t.Fatalf("removed: %v", r)
	}
	s.expect("removed")
	if st := s.expect("status"); st["status"] != "rejected" || st["message"] != "Spam." {
		t.Fatalf("status: %v", st)
	}
	f.settings(a, events.ArticleSettings{Closed: true})
	if set := public.expect("settings"); set["closed"] != true {
		t.Fatalf("settings change: %v", set)
	}
	s.expect("settings")

	// A client that leaves ends its handler (srv.Close would hang
	// otherwise); shutdown ends the others.
	public.body.Close()
	f.web.CloseStreams()
	if _, _, err := s.next(); err != io.EOF {
		t.Fatalf("after Close: %v", err)
	}
	if resp, _ := f.get("/api/articles/" + a + "/events"); resp.StatusCode != 503 {
		t.Fatalf("stream after shutdown: %d", resp.StatusCode)
	}
	for _, q := range []string{"?watch=nope", "?watch=" + strings.Repeat(mine+",", 51) + mine} {
		if resp, _ := f.get("/api/articles/" + a + "/events" + q); resp.StatusCode != 400 {
			t.Errorf("%.30s…: %d", q, resp.StatusCode)
		}
	}
}

func TestEmbedScript(t *testing.T) {
	f := newFixture(t, web.Config{})
	resp, err := http.Get(f.srv.URL + "/embed.js")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || len(b) == 0 {
		t.Fatalf("embed.js: %d %v", resp.StatusCode, resp.Header)
	}
	// Reader text reaches the DOM only as text.
	for _, banned := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
		if strings.Contains(string(b), banned) {
			t.Errorf("embed.js uses %s", banned)
		}
	}
	// The widget offers exactly the reasons a report may give.
	_, list, _ := strings.Cut(string(b), "var REASONS = [")
	list, _, _ = strings.Cut(list, "];")
	var offered []string
	for _, m := range regexp.MustCompile(`\['([a-z-]+)', '`).FindAllStringSubmatch(list, -1) {
		offered = append(offered, m[1])
	}
	if !slices.Equal(offered, web.ReasonCodes) {
		t.Errorf("embed.js offers the report reasons %q, the API takes %q", offered, web.ReasonCodes)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/embed.js", nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if resp, _ := f.do(req); resp.StatusCode != 304 {
		t.Fatalf("revalidation: %d", resp.StatusCode)
	}
}
