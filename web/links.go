package web

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// Links in approved comments are clickable. The text is the reader's, so
// it is never taken as HTML: linkText escapes all of it and wraps only
// what reads as an http or https address in an anchor it writes itself,
// with rel="nofollow ugc noopener" (no ranking credit for what readers
// post, no window.opener for the page it opens) and target="_blank".
// Comments reach the page only once approved, and the built-in rules hold
// every comment with a link for a moderator first.

// linkPattern finds candidate addresses: a scheme, then anything up to a
// space or a character that cannot be in a bare URL in prose.
var linkPattern = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"'\x60\x{00A0}\x{2000}-\x{200F}\x{2028}-\x{202F}\x{3000}]+`)

// maxLinkBytes: a longer "address" stays text.
const maxLinkBytes = 2048

// linkText is text as HTML with its http and https addresses as links.
func linkText(text string) template.HTML {
	var b strings.Builder
	at := 0
	for _, m := range linkPattern.FindAllStringIndex(text, -1) {
		start, end := m[0], trimLinkEnd(text, m[0], m[1])
		href, ok := linkHref(text[start:end])
		if !ok {
			continue
		}
		b.WriteString(template.HTMLEscapeString(text[at:start]))
		b.WriteString(`<a href="`)
		b.WriteString(template.HTMLEscapeString(href))
		b.WriteString(`" rel="nofollow ugc noopener" target="_blank">`)
		b.WriteString(template.HTMLEscapeString(text[start:end]))
		b.WriteString(`</a>`)
		at = end
	}
	b.WriteString(template.HTMLEscapeString(text[at:]))
	return template.HTML(b.String())
}

// trimLinkEnd drops the punctuation prose puts after an address ("see
// https://example.com/a." or "(https://example.com/b)"): a closing
// bracket stays when the address opened one.
func trimLinkEnd(text string, start, end int) int {
	for end > start {
		c := text[end-1]
		switch {
		case strings.IndexByte(".,;:!?*", c) >= 0:
			end--
		case c == ')' && strings.Count(text[start:end], "(") < strings.Count(text[start:end], ")"),
			c == ']' && strings.Count(text[start:end], "[") < strings.Count(text[start:end], "]"):
			end--
		default:
			return end
		}
	}
	return end
}

// linkHref is the address a link may point at: http or https with a
// host, at most maxLinkBytes, written the way url.URL writes it (so
// nothing of the reader's raw bytes reaches the attribute unescaped).
func linkHref(raw string) (string, bool) {
	if len(raw) > maxLinkBytes {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return "", false
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return "", false
	}
	u.Scheme = strings.ToLower(u.Scheme)
	return u.String(), true
}

// maxPermalinkPages bounds the pages a permalink looks through for its
// comment (each is one read of the cached approved view).
const maxPermalinkPages = 500

// handlePermalink sends a reader to the page of the article that shows
// the comment, scrolled to it (#c-<id>, which the page highlights), however
// many pages of threads come before it. A comment not shown (held,
// rejected, unknown) goes to the article's first page.
func (s *Server) handlePermalink() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		article, id := r.PathValue("article"), r.PathValue("id")
		if !events.ValidArticleID(article) {
			s.pageError(w, r, errInvalidArticle)
			return
		}
		target := "/articles/" + article
		var after uint64
		for range maxPermalinkPages {
			page, err := s.cfg.Articles.Threads(r.Context(), article, after, threadsPerPage, false)
			if err != nil {
				s.pageError(w, r, err)
				return
			}
			if slices.ContainsFunc(page.Comments, func(c projections.ThreadComment) bool { return c.ID == id }) {
				if after != 0 {
					target += "?cursor=" + strconv.FormatUint(after, 36)
				}
				http.Redirect(w, r, target+"#c-"+url.PathEscape(id), http.StatusFound)
				return
			}
			if page.Next == 0 {
				break
			}
			after = page.Next
		}
		http.Redirect(w, r, target+"#comments-h", http.StatusFound)
	}
}
