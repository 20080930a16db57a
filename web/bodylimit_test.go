package web_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newsroom/commentd/web"
)

// countingReader is a body that counts what the client sent of it.
type countingReader struct {
	left int64
	read atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), c.left)
	for i := range p[:n] {
		p[i] = ' '
	}
	c.left -= n
	c.read.Add(n)
	return int(n), nil
}

// A 20 MB body is refused with a 413 the client sees: with a length and
// Expect: 100-continue, before the client sends any of it (no 100
// Continue); streamed without a length, once the limit is read.
func TestLargeBodiesGetA413(t *testing.T) {
	f := newFixture(t, web.Config{})
	const size = 20 << 20
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 10 * time.Second}}
	for _, tc := range []struct {
		name      string
		length    bool
		contentTy string
		path      string
	}{
		{"JSON with a length", true, "application/json", path},
		{"JSON streamed", false, "application/json", path},
		{"form with a length", true, "application/x-www-form-urlencoded", "/articles/" + web.DemoArticle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := &countingReader{left: size}
			req, _ := http.NewRequest("POST", f.srv.URL+tc.path, body)
			req.Header.Set("Content-Type", tc.contentTy)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			if tc.length {
				req.ContentLength = size
				req.Header.Set("Expect", "100-continue")
			} else {
				req.ContentLength = -1 // chunked
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("the client saw no answer: %v", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			if tc.contentTy == "application/json" && !strings.Contains(string(b), "body_too_large") {
				t.Errorf("body %s", b)
			}
			if tc.length && body.read.Load() != 0 {
				t.Errorf("the client sent %d bytes of a body refused by its length", body.read.Load())
			}
		})
	}
	if n := f.lastSeq(); n != 0 {
		t.Fatalf("%d events stored", n)
	}
}
