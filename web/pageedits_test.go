package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/web"
)

// pageReader is a reader's browser without JavaScript: cookies kept,
// redirects seen (not followed), a language.
type pageReader struct {
	f    *fixture
	c    *http.Client
	lang string
}

func (f *fixture) pageReader(lang string) *pageReader {
	jar, _ := cookiejar.New(nil)
	return &pageReader{f: f, lang: lang, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (p *pageReader) do(method, path string, form url.Values) (*http.Response, string) {
	p.f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, p.f.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if p.lang != "" {
		req.Header.Set("Accept-Language", p.lang)
	}
	resp, err := p.c.Do(req)
	if err != nil {
		p.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// postComment posts the page's form and returns the comment's id and
// where the page sent the reader.
func (p *pageReader) postComment(article, author, text string) (id, loc string) {
	p.f.t.Helper()
	resp, _ := p.do("POST", "/articles/"+article, url.Values{"author": {author}, "text": {text}})
	loc = resp.Header.Get("Location")
	u, err := url.Parse(loc)
	if resp.StatusCode != http.StatusSeeOther || err != nil || u.Query().Get("posted") == "" {
		p.f.t.Fatalf("post: %d Location %q", resp.StatusCode, loc)
	}
	return u.Query().Get("posted"), loc
}

// An author edits their comment from the page without JavaScript: the
// page's post keeps the proof in an HttpOnly cookie, the page then offers
// an edit form on that comment alone, the edit goes through the rules
// again, and what became of it is said under the comment. Nobody else
// gets the form or may use it.
func TestEditFromThePageWithoutJavaScript(t *testing.T) {
	f := newFixture(t, web.Config{})
	anna := f.pageReader("")
	id, _ := anna.postComment("pe", "Anna", "Teh first version.")
	var edits *http.Cookie
	for _, c := range anna.c.Jar.Cookies(mustURL(t, f.srv.URL+"/articles/pe")) {
		if c.Name == "commentd_edits" {
			edits = c
		}
	}
	if edits == nil || !strings.HasPrefix(edits.Value, id+".") || strings.Contains(edits.Value, "_") {
		t.Fatalf("no edit cookie for %s after the post", id)
	}

	// Not published yet: the notice after the post has the edit form.
	f.applyAll()
	if _, page := anna.do("GET", "/articles/pe?posted="+id, nil); !strings.Contains(page, `id="edit-form-`+id+`"`) {
		t.Errorf("the page after posting has no edit form:\n%s", page)
	}
	f.approve("pe", id)

	// Published: the form is on the comment, for Anna only.
	_, page := anna.do("GET", "/articles/pe", nil)
	if !strings.Contains(page, `id="edit-form-`+id+`"`) || !strings.Contains(page, `>Teh first version.</textarea>`) || !strings.Contains(page, "You can edit it until ") {
		t.Fatalf("Anna's page has no edit form on her comment:\n%s", page)
	}
	for _, other := range []*pageReader{f.pageReader(""), f.pageReader("")} { // twice: the shared page comes from the cache too
		if _, page := other.do("GET", "/articles/pe", nil); strings.Contains(page, "edit-form-") {
			t.Fatalf("another reader's page has an edit form")
		}
	}
	if resp, page := f.pageReader("").do("POST", "/articles/pe/edit", url.Values{"comment_id": {id}, "text": {"Hijacked."}}); resp.StatusCode != 403 ||
		!strings.Contains(page, "Only its author can edit this comment") || !strings.Contains(page, ">Hijacked.</textarea>") {
		t.Fatalf("an edit without the cookie: %d\n%s", resp.StatusCode, page)
	}

	// Anna's edit: stored, through the rules, said under the comment.
	resp, _ := anna.do("POST", "/articles/pe/edit", url.Values{"comment_id": {id}, "text": {"The first version, fixed."}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "edited="+id) {
		t.Fatalf("edit: %d Location %q", resp.StatusCode, loc)
	}
	f.applyAll()
	if _, st := f.get("/api/comments/" + id); st["edit"].(map[string]any)["status"] != "pending" {
		t.Fatalf("after the edit: %v", st)
	}
	f.decideEdit(events.CommentApproved, "pe", id)
	_, page = anna.do("GET", loc, nil)
	if !strings.Contains(page, "Your edit is published.") || !strings.Contains(page, ">The first version, fixed.</div>") {
		t.Fatalf("after the approved edit:\n%s", page)
	}

	// Errors come back in the form, with what was typed, in Russian too.
	if resp, page := anna.do("POST", "/articles/pe/edit", url.Values{"comment_id": {id}, "text": {"  "}}); resp.StatusCode != 400 ||
		!strings.Contains(page, `<p id="status" class="notice bad" role="alert" tabindex="-1">The comment is empty.</p>`) || !strings.Contains(page, "<details class=\"edit\" open>") {
		t.Errorf("an empty edit: %d\n%s", resp.StatusCode, page)
	}
	anna.lang = "ru"
	if resp, page := anna.do("POST", "/articles/pe/edit", url.Values{"comment_id": {id}, "text": {strings.Repeat("я", 5001)}}); resp.StatusCode != 400 ||
		!strings.Contains(page, "Комментарий слишком длинный.") || !strings.Contains(page, "Сохранить правку") {
		t.Errorf("a long edit in Russian: %d\n%s", resp.StatusCode, page)
	}
}

// Past the edit window the page offers no form, and an edit is refused
// with what happened.
func TestEditFromThePageAfterTheWindow(t *testing.T) {
	f := newFixture(t, web.Config{EditWindow: time.Second})
	anna := f.pageReader("")
	id, _ := anna.postComment("pw", "Anna", "A first version.")
	f.approve("pw", id)
	poll.True(t, 10*time.Second, "the window passed", func() bool {
		_, page := anna.do("GET", "/articles/pw", nil)
		return strings.Contains(page, `id="c-`+id+`"`) && !strings.Contains(page, "edit-form-")
	})
	resp, page := anna.do("POST", "/articles/pw/edit", url.Values{"comment_id": {id}, "text": {"Too late."}})
	if resp.StatusCode != http.StatusGone || !strings.Contains(page, "The time to edit this comment has passed.") {
		t.Fatalf("an edit after the window: %d\n%s", resp.StatusCode, page)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
