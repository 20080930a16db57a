package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/newsroom/commentd/internal/browsertest"
)

// The search screens: from the Comments tab to the approved comments,
// words typed and searched with the keyboard, a section of articles, and a
// published comment removed from the results with the mouse. At a phone's
// width and a desktop's.
func TestModerationUISearch(t *testing.T) {
	actx := browsertest.Allocator(t)
	c := start(t, t.TempDir(), "--admin-token", testAdminToken)
	addMia(t, c, "moderator")
	for _, width := range []int64{390, 1280} {
		t.Run(fmt.Sprintf("%dpx", width), func(t *testing.T) {
			section := fmt.Sprintf("search%d", width)
			post := func(article, author, text, want string) string {
				t.Helper()
				_, id, err := postComment(c.url, article, author, text)
				if err != nil {
					t.Fatal(err)
				}
				waitStatus(t, c.url, id, want)
				return id
			}
			rain := post(section+"-weather", "Vera", "Rain again in Moscow, Дождь опять, "+section, "approved")
			sun := post(section+"-weather", "Ivan", "Sunny in Kazan", "approved")
			held := post(section+"-links", "Oleg", "Rain maps at https://example.org/rain", "held")

			ctx := browsertest.Tab(t, actx)
			browsertest.Run(t, ctx, "viewport", chromedp.EmulateViewport(width, 800))
			signIn(t, ctx, c.url)
			browsertest.Run(t, ctx, "comments tab", chromedp.Click(chromedp.CSS("#tab-comments")))
			browsertest.Run(t, ctx, "search page", chromedp.WaitReady(chromedp.CSS("body.search-page #search-q")))
			browsertest.Run(t, ctx, "approved", chromedp.Click(chromedp.CSS("#status-approved")))
			browsertest.Run(t, ctx, "approved page", chromedp.WaitReady(chromedp.CSS(`#status-approved[aria-current="page"]`)))
			if h := browsertest.Run(t, ctx, "heading", chromedp.Text(chromedp.CSS("h1"))); h != "Approved comments" {
				t.Fatalf("heading %q", h)
			}
			until(t, ctx, "style sheet applied", `document.readyState === 'complete'`)
			if p := browsertest.Run(t, ctx, "layout", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
				t.Fatalf("search page at %d px:\n%s", width, strings.Join(p, "\n"))
			}

			// Words in another case, in Russian, searched with Enter.
			browsertest.Run(t, ctx, "words", chromedp.SendKeys(chromedp.CSS("#search-q"), "ДОЖДЬ "+strings.ToUpper(section)))
			browsertest.Run(t, ctx, "enter", chromedp.KeyEvent("\r"))
			browsertest.Run(t, ctx, "results", chromedp.WaitReady(chromedp.CSS(`body.search-page #search-q[value^="ДОЖДЬ"]`)))
			found := func() []string {
				return browsertest.Run(t, ctx, "found", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#items .item')].map(i => i.dataset.id)`))
			}
			if got := found(); len(got) != 1 || got[0] != rain {
				t.Fatalf("approved with ДОЖДЬ: %v, want [%s]", got, rain)
			}
			if browsertest.Shots() {
				browsertest.Screenshot(t, fmt.Sprintf("moderation-search-%dpx", width), browsertest.Run(t, ctx, "shot", chromedp.CaptureScreenshot()))
			}

			// A section: every status, the articles whose ids start alike.
			browsertest.Run(t, ctx, "all statuses", chromedp.Navigate(c.url+"/moderation/comments?status=all&article="+section+"-*"))
			browsertest.Run(t, ctx, "section", chromedp.WaitReady(chromedp.CSS(`#status-all[aria-current="page"]`)))
			if got := strings.Join(found(), " "); got != strings.Join([]string{held, sun, rain}, " ") {
				t.Fatalf("the section: %s, want %s %s %s", got, held, sun, rain)
			}
			if s := browsertest.Run(t, ctx, "scope", chromedp.Text(chromedp.CSS("#search-scope"))); !strings.Contains(s, "changed most recently") {
				t.Fatalf("the scope note says %q", s)
			}

			// One article is searched whole; a published comment removed
			// from the results by mouse leaves the approved list.
			browsertest.Run(t, ctx, "one article", chromedp.Navigate(c.url+"/moderation/comments?status=approved&article="+section+"-weather"))
			browsertest.Run(t, ctx, "article results", chromedp.WaitReady(chromedp.CSS("#item-"+sun)))
			if s := browsertest.Run(t, ctx, "complete", chromedp.Text(chromedp.CSS("#search-scope"))); !strings.Contains(s, "Every comment") {
				t.Fatalf("the scope note of one article says %q", s)
			}
			browsertest.Run(t, ctx, "remove", chromedp.Click(chromedp.CSS("#item-"+sun+" .do-reject")))
			until(t, ctx, "dialog", `document.getElementById('decide').open`)
			browsertest.Run(t, ctx, "reason", chromedp.Click(chromedp.CSS(`#decide input[value="off-topic"]`)))
			browsertest.Run(t, ctx, "send", chromedp.Click(chromedp.CSS("#decide-submit")))
			waitStatus(t, c.url, sun, "rejected")
			until(t, ctx, "gone from the approved", fmt.Sprintf(`!document.getElementById('item-%s') && !!document.getElementById('item-%s')`, sun, rain))
		})
	}
}
