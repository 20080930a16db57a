package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		xff     []string
		want    string
	}{
		{"no proxies: the header is ignored", nil, "198.51.100.1:5000", []string{"203.0.113.7"}, "198.51.100.1"},
		{"untrusted peer cannot choose its address", proxies, "198.51.100.1:5000", []string{"203.0.113.7"}, "198.51.100.1"},
		{"trusted peer without the header", proxies, "10.0.0.1:5000", nil, "10.0.0.1"},
		{"trusted peer names the client", proxies, "10.0.0.1:5000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"spoofed entries left of the proxy's are ignored", proxies, "10.0.0.1:5000", []string{"6.6.6.6, 203.0.113.7"}, "203.0.113.7"},
		{"a spoofed trusted address does not hide the client", proxies, "10.0.0.1:5000", []string{"10.9.9.9,203.0.113.7"}, "203.0.113.7"},
		{"a chain of trusted proxies", proxies, "10.0.0.1:5000", []string{"6.6.6.6, 203.0.113.7, 10.0.0.2"}, "203.0.113.7"},
		{"several header lines are one list", proxies, "10.0.0.1:5000", []string{"6.6.6.6", "203.0.113.7"}, "203.0.113.7"},
		{"only trusted hops: the farthest", proxies, "10.0.0.1:5000", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"garbage from the client ends at its proxy's entry", proxies, "10.0.0.1:5000", []string{"<script>, 203.0.113.7"}, "203.0.113.7"},
		{"garbage written by a trusted hop: that hop", proxies, "10.0.0.1:5000", []string{"203.0.113.7, nonsense"}, "10.0.0.1"},
		{"empty entries", proxies, "10.0.0.1:5000", []string{" , "}, "10.0.0.1"},
		{"entries with ports", proxies, "10.0.0.1:5000", []string{"203.0.113.7:4711"}, "203.0.113.7"},
		{"IPv6 through an IPv6 proxy", proxies, "[fd00::1]:443", []string{"[2001:db8::5]:80"}, "2001:db8::5"},
		{"IPv4-mapped peer matches an IPv4 range", proxies, "[::ffff:10.0.0.1]:443", []string{"203.0.113.7"}, "203.0.113.7"},
		{"IPv4-mapped client is IPv4", proxies, "10.0.0.1:5000", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"a peer that is no address", proxies, "@", []string{"203.0.113.7"}, "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{cfg: Config{TrustedProxies: tt.trusted}}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientAddr(r).String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// Limits and report ids count one IPv6 subscriber's /64 as one client,
// wherever in it the address comes from.
func TestClientBlock(t *testing.T) {
	s := &Server{cfg: Config{Secret: []byte("k")}}
	key := func(remote string) string {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		return s.addressKey(r)
	}
	if key("[2001:db8:1:2::1]:1") != key("[2001:db8:1:2:ffff::9]:2") {
		t.Error("one /64, two keys")
	}
	if key("[2001:db8:1:3::1]:1") == key("[2001:db8:1:2::1]:1") || key("192.0.2.1:1") == key("192.0.2.2:1") {
		t.Error("two clients, one key")
	}
}
