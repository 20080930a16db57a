package web_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/web"
)

// Moderators find comments by status, words, author and article: on one
// article from its whole history, otherwise among the comments changed
// most recently.
func TestSearchOverHTTP(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	mod := bearer(f.modTok)
	budget := f.submit("politics-1", "Ann", "The budget is a disgrace")
	f.rules(events.CommentApproved, "politics-1", budget, events.Decision{})
	russian := f.submit("politics-2", "Борис", "Бюджет — ПРОВАЛ")
	f.rules(events.CommentRejected, "politics-2", russian, events.Decision{Reason: "offensive"})
	sport := f.submit("sport-1", "Ann", "What a match")
	f.rules(events.CommentApproved, "sport-1", sport, events.Decision{})
	waiting := f.submit("politics-1", "Cy", "First!")

	found := func(query string) ([]string, map[string]any) {
		t.Helper()
		st, body := f.call("GET", "/api/moderation/comments?"+query, "", mod)
		if st != 200 {
			t.Fatalf("%s: %d %v", query, st, body)
		}
		var ids []string
		for _, it := range body["items"].([]any) {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		return ids, body
	}
	// The window is fed by the comment view: wait until all four are in.
	poll.Until(t, 10*time.Second, func() error {
		if ids, _ := found(""); len(ids) != 4 {
			return fmt.Errorf("found %v", ids)
		}
		return nil
	})
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"status=all", []string{waiting, sport, russian, budget}},
		{"status=approved", []string{sport, budget}},
		{"status=rejected", []string{russian}},
		{"status=pending", []string{waiting}},
		{"q=" + url.QueryEscape("провал"), []string{russian}},
		{"q=ANN", []string{sport, budget}},
		{"author=" + url.QueryEscape("name:ann") + "&status=approved", []string{sport, budget}},
		{"article=politics-*", []string{waiting, russian, budget}},
		{"article=politics-1", []string{waiting, budget}},
		{"article=politics-1&status=approved&q=budget", []string{budget}},
	} {
		if got, _ := found(tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	// One article is searched whole; otherwise the response says what the
	// window held.
	if _, body := found("article=politics-1"); body["complete"] != true {
		t.Errorf("an article's search: %v", body)
	}
	if _, body := found("status=all"); body["complete"] != false || body["window"] != 4.0 || body["since"] == nil {
		t.Errorf("the window's search: %v", body)
	}
	// Pages of one, on both paths, in the same order as one page.
	for _, base := range []string{"status=all", "article=politics-1"} {
		all, _ := found(base)
		var paged []string
		cursor := ""
		for range 10 {
			ids, body := found(base + "&limit=1&cursor=" + cursor)
			paged = append(paged, ids...)
			next, _ := body["next_cursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		if !slices.Equal(paged, all) {
			t.Errorf("%s by pages of one: %v, want %v", base, paged, all)
		}
	}
	for _, tc := range []struct{ query, code string }{
		{"status=deleted", "invalid_status"},
		{"article=a.b", "invalid_article"},
		{"article=**", "invalid_article"},
		{"cursor=%21", "invalid_cursor"},
		{"q=" + strings.Repeat("w", 201), "invalid_q"},
	} {
		if st, body := f.call("GET", "/api/moderation/comments?"+tc.query, "", mod); st != 400 || code(body) != tc.code {
			t.Errorf("%s: %d %v, want 400 %s", tc.query, st, body, tc.code)
		}
	}
	if st, _ := f.call("GET", "/api/moderation/comments", "", nil); st != 401 {
		t.Errorf("without a token: %d", st)
	}
}
