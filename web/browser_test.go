package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/browsertest"
	"github.com/newsroom/commentd/projections"
	"github.com/newsroom/commentd/web"
)

// browser starts a headless Chromium as wide as a phone.
func browser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Allocator(t, chromedp.WindowSize(412, 900))
}

// live runs a projector over the fixture's log, as commentd does, so the
// views and the live streams follow the log by themselves.
func (f *fixture) live() { f.tv.Live() }

// decideLive appends a decision and waits until the projector applied it.
func (f *fixture) decideLive(typ events.Type, article, id, message string) {
	f.t.Helper()
	ctx := context.Background()
	seq, err := f.log.CommentSeq(ctx, article, id)
	if err != nil {
		f.t.Fatal(err)
	}
	e, _ := events.New(uuid.NewString(), typ, article, id, "moderator:test", "", time.Now(), events.Decision{Reason: "test", Message: message})
	seq, err = f.log.AppendAfter(ctx, e, seq)
	if err != nil {
		f.t.Fatal(err)
	}
	f.waitAppliedTo(seq)
}

const namePayload = `<img src=x onerror="window.pwned=3">`

const payload = `<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> & "quotes" 'too' </div>`

func TestBrowser(t *testing.T) {
	actx := browser(t)

	t.Run("article page works without JavaScript", func(t *testing.T) {
		f := newFixture(t, web.Config{})
		f.live()
		ctx := browsertest.Tab(t, actx)
		browsertest.Run(t, ctx, "blank", chromedp.Navigate("about:blank"))
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
		page := f.srv.URL + "/articles/nojs"
		browsertest.Run(t, ctx, "open", chromedp.Navigate(page))
		browsertest.Run(t, ctx, "name", chromedp.SendKeys(chromedp.CSS("#author"), "Anna"))
		browsertest.Run(t, ctx, "text", chromedp.SendKeys(chromedp.CSS("#text"), payload))
		browsertest.Run(t, ctx, "post", chromedp.Click(chromedp.CSS("#comment-form button")))
		if s := browsertest.Run(t, ctx, "notice", chromedp.Text(chromedp.CSS("#status"))); !strings.Contains(s, "awaiting review") {
			t.Fatalf("notice after posting: %q", s)
		}
		id := f.onlyComment("nojs")
		f.decideLive(events.CommentApproved, "nojs", id, "")
		browsertest.Run(t, ctx, "reload", chromedp.Navigate(page))
		if s := browsertest.Run(t, ctx, "comment", chromedp.TextContent(chromedp.CSS("#t-"+id))); s != payload {
			t.Fatalf("shown as %q, want %q", s, payload)
		}
		if n := browsertest.Run(t, ctx, "images", chromedp.Nodes(chromedp.CSSAll("img"), chromedp.AtLeast(0))); len(n) != 0 {
			t.Fatalf("the payload became an element: %s", n[0].Dump("", " ", false))
		}

		// A reply, through the form under the comment.
		browsertest.Run(t, ctx, "open reply", chromedp.Click(chromedp.CSS("#c-"+id+" summary")))
		if v := browsertest.Run(t, ctx, "reply name given", chromedp.Value(chromedp.CSS("#author-"+id))); v != "Anna" {
			t.Fatalf("the reply form's name is %q, want the name remembered (Anna)", v)
		}
		browsertest.Run(t, ctx, "reply name", chromedp.SetValue(chromedp.CSS("#author-"+id), "Bo"))
		browsertest.Run(t, ctx, "reply text", chromedp.SendKeys(chromedp.CSS("#text-"+id), "A reply without JavaScript."))
		browsertest.Run(t, ctx, "post reply", chromedp.Click(chromedp.CSS("#c-"+id+" .reply form button")))
		// The confirmation is under the comment replied to, not at the foot
		// of the page.
		if s := browsertest.Run(t, ctx, "notice", chromedp.Text(chromedp.CSS("#c-"+id+" #status"))); !strings.Contains(s, "awaiting review") {
			t.Fatalf("notice after replying: %q", s)
		}
		reply := f.newestComment("nojs")
		if c, _ := f.views.Comment(reply); c.ParentID != id {
			t.Fatalf("the reply's parent is %q", c.ParentID)
		}

		// The name is remembered for the next comment.
		browsertest.Run(t, ctx, "reload for the name", chromedp.Navigate(page))
		if v := browsertest.Run(t, ctx, "name kept", chromedp.Value(chromedp.CSS("#author"))); v != "Bo" {
			t.Fatalf("the name field holds %q, want the last name used", v)
		}

		// Report, without JavaScript: a reason first, then thanks under
		// the comment, and the report is in the log.
		browsertest.Run(t, ctx, "open report", chromedp.Click(chromedp.CSS("#c-"+id+" .report summary")))
		browsertest.Run(t, ctx, "reason", chromedp.SetValue(chromedp.CSS("#reason-"+id), "abusive"))
		browsertest.Run(t, ctx, "send report", chromedp.Click(chromedp.CSS("#c-"+id+" .report button")))
		if s := browsertest.Run(t, ctx, "report thanks", chromedp.Text(chromedp.CSS("#c-"+id+" #status"))); !strings.Contains(s, "A moderator will look") {
			t.Fatalf("after reporting: %q", s)
		}
		hist, err := f.log.History(context.Background(), "nojs", id)
		if err != nil {
			t.Fatal(err)
		}
		if last := hist[len(hist)-1]; last.Type != events.CommentReported || !strings.Contains(string(last.Data), `"reason":"abusive"`) {
			t.Fatalf("the log ends with %s %s, want an abusive report", last.Type, last.Data)
		}
	})

	t.Run("widget on another origin: post, pending, published live, report, text stays text", func(t *testing.T) {
		// The publisher's site: another origin, whose URL the allow-list
		// needs before its page is written.
		hostMux := http.NewServeMux()
		host := httptest.NewServer(hostMux)
		t.Cleanup(host.Close)
		f := newFixture(t, web.Config{AllowedOrigins: []string{host.URL}})
		f.live()
		const a = "embedded"
		earlier := f.comment(a, namePayload, payload, "", nil)
		f.waitApplied()
		f.decideLive(events.CommentApproved, a, earlier, "")

		hostMux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8">
<style>button{display:none} li{color:#f00}</style>
<script>window.hostGlobals = Object.getOwnPropertyNames(window);</script>
</head><body><h1>A publisher's story</h1>
<div id="comments" data-article="%s"></div>
<script src="%s/embed.js" async></script>
</body></html>`, a, f.srv.URL)
		})
		ctx := browsertest.Tab(t, actx)
		browsertest.Run(t, ctx, "open", chromedp.Navigate(host.URL+"/story"))
		root := `document.querySelector('#comments').shadowRoot`
		browsertest.Run(t, ctx, "approved comment shown", chromedp.Poll[chromedp.Void](root+`?.querySelector('li[data-id="`+earlier+`"] .text')`))
		text := browsertest.Run(t, ctx, "text", chromedp.Evaluate[string](root+`.querySelector('li[data-id="`+earlier+`"] .text').textContent`))
		author := browsertest.Run(t, ctx, "author", chromedp.Evaluate[string](root+`.querySelector('li[data-id="`+earlier+`"] .meta strong').textContent`))
		if text != payload || author != namePayload {
			t.Fatalf("shown as %q by %q", text, author)
		}
		if n := browsertest.Run(t, ctx, "elements", chromedp.Evaluate[int](root+`.querySelectorAll('img, script').length`)); n != 0 {
			t.Fatalf("the payload became %d elements", n)
		}
		if leaked := browsertest.Run(t, ctx, "globals", chromedp.Evaluate[[]string](`Object.getOwnPropertyNames(window).filter(n => !hostGlobals.includes(n) && n !== 'hostGlobals')`)); len(leaked) != 0 {
			t.Fatalf("the widget leaked globals: %v", leaked)
		}
		if d := browsertest.Run(t, ctx, "scoped styles", chromedp.Evaluate[string](`getComputedStyle(`+root+`.querySelector('form.top button')).display`)); d == "none" {
			t.Fatal("the host page's styles reach into the widget")
		}

		// Post through the widget: it shows as awaiting review.
		browsertest.Run(t, ctx, "post", chromedp.Evaluate[chromedp.Void](`(() => { const r = `+root+`;
			const f = r.querySelector('form.top');
			f.querySelector('input[name=author]').value = 'Reader';
			f.querySelector('textarea').value = 'Posted from the widget.';
			f.querySelector('button[type=submit]').click(); })()`))
		mine := browsertest.Run(t, ctx, "pending", chromedp.Poll[string](`(() => { const b = [...`+root+`.querySelectorAll('.badge')].find(b => b.textContent === 'Awaiting review');
			return b && b.closest('li').dataset.id; })()`))
		if c, ok := f.views.Comment(mine); !ok || c.Text != "Posted from the widget." || c.Status != projections.Pending {
			t.Fatalf("stored: %+v %v", c, ok)
		}
		// Approved through the log: the widget shows it published, live.
		f.decideLive(events.CommentApproved, a, mine, "")
		browsertest.Run(t, ctx, "published live", chromedp.Poll[chromedp.Void](`(() => { const li = `+root+`.querySelector('li[data-id="`+mine+`"]');
			return li && !li.querySelector('.badge') && `+root+`.querySelector('h2').textContent === '2 comments'; })()`))
		// The note under the button follows the decision.
		browsertest.Run(t, ctx, "note published", chromedp.Poll[chromedp.Void](root+`.querySelector('form.top .msg').textContent === 'Thank you. Your comment is published.'`))

		// Another reader's comment appears without a reload.
		other := f.comment(a, "Someone", "From elsewhere.", "", nil)
		f.waitApplied()
		f.decideLive(events.CommentApproved, a, other, "")
		browsertest.Run(t, ctx, "other comment live", chromedp.Poll[chromedp.Void](root+`.querySelector('li[data-id="`+other+`"]')`))

		// Report it: a reason must be chosen first, then the thanks replace
		// the control and the report is in the log.
		otherLi := root + `.querySelector('li[data-id="` + other + `"]')`
		browsertest.Run(t, ctx, "open report", chromedp.Evaluate[chromedp.Void](otherLi+`.querySelector('button.report').click()`))
		if focused := browsertest.Run(t, ctx, "focus", chromedp.Evaluate[string](root+`.activeElement?.name`)); focused != "reason" {
			t.Fatalf("the report form took no focus (%q has it)", focused)
		}
		browsertest.Run(t, ctx, "send without a reason", chromedp.Evaluate[chromedp.Void](otherLi+`.querySelector('form.report button[type=submit]').click()`))
		if msg := browsertest.Run(t, ctx, "no reason", chromedp.Evaluate[string](otherLi+`.querySelector('form.report .msg').textContent`)); msg != "Please choose a reason." {
			t.Fatalf("without a reason: %q", msg)
		}
		browsertest.Run(t, ctx, "report", chromedp.Evaluate[chromedp.Void](`(() => { const f = `+otherLi+`.querySelector('form.report');
			f.querySelector('select').value = 'spam';
			f.querySelector('button[type=submit]').click(); })()`))
		browsertest.Run(t, ctx, "thanks", chromedp.Poll[chromedp.Void](`(() => { const li = `+otherLi+`;
			return !li.querySelector('form.report, button.report') && li.querySelector('.done')?.textContent === 'Reported \u2014 thank you'
				&& `+root+`.activeElement === li.querySelector('.done'); })()`))
		hist, err := f.log.History(context.Background(), a, other)
		if err != nil {
			t.Fatal(err)
		}
		if last := hist[len(hist)-1]; last.Type != events.CommentReported || !strings.Contains(string(last.Data), `"reason":"spam"`) {
			t.Fatalf("the log ends with %s %s, want a spam report", last.Type, last.Data)
		}

		// The answer to a stored comment is lost; the reader sends it
		// again: one comment, thanks to the key kept for the retry.
		browsertest.Run(t, ctx, "lost answer", chromedp.Evaluate[chromedp.Void](`(() => { const real = window.fetch; let dropped = false;
			window.fetch = function (url, opts) { const p = real.apply(this, arguments);
				if (!dropped && opts && opts.method === 'POST' && String(url).endsWith('/comments')) { dropped = true; return p.then(() => { throw new TypeError('lost'); }); }
				return p; };
			const f = `+root+`.querySelector('form.top');
			f.querySelector('textarea').value = 'Sent twice, stored once.';
			f.querySelector('button[type=submit]').click(); })()`))
		browsertest.Run(t, ctx, "told to retry", chromedp.Poll[chromedp.Void](`(() => { const m = `+root+`.querySelector('form.top .msg'); return m && m.textContent.includes('could not be sent') && !`+root+`.querySelector('form.top button[type=submit]').disabled; })()`))
		browsertest.Run(t, ctx, "retry", chromedp.Evaluate[chromedp.Void](root+`.querySelector('form.top button[type=submit]').click()`))
		browsertest.Run(t, ctx, "retried", chromedp.Poll[chromedp.Void](`[...`+root+`.querySelectorAll('li')].some(li => li.querySelector('.text')?.textContent === 'Sent twice, stored once.')`))
		f.waitApplied()
		stored := 0
		if err := f.log.Replay(context.Background(), 1, []string{"comments." + a + ".*.submitted"}, func(e events.Envelope) error {
			var p events.Submitted
			if e.Payload(&p) == nil && p.Text == "Sent twice, stored once." {
				stored++
			}
			return nil
		}); err != nil || stored != 1 {
			t.Fatalf("a retried comment was stored %d times (%v)", stored, err)
		}

		// A refused comment says why, to its author only.
		browsertest.Run(t, ctx, "post again", chromedp.Evaluate[chromedp.Void](`(() => { const f = `+root+`.querySelector('form.top');
			f.querySelector('textarea').value = 'Buy cheap watches';
			f.querySelector('button[type=submit]').click(); })()`))
		refused := browsertest.Run(t, ctx, "pending again", chromedp.Poll[string](`(() => { const li = [...`+root+`.querySelectorAll('li')].find(li => li.querySelector('.text')?.textContent === 'Buy cheap watches' && li.querySelector('.badge'));
			return li && li.dataset.id; })()`))
		f.decideLive(events.CommentRejected, a, refused, "Advertising is not allowed.")
		// Said once: the badge, then the moderator's message in a sentence.
		browsertest.Run(t, ctx, "refused live", chromedp.Poll[chromedp.Void](`(() => { const li = `+root+`.querySelector('li[data-id="`+refused+`"]');
			return li && li.querySelector('.badge.bad')?.textContent === 'Not published'
				&& li.querySelector('.why.bad')?.textContent === 'Your comment was not published. Advertising is not allowed.'
				&& `+root+`.querySelector('form.top .msg').textContent === 'Your comment was not published. Advertising is not allowed.'; })()`))

		// It survives a reload: published stays, the refusal is remembered.
		browsertest.Run(t, ctx, "reload", chromedp.Reload())
		browsertest.Run(t, ctx, "after reload", chromedp.Poll[chromedp.Void](`(() => { const r = document.querySelector('#comments').shadowRoot;
			return r && r.querySelector('li[data-id="`+mine+`"]') && r.querySelector('li[data-id="`+refused+`"] .badge.bad')
				&& r.querySelector('li[data-id="`+other+`"] .done'); })()`))
		if pwned := browsertest.Run(t, ctx, "pwned", chromedp.Evaluate[string](`String(window.pwned)`)); pwned != "undefined" {
			t.Fatalf("a payload ran: %s", pwned)
		}

		// Themes: light by default, dark by data-theme or the reader's
		// prefers-color-scheme (unless the page says light), and any
		// colour set by the page's own custom property.
		colours := func(what string) string {
			return browsertest.Run(t, ctx, what, chromedp.Evaluate[string](`(() => { const h = document.querySelector('#comments'), s = getComputedStyle(h);
				return s.backgroundColor + ' / ' + s.color; })()`))
		}
		const light, dark = "rgb(255, 255, 255) / rgb(26, 26, 26)", "rgb(22, 24, 28) / rgb(232, 232, 232)"
		if c := colours("light"); c != light {
			t.Errorf("default theme: %s, want %s", c, light)
		}
		if browsertest.Shots() {
			browsertest.Screenshot(t, "widget-light", browsertest.Run(t, ctx, "shot light", chromedp.Screenshot(chromedp.CSS("#comments"))))
		}
		browsertest.Run(t, ctx, "data-theme dark", chromedp.Evaluate[chromedp.Void](`document.querySelector('#comments').dataset.theme = 'dark'`))
		if c := colours("dark"); c != dark {
			t.Errorf("data-theme=dark: %s, want %s", c, dark)
		}
		if browsertest.Shots() {
			browsertest.Run(t, ctx, "dark page", chromedp.Evaluate[chromedp.Void](`document.body.style.background = '#0d0d0d'`))
			browsertest.Screenshot(t, "widget-dark", browsertest.Run(t, ctx, "shot dark", chromedp.Screenshot(chromedp.CSS("#comments"))))
		}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
			t.Fatal(err)
		}
		browsertest.Run(t, ctx, "auto", chromedp.Evaluate[chromedp.Void](`delete document.querySelector('#comments').dataset.theme`))
		if c := colours("prefers dark"); c != dark {
			t.Errorf("prefers-color-scheme: dark: %s, want %s", c, dark)
		}
		browsertest.Run(t, ctx, "forced light", chromedp.Evaluate[chromedp.Void](`document.querySelector('#comments').dataset.theme = 'light'`))
		if c := colours("forced light"); c != light {
			t.Errorf("data-theme=light on a dark-preferring reader: %s, want %s", c, light)
		}
		browsertest.Run(t, ctx, "custom", chromedp.Evaluate[chromedp.Void](`document.querySelector('#comments').style.setProperty('--commentd-bg', 'rgb(1, 2, 3)')`))
		if c := colours("custom"); !strings.HasPrefix(c, "rgb(1, 2, 3) /") {
			t.Errorf("--commentd-bg set by the page: %s", c)
		}
	})

	t.Run("widget speaks the language of data-lang", func(t *testing.T) {
		hostMux := http.NewServeMux()
		host := httptest.NewServer(hostMux)
		t.Cleanup(host.Close)
		f := newFixture(t, web.Config{AllowedOrigins: []string{host.URL}})
		f.live()
		const a = "russian"
		for _, text := range []string{"Первый", "Второй"} {
			id := f.comment(a, "Анна", text, "", nil)
			f.waitApplied()
			f.decideLive(events.CommentApproved, a, id, "")
		}
		hostMux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"></head><body>
<div id="comments" data-article="%s" data-lang="ru"></div>
<script src="%s/embed.js" async></script></body></html>`, a, f.srv.URL)
		})
		ctx := browsertest.Tab(t, actx)
		browsertest.Run(t, ctx, "open", chromedp.Navigate(host.URL+"/story"))
		root := `document.querySelector('#comments').shadowRoot`
		got := browsertest.Run(t, ctx, "russian", chromedp.Poll[string](`(() => { const r = `+root+`;
			if (!r || r.querySelector('h2').textContent !== '2 комментария') return '';
			return [r.querySelector('form.top button[type=submit]').textContent, r.querySelector('button.report').textContent, r.querySelector('section').lang].join(' | '); })()`))
		if got != "Отправить комментарий | Пожаловаться | ru" {
			t.Fatalf("the widget with data-lang=ru says %q", got)
		}
		browsertest.Run(t, ctx, "empty post", chromedp.Evaluate[chromedp.Void](root+`.querySelector('form.top button[type=submit]').click()`))
		if msg := browsertest.Run(t, ctx, "message", chromedp.Evaluate[string](root+`.querySelector('form.top .msg').textContent`)); msg != "Сначала напишите комментарий." {
			t.Fatalf("an empty comment is told %q", msg)
		}
	})
}

// onlyComment is the one comment of an article the views know.
func (f *fixture) onlyComment(article string) string {
	f.t.Helper()
	f.waitApplied()
	id := f.newestComment(article)
	if id == "" {
		f.t.Fatalf("no comment on %s", article)
	}
	return id
}

// newestComment finds the newest comment of an article in the log.
func (f *fixture) newestComment(article string) string {
	f.t.Helper()
	f.waitApplied()
	var id string
	err := f.log.Replay(context.Background(), 1, []string{"comments." + article + ".*.submitted"}, func(e events.Envelope) error {
		id = e.Comment
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// waitApplied waits until the projector applied everything in the log.
func (f *fixture) waitApplied() {
	f.t.Helper()
	f.waitAppliedTo(f.lastSeq())
}

// waitAppliedTo waits until the projector applied the log up to seq.
func (f *fixture) waitAppliedTo(seq uint64) {
	f.t.Helper()
	f.tv.WaitApplied(seq)
}
