package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/newsroom/commentd/internal/browsertest"
)

// A timed ban from the queue: by mouse on a phone, by keyboard on a
// desktop. The ban's end reaches the log (the author record the API
// reads from it), the author page says "banned until" in the moderator's
// locale, and the author page's own form bans for another length.
func TestModerationUITimedBan(t *testing.T) {
	actx := browsertest.Allocator(t)
	c := start(t, t.TempDir(), "--admin-token", testAdminToken)
	if st, body := api(t, nil, "POST", c.url+"/api/moderation/accounts", testAdminToken, `{"name":"mia","password":"mia's password"}`); st != 201 {
		t.Fatalf("add moderator: %d %v", st, body)
	}
	for _, tt := range []struct {
		width  int64
		author string
		mouse  bool
	}{{390, "Lena", true}, {1280, "Nina", false}} {
		t.Run(fmt.Sprintf("%dpx", tt.width), func(t *testing.T) {
			article := fmt.Sprintf("ban-%d", tt.width)
			authorID := "name:" + strings.ToLower(tt.author)
			_, id, err := postComment(c.url, article, tt.author, "Buy at https://shop.example/ now")
			if err != nil {
				t.Fatal(err)
			}
			waitStatus(t, c.url, id, "held")

			ctx := browsertest.Tab(t, actx)
			browsertest.Run(t, ctx, "viewport", chromedp.EmulateViewport(tt.width, 800))
			signIn(t, ctx, c.url)
			browsertest.Run(t, ctx, "filter", chromedp.Navigate(c.url+"/moderation/?queue=held&article="+article))
			until(t, ctx, "the item", fmt.Sprintf(`!!document.getElementById('item-%s')`, id))

			before := time.Now()
			if tt.mouse {
				browsertest.Run(t, ctx, "click ban", chromedp.Click(chromedp.CSS("#item-"+id+" .do-ban")))
				until(t, ctx, "dialog open", `document.getElementById('decide').open && !document.getElementById('ban-fields').hidden`)
				if p := browsertest.Run(t, ctx, "dialog layout", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
					t.Fatalf("ban dialog at %d px:\n%s", tt.width, strings.Join(p, "\n"))
				}
				browsertest.Run(t, ctx, "7 days", chromedp.Click(chromedp.CSS("#decide #ban-7d")))
				browsertest.Run(t, ctx, "spam", chromedp.Click(chromedp.CSS(`#decide input[value="spam"]`)))
				if browsertest.Shots() {
					browsertest.Screenshot(t, fmt.Sprintf("moderation-ban-%dpx", tt.width), browsertest.Run(t, ctx, "shot", chromedp.CaptureScreenshot()))
				}
				browsertest.Run(t, ctx, "send", chromedp.Click(chromedp.CSS("#decide-submit")))
			} else {
				browsertest.Run(t, ctx, "b", chromedp.KeyEvent("b"))
				until(t, ctx, "dialog open, on the reasons", `document.getElementById('decide').open && document.activeElement.name === 'reason'`)
				browsertest.Run(t, ctx, "tab to the length", chromedp.KeyEvent(kb.Tab))
				until(t, ctx, "on the length", `document.activeElement.id === 'ban-permanent'`)
				browsertest.Run(t, ctx, "30 days", chromedp.KeyEvent(kb.ArrowUp))
				browsertest.Run(t, ctx, "7 days", chromedp.KeyEvent(kb.ArrowUp))
				until(t, ctx, "7 days chosen", `document.getElementById('ban-7d').checked && document.activeElement.id === 'ban-7d'`)
				if browsertest.Shots() {
					browsertest.Screenshot(t, fmt.Sprintf("moderation-ban-%dpx", tt.width), browsertest.Run(t, ctx, "shot", chromedp.CaptureScreenshot()))
				}
				browsertest.Run(t, ctx, "3 = spam, and send", chromedp.KeyEvent("3"))
			}
			until(t, ctx, "the dialog closed, the comment rejected with the ban", fmt.Sprintf(`!document.getElementById('decide').open && !document.getElementById('item-%s')`, id))
			until(t, ctx, "told until when", fmt.Sprintf(`document.getElementById('toast-text').textContent.startsWith('Banned %s until ')`, tt.author))
			waitStatus(t, c.url, id, "rejected")
			end := bannedUntil(t, c.url, authorID, before, 7*24*time.Hour)

			// The author page: banned until that time, in the browser's locale.
			checkAuthorPage(t, ctx, c.url, authorID, end)
			if browsertest.Shots() {
				browsertest.Screenshot(t, fmt.Sprintf("moderation-author-banned-%dpx", tt.width), browsertest.Run(t, ctx, "shot", chromedp.CaptureScreenshot()))
			}
			if !tt.mouse {
				return
			}
			// The author page's own form: unban, then ban for 30 days.
			browsertest.Run(t, ctx, "unban", chromedp.Click(chromedp.CSS("#unban")))
			// The page reloads: wait for the new one's form (a poll in the
			// old one would end with it).
			browsertest.Run(t, ctx, "the ban form", chromedp.WaitVisible(chromedp.CSS("#ban-form")))
			until(t, ctx, "not banned", `document.getElementById('ban-state').textContent.startsWith('Not banned.')`)
			browsertest.Run(t, ctx, "30 days", chromedp.Click(chromedp.CSS("#ban-form #ban-30d")))
			before = time.Now()
			browsertest.Run(t, ctx, "ban", chromedp.Click(chromedp.CSS("#ban-submit")))
			browsertest.Run(t, ctx, "banned again", chromedp.WaitVisible(chromedp.CSS("#ban-until")))
			checkAuthorPage(t, ctx, c.url, authorID, bannedUntil(t, c.url, authorID, before, 30*24*time.Hour))
		})
	}
}

// bannedUntil reads the end of the author's ban from the API and checks
// it is length after a ban made after before.
func bannedUntil(t *testing.T, base, authorID string, before time.Time, length time.Duration) time.Time {
	t.Helper()
	st, body := api(t, nil, "GET", base+"/api/moderation/authors/"+url.PathEscape(authorID), testAdminToken, "")
	stats, _ := body["stats"].(map[string]any)
	s, _ := body["banned_until"].(string)
	end, err := time.Parse(time.RFC3339, s)
	if st != 200 || stats["banned"] != true || stats["banned_until"] != s || err != nil {
		t.Fatalf("the author record: %d %v", st, body)
	}
	if end.Before(before.Add(length).Add(-time.Second)) || end.After(time.Now().Add(length)) {
		t.Fatalf("the ban ends %v, want %v from %v", end, length, before)
	}
	return end
}

// checkAuthorPage opens the author's page and checks it says banned
// until end, written as the browser's locale writes dates, and that it
// lays out.
func checkAuthorPage(t *testing.T, ctx context.Context, base, authorID string, end time.Time) {
	t.Helper()
	browsertest.Run(t, ctx, "author page", chromedp.Navigate(base+"/moderation/authors/"+url.PathEscape(authorID)))
	until(t, ctx, "banned until", fmt.Sprintf(`document.getElementById('ban-until')?.getAttribute('datetime') === %q`, end.UTC().Format(time.RFC3339)))
	shown := browsertest.Run(t, ctx, "shown", chromedp.Evaluate[[]string](`[document.getElementById('ban-end').textContent,
		document.getElementById('ban-until').textContent,
		new Intl.DateTimeFormat(navigator.language, {dateStyle: 'medium', timeStyle: 'short'}).format(new Date(document.getElementById('ban-until').getAttribute('datetime')))]`))
	if !strings.HasPrefix(shown[0], "Banned until ") || shown[1] != shown[2] {
		t.Errorf("the author page says %q with the end as %q, want it in the browser's locale: %q", shown[0], shown[1], shown[2])
	}
	if p := browsertest.Run(t, ctx, "author layout", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
		t.Errorf("the author page:\n%s", strings.Join(p, "\n"))
	}
}
