package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/browsertest"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/notify"
	"github.com/newsroom/commentd/web"
)

// newNotifyFixture is newFixture with notifications on: the NOTIFY bucket
// on the same server, and the keys the links are signed with.
func newNotifyFixture(t *testing.T, cfg web.Config) (*fixture, *notify.State, notify.Keys) {
	t.Helper()
	_, js := natstest.Connect(t, natstest.Server(t))
	ctx := context.Background()
	l, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := notify.Provision(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	st, err := notify.Attach(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	keys := notify.NewKeys([]byte("notify test secret"))
	cfg.Notify = &web.Notifications{State: st, Keys: keys}
	tv := web.NewTestViews(t, js, l)
	w := web.New(tv.Config(cfg))
	tv.Serve(w)
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	t.Cleanup(w.CloseStreams)
	return &fixture{t: t, log: l, tv: tv, views: tv, web: w, srv: srv}, st, keys
}

func (f *fixture) page(method, path, contentType, body string) (int, string) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, readAll(resp)
}

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestNotifyLinks(t *testing.T) {
	f, st, keys := newNotifyFixture(t, web.Config{})
	ctx := context.Background()
	hash := keys.AddressHash("anna@example.com")
	now := time.Now()
	verify := url.QueryEscape(keys.Link(notify.PurposeVerify, hash, now.Add(time.Hour)))

	// Opening the link asks; it changes nothing.
	code, body := f.page("GET", "/notify/verify?t="+verify, "", "")
	if code != 200 || !strings.Contains(body, `<form method="post">`) || !strings.Contains(body, "Confirm") {
		t.Fatalf("verify page: %d\n%s", code, body)
	}
	if a, _ := st.Address(ctx, hash); !a.Verified.IsZero() {
		t.Fatal("opening the link verified the address")
	}
	code, body = f.page("POST", "/notify/verify", "application/x-www-form-urlencoded", "t="+verify)
	if a, _ := st.Address(ctx, hash); code != 200 || !strings.Contains(body, "Address confirmed") || !a.Mailable() {
		t.Fatalf("confirm: %d %+v\n%s", code, a, body)
	}

	for name, tok := range map[string]string{
		"forged":        "eyJ2IjoxfQ.c2ln",
		"cut short":     verify[:len(verify)-4],
		"other purpose": verify,
		"expired":       url.QueryEscape(keys.Link(notify.PurposeUnsubscribe, hash, now.Add(-time.Minute))),
		"another site":  url.QueryEscape(notify.NewKeys([]byte("other")).Link(notify.PurposeUnsubscribe, hash, now.Add(time.Hour))),
	} {
		for _, method := range []string{"GET", "POST"} {
			code, body := f.page(method, "/notify/unsubscribe?t="+tok, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click")
			want := "not valid"
			if name == "expired" {
				want = "expired"
			}
			if code != 400 || !strings.Contains(body, want) {
				t.Errorf("%s link, %s: %d\n%s", name, method, code, body)
			}
		}
	}
	if a, _ := st.Address(ctx, hash); !a.Mailable() {
		t.Fatal("a bad link unsubscribed the address")
	}

	// A mail program's one-click POST (RFC 8058): the token in the query.
	unsub := url.QueryEscape(keys.Link(notify.PurposeUnsubscribe, hash, now.Add(time.Hour)))
	code, body = f.page("POST", "/notify/unsubscribe?t="+unsub, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click")
	if a, _ := st.Address(ctx, hash); code != 200 || a.Mailable() || a.Unsubscribed.IsZero() {
		t.Fatalf("one-click: %d %+v\n%s", code, a, body)
	}

	// Russian readers read the pages in Russian.
	req, _ := http.NewRequest("GET", f.srv.URL+"/notify/unsubscribe?t="+unsub, nil)
	req.Header.Set("Accept-Language", "ru")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(resp); !strings.Contains(b, "Отписаться") || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("Russian page:\n%s", b)
	}
	resp.Body.Close()
}

func TestCommentWithEmail(t *testing.T) {
	f, _, _ := newNotifyFixture(t, web.Config{})
	resp, out := f.post(path, "application/json", `{"author":"Anna","text":"Hello","email":" anna@example.com "}`, map[string]string{"Accept-Language": "ru-RU,ru;q=0.9"})
	if resp.StatusCode != 202 {
		t.Fatalf("post: %d %v", resp.StatusCode, out)
	}
	id := out["id"].(string)
	resp, out = f.post(path, "application/json", `{"author":"Anna","text":"Hello","email":"anna at example"}`, nil)
	if code, field := errorOf(out); resp.StatusCode != 400 || code != "invalid_email" || field != "email" {
		t.Fatalf("a bad address: %d %v", resp.StatusCode, out)
	}
	// The address is sealed: readers of the log see none, the notifier's
	// log (WithContact) opens it with the reader's language.
	ctx := context.Background()
	for _, l := range []*events.Log{f.log, f.log.WithContact()} {
		hist, err := l.CommentEvents(ctx, "a1", id)
		if err != nil {
			t.Fatal(err)
		}
		var p events.Submitted
		if err := hist[0].Payload(&p); err != nil {
			t.Fatal(err)
		}
		want := events.Submitted{}
		if l != f.log {
			want = events.Submitted{Email: "anna@example.com", Lang: "ru"}
		}
		if p.Email != want.Email || p.Lang != want.Lang {
			t.Fatalf("read back email %q lang %q, want %q %q", p.Email, p.Lang, want.Email, want.Lang)
		}
	}
	raw, err := f.log.Stream().GetMsg(ctx, hist0Seq(t, f, id))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw.Data), "anna@example.com") {
		t.Fatal("the address is in the log in plain text")
	}

	// The page's form and the list say notifications are on.
	f.applyAll()
	if page := f.getPage("/articles/a1"); !strings.Contains(page, `name="email"`) || !strings.Contains(page, "Never shown") {
		t.Fatal("no e-mail field on the article page")
	}
	if _, list := f.get(path); list["notifications"] != true {
		t.Fatalf("list: %v", list)
	}
	// The no-JS form takes it too.
	form := url.Values{"author": {"Boris"}, "text": {"From the form"}, "email": {"boris@example.com"}}
	resp, _ = f.post("/articles/a1", "application/x-www-form-urlencoded", form.Encode(), nil)
	if resp.StatusCode != 200 { // followed the 303 to the page
		t.Fatalf("form post: %d", resp.StatusCode)
	}
}

func hist0Seq(t *testing.T, f *fixture, id string) uint64 {
	t.Helper()
	hist, err := f.log.CommentEvents(context.Background(), "a1", id)
	if err != nil {
		t.Fatal(err)
	}
	return hist[0].Seq
}

func TestEmailRefusedWithNotificationsOff(t *testing.T) {
	f := newFixture(t, web.Config{})
	resp, out := f.post(path, "application/json", `{"author":"Anna","text":"Hello","email":"anna@example.com"}`, nil)
	if code, field := errorOf(out); resp.StatusCode != 400 || code != "notifications_off" || field != "email" {
		t.Fatalf("%d %v", resp.StatusCode, out)
	}
	if page := f.getPage("/articles/a1"); strings.Contains(page, `name="email"`) {
		t.Fatal("an e-mail field with notifications off")
	}
	if _, list := f.get(path); list["notifications"] != nil {
		t.Fatalf("list: %v", list)
	}
}

// The widget shows the e-mail field only when the server sends mail, and
// posts the address with the comment.
func TestBrowserWidgetEmailField(t *testing.T) {
	actx := browser(t)
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint("notifications ", on), func(t *testing.T) {
			host := httptest.NewServer(nil)
			t.Cleanup(host.Close)
			var f *fixture
			if on {
				f, _, _ = newNotifyFixture(t, web.Config{AllowedOrigins: []string{host.URL}})
			} else {
				f = newFixture(t, web.Config{AllowedOrigins: []string{host.URL}})
			}
			f.live()
			host.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"></head><body>
<div id="comments" data-article="mailme" data-lang="ru"></div>
<script src="%s/embed.js" async></script></body></html>`, f.srv.URL)
			})
			ctx := browsertest.Tab(t, actx)
			browsertest.Run(t, ctx, "open", chromedp.Navigate(host.URL+"/story"))
			root := `document.querySelector('#comments').shadowRoot`
			browsertest.Run(t, ctx, "loaded", chromedp.Poll[chromedp.Void](root+`?.querySelector('form.top input[name=email]')`))
			// The list has loaded once the count is shown.
			browsertest.Run(t, ctx, "list", chromedp.Poll[chromedp.Void](root+`.querySelector('h2').textContent !== 'Комментарии'`))
			shown := browsertest.Run(t, ctx, "shown", chromedp.Evaluate[bool](`!`+root+`.querySelector('form.top input[name=email]').closest('div').hidden`))
			if shown != on {
				t.Fatalf("e-mail field shown %v with notifications %v", shown, on)
			}
			if !on {
				return
			}
			label := browsertest.Run(t, ctx, "label", chromedp.Evaluate[string](root+`.querySelector('form.top label[for$=e]').textContent`))
			if label != "Эл. почта (необязательно)" {
				t.Fatalf("label %q", label)
			}
			browsertest.Run(t, ctx, "post", chromedp.Evaluate[chromedp.Void](`(() => { const f = `+root+`.querySelector('form.top');
				f.querySelector('input[name=author]').value = 'Reader';
				f.querySelector('input[name=email]').value = 'reader@example.com';
				f.querySelector('textarea').value = 'Tell me of replies.';
				f.querySelector('button[type=submit]').click(); })()`))
			id := browsertest.Run(t, ctx, "pending", chromedp.Poll[string](`(() => { const li = `+root+`.querySelector('li[data-id]');
				return li && li.dataset.id; })()`))
			hist, err := f.log.WithContact().CommentEvents(context.Background(), "mailme", id)
			if err != nil {
				t.Fatal(err)
			}
			var p events.Submitted
			if err := hist[0].Payload(&p); err != nil || p.Email != "reader@example.com" {
				t.Fatalf("stored address %q (%v)", p.Email, err)
			}
			if browsertest.Shots() {
				browsertest.Screenshot(t, "widget-email-ru", browsertest.Run(t, ctx, "shot", chromedp.CaptureScreenshot()))
				browsertest.Run(t, ctx, "page", chromedp.Navigate(f.srv.URL+"/articles/mailme"))
				browsertest.Screenshot(t, "article-email", browsertest.Run(t, ctx, "page shot", chromedp.FullScreenshot(100)))
			}
		})
	}
}
