package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/newsroom/commentd/internal/browsertest"
	"github.com/newsroom/commentd/internal/poll"
)

// An admin manages accounts from the UI: adds a moderator, resets their
// password, makes them an API token (shown once, and it works), revokes
// it, and removes the account. At a phone's width and a desktop's.
func TestModerationUIAccounts(t *testing.T) {
	actx := browsertest.Allocator(t)
	c := start(t, t.TempDir(), "--admin-token", testAdminToken)
	addMia(t, c, "admin")
	for _, width := range []int64{390, 1280} {
		t.Run(fmt.Sprintf("%dpx", width), func(t *testing.T) {
			name := fmt.Sprintf("oleg%d", width)
			ctx := browsertest.Tab(t, actx)
			browsertest.Run(t, ctx, "viewport", chromedp.EmulateViewport(width, 800))
			signIn(t, ctx, c.url)
			browsertest.Run(t, ctx, "tab", chromedp.Click(chromedp.CSS("#tab-accounts")))
			browsertest.Run(t, ctx, "accounts page", chromedp.WaitReady(chromedp.CSS("body.accounts-page #add-form")))

			// Add, with the keyboard: type, Enter.
			browsertest.Run(t, ctx, "name", chromedp.SendKeys(chromedp.CSS("#add-name"), name))
			browsertest.Run(t, ctx, "weak password", chromedp.SendKeys(chromedp.CSS("#add-password"), "password12\r"))
			until(t, ctx, "refused", `document.getElementById('add-error').textContent !== ''`)
			browsertest.Run(t, ctx, "clear", chromedp.Evaluate[chromedp.Void](`document.getElementById("add-password").value = ""`))
			browsertest.Run(t, ctx, "password", chromedp.SendKeys(chromedp.CSS("#add-password"), "amber lantern in the fog\r"))
			browsertest.Run(t, ctx, "added", chromedp.WaitReady(chromedp.CSS("#account-"+name)))
			if p := browsertest.Run(t, ctx, "layout", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
				t.Fatalf("accounts page at %d px:\n%s", width, strings.Join(p, "\n"))
			}
			if browsertest.Shots() {
				browsertest.Screenshot(t, fmt.Sprintf("moderation-accounts-%dpx", width), browsertest.Run(t, ctx, "shot", chromedp.CaptureScreenshot()))
			}
			if st, _ := api(t, nil, "POST", c.url+"/api/moderation/login", "", `{"name":"`+name+`","password":"amber lantern in the fog"}`); st != 200 {
				t.Fatalf("the new account signs in: %d", st)
			}

			// Reset the password by mouse: the old one stops working.
			browsertest.Run(t, ctx, "new password", chromedp.SendKeys(chromedp.CSS("#password-"+name), "violet harbour at dawn"))
			browsertest.Run(t, ctx, "reset", chromedp.Click(chromedp.CSS("#account-"+name+" .password-form button")))
			until(t, ctx, "reset told", fmt.Sprintf(`document.getElementById('toast-text').textContent === 'The password of %s is reset; their sessions ended'`, name))
			if st, _ := api(t, nil, "POST", c.url+"/api/moderation/login", "", `{"name":"`+name+`","password":"amber lantern in the fog"}`); st != 401 {
				t.Fatalf("the old password after the reset: %d", st)
			}
			if st, _ := api(t, nil, "POST", c.url+"/api/moderation/login", "", `{"name":"`+name+`","password":"violet harbour at dawn"}`); st != 200 {
				t.Fatalf("the new password: %d", st)
			}

			// A token for them, shown once; it works, and it is theirs.
			browsertest.Run(t, ctx, "label", chromedp.SendKeys(chromedp.CSS("#label-"+name), "nightly"))
			browsertest.Run(t, ctx, "make token", chromedp.Click(chromedp.CSS("#account-"+name+" .token-form button")))
			until(t, ctx, "secret shown", `!document.getElementById('new-token').hidden`)
			secret := browsertest.Run(t, ctx, "secret", chromedp.Text(chromedp.CSS("#new-token-secret")))
			if st, body := api(t, nil, "GET", c.url+"/api/moderation/me", secret, ""); st != 200 || body["name"] != name {
				t.Fatalf("the token: %d %v", st, body)
			}
			// A moderator's token may not reach another's tokens.
			if st, _ := api(t, nil, "GET", c.url+"/api/moderation/accounts/mia/tokens", secret, ""); st != 403 {
				t.Fatalf("a moderator reading another's tokens: %d, want 403", st)
			}
			browsertest.Run(t, ctx, "done", chromedp.Click(chromedp.CSS("#new-token-done")))
			browsertest.Run(t, ctx, "listed", chromedp.WaitReady(chromedp.CSS("#account-"+name+" .token button[data-do=revoke]")))
			browsertest.Run(t, ctx, "revoke", chromedp.Click(chromedp.CSS("#account-"+name+" .token button[data-do=revoke]")))
			browsertest.Run(t, ctx, "revoked", chromedp.WaitReady(chromedp.CSS("#account-"+name+" .tokens .muted")))
			if st, _ := api(t, nil, "GET", c.url+"/api/moderation/me", secret, ""); st != 401 {
				t.Fatalf("a revoked token: %d", st)
			}

			// Remove: the button asks for a second press.
			browsertest.Run(t, ctx, "remove", chromedp.Click(chromedp.CSS("#account-"+name+" button[data-do=remove]")))
			until(t, ctx, "asks again", fmt.Sprintf(`document.querySelector('#account-%s button[data-do=remove]').textContent === 'Press again to remove %s'`, name, name))
			browsertest.Run(t, ctx, "remove again", chromedp.Click(chromedp.CSS("#account-"+name+" button[data-do=remove]")))
			poll.True(t, 10*time.Second, "account removed", func() bool {
				_, body := api(t, nil, "GET", c.url+"/api/moderation/accounts", testAdminToken, "")
				return !strings.Contains(fmt.Sprint(body), "name:"+name+" ")
			})
			browsertest.Run(t, ctx, "not listed", chromedp.WaitNotPresent(chromedp.CSS("#account-"+name)))
			browsertest.Run(t, ctx, "page again", chromedp.WaitReady(chromedp.CSS("#account-mia")))
		})
	}
}
