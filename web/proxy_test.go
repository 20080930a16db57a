package web_test

import (
	"net/netip"
	"testing"

	"github.com/newsroom/commentd/web"
)

// Behind a trusted proxy, readers are told apart by X-Forwarded-For in
// rate limits and in report counts; from anywhere else the header changes
// nothing, so a client cannot escape a limit or report twice by lying.
func TestTrustedProxies(t *testing.T) {
	from := func(addr string) map[string]string { return map[string]string{"X-Forwarded-For": addr} }
	for _, tt := range []struct {
		name    string
		trusted []netip.Prefix
		readers int // how many readers the server tells apart
	}{
		{"behind a trusted proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}, 2},
		{"the header from an untrusted peer", nil, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, web.Config{RateLimitPerIP: 1, TrustedProxies: tt.trusted})
			id := f.comment("a1", "Anna", "first", "", from("203.0.113.7"))
			body := `{"author":"Bo","text":"second"}`
			if resp, _ := f.post(path, "application/json", body, from("203.0.113.7")); resp.StatusCode != 429 {
				t.Fatalf("the same reader again: %d", resp.StatusCode)
			}
			want := 202
			if tt.readers == 1 {
				want = 429
			}
			// A spoofed left-most entry does not make a new reader either.
			if resp, _ := f.post(path, "application/json", body, from("198.51.100.9, 203.0.113.7")); resp.StatusCode != 429 {
				t.Fatalf("a spoofed entry: %d", resp.StatusCode)
			}
			if resp, _ := f.post(path, "application/json", body, from("198.51.100.9")); resp.StatusCode != want {
				t.Fatalf("another reader: %d, want %d", resp.StatusCode, want)
			}

			f.applyAll()
			f.approve("a1", id)
			for _, addr := range []string{"203.0.113.7", "198.51.100.9", "198.51.100.9"} {
				if resp, out := f.post("/api/comments/"+id+"/reports", "application/json", `{"reason":"spam"}`, from(addr)); resp.StatusCode != 202 {
					t.Fatalf("report: %d %v", resp.StatusCode, out)
				}
			}
			f.applyAll()
			if n := f.views.Reports(id).Open; n != tt.readers {
				t.Fatalf("%d open reports, want %d", n, tt.readers)
			}
		})
	}
}
