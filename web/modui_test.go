package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

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
