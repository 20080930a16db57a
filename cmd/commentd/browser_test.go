package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/newsroom/commentd/internal/browsertest"
)

// newBrowser opens a tab of a headless chromium for the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Tab(t, browsertest.Allocator(t))
}

// until polls a JavaScript predicate in the page.
func until(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	browsertest.Run(t, ctx, what, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
}

func selectedID(t *testing.T, ctx context.Context) string {
	t.Helper()
	return browsertest.Run(t, ctx, "selected", chromedp.Evaluate[string](`(document.querySelector('.item.selected') || {dataset: {}}).dataset.id || ''`))
}

const xssText = `<script>window.pwned=1</script><img src=x onerror="window.pwned=1"> more at https://x.example/`

// A moderator signs in, works the queue from the keyboard, sees another
// moderator's decision and a new comment arrive live, and the approval
// reaches the reader's page. Script and onerror payloads show as text and
// run nothing.
func TestModerationUIInABrowser(t *testing.T) {
	ctx := newBrowser(t)
	c := start(t, t.TempDir(), "--admin-token", testAdminToken)
	if st, body := api(t, nil, "POST", c.url+"/api/moderation/accounts", testAdminToken, `{"name":"mia","password":"mia's password"}`); st != 201 {
		t.Fatalf("add moderator: %d %v", st, body)
	}
	const article = "browser-test"
	post := func(author, text string) string {
		t.Helper()
		_, id, err := postComment(c.url, article, author, text)
		if err != nil {
			t.Fatal(err)
		}
		waitStatus(t, c.url, id, "held") // links are held by the default rules
		return id
	}
	benign := post("Lena", "Please read https://example.org/a first.")
	xss := post(`<img src=x onerror="window.pwned=2">`, xssText)
	spam := post("Sam", "Cheap pills at https://spam.example/ now")

	// Signed out, /moderation/ is the sign-in form.
	browsertest.Run(t, ctx, "open", chromedp.Navigate(c.url+"/moderation/"))
	browsertest.Run(t, ctx, "sign-in form", chromedp.WaitVisible(chromedp.CSS("#login-form")))
	browsertest.Run(t, ctx, "name", chromedp.SendKeys(chromedp.CSS("#name"), "mia"))
	browsertest.Run(t, ctx, "password", chromedp.SendKeys(chromedp.CSS("#password"), "mia's password"))
	browsertest.Run(t, ctx, "sign in", chromedp.Click(chromedp.CSS("#sign-in")))
	browsertest.Run(t, ctx, "queue", chromedp.WaitVisible(chromedp.CSS("#items .item")))

	// The payloads are text: nothing ran, no element was made from them.
	if n := browsertest.Run(t, ctx, "count", chromedp.Evaluate[int](`document.querySelectorAll('#items .item').length`)); n != 3 {
		t.Fatalf("%d items, want 3", n)
	}
	if pwned := browsertest.Run(t, ctx, "pwned", chromedp.Evaluate[bool](`window.pwned !== undefined`)); pwned {
		t.Fatal("a payload ran")
	}
	if n := browsertest.Run(t, ctx, "elements", chromedp.Evaluate[int](`document.querySelectorAll('#items img, #items script, #items [onerror]').length`)); n != 0 {
		t.Fatalf("%d elements made from the payloads", n)
	}
	shown := browsertest.Run(t, ctx, "text", chromedp.TextContent(chromedp.CSS("#item-"+xss+" .text")))
	if shown != xssText {
		t.Fatalf("the comment shows as %q, want its text", shown)
	}
	if author := browsertest.Run(t, ctx, "author", chromedp.TextContent(chromedp.CSS("#item-"+xss+" .author"))); author != `<img src=x onerror="window.pwned=2">` {
		t.Fatalf("the author shows as %q", author)
	}
	if marked := browsertest.Run(t, ctx, "evidence", chromedp.TextContent(chromedp.CSS("#item-"+benign+" mark"))); !strings.Contains(marked, "example.org") {
		t.Errorf("evidence highlighted: %q", marked)
	}

	// Keyboard: oldest first, j/k move, a approves.
	if got := selectedID(t, ctx); got != benign {
		t.Fatalf("first selected %s, want %s", got, benign)
	}
	browsertest.Run(t, ctx, "j", chromedp.KeyEvent("j"))
	if got := selectedID(t, ctx); got != xss {
		t.Fatalf("after j: %s, want %s", got, xss)
	}
	browsertest.Run(t, ctx, "k", chromedp.KeyEvent("k"))
	if got := selectedID(t, ctx); got != benign {
		t.Fatalf("after k: %s, want %s", got, benign)
	}
	browsertest.Run(t, ctx, "a", chromedp.KeyEvent("a"))
	until(t, ctx, "approved item gone", fmt.Sprintf(`!document.getElementById('item-%s')`, benign))
	waitStatus(t, c.url, benign, "approved")

	// r then 3 rejects the selected comment as spam.
	until(t, ctx, "next selected", fmt.Sprintf(`document.querySelector('.item.selected') && document.querySelector('.item.selected').dataset.id === %q`, xss))
	browsertest.Run(t, ctx, "j", chromedp.KeyEvent("j"))
	if got := selectedID(t, ctx); got != spam {
		t.Fatalf("after j: %s, want %s", got, spam)
	}
	browsertest.Run(t, ctx, "r", chromedp.KeyEvent("r"))
	until(t, ctx, "reasons shown", `!document.getElementById('reasons').hidden`)
	browsertest.Run(t, ctx, "3", chromedp.KeyEvent("3"))
	until(t, ctx, "rejected item gone", fmt.Sprintf(`!document.getElementById('item-%s')`, spam))
	waitStatus(t, c.url, spam, "rejected")
	if st, body := api(t, nil, "GET", c.url+"/api/comments/"+spam, "", ""); body["reason"] != "spam" {
		t.Errorf("rejection reason: %d %v", st, body)
	}

	// Live: another moderator takes the last one, and a new one arrives.
	if st, body := api(t, nil, "POST", c.url+"/api/moderation/comments/"+xss+"/decision", testAdminToken, `{"action":"reject","reason":"abusive"}`); st != 200 {
		t.Fatalf("other moderator: %d %v", st, body)
	}
	until(t, ctx, "taken item gone", fmt.Sprintf(`!document.getElementById('item-%s')`, xss))
	fresh := post("Nina", "New link https://example.net/b arrived")
	until(t, ctx, "new item shown", fmt.Sprintf(`!!document.getElementById('item-%s')`, fresh))
	until(t, ctx, "count updated", `document.getElementById('count-held').textContent.trim() === '1'`)

	// ? shows the shortcuts.
	browsertest.Run(t, ctx, "?", chromedp.KeyEvent("?"))
	until(t, ctx, "help shown", `!document.getElementById('help').hidden`)
	if pwned := browsertest.Run(t, ctx, "pwned", chromedp.Evaluate[bool](`window.pwned !== undefined`)); pwned {
		t.Fatal("a payload ran after a live reload")
	}

	// The approval reached the reader's page.
	browsertest.Run(t, ctx, "article page", chromedp.Navigate(c.url+"/articles/"+article))
	if text := browsertest.Run(t, ctx, "reader sees", chromedp.TextContent(chromedp.CSS("#c-"+benign+" .text"))); text != "Please read https://example.org/a first." {
		t.Fatalf("the reader sees %q", text)
	}
}
