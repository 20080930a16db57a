package web_test

import (
	"encoding/json"
	"html"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/testci"
	"github.com/newsroom/commentd/web"
)

// blns reads the Big List of Naughty Strings shared by the project.
func blns(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../shared/data/blns.txt")
	if err != nil {
		testci.Missing(t, "the shared test data", err)
	}
	var out []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

var (
	pageText   = regexp.MustCompile(`(?s)<div class="text" id="t-([0-9a-f-]+)">(.*?)</div>`)
	pageAuthor = regexp.MustCompile(`(?s)<strong id="a-([0-9a-f-]+)">(.*?)</strong>`)
	pageLink   = regexp.MustCompile(`<a href="[^"]*" rel="nofollow ugc noopener" target="_blank">([^<]*)</a>`)
	nextPage   = regexp.MustCompile(`cursor=([0-9a-z]+)#comments-h">More`)
)

// Every naughty string, as a comment and as a name, is refused with a
// clean 4xx or accepted; once approved, it comes back byte for byte from
// the API and, escaped, from the page.
func TestNaughtyStringsRoundTrip(t *testing.T) {
	strs := blns(t)
	f := newFixture(t, web.Config{})
	const a = "blns"
	type sent struct{ author, text string }
	want := map[string]sent{}
	var ids []string
	post := func(author, text string) {
		body, _ := json.Marshal(map[string]string{"author": author, "text": text})
		resp, out := f.post("/api/articles/"+a+"/comments", "application/json", string(body), nil)
		switch {
		case resp.StatusCode == 202:
			id := out["id"].(string)
			// Names come back cleaned (NFKC, no invisible characters):
			// a name that looks like another is that other's.
			want[id] = sent{events.CleanName(author), text}
			ids = append(ids, id)
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			if code, _ := errorOf(out); code == "" {
				t.Errorf("%q/%q: %d without an error body", author, text, resp.StatusCode)
			}
		default:
			t.Errorf("%q/%q: status %d", author, text, resp.StatusCode)
		}
	}
	for _, s := range strs {
		post("blns", s)
		post(s, "a name")
	}
	if len(ids) < len(strs) {
		t.Fatalf("only %d of %d strings accepted", len(ids), 2*len(strs))
	}
	f.applyAll()
	f.approve(a, ids...)

	got := map[string]sent{}
	cursor := ""
	for {
		p := f.list("/api/articles/" + a + "/comments?limit=200&cursor=" + cursor)
		for _, c := range p.Comments {
			got[c.ID] = sent{c.Author, c.Text}
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("API: %q/%q came back as %q/%q", w.author, w.text, got[id].author, got[id].text)
		}
	}

	shown := map[string]sent{}
	for path := "/articles/" + a; path != ""; {
		page := f.getPage(path)
		for _, m := range pageText.FindAllStringSubmatch(page, -1) {
			s := shown[m[1]]
			// Links are anchors the page wrote (links.go); their text
			// is the comment's.
			s.text = html.UnescapeString(pageLink.ReplaceAllString(m[2], "$1"))
			shown[m[1]] = s
		}
		for _, m := range pageAuthor.FindAllStringSubmatch(page, -1) {
			s := shown[m[1]]
			s.author = html.UnescapeString(m[2])
			shown[m[1]] = s
		}
		path = ""
		if m := nextPage.FindStringSubmatch(page); m != nil {
			path = "/articles/" + a + "?cursor=" + m[1]
		}
	}
	for id, w := range want {
		if shown[id] != w {
			t.Errorf("page: %q/%q shown as %q/%q", w.author, w.text, shown[id].author, shown[id].text)
		}
	}
	t.Logf("%d of %d posts accepted and shown back exactly", len(want), 2*len(strs))
}

// Every naughty string through linkText: nothing but the anchors it
// writes is markup, every href is http or https, and the text reads back
// as sent.
func TestLinkTextNaughtyStrings(t *testing.T) {
	strs := append(blns(t),
		"see https://example.com/a?b=1&c=2. and (https://example.com/x_(y)) too",
		`https://example.com/"><script>alert(1)</script>`,
		"javascript:alert(1) http://javascript:alert(1)@x data:text/html,<b>x</b>",
		"https://user:pass@example.com/ HTTPS://EXAMPLE.COM/Up",
	)
	tag := regexp.MustCompile(`<[^>]*>`)
	href := regexp.MustCompile(`<a href="([^"]*)" rel="nofollow ugc noopener" target="_blank">`)
	links := 0
	for _, s := range strs {
		out := string(web.LinkText(s))
		for _, m := range tag.FindAllString(out, -1) {
			if m != "</a>" && !href.MatchString(m) {
				t.Fatalf("%q: markup %q in %q", s, m, out)
			}
		}
		for _, m := range href.FindAllStringSubmatch(out, -1) {
			h := html.UnescapeString(m[1])
			if !strings.HasPrefix(h, "http://") && !strings.HasPrefix(h, "https://") {
				t.Fatalf("%q: href %q", s, h)
			}
			links++
		}
		if back := html.UnescapeString(tag.ReplaceAllString(out, "")); back != s {
			t.Fatalf("%q reads back as %q", s, back)
		}
	}
	got := string(web.LinkText("see https://example.com/a?b=1&c=2. and (https://example.com/x_(y)) too"))
	want := `see <a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener" target="_blank">https://example.com/a?b=1&amp;c=2</a>. and (<a href="https://example.com/x_(y)" rel="nofollow ugc noopener" target="_blank">https://example.com/x_(y)</a>) too`
	if got != want {
		t.Errorf("LinkText:\n got %s\nwant %s", got, want)
	}
	if out := string(web.LinkText("https://user:pass@example.com/")); strings.Contains(out, "<a") {
		t.Errorf("a link with credentials is no link: %s", out)
	}
	t.Logf("%d strings, %d links", len(strs), links)
}
