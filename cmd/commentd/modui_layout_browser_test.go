package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/newsroom/commentd/internal/browsertest"
)

// Every page of the moderation UI, signed out and in, in English and in
// Russian (its longer words), on the narrowest phone the UI is for and
// on a desktop: one h1, no sideways scrolling, every control on the
// screen and at least 44 × 44 px.
func TestModerationPagesLayout(t *testing.T) {
	actx := browsertest.Allocator(t)
	c := start(t, t.TempDir(), "--admin-token", testAdminToken)
	if st, body := api(t, nil, "POST", c.url+"/api/moderation/accounts", testAdminToken, `{"name":"mia","password":"mia's password"}`); st != 201 {
		t.Fatalf("add moderator: %d %v", st, body)
	}
	const article = "layout-pages"
	_, id, err := postComment(c.url, article, "Lena", "A link https://example.org/ to hold")
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c.url, id, "held")
	signedOut := []string{"/moderation/login", "/moderation/setup?token=wrong"}
	signedIn := []string{"/moderation/", "/moderation/?queue=reported", "/moderation/comments?status=all&q=link",
		"/moderation/comments/" + id, "/moderation/authors/name:lena", "/moderation/accounts", "/moderation/rules",
		"/moderation/articles/", "/moderation/articles/" + article, "/moderation/no-such-page"}
	for _, lang := range []string{"en", "ru"} {
		for _, width := range []int64{360, 1280} {
			t.Run(fmt.Sprintf("%s-%dpx", lang, width), func(t *testing.T) {
				ctx := browsertest.Tab(t, actx)
				if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/120", AcceptLanguage: lang}); err != nil {
					t.Fatal(err)
				}
				browsertest.Run(t, ctx, "viewport", chromedp.EmulateViewport(width, 740))
				check := func(path string) {
					t.Helper()
					browsertest.Run(t, ctx, "open "+path, chromedp.Navigate(c.url+path))
					browsertest.Run(t, ctx, "loaded "+path, chromedp.WaitReady(chromedp.CSS("h1")))
					if got := browsertest.Run(t, ctx, "lang", chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang {
						t.Fatalf("%s is in %q, want %q", path, got, lang)
					}
					if p := browsertest.Run(t, ctx, "layout "+path, chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
						t.Errorf("%s:\n%s", path, strings.Join(p, "\n"))
					}
				}
				for _, p := range signedOut {
					check(p)
				}
				browsertest.Run(t, ctx, "open", chromedp.Navigate(c.url+"/moderation/login"))
				browsertest.Run(t, ctx, "name", chromedp.SendKeys(chromedp.CSS("#name"), "mia"))
				browsertest.Run(t, ctx, "password", chromedp.SendKeys(chromedp.CSS("#password"), "mia's password"))
				browsertest.Run(t, ctx, "sign in", chromedp.Click(chromedp.CSS("#sign-in")))
				browsertest.Run(t, ctx, "queue", chromedp.WaitVisible(chromedp.CSS("#items")))
				for _, p := range signedIn {
					check(p)
				}
				// The queue's panels and the dialog, open.
				check("/moderation/")
				browsertest.Run(t, ctx, "help", chromedp.Click(chromedp.CSS("#help-button")))
				until(t, ctx, "help open", `!document.getElementById('help').hidden`)
				if p := browsertest.Run(t, ctx, "layout help", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
					t.Errorf("the shortcuts panel:\n%s", strings.Join(p, "\n"))
				}
				browsertest.Run(t, ctx, "close help", chromedp.Click(chromedp.CSS("#help-close")))
				browsertest.Run(t, ctx, "ban", chromedp.Click(chromedp.CSS("#item-"+id+" .do-ban")))
				until(t, ctx, "dialog open", `document.getElementById('decide').open`)
				if p := browsertest.Run(t, ctx, "layout dialog", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
					t.Errorf("the ban dialog:\n%s", strings.Join(p, "\n"))
				}
			})
		}
	}
}
