package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/web"
)

const xss = `<script>window.pwned=1</script><img src=x onerror="window.pwned=1"> "quoted" & 'single'`

func (f *modFixture) page(c *http.Client, path string) (int, http.Header, string) {
	f.t.Helper()
	resp, err := c.Get(f.srv.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestModerationPagesEscapeEverything(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	f.held("a1", xss, xss) // the payload as author name and text

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	st, _, body := f.page(browser, "/moderation/")
	if st != 401 || !strings.Contains(body, `action="/moderation/login"`) {
		t.Fatalf("signed out: %d, no sign-in form", st)
	}
	resp, err := browser.PostForm(f.srv.URL+"/moderation/login", url.Values{"name": {"mia"}, "password": {"wrong password"}, "next": {"/moderation/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	resp, err = browser.PostForm(f.srv.URL+"/moderation/login", url.Values{"name": {"mia"}, "password": {"mia's password"}, "next": {"//evil.example/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/moderation/" {
		t.Fatalf("signed in: %d at %s", resp.StatusCode, resp.Request.URL)
	}

	for _, path := range []string{"/moderation/", "/moderation/items?queue=held", "/moderation/authors/" + url.PathEscape("name:"+strings.ToLower(xss))} {
		st, h, body := f.page(browser, path)
		if st != 200 {
			t.Fatalf("%s: %d", path, st)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if strings.Contains(body, "<script>window") || strings.Contains(body, "<img src=x") || strings.Contains(body, `onerror="`) {
			t.Errorf("%s: the payload is markup:\n%s", path, body)
		}
		if !strings.Contains(body, "&lt;script&gt;window.pwned=1&lt;/script&gt;") {
			t.Errorf("%s: the payload is not shown as text", path)
		}
		if strings.Contains(body, " on") && strings.Contains(body, "onclick") {
			t.Errorf("%s: an inline handler", path)
		}
	}
	if st, _, body := f.page(browser, "/moderation/"); !strings.Contains(body, `<mark title="mild-language">&lt;scr</mark>`) {
		t.Errorf("evidence not highlighted (%d):\n%s", st, body)
	}
	if st, _, _ := f.page(browser, "/moderation/authors/name:nobody"); st != 404 {
		t.Errorf("unknown author page: %d", st)
	}
	if st, _, _ := f.page(browser, "/moderation/?queue=nope"); st != 400 {
		t.Errorf("bad queue page: %d", st)
	}
	if st, h, _ := f.page(browser, "/moderation/assets/moderation.js"); st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/javascript") {
		t.Errorf("script: %d %s", st, h.Get("Content-Type"))
	}
	if st, _, _ := f.page(browser, "/moderation/assets/nope.js"); st != 404 {
		t.Errorf("unknown asset: %d", st)
	}
}

// signedIn is a browser-like client signed in to the UI as mia.
func (f *modFixture) signedIn() *http.Client {
	f.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(f.srv.URL+"/moderation/login", url.Values{"name": {"mia"}, "password": {"mia's password"}, "next": {"/moderation/"}})
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		f.t.Fatalf("sign in: %d", resp.StatusCode)
	}
	return c
}

// The author page says how long a ban lasts: until when (a time element
// the script writes in the moderator's locale) or permanently; a timed
// ban that has ended shows as no ban, with the ban form offered again.
// The queue marks the author the same way.
func TestAuthorPageSaysHowLongTheBanLasts(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	mod := bearer(f.modTok)
	f.held("a1", "Spammy", "buy buy")
	browser := f.signedIn()
	page := func(path string) string {
		t.Helper()
		st, _, body := f.page(browser, path)
		if st != 200 {
			t.Fatalf("%s: %d", path, st)
		}
		return body
	}

	st, body := f.call("POST", "/api/moderation/authors/name:spammy/ban", `{"reason":"spam","duration":"7d"}`, mod)
	if st != 200 {
		t.Fatalf("ban: %d %v", st, body)
	}
	f.caughtUp()
	until := body["until"].(string)
	author := page("/moderation/authors/name:spammy")
	if !strings.Contains(author, `Banned until <time id="ban-until" datetime="`+until+`">`) || strings.Contains(author, `id="ban-form"`) {
		t.Errorf("a 7-day ban on the author page:\n%s", author)
	}
	if q := page("/moderation/items?queue=held"); !strings.Contains(q, `<strong class="banned">banned until `) || !strings.Contains(q, `data-do="ban" disabled`) {
		t.Errorf("a 7-day ban in the queue:\n%s", q)
	}

	if st, body := f.call("POST", "/api/moderation/authors/name:spammy/ban", `{"reason":"spam","duration":"permanent"}`, mod); st != 200 {
		t.Fatalf("permanent ban: %d %v", st, body)
	}
	f.caughtUp()
	if author := page("/moderation/authors/name:spammy"); !strings.Contains(author, `<strong id="ban-end">Banned permanently</strong>`) {
		t.Errorf("a permanent ban on the author page:\n%s", author)
	}

	// A ban that ended an hour ago, as the log holds it once its time
	// passed (the API refuses to make one that ends in the past).
	ended := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	e, _ := events.New(uuid.NewString(), events.AuthorBanned, "", "", "moderator:mia", "", time.Now().Add(-25*time.Hour),
		events.AuthorAction{AuthorID: "name:spammy", Reason: "spam", Until: ended})
	if _, err := f.log.Append(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	f.caughtUp()
	author = page("/moderation/authors/name:spammy")
	if !strings.Contains(author, `Not banned. The ban ended: <time id="ban-ended" datetime="`+ended.Format(time.RFC3339)+`">`) ||
		!strings.Contains(author, `id="ban-form"`) || strings.Contains(author, `id="unban"`) {
		t.Errorf("an ended ban on the author page:\n%s", author)
	}
	if q := page("/moderation/items?queue=held"); strings.Contains(q, `class="banned"`) || strings.Contains(q, `data-do="ban" disabled`) {
		t.Errorf("an ended ban in the queue:\n%s", q)
	}

	// In Russian.
	req, _ := http.NewRequest("GET", f.srv.URL+"/moderation/authors/name:spammy", nil)
	req.Header.Set("Accept-Language", "ru")
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Не заблокирован. Блокировка истекла:") || !strings.Contains(string(b), "На какой срок") || !strings.Contains(string(b), "7 дней") {
		t.Errorf("in Russian:\n%s", b)
	}
}

// Every moderation page has one h1, its title, for screen readers'
// heading navigation.
func TestEveryModerationPageHasOneH1(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	id := f.held("a1", "Ann", "darn it")
	browser := f.signedIn()
	for _, path := range []string{"/moderation/", "/moderation/?queue=reported", "/moderation/comments?status=all&q=darn",
		"/moderation/authors/name:ann", "/moderation/comments/" + id, "/moderation/accounts", "/moderation/rules",
		"/moderation/articles/", "/moderation/articles/a1", "/moderation/no-such-page"} {
		_, _, body := f.page(browser, path)
		if n := strings.Count(body, "<h1"); n != 1 {
			t.Errorf("%s: %d h1", path, n)
		}
	}
	for _, path := range []string{"/moderation/login", "/moderation/setup?token=wrong"} {
		_, _, body := f.page(http.DefaultClient, path)
		if n := strings.Count(body, "<h1"); n != 1 {
			t.Errorf("%s signed out: %d h1", path, n)
		}
	}
}
