package moderation

import "strings"

// links finds the links in the text once per evaluation: URLs with a
// scheme, "www." addresses and bare domains with a common top-level domain
// ("cheap-pills.example.com" spam rarely bothers with a scheme).
func (c *evalCtx) links() []span {
	sc := c.sc
	if c.linksDone {
		return sc.links
	}
	c.linksDone = true
	sc.links, sc.hosts = sc.links[:0], sc.hosts[:0]
	t := c.in.Text
	for i := 0; i < len(t); {
		j := strings.IndexByte(t[i:], '.')
		if j < 0 {
			break
		}
		dot := i + j
		start, host, end, ok := linkAt(t, dot)
		if !ok {
			i = dot + 1
			continue
		}
		sc.links = append(sc.links, span{start: int32(start), end: int32(end)})
		sc.hosts = append(sc.hosts, host)
		i = end
	}
	return sc.links
}

// linkAt reads the link around the dot at t[dot], if there is one: it
// returns where the link starts and ends and its host.
func linkAt(t string, dot int) (start int, host string, end int, ok bool) {
	// The host is the run of host characters around the dot.
	hs := dot
	for hs > 0 && hostByte(t[hs-1]) {
		hs--
	}
	he := dot + 1
	for he < len(t) && hostByte(t[he]) {
		he++
	}
	for he > dot+1 && t[he-1] == '.' || he > dot+1 && t[he-1] == '-' {
		he--
	}
	if hs == dot || he == dot+1 {
		return 0, "", 0, false
	}
	host = t[hs:he]
	start = hs
	scheme := false
	if hs >= 3 && t[hs-3:hs] == "://" {
		k := hs - 3
		for k > 0 && isAlpha(t[k-1]) {
			k--
		}
		if s := strings.ToLower(t[k : hs-3]); s == "http" || s == "https" {
			start, scheme = k, true
		}
	}
	last := strings.LastIndexByte(host, '.')
	if !scheme && !hasPrefixFold(host, "www.") && !commonTLD(host[last+1:]) {
		return 0, "", 0, false
	}
	end = he
	for end < len(t) && !linkStop(t[end]) {
		end++
	}
	for end > he && strings.IndexByte(".,;:!?)'\"", t[end-1]) >= 0 {
		end--
	}
	return start, host, end, true
}

func hostByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '.'
}

func isAlpha(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

func linkStop(b byte) bool {
	return b <= ' ' || b == '<' || b == '>' || b == '"' || b == '`'
}

func hasPrefixFold(s, p string) bool { return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) }

// commonTLD reports whether a bare "word.tld" is read as a domain. The
// list is short on purpose: "e.g" and "Node.js" are not links.
func commonTLD(tld string) bool {
	switch strings.ToLower(tld) {
	case "com", "net", "org", "info", "biz", "io", "co", "ru", "xyz", "top", "site",
		"online", "club", "shop", "app", "link", "click", "uk", "de", "fr", "us", "tk", "cn":
		return true
	}
	return false
}
