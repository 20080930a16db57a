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

// A rule file with two mistakes, on lines 4 and 7.
const badRules = "name: test-bad\nrules:\n  - id: links\n    actoin: hold\n    if: {links: 1}\n  - id: caps\n    action: delete\n    if: {links: 2}\n"

// A small valid rule file: rejects "turnip", holds links.
const goodRules = "name: test-good\nrules:\n  - id: turnips\n    action: reject\n    reason: offensive\n    if: {words: [turnip]}\n  - id: links\n    action: hold\n    if: {links: 1}\n"

// The rules screen: the rule set in force, a file edited with its
// mistakes shown on their lines, tried on a text, dry-run on history,
// published (the worker applies it), and rolled back.
func TestModerationUIRules(t *testing.T) {
	actx := browsertest.Allocator(t)
	c := start(t, t.TempDir(), "--admin-token", testAdminToken)
	addMia(t, c, "admin")
	for _, width := range []int64{390, 1280} {
		t.Run(fmt.Sprintf("%dpx", width), func(t *testing.T) {
			article := fmt.Sprintf("rules-%d", width)
			ctx := browsertest.Tab(t, actx)
			browsertest.Run(t, ctx, "viewport", chromedp.EmulateViewport(width, 800))
			signIn(t, ctx, c.url)
			browsertest.Run(t, ctx, "tab", chromedp.Click(chromedp.CSS("#tab-rules")))
			browsertest.Run(t, ctx, "rules page", chromedp.WaitReady(chromedp.CSS("body.rules-page #rules-source")))
			_, inForce := api(t, nil, "GET", c.url+"/api/moderation/rules", testAdminToken, "")
			if v := browsertest.Run(t, ctx, "version", chromedp.Text(chromedp.CSS("#in-force-version"))); v != inForce["version"] {
				t.Fatalf("the page says %q is in force, the API %v", v, inForce["version"])
			}
			if src := browsertest.Run(t, ctx, "source", chromedp.Value(chromedp.CSS("#rules-source"))); src != inForce["source"] {
				t.Fatalf("the editor holds %d bytes, not the source in force", len(src))
			}
			if p := browsertest.Run(t, ctx, "layout", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
				t.Fatalf("rules page at %d px:\n%s", width, strings.Join(p, "\n"))
			}

			// Mistakes, each on its line; a click on one selects the line.
			setSource := func(src string) {
				browsertest.Run(t, ctx, "set source", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById('rules-source').value = %q`, src)))
			}
			setSource(badRules)
			browsertest.Run(t, ctx, "validate", chromedp.Click(chromedp.CSS("#rules-validate")))
			until(t, ctx, "problems", `document.querySelectorAll('#rules-result .problem').length >= 2`)
			problems := browsertest.Run(t, ctx, "problem texts", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#rules-result .problem')].map(b => b.textContent)`))
			joined := strings.Join(problems, "\n")
			if !strings.Contains(joined, "line 4: rule links: unknown field \"actoin\"") || !strings.Contains(joined, "line 7: rule caps: action \"delete\"") {
				t.Fatalf("problems:\n%s", joined)
			}
			browsertest.Run(t, ctx, "go to line 7", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#rules-result .problem')].find(b => b.textContent.startsWith('line 7')).click()`))
			if sel := browsertest.Run(t, ctx, "selection", chromedp.Evaluate[string](`(() => { const s = document.getElementById('rules-source'); return s.value.slice(s.selectionStart, s.selectionEnd); })()`)); sel != "    action: delete" {
				t.Fatalf("the click selected %q", sel)
			}

			// A valid file: tried on a text, with the keyboard (Enter on Check).
			setSource(goodRules)
			browsertest.Run(t, ctx, "validate good", chromedp.Click(chromedp.CSS("#rules-validate")))
			until(t, ctx, "valid", `document.querySelector('#rules-result .ok')?.textContent.includes('2 rules')`)
			browsertest.Run(t, ctx, "text", chromedp.SendKeys(chromedp.CSS("#check-text"), "A turnip for you"))
			browsertest.Run(t, ctx, "focus check", chromedp.Focus(chromedp.CSS("#check-submit")))
			browsertest.Run(t, ctx, "enter", chromedp.KeyEvent("\r"))
			until(t, ctx, "verdict", `document.getElementById('verdict')?.dataset.action === 'reject' && document.getElementById('verdict').textContent.includes('“turnip”')`)

			// Dry run on history: the article's earlier comment would change.
			_, before, err := postComment(c.url, article, "Ada", "I like turnip soup")
			if err != nil {
				t.Fatal(err)
			}
			waitStatus(t, c.url, before, "approved")
			browsertest.Run(t, ctx, "dry run", chromedp.Click(chromedp.CSS("#rules-dryrun")))
			until(t, ctx, "dry run result", `document.querySelector('#rules-result li')?.textContent.startsWith('approve->reject')`)

			// Backtest on the same history: the changed comment is linked,
			// and the rule that changes it has its row.
			browsertest.Run(t, ctx, "backtest", chromedp.Click(chromedp.CSS("#rules-backtest")))
			until(t, ctx, "backtest changes", `document.querySelector('#rules-result .backtest-changes a[href="/moderation/comments/`+before+`"]')?.parentElement.textContent.includes('approve → reject')`)
			if row := browsertest.Run(t, ctx, "turnips row", chromedp.Evaluate[string](`[...document.querySelectorAll('#rules-result .rule-report tbody tr')].find(r => r.querySelector('th').textContent === 'turnips')?.textContent ?? ''`)); !strings.Contains(row, "reject") {
				t.Fatalf("the backtest's row for the turnips rule: %q", row)
			}
			if p := browsertest.Run(t, ctx, "layout with the report", chromedp.Evaluate[[]string](layoutProblems)); len(p) != 0 {
				t.Fatalf("rules page with a backtest report at %d px:\n%s", width, strings.Join(p, "\n"))
			}
			if browsertest.Shots() {
				browsertest.Run(t, ctx, "to the report", chromedp.Evaluate[chromedp.Void](`document.getElementById('rules-result').scrollIntoView()`))
				browsertest.Screenshot(t, fmt.Sprintf("moderation-backtest-%dpx", width), browsertest.Run(t, ctx, "shot", chromedp.CaptureScreenshot()))
			}
			// The shadow report, by keyboard.
			browsertest.Run(t, ctx, "focus shadow", chromedp.Focus(chromedp.CSS("#rules-shadow")))
			browsertest.Run(t, ctx, "enter shadow", chromedp.KeyEvent("\r"))
			until(t, ctx, "shadow report", `document.querySelector('#rules-result p.ok')?.textContent.includes('decisions of the rules')`)

			// Publish: the worker applies it to the next comment.
			browsertest.Run(t, ctx, "publish", chromedp.Click(chromedp.CSS("#rules-publish")))
			inForceNow := func(what, src string) {
				t.Helper()
				var version string
				poll.True(t, 10*time.Second, what, func() bool {
					_, now := api(t, nil, "GET", c.url+"/api/moderation/rules", testAdminToken, "")
					version, _ = now["version"].(string)
					return now["source"] == src
				})
				// The page reloads itself with the version in force.
				browsertest.Run(t, ctx, what+" page", chromedp.WaitReady(chromedp.CSS(`body[data-version="`+version+`"] #versions`)))
			}
			inForceNow("published", goodRules)
			waitRules := func(text, want string) {
				t.Helper()
				_, id, err := postComment(c.url, article, fmt.Sprintf("Reader%d", time.Now().UnixNano()), text)
				if err != nil {
					t.Fatal(err)
				}
				waitStatus(t, c.url, id, want)
			}
			waitRules("Another turnip", "rejected")

			// Roll back to the version before: in force again.
			browsertest.Run(t, ctx, "roll back", chromedp.Click(chromedp.CSS(`#versions li:nth-child(2) button[data-do=rollback]`)))
			inForceNow("rolled back", inForce["source"].(string))
			waitRules("Turnip stew for everyone", "approved")
		})
	}
}
