package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/newsroom/commentd/web"
)

// One client cannot take every live stream: past its cap it gets 429 with
// Retry-After, and another client still gets one.
func TestLiveStreamsPerClientCap(t *testing.T) {
	f := newFixture(t, web.Config{})
	hog, other := clientFrom(t, "127.0.0.2"), clientFrom(t, "127.0.0.3")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func(c *http.Client) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL+"/api/articles/a1/events", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	for i := range 50 {
		if resp := open(hog); resp.StatusCode != 200 {
			t.Fatalf("stream %d: %d", i+1, resp.StatusCode)
		}
	}
	resp := open(hog)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("stream 51 from one client: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := open(other); resp.StatusCode != 200 {
		t.Fatalf("another client's stream: %d", resp.StatusCode)
	}
}
