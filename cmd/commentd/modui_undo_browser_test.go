package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/newsroom/commentd/internal/browsertest"
)

// historyTypes is the comment's history as the moderators' API gives it:
// the event types, and for each the id of its cause.
func historyTypes(t *testing.T, c *instance, id string) (types []string, byID map[string]int, causes []string) {
	t.Helper()
	st, body := api(t, nil, "GET", c.url+"/api/moderation/comments/"+id+"/history", testAdminToken, "")
	if st != 200 {
		t.Fatalf("history: %d %v", st, body)
	}
	byID = map[string]int{}
	for i, e := range body["events"].([]any) {
		ev := e.(map[string]any)
		types = append(types, ev["type"].(string))
		byID[ev["id"].(string)] = i
		cause, _ := ev["causation_id"].(string)
		causes = append(causes, cause)
	}
	return types, byID, causes
}

// Undo, by mouse and by key, in the queue; a comment's page with its
// history, where a published comment is removed and the removal undone;
// an article's page with its published list (from the reader API), a
// removal undone from the keyboard, and its settings. At a phone's width
// and a desktop's.
func TestModerationUIUndoAndRemove(t *testing.T) {
	actx := browsertest.Allocator(t)
	c := start(t, t.TempDir(), "--admin-token", testAdminToken)
	addMia(t, c, "moderator")
	for _, width := range []int64{390, 1280} {
		t.Run(fmt.Sprintf("%dpx", width), func(t *testing.T) {
			article := fmt.Sprintf("undo-%d", width)
			post := func(author, text, want string) string {
				t.Helper()
				_, id, err := postComment(c.url, article, author, text)
				if err != nil {
					t.Fatal(err)
				}
				waitStatus(t, c.url, id, want)
				return id
			}
			first := post("Lena", "Read https://example.org/a first", "held")
			second := post("Nina", "And https://example.org/b", "held")
			published := post("Olga", "A plain remark.", "approved")

			ctx := browsertest.Tab(t, actx)
			browsertest.Run(t, ctx, "viewport", chromedp.EmulateViewport(width, 800))
			signIn(t, ctx, c.url)
			browsertest.Run(t, ctx, "queue", chromedp.Navigate(c.url+"/moderation/?queue=held&article="+article))
			until(t, ctx, "two items", `document.querySelectorAll('#items .item').length === 2`)

			// Mouse: approve, then Undo in the toast: it is back, held.
			browsertest.Run(t, ctx, "approve", chromedp.Click(chromedp.CSS("#item-"+first+" .do-approve")))
			until(t, ctx, "gone", fmt.Sprintf(`!document.getElementById('item-%s')`, first))
			waitStatus(t, c.url, first, "approved")
			until(t, ctx, "undo offered", `!document.getElementById('toast-undo').hidden`)
			browsertest.Run(t, ctx, "undo", chromedp.Click(chromedp.CSS("#toast-undo")))
			until(t, ctx, "back in the queue", fmt.Sprintf(`!!document.getElementById('item-%s')`, first))
			waitStatus(t, c.url, first, "held")
			if s := browsertest.Run(t, ctx, "toast", chromedp.Text(chromedp.CSS("#toast-text"))); s != "Undone: the comment by Lena is held again" {
				t.Errorf("after undo the toast says %q", s)
			}
			types, byID, causes := historyTypes(t, c, first)
			if got := strings.Join(types, " "); got != "CommentSubmitted CommentHeld CommentApproved CommentHeld" {
				t.Fatalf("history after undo: %s", got)
			}
			if i, ok := byID[causes[3]]; !ok || i != 2 {
				t.Fatalf("the undo's cause is %q, want the approval", causes[3])
			}
			// The evidence came back with it: the link is still marked.
			until(t, ctx, "evidence again", fmt.Sprintf(`document.querySelector('#item-%s mark')?.textContent === 'https://example.org/a'`, first))

			// Keyboard: a approves the selected comment, u undoes it.
			browsertest.Run(t, ctx, "blur", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
			until(t, ctx, "first selected", fmt.Sprintf(`document.querySelector('.item.selected')?.dataset.id === %q`, first))
			browsertest.Run(t, ctx, "j", chromedp.KeyEvent("j"))
			until(t, ctx, "second selected", fmt.Sprintf(`document.querySelector('.item.selected')?.dataset.id === %q`, second))
			browsertest.Run(t, ctx, "a", chromedp.KeyEvent("a"))
			until(t, ctx, "second gone", fmt.Sprintf(`!document.getElementById('item-%s')`, second))
			waitStatus(t, c.url, second, "approved")
			browsertest.Run(t, ctx, "blur again", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
			browsertest.Run(t, ctx, "u", chromedp.KeyEvent("u"))
			until(t, ctx, "second back", fmt.Sprintf(`!!document.getElementById('item-%s')`, second))
			waitStatus(t, c.url, second, "held")

			// The comment's page: its history with the undo marked; remove
			// it once published, then undo the removal.
			browsertest.Run(t, ctx, "open comment", chromedp.Click(chromedp.CSS("#item-"+first+" a.button-link")))
			browsertest.Run(t, ctx, "comment page", chromedp.WaitReady(chromedp.CSS("body.comment-page #history-list")))
			if n := browsertest.Run(t, ctx, "events", chromedp.Evaluate[int](`document.querySelectorAll('#history-list .event').length`)); n != 4 {
				t.Fatalf("%d events on the comment's page, want 4", n)
			}
			if n := browsertest.Run(t, ctx, "undo note", chromedp.Evaluate[int](`document.querySelectorAll('#history-list .undo-note').length`)); n != 1 {
				t.Fatalf("%d undo notes, want 1", n)
			}
			if p := browsertest.Run(t, ctx, "layout", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
				t.Fatalf("comment page at %d px:\n%s", width, strings.Join(p, "\n"))
			}
			browsertest.Run(t, ctx, "approve here", chromedp.Click(chromedp.CSS(".do-approve")))
			browsertest.Run(t, ctx, "approved page", chromedp.WaitReady(chromedp.CSS(`body[data-status="approved"] .do-reject`)))
			browsertest.Run(t, ctx, "remove", chromedp.Click(chromedp.CSS(".do-reject")))
			until(t, ctx, "dialog", `document.getElementById('decide').open && document.getElementById('decide-submit').textContent === 'Remove'`)
			browsertest.Run(t, ctx, "reason", chromedp.Click(chromedp.CSS(`#decide input[value="off-topic"]`)))
			browsertest.Run(t, ctx, "message", chromedp.SendKeys(chromedp.CSS("#decide-message"), "Please stay on the story."))
			browsertest.Run(t, ctx, "send", chromedp.Click(chromedp.CSS("#decide-submit")))
			browsertest.Run(t, ctx, "removed page", chromedp.WaitReady(chromedp.CSS(`body[data-status="rejected"] .do-undo`)))
			if _, body := api(t, nil, "GET", c.url+"/api/comments/"+first, "", ""); body["status"] != "rejected" || body["reason"] != "off-topic" {
				t.Fatalf("after removing: %v", body)
			}
			browsertest.Run(t, ctx, "undo removal", chromedp.Click(chromedp.CSS(".do-undo")))
			browsertest.Run(t, ctx, "published again", chromedp.WaitReady(chromedp.CSS(`body[data-status="approved"]`)))
			waitStatus(t, c.url, first, "approved")

			// The article's page: the published list from the reader API.
			browsertest.Run(t, ctx, "article page", chromedp.Navigate(c.url+"/moderation/articles/"+article))
			until(t, ctx, "published listed", fmt.Sprintf(`!!document.getElementById('pub-%s') && !!document.getElementById('pub-%s')`, published, first))
			if s := browsertest.Run(t, ctx, "text", chromedp.Text(chromedp.CSS("#pub-"+published+" .text"))); s != "A plain remark." {
				t.Fatalf("the published comment shows %q", s)
			}
			if p := browsertest.Run(t, ctx, "layout", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
				t.Fatalf("article page at %d px:\n%s", width, strings.Join(p, "\n"))
			}
			if browsertest.Shots() && width == 390 {
				browsertest.Screenshot(t, "moderation-article-390px", browsertest.Run(t, ctx, "shot", chromedp.FullScreenshot(100)))
			}
			// Remove it with the keyboard: focus its button, Enter, 2
			// (abusive); then Enter on the Undo that takes its place.
			browsertest.Run(t, ctx, "focus remove", chromedp.Focus(chromedp.CSS("#pub-"+published+" .do-reject")))
			browsertest.Run(t, ctx, "enter", chromedp.KeyEvent("\r"))
			until(t, ctx, "dialog", `document.getElementById('decide').open`)
			browsertest.Run(t, ctx, "2", chromedp.KeyEvent("2"))
			until(t, ctx, "undo in place", fmt.Sprintf(`document.activeElement === document.querySelector('#pub-%s .do-undo')`, published))
			waitStatus(t, c.url, published, "rejected")
			if _, body := api(t, nil, "GET", c.url+"/api/comments/"+published, "", ""); body["reason"] != "abusive" {
				t.Fatalf("removed for %v, want abusive", body["reason"])
			}
			browsertest.Run(t, ctx, "enter undo", chromedp.KeyEvent("\r"))
			until(t, ctx, "remove again", fmt.Sprintf(`document.activeElement === document.querySelector('#pub-%s .do-reject')`, published))
			waitStatus(t, c.url, published, "approved")

			// Settings: close the article; readers are refused.
			browsertest.Run(t, ctx, "close", chromedp.Click(chromedp.CSS("#set-closed")))
			browsertest.Run(t, ctx, "save", chromedp.Click(chromedp.CSS("#settings-save")))
			until(t, ctx, "saved", `document.getElementById('toast-text').textContent === 'Settings saved'`)
			poll := func() bool { st, _, _ := postComment(c.url, article, "Late", "Too late"); return st == 403 }
			for i := 0; i < 100 && !poll(); i++ {
				browsertest.Run(t, ctx, "wait", chromedp.Sleep(50e6))
			}
			if !poll() {
				t.Fatal("a closed article still takes comments")
			}
			browsertest.Run(t, ctx, "reload", chromedp.Reload())
			until(t, ctx, "closed shown", `document.getElementById('set-closed').checked && !document.getElementById('set-premoderated').checked`)
		})
	}
}
