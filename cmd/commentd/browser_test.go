package main

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/newsroom/commentd/internal/browsertest"
	"github.com/newsroom/commentd/internal/poll"
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
	until(t, ctx, "reasons shown", `document.getElementById('decide').open`)
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

// signIn signs mia in through the form, unless this browser is signed
// in already, and waits for the queue.
func signIn(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	browsertest.Run(t, ctx, "open", chromedp.Navigate(url+"/moderation/"))
	if browsertest.Run(t, ctx, "signed in?", chromedp.Poll[string](`document.getElementById('items') ? 'in' : document.getElementById('login-form') ? 'out' : ''`)) == "in" {
		return
	}
	browsertest.Run(t, ctx, "name", chromedp.SendKeys(chromedp.CSS("#name"), "mia"))
	browsertest.Run(t, ctx, "password", chromedp.SendKeys(chromedp.CSS("#password"), "mia's password"))
	browsertest.Run(t, ctx, "sign in", chromedp.Click(chromedp.CSS("#sign-in")))
	browsertest.Run(t, ctx, "queue", chromedp.WaitVisible(chromedp.CSS("#items")))
}

// layoutProblems lists what is wrong with the page's layout at this
// width: horizontal overflow, controls off the screen, tap targets under
// 44 px (buttons, tabs, fields, the links that act as buttons; not links
// inside text), a page without an h1.
const layoutProblems = `(() => {
	const out = [], w = document.documentElement.clientWidth;
	if (document.documentElement.scrollWidth > w) out.push('the page is ' + document.documentElement.scrollWidth + ' px wide in ' + w);
	if (document.querySelectorAll('h1').length !== 1) out.push(document.querySelectorAll('h1').length + ' h1');
	for (const el of document.querySelectorAll('button, a.tab, a.status-link, a.button-link, .more a, .chip a, .check, .reason, select, input:not([type=hidden]):not([type=checkbox]):not([type=radio])')) {
		if (el.closest('[hidden], dialog:not([open]), details:not([open]) > :not(summary), .sr-only') || el.offsetParent === null) continue; // .sr-only: a control its label stands for
		const r = el.getBoundingClientRect();
		const name = (el.id || el.className || el.tagName) + ' "' + el.textContent.trim().slice(0, 20) + '"';
		if (r.right > w + 0.5 || r.left < -0.5) out.push(name + ' is off the screen (' + r.left + '..' + r.right + ')');
		if (r.height < 44 || r.width < 44) out.push(name + ' is ' + Math.round(r.width) + 'x' + Math.round(r.height));
	}
	return out;
})()`

// The queue at a phone's width and a desktop's: every action has a
// visible button that works with the mouse, the shortcuts still work and
// can be turned off, choices are announced, and nothing overflows.
func TestModerationUIMouseAndKeyboard(t *testing.T) {
	actx := browsertest.Allocator(t)
	c := start(t, t.TempDir(), "--admin-token", testAdminToken)
	if st, body := api(t, nil, "POST", c.url+"/api/moderation/accounts", testAdminToken, `{"name":"mia","password":"mia's password"}`); st != 201 {
		t.Fatalf("add moderator: %d %v", st, body)
	}
	for _, width := range []int64{390, 1280} {
		t.Run(fmt.Sprintf("%dpx", width), func(t *testing.T) {
			article := fmt.Sprintf("widths-%d", width)
			post := func(author, text string) string {
				t.Helper()
				_, id, err := postComment(c.url, article, author, text)
				if err != nil {
					t.Fatal(err)
				}
				waitStatus(t, c.url, id, "held")
				return id
			}
			byMouse := post("Lena", "A long link https://example.org/"+strings.Repeat("very-long-path-", 12)+" to check wrapping.")
			rejected := post("Sam", "Cheap pills at https://spam.example/ now")
			byKey := post("Nina", "See https://example.net/b")
			bulk1 := post("Olga", "One more https://example.com/1")
			bulk2 := post("Petr", "And another https://example.com/2")

			ctx := browsertest.Tab(t, actx)
			browsertest.Run(t, ctx, "viewport", chromedp.EmulateViewport(width, 800))
			signIn(t, ctx, c.url)
			browsertest.Run(t, ctx, "filter", chromedp.Navigate(c.url+"/moderation/?queue=held&article="+article))
			until(t, ctx, "five items", `document.querySelectorAll('#items .item').length === 5`)
			if browsertest.Shots() {
				browsertest.Screenshot(t, fmt.Sprintf("moderation-%dpx", width), browsertest.Run(t, ctx, "shot", chromedp.CaptureScreenshot()))
			}
			if p := browsertest.Run(t, ctx, "layout", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
				t.Fatalf("layout at %d px:\n%s", width, strings.Join(p, "\n"))
			}

			// Mouse: approve by its button.
			browsertest.Run(t, ctx, "click approve", chromedp.Click(chromedp.CSS("#item-"+byMouse+" .do-approve")))
			until(t, ctx, "approved item gone", fmt.Sprintf(`!document.getElementById('item-%s')`, byMouse))
			waitStatus(t, c.url, byMouse, "approved")
			until(t, ctx, "focus on the next item's button", fmt.Sprintf(`document.activeElement === document.querySelector('#item-%s .do-approve')`, rejected))

			// Mouse: reject with a reason and a message to the author.
			browsertest.Run(t, ctx, "click reject", chromedp.Click(chromedp.CSS("#item-"+rejected+" .do-reject")))
			until(t, ctx, "dialog open", `document.getElementById('decide').open`)
			if p := browsertest.Run(t, ctx, "dialog layout", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
				t.Fatalf("dialog at %d px:\n%s", width, strings.Join(p, "\n"))
			}
			browsertest.Run(t, ctx, "send without a reason", chromedp.Click(chromedp.CSS("#decide-submit")))
			until(t, ctx, "asked for a reason", `document.getElementById('decide').open && document.getElementById('decide-error').textContent === 'Choose a reason.'`)
			browsertest.Run(t, ctx, "choose spam", chromedp.Click(chromedp.CSS(`#decide input[value="spam"]`)))
			browsertest.Run(t, ctx, "message", chromedp.SendKeys(chromedp.CSS("#decide-message"), "Links to shops are not allowed."))
			browsertest.Run(t, ctx, "send", chromedp.Click(chromedp.CSS("#decide-submit")))
			until(t, ctx, "rejected item gone", fmt.Sprintf(`!document.getElementById('item-%s')`, rejected))
			waitStatus(t, c.url, rejected, "rejected")
			if _, body := api(t, nil, "GET", c.url+"/api/comments/"+rejected, "", ""); body["reason"] != "spam" || !strings.Contains(fmt.Sprint(body), "Links to shops are not allowed.") {
				t.Errorf("the rejection as the author sees it: %v", body)
			}

			// Keyboard: select with j/k (announced), approve with a.
			browsertest.Run(t, ctx, "blur", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
			until(t, ctx, "first selected", fmt.Sprintf(`document.querySelector('.item.selected')?.dataset.id === %q`, byKey))
			browsertest.Run(t, ctx, "j", chromedp.KeyEvent("j"))
			until(t, ctx, "announced", `document.getElementById('announce').textContent === 'Comment 2 of 3, by Olga'`)
			browsertest.Run(t, ctx, "k", chromedp.KeyEvent("k"))
			until(t, ctx, "back", fmt.Sprintf(`document.querySelector('.item.selected')?.dataset.id === %q`, byKey))
			browsertest.Run(t, ctx, "a", chromedp.KeyEvent("a"))
			until(t, ctx, "approved by key", fmt.Sprintf(`!document.getElementById('item-%s')`, byKey))
			waitStatus(t, c.url, byKey, "approved")

			// Bulk: choose both by their checkboxes, reject them at once.
			browsertest.Run(t, ctx, "pick 1", chromedp.Click(chromedp.CSS("#pick-"+bulk1)))
			until(t, ctx, "one chosen", `document.getElementById('announce').textContent === '1 comment chosen' && !document.getElementById('bulk-reject').disabled`)
			browsertest.Run(t, ctx, "pick 2", chromedp.Click(chromedp.CSS("#pick-"+bulk2)))
			until(t, ctx, "two chosen", `document.getElementById('bulk-count').textContent === '2 chosen' && document.getElementById('pick-all').checked`)
			browsertest.Run(t, ctx, "bulk reject", chromedp.Click(chromedp.CSS("#bulk-reject")))
			until(t, ctx, "bulk dialog", `document.getElementById('decide').open`)
			browsertest.Run(t, ctx, "3 = spam", chromedp.KeyEvent("3"))
			until(t, ctx, "both gone", `document.querySelectorAll('#items .item').length === 0 && document.getElementById('bulk-count').textContent === 'None chosen'`)
			waitStatus(t, c.url, bulk1, "rejected")
			waitStatus(t, c.url, bulk2, "rejected")

			// Shortcuts off (WCAG 2.1.4): a letter does nothing, the setting
			// stays for the next page.
			last := post("Quinn", "Last one https://example.com/3")
			until(t, ctx, "new item", fmt.Sprintf(`!!document.getElementById('item-%s')`, last))
			browsertest.Run(t, ctx, "open help", chromedp.Click(chromedp.CSS("#help-button")))
			until(t, ctx, "help", `!document.getElementById('help').hidden`)
			browsertest.Run(t, ctx, "turn off", chromedp.Click(chromedp.CSS("#shortcuts-on")))
			browsertest.Run(t, ctx, "close help", chromedp.Click(chromedp.CSS("#help-close")))
			browsertest.Run(t, ctx, "reload", chromedp.Reload())
			until(t, ctx, "still off", fmt.Sprintf(`!!document.getElementById('item-%s') && !document.getElementById('shortcuts-on').checked`, last))
			browsertest.Run(t, ctx, "count requests", chromedp.Evaluate[chromedp.Void](`(() => { window.calls = 0; const f = window.fetch; window.fetch = function () { window.calls++; return f.apply(this, arguments); }; })()`))
			browsertest.Run(t, ctx, "a while off", chromedp.KeyEvent("a"))
			if n := browsertest.Run(t, ctx, "calls", chromedp.Evaluate[int](`window.calls`)); n != 0 {
				t.Fatalf("a shortcut ran while turned off (%d requests)", n)
			}
			// The keyboard still works through the buttons: Tab to one, Enter.
			browsertest.Run(t, ctx, "focus approve", chromedp.Focus(chromedp.CSS("#item-"+last+" .do-approve")))
			browsertest.Run(t, ctx, "enter", chromedp.KeyEvent("\r"))
			until(t, ctx, "approved by Enter", fmt.Sprintf(`!document.getElementById('item-%s')`, last))
			waitStatus(t, c.url, last, "approved")
			browsertest.Run(t, ctx, "turn on again", chromedp.Evaluate[chromedp.Void](`localStorage.removeItem('commentd.moderation.shortcuts')`))
			if p := browsertest.Run(t, ctx, "layout at the end", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
				t.Fatalf("layout at %d px:\n%s", width, strings.Join(p, "\n"))
			}
		})
	}
}

var setupLine = regexp.MustCompile(`make the first admin at (http://\S+)`)

// First run: no account exists; the log and /moderation/ say how to make
// one, and the one-time link printed at start makes the first admin on a
// phone, with no curl, and signs them in. The link then stops working.
func TestFirstRunSetupLink(t *testing.T) {
	actx := browsertest.Allocator(t)
	c := start(t, t.TempDir())
	var link string
	poll.True(t, 10*time.Second, "setup link printed", func() bool {
		m := setupLine.FindStringSubmatch(c.out.String())
		if m != nil {
			link = m[1]
		}
		return m != nil
	})
	if !strings.Contains(c.logs.String(), "no moderator account exists yet") || !strings.Contains(c.logs.String(), "commentctl moderators add --role admin") {
		t.Errorf("the log does not say how to make the first account:\n%s", c.logs)
	}
	ctx := browsertest.Tab(t, actx)
	browsertest.Run(t, ctx, "viewport", chromedp.EmulateViewport(390, 800))
	browsertest.Run(t, ctx, "open", chromedp.Navigate(c.url+"/moderation/"))
	if note := browsertest.Run(t, ctx, "first-run note", chromedp.Text(chromedp.CSS("#first-run"))); !strings.Contains(note, "No moderator account exists yet") {
		t.Fatalf("the sign-in page says %q", note)
	}
	if _, _, err := postComment(c.url, "first-run", "Lena", "A link https://example.org/ to hold"); err != nil {
		t.Fatal(err)
	}
	browsertest.Run(t, ctx, "setup", chromedp.Navigate(link))
	browsertest.Run(t, ctx, "name", chromedp.SendKeys(chromedp.CSS("#name"), "ada"))
	browsertest.Run(t, ctx, "password", chromedp.SendKeys(chromedp.CSS("#password"), "copper kettle under moonlight"))
	browsertest.Run(t, ctx, "again, wrong", chromedp.SendKeys(chromedp.CSS("#password2"), "copper kettle under sunlight"))
	browsertest.Run(t, ctx, "make", chromedp.Click(chromedp.CSS("#make-admin")))
	if e := browsertest.Run(t, ctx, "mismatch", chromedp.Text(chromedp.CSS("#setup-error"))); e != "The two passwords differ." {
		t.Fatalf("with two passwords: %q", e)
	}
	browsertest.Run(t, ctx, "password", chromedp.SendKeys(chromedp.CSS("#password"), "copper kettle under moonlight"))
	browsertest.Run(t, ctx, "again", chromedp.SendKeys(chromedp.CSS("#password2"), "copper kettle under moonlight"))
	browsertest.Run(t, ctx, "make", chromedp.Click(chromedp.CSS("#make-admin")))
	browsertest.Run(t, ctx, "queue page", chromedp.WaitVisible(chromedp.CSS("#items")))
	until(t, ctx, "signed in to the queue", `document.body.classList.contains('queue') && document.querySelector('.who')?.textContent.includes('ada (admin)')`)
	// A held comment decided on the phone, by tapping its button.
	until(t, ctx, "held comment", `document.querySelectorAll('#items .item').length === 1`)
	browsertest.Run(t, ctx, "approve", chromedp.Click(chromedp.CSS("#items .item .do-approve")))
	until(t, ctx, "decided", `document.querySelectorAll('#items .item').length === 0 || /failed|changed|first/.test(document.getElementById('toast').textContent)`)
	if toast := browsertest.Run(t, ctx, "toast", chromedp.Evaluate[string](`document.getElementById('toast').textContent`)); !strings.HasPrefix(toast, "Approved") {
		t.Fatalf("after approving: %q", toast)
	}
	if p := browsertest.Run(t, ctx, "layout", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
		t.Fatalf("layout at 390 px:\n%s", strings.Join(p, "\n"))
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the setup link after use: %d, want 404", resp.StatusCode)
	}
}
