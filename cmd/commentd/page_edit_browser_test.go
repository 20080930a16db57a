package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/newsroom/commentd/internal/browsertest"
	"github.com/newsroom/commentd/internal/poll"
)

// A reader on a phone with JavaScript off posts a comment from the
// article page, then edits it there: the edit goes through the rules and
// the page says it is published, with the new text.
func TestArticlePageEditWithoutJavaScript(t *testing.T) {
	actx := browsertest.Allocator(t)
	c := start(t, t.TempDir())
	ctx := browsertest.Tab(t, actx)
	browsertest.Run(t, ctx, "viewport", chromedp.EmulateViewport(390, 800))
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	const article = "nojs-edit"
	browsertest.Run(t, ctx, "open", chromedp.Navigate(c.url+"/articles/"+article))
	browsertest.Run(t, ctx, "name", chromedp.SendKeys(chromedp.CSS("#author"), "Anna"))
	browsertest.Run(t, ctx, "text", chromedp.SendKeys(chromedp.CSS("#text"), "Teh first version."))
	browsertest.Run(t, ctx, "post", chromedp.Click(chromedp.CSS("#comment-form button[type=submit]")))
	browsertest.Run(t, ctx, "notice", chromedp.WaitVisible(chromedp.CSS("#status")))
	if n := browsertest.Run(t, ctx, "notice text", chromedp.Text(chromedp.CSS("#status"))); n != "Thank you. Your comment is published." {
		t.Fatalf("after posting: %q", n)
	}
	// The status said published; the article's view may follow a moment
	// later.
	var id string
	poll.True(t, 10*time.Second, "the comment on the page", func() bool {
		id = browsertest.Run(t, ctx, "comment id", chromedp.Evaluate[string](`document.querySelector('.comment')?.id.slice(2) ?? ''`))
		if id == "" {
			browsertest.Run(t, ctx, "reload", chromedp.Navigate(c.url+"/articles/"+article))
		}
		return id != ""
	})

	browsertest.Run(t, ctx, "open the edit form", chromedp.Click(chromedp.CSS(fmt.Sprintf("#c-%s details.edit summary", id))))
	browsertest.Run(t, ctx, "clear", chromedp.Clear(chromedp.CSS("#edit-"+id)))
	browsertest.Run(t, ctx, "new text", chromedp.SendKeys(chromedp.CSS("#edit-"+id), "The first version, fixed."))
	if browsertest.Shots() {
		browsertest.Screenshot(t, "article-edit-390px", browsertest.Run(t, ctx, "shot", chromedp.CaptureScreenshot()))
	}
	if p := browsertest.Run(t, ctx, "layout", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
		t.Errorf("the article page with the edit form open at 390 px:\n%s", strings.Join(p, "\n"))
	}
	browsertest.Run(t, ctx, "save", chromedp.Click(chromedp.CSS(fmt.Sprintf("#edit-form-%s button[type=submit]", id))))
	// The edit's notice is under the comment (the post's was above the
	// form, on the page before).
	browsertest.Run(t, ctx, "edit notice", chromedp.WaitVisible(chromedp.CSS("#c-"+id+" #status")))
	if n := browsertest.Run(t, ctx, "edit notice text", chromedp.Text(chromedp.CSS("#c-"+id+" #status"))); n != "Your edit is published." {
		t.Fatalf("after the edit: %q", n)
	}
	if ran := browsertest.Run(t, ctx, "scripts", chromedp.Evaluate[int](`document.scripts.length`)); ran != 0 {
		t.Errorf("the page has %d scripts", ran)
	}
	// The approved view follows the decision: the page shows the new text.
	poll.True(t, 10*time.Second, "the new text on the page", func() bool {
		browsertest.Run(t, ctx, "reload", chromedp.Navigate(c.url+"/articles/"+article))
		return strings.TrimSpace(browsertest.Run(t, ctx, "text", chromedp.Text(chromedp.CSS("#t-"+id)))) == "The first version, fixed."
	})
}
