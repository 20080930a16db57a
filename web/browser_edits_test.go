package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/browsertest"
	"github.com/newsroom/commentd/web"
)

// approveEditLive approves the comment's newest edit, as the worker
// would, and waits until the projector applied it.
func (f *fixture) approveEditLive(article, id string) {
	f.t.Helper()
	ctx := context.Background()
	hist, err := f.log.CommentEvents(ctx, article, id)
	if err != nil {
		f.t.Fatal(err)
	}
	last := hist[len(hist)-1]
	if last.Type != events.CommentEdited {
		f.t.Fatalf("the newest event is %s, not an edit", last.Type)
	}
	e, _ := events.New(uuid.NewString(), events.CommentApproved, article, id, events.RulesActor("test"), last.ID, time.Now(), events.Decision{Reason: "clean", Edit: last.ID})
	seq, err := f.log.AppendAfter(ctx, e, last.Seq)
	if err != nil {
		f.t.Fatal(err)
	}
	f.waitAppliedTo(seq)
}

// A reader edits their comment in the widget, the approved edit shows
// live with its link, the link opens, and permalinks (the page's and the
// widget's) open at the comment, on a later page too: at a desktop's and
// a phone's width.
func TestBrowserEditPermalinkLink(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			actx := browsertest.Allocator(t, chromedp.WindowSize(size.w, size.h))
			landed := make(chan string, 4)
			landing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case landed <- r.URL.Path:
				default:
				}
				fmt.Fprint(w, "landed")
			}))
			t.Cleanup(landing.Close)
			hostMux := http.NewServeMux()
			host := httptest.NewServer(hostMux)
			t.Cleanup(host.Close)
			f := newFixture(t, web.Config{AllowedOrigins: []string{host.URL}})
			f.live()
			const a = "edits"
			// 25 threads: the last is on the page's second page.
			var ids []string
			for i := range 25 {
				ids = append(ids, f.comment(a, "Anna", fmt.Sprintf("Thread %d.", i), "", nil))
			}
			f.waitApplied()
			for _, id := range ids {
				f.decideLive(events.CommentApproved, a, id, "")
			}
			hostMux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>A story</h1><div id="comments" data-article="%s"></div><script src="%s/embed.js" async></script></body></html>`, a, f.srv.URL)
			})

			ctx := browsertest.Tab(t, actx)
			root := `document.querySelector('#comments').shadowRoot`
			browsertest.Run(t, ctx, "open", chromedp.Navigate(host.URL+"/story"))
			browsertest.Run(t, ctx, "loaded", chromedp.Poll[chromedp.Void](root+`?.querySelector('li[data-id="`+ids[0]+`"]')`))
			browsertest.Run(t, ctx, "post", chromedp.Evaluate[chromedp.Void](`(() => { const f = `+root+`.querySelector('form.top');
				f.querySelector('input[name=author]').value = 'Reader';
				f.querySelector('textarea').value = 'Teh first version.';
				f.querySelector('button[type=submit]').click(); })()`))
			mine := browsertest.Run(t, ctx, "pending", chromedp.Poll[string](`(() => { const b = [...`+root+`.querySelectorAll('.badge')].find(b => b.textContent === 'Awaiting review');
				return b && b.closest('li').dataset.id; })()`))
			f.waitApplied()
			f.decideLive(events.CommentApproved, a, mine, "")
			li := root + `.querySelector('li[data-id="` + mine + `"]')`
			browsertest.Run(t, ctx, "published", chromedp.Poll[chromedp.Void](`(() => { const l = `+li+`; return l && !l.querySelector('.badge') && l.querySelector('button.edit'); })()`))

			// Edit it, with the mouse: the published text stays while
			// the edit waits.
			link := landing.URL + "/from-a-comment"
			browsertest.Run(t, ctx, "open edit", chromedp.Evaluate[chromedp.Void](li+`.querySelector('button.edit').click()`))
			browsertest.Run(t, ctx, "edit text", chromedp.Evaluate[chromedp.Void](`(() => { const t = `+li+`.querySelector('.edit-box textarea'); t.value = 'The first version, see `+link+`.'; })()`))
			browsertest.Run(t, ctx, "save edit", chromedp.Evaluate[chromedp.Void](li+`.querySelector('.edit-box button[type=submit]').click()`))
			note := browsertest.Run(t, ctx, "edit waits", chromedp.Poll[string](`(() => { const w = `+li+`.querySelector('.why'); return w && w.textContent; })()`))
			if !strings.Contains(note, "awaiting review") {
				t.Fatalf("after the edit: %q", note)
			}
			if s := browsertest.Run(t, ctx, "text kept", chromedp.Evaluate[string](li+`.querySelector('.text').textContent`)); s != "Teh first version." {
				t.Fatalf("while the edit waits, the widget shows %q", s)
			}
			// Approved: the new text shows live, "edited", its link a link.
			f.approveEditLive(a, mine)
			browsertest.Run(t, ctx, "edit shown", chromedp.Poll[chromedp.Void](`(() => { const l = `+li+`; return l.querySelector('.text a') && l.querySelector('.meta').textContent.includes('edited') && !l.querySelector('.why'); })()`))
			attrs := browsertest.Run(t, ctx, "link", chromedp.Evaluate[string](`(() => { const a = `+li+`.querySelector('.text a'); return a.href + ' ' + a.rel + ' ' + a.target; })()`))
			if attrs != link+" nofollow ugc noopener _blank" {
				t.Fatalf("the link: %q", attrs)
			}
			browsertest.Run(t, ctx, "click the link", chromedp.Evaluate[chromedp.Void](li+`.querySelector('.text a').click()`))
			select {
			case p := <-landed:
				if p != "/from-a-comment" {
					t.Fatalf("the link opened %q", p)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("clicking the link opened nothing")
			}
			// The link opened a tab in front of this one, and a tab
			// behind gets no animation frames, which Poll waits for.
			if _, err := chromedp.Call(ctx, page.BringToFront, cdp.Empty{}); err != nil {
				t.Fatal(err)
			}

			// The widget's permalink opens at the comment, marked.
			permalink := browsertest.Run(t, ctx, "permalink", chromedp.Evaluate[string](li+`.querySelector('a.permalink').href`))
			if permalink != host.URL+"/story#comment-"+mine {
				t.Fatalf("the widget's permalink: %q", permalink)
			}
			browsertest.Run(t, ctx, "leave", chromedp.Navigate("about:blank"))
			browsertest.Run(t, ctx, "open permalink", chromedp.Navigate(permalink))
			browsertest.Run(t, ctx, "widget there", chromedp.Text(chromedp.CSS("h1")))
			browsertest.Run(t, ctx, "marked", chromedp.Poll[chromedp.Void](`(() => { const h = document.querySelector('#comments');
				const li = h && h.shadowRoot && h.shadowRoot.querySelector('li[data-id="`+mine+`"]');
				return li && li.firstChild.className.includes('target'); })()`))

			// The page's permalink of a thread on its second page.
			browsertest.Run(t, ctx, "open page permalink", chromedp.Navigate(f.srv.URL+"/articles/"+a+"/comments/"+mine))
			got := browsertest.Run(t, ctx, "at the comment", chromedp.Evaluate[string](`location.search + ' ' + (document.querySelector(':target') || {}).id`))
			if !strings.Contains(got, "cursor=") || !strings.HasSuffix(got, " c-"+mine) {
				t.Fatalf("the page's permalink opened %q", got)
			}
			if bg := browsertest.Run(t, ctx, "highlighted", chromedp.Evaluate[string](`getComputedStyle(document.querySelector(':target')).backgroundColor`)); bg == "rgba(0, 0, 0, 0)" {
				t.Fatal("the comment a permalink opened is not highlighted")
			}
			if s := browsertest.Run(t, ctx, "edited on the page", chromedp.Text(chromedp.CSS("#c-"+mine+" .edited"))); s != "edited" {
				t.Fatalf("the page says %q", s)
			}
		})
	}
}
