package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the address of the reader (or moderator) who sent r: the
// one function that rate limits, report ids and address hashes ask.
//
// Behind reverse proxies every request comes from a proxy. A proxy
// appends the address it was connected from to X-Forwarded-For, so when
// the direct peer is one of Config.TrustedProxies, the client is the
// right-most entry that is not itself a trusted proxy: every entry to its
// left was written by the client, and could say anything. From any other
// peer, or with no trusted proxies (the default), the header is ignored.
// An entry that is not an address ends the walk at the hop that wrote it,
// so a broken chain costs its clients a shared address, never a chosen one.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	peer := parseAddr(r.RemoteAddr)
	if !s.trusted(peer) {
		return peer
	}
	xff := r.Header.Values("X-Forwarded-For")
	addr := peer
	// Several header lines are one list, in order (RFC 9110, 5.3).
	for i := len(xff) - 1; i >= 0; i-- {
		list := xff[i]
		for list != "" {
			entry := list
			if j := strings.LastIndexByte(list, ','); j >= 0 {
				entry, list = list[j+1:], list[:j]
			} else {
				list = ""
			}
			next := parseAddr(strings.TrimSpace(entry))
			if !next.IsValid() {
				return addr
			}
			if addr = next; !s.trusted(addr) {
				return addr
			}
		}
	}
	return addr // every hop is a trusted proxy: the farthest one
}

// trusted reports whether a is one of the configured reverse proxies.
func (s *Server) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseAddr reads an address with or without a port ("192.0.2.1",
// "192.0.2.1:443", "[2001:db8::1]:443"), IPv4-mapped IPv6 as IPv4; the
// zero Addr when it is none.
func parseAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

// clientBlock is what counts as one client: its IPv4 address, or the /64
// of its IPv6 address, the block one subscriber usually holds, so
// rotating addresses does not escape limits or multiply reports.
func (s *Server) clientBlock(r *http.Request) string {
	a := s.clientAddr(r)
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String() // "invalid IP" for a peer without one (a Unix socket): one shared key
}

// addressKey is the keyed hash of the client's block: what rate limits
// and flood rules count by, so no raw address reaches an event, a log
// line or a metric.
func (s *Server) addressKey(r *http.Request) string {
	mac := hmac.New(sha256.New, s.cfg.Secret)
	mac.Write([]byte("address\n" + s.clientBlock(r)))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}
