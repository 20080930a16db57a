package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/newsroom/commentd/internal/browsertest"
)

// addMia makes the moderator the UI tests sign in as.
func addMia(t *testing.T, c *instance, role string) {
	t.Helper()
	if st, body := api(t, nil, "POST", c.url+"/api/moderation/accounts", testAdminToken, `{"name":"mia","password":"mia's password","role":"`+role+`"}`); st != 201 {
		t.Fatalf("add moderator: %d %v", st, body)
	}
}

// russian makes the tab's browser ask for Russian and live in
// Vladivostok (UTC+10, no summer time), so dates show whether the page
// writes them in the reader's locale and zone.
func russian(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/120", AcceptLanguage: "ru-RU,ru"}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Vladivostok"}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: "ru-RU"}); err != nil {
		t.Fatal(err)
	}
}

// A moderator whose browser asks for Russian gets the moderation UI in
// Russian (the pages, the script's messages, plurals, dates in their
// locale and time zone), and the switch turns it to English and keeps it.
func TestModerationUIInRussian(t *testing.T) {
	actx := browsertest.Allocator(t)
	c := start(t, t.TempDir(), "--admin-token", testAdminToken)
	addMia(t, c, "moderator")
	vladivostok := time.FixedZone("UTC+10", 10*3600)
	for _, width := range []int64{390, 1280} {
		t.Run(fmt.Sprintf("%dpx", width), func(t *testing.T) {
			article := fmt.Sprintf("russian-%d", width)
			var ids []string
			for _, who := range []string{"Лена", "Пётр"} {
				_, id, err := postComment(c.url, article, who, "Ссылка https://example.org/"+who)
				if err != nil {
					t.Fatal(err)
				}
				waitStatus(t, c.url, id, "held")
				ids = append(ids, id)
			}
			ctx := browsertest.Tab(t, actx)
			browsertest.Run(t, ctx, "viewport", chromedp.EmulateViewport(width, 800))
			russian(t, ctx)

			// Signed out (the first tab): the sign-in page is Russian already.
			browsertest.Run(t, ctx, "open", chromedp.Navigate(c.url+"/moderation/"))
			if browsertest.Run(t, ctx, "signed in?", chromedp.Poll[string](`document.getElementById('items') ? 'in' : document.getElementById('login-form') ? 'out' : ''`)) == "out" {
				if s := browsertest.Run(t, ctx, "sign-in button", chromedp.Text(chromedp.CSS("#sign-in"))); s != "Войти" {
					t.Fatalf("the sign-in button says %q", s)
				}
			}
			signIn(t, ctx, c.url)
			browsertest.Run(t, ctx, "queue", chromedp.Navigate(c.url+"/moderation/?queue=held&article="+article))
			until(t, ctx, "two items", `document.querySelectorAll('#items .item').length === 2`)
			if h := browsertest.Run(t, ctx, "h1", chromedp.Text(chromedp.CSS("h1"))); h != "Задержанные комментарии" {
				t.Fatalf("h1 %q", h)
			}
			if l := browsertest.Run(t, ctx, "lang", chromedp.Evaluate[string](`document.documentElement.lang`)); l != "ru" {
				t.Fatalf("<html lang=%q>", l)
			}
			if s := browsertest.Run(t, ctx, "button", chromedp.Text(chromedp.CSS("#item-"+ids[0]+" .do-approve"))); s != "Одобрить" {
				t.Fatalf("the approve button says %q", s)
			}

			// The date of a comment, in Vladivostok's time and Russian.
			iso := browsertest.Run(t, ctx, "datetime", chromedp.Evaluate[string](`document.querySelector('#item-`+ids[0]+` time').getAttribute('datetime')`))
			at, err := time.Parse(time.RFC3339, iso)
			if err != nil {
				t.Fatal(err)
			}
			shown := browsertest.Run(t, ctx, "date", chromedp.Text(chromedp.CSS("#item-"+ids[0]+" time")))
			local := at.In(vladivostok)
			ruMonth := []string{"янв", "февр", "мар", "апр", "мая", "июн", "июл", "авг", "сент", "окт", "нояб", "дек"}[local.Month()-1]
			if !strings.Contains(shown, local.Format("15:04")) || !strings.Contains(shown, ruMonth) || !strings.Contains(shown, fmt.Sprint(local.Day())) {
				t.Fatalf("the date %s shows as %q, want it in Russian at %s (UTC+10)", iso, shown, local.Format("2 Jan 15:04"))
			}
			if p := browsertest.Run(t, ctx, "layout", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
				t.Fatalf("layout at %d px:\n%s", width, strings.Join(p, "\n"))
			}
			if browsertest.Shots() {
				browsertest.Screenshot(t, fmt.Sprintf("moderation-ru-%dpx", width), browsertest.Run(t, ctx, "shot", chromedp.FullScreenshot(100)))
			}

			// The script speaks Russian too: choices announced with the
			// plural, the toast after a decision.
			browsertest.Run(t, ctx, "pick", chromedp.Click(chromedp.CSS("#pick-"+ids[0])))
			until(t, ctx, "announced", `document.getElementById('announce').textContent === 'Выбран 1 комментарий'`)
			browsertest.Run(t, ctx, "pick 2", chromedp.Click(chromedp.CSS("#pick-"+ids[1])))
			until(t, ctx, "two chosen", `document.getElementById('announce').textContent === 'Выбрано 2 комментария'`)
			browsertest.Run(t, ctx, "unpick", chromedp.Click(chromedp.CSS("#pick-"+ids[1])))
			browsertest.Run(t, ctx, "unpick 1", chromedp.Click(chromedp.CSS("#pick-"+ids[0])))
			browsertest.Run(t, ctx, "reject", chromedp.Click(chromedp.CSS("#item-"+ids[0]+" .do-reject")))
			until(t, ctx, "dialog", `document.getElementById('decide').open && document.getElementById('decide-title').textContent === 'По какой причине отклонить комментарий автора Лена?'`)
			browsertest.Run(t, ctx, "no reason", chromedp.Click(chromedp.CSS("#decide-submit")))
			until(t, ctx, "asked", `document.getElementById('decide-error').textContent === 'Выберите причину.'`)
			browsertest.Run(t, ctx, "cancel", chromedp.Click(chromedp.CSS("#decide-cancel")))
			// The keyboard too: a approves the selected comment.
			browsertest.Run(t, ctx, "blur", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
			browsertest.Run(t, ctx, "a", chromedp.KeyEvent("a"))
			until(t, ctx, "toast", `document.getElementById('toast-text').textContent === 'Одобрен комментарий автора Лена'`)
			waitStatus(t, c.url, ids[0], "approved")

			// The switch: English, kept for the next page.
			browsertest.Run(t, ctx, "switch", chromedp.Click(chromedp.CSS("#lang-switch")))
			browsertest.Run(t, ctx, "english page", chromedp.WaitReady(chromedp.CSS(`html[lang="en"] #items`)))
			until(t, ctx, "english", `document.querySelector('h1')?.textContent === 'Held comments' && document.documentElement.lang === 'en'`)
			browsertest.Run(t, ctx, "reload", chromedp.Reload())
			until(t, ctx, "still english", `document.querySelector('#items .do-approve')?.textContent === 'Approve'`)
			browsertest.Run(t, ctx, "back to russian", chromedp.Click(chromedp.CSS("#lang-switch")))
			browsertest.Run(t, ctx, "russian page", chromedp.WaitReady(chromedp.CSS(`html[lang="ru"] #items`)))
			until(t, ctx, "russian again", `document.querySelector('h1')?.textContent === 'Задержанные комментарии'`)
		})
	}
}
