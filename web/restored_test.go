package web_test

import (
	"net/http"
	"testing"

	"github.com/newsroom/commentd/web"
)

// Before its views have first caught up, a process answers readers' reads
// with 503 and Retry-After, never a partial list; after, as always.
func TestReadsWaitForRestoredViews(t *testing.T) {
	restored := make(chan struct{})
	f := newFixture(t, web.Config{Restored: restored})
	paths := []string{"/api/articles/a1/comments", "/api/counts?articles=a1", "/articles/a1"}
	for _, p := range paths {
		resp, err := http.Get(f.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s before the views are restored: %d, Retry-After %q", p, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	close(restored)
	for _, p := range paths {
		resp, err := http.Get(f.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s once restored: %d", p, resp.StatusCode)
		}
	}
}
