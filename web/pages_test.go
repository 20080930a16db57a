package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/web"
)

var keyField = regexp.MustCompile(`name="idempotency_key" value="([^"]*)"`)

// The article page is served from a cache while the article stands
// still, yet every reader gets forms of their own, every change shows at
// once, and one reader's notice or typed text never reaches another.
func TestArticlePageCache(t *testing.T) {
	f := newFixture(t, web.Config{})
	const a = "cached"
	first := f.comment(a, "Anna", "the first comment", "", nil)
	f.applyAll()
	f.approve(a, first)

	keys := map[string]bool{}
	for range 3 {
		resp, err := http.Get(f.srv.URL + "/articles/" + a)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(b)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Length") != strconv.Itoa(len(b)) || !strings.Contains(page, "the first comment") {
			t.Fatalf("page: %d, Content-Length %s for %d bytes", resp.StatusCode, resp.Header.Get("Content-Length"), len(b))
		}
		m := keyField.FindAllStringSubmatch(page, -1)
		if len(m) != 2 || m[0][1] != m[1][1]+"-"+first {
			t.Fatalf("idempotency keys of the reply and the main form: %q", m)
		}
		if keys[m[1][1]] {
			t.Fatal("two page views share an idempotency key: two readers' comments would be one")
		}
		keys[m[1][1]] = true
	}

	// A new comment and a change of settings show at once.
	second := f.comment(a, "Bo", "the second comment", "", nil)
	f.applyAll()
	f.approve(a, second)
	if page := f.getPage("/articles/" + a); !strings.Contains(page, "the second comment") || !strings.Contains(page, "2 comments") {
		t.Fatal("a newly approved comment is not on the page")
	}
	f.settings(a, events.ArticleSettings{Closed: true})
	if page := f.getPage("/articles/" + a); !strings.Contains(page, "Comments on this article are closed.") || strings.Contains(page, `id="comment-form"`) {
		t.Fatal("closing the article does not show on the page")
	}
	f.settings(a, events.ArticleSettings{})

	// A notice is for its reader only.
	if page := f.getPage("/articles/" + a + "?posted=" + second); !strings.Contains(page, "Your comment is published") {
		t.Fatal("no notice after posting")
	}
	if page := f.getPage("/articles/" + a); strings.Contains(page, "Your comment is published") {
		t.Fatal("another reader sees the notice")
	}
	// So is a form given back with an error.
	resp, err := http.PostForm(f.srv.URL+"/articles/"+a, url.Values{"author": {"Typed Name"}, "text": {" "}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), `value="Typed Name"`) {
		t.Fatalf("form error: %d", resp.StatusCode)
	}
	if page := f.getPage("/articles/" + a); strings.Contains(page, "Typed Name") || strings.Contains(page, "the comment is empty") {
		t.Fatal("another reader sees someone's form")
	}
	// Pages and orders are cached apart.
	if page := f.getPage("/articles/" + a + "?sort=newest"); strings.Index(page, "the second comment") > strings.Index(page, "the first comment") {
		t.Fatal("newest first is served the oldest-first page")
	}
}

// The page speaks the reader's language, from Accept-Language, and each
// language's page is kept apart.
func TestArticlePageLanguage(t *testing.T) {
	f := newFixture(t, web.Config{})
	for _, text := range []string{"one", "two"} {
		id := f.comment("langs", "Anna", text, "", nil)
		f.applyAll()
		f.approve("langs", id)
	}
	f.applyAll()
	get := func(accept string) (string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("GET", f.srv.URL+"/articles/langs", nil)
		if accept != "" {
			req.Header.Set("Accept-Language", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp.Header
	}
	for _, tc := range []struct{ accept, lang, count, button string }{
		{"", "en", "2 comments", "Post comment"},
		{"ru-RU,ru;q=0.9,en;q=0.5", "ru", "2 комментария", "Отправить комментарий"},
		{"de-DE, fr;q=0.8", "en", "2 comments", "Post comment"},
		{"en-GB,ru;q=0.4", "en", "2 comments", "Post comment"},
	} {
		for range 2 { // built, then kept
			page, h := get(tc.accept)
			if !strings.Contains(page, `<html lang="`+tc.lang+`">`) || !strings.Contains(page, tc.count) || !strings.Contains(page, tc.button) {
				t.Errorf("Accept-Language %q: want %s, %q, %q in:\n%s", tc.accept, tc.lang, tc.count, tc.button, page)
			}
			if h.Get("Content-Language") != tc.lang || !strings.Contains(h.Get("Vary"), "Accept-Language") {
				t.Errorf("Accept-Language %q: Content-Language %q, Vary %q", tc.accept, h.Get("Content-Language"), h.Get("Vary"))
			}
		}
	}
}
