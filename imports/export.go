package imports

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// ExportConfig says what WriteDisqus writes.
type ExportConfig struct {
	Log     *events.Log
	Article string // one article; "" for all
	// BaseURL, when set, makes each thread's <link>: BaseURL + article
	// id. Disqus matches threads by identifier first, then by link.
	BaseURL string
}

// WriteDisqus writes the approved comments of the log as a Disqus XML
// export (threads by article id, posts with their parents), which Disqus
// and the tools that read its format import. A reply whose parent is not
// approved hangs under its nearest approved ancestor, or at the top. It
// returns how many comments it wrote.
func WriteDisqus(ctx context.Context, w io.Writer, cfg ExportConfig) (int, error) {
	var filters []string
	if cfg.Article != "" {
		if !events.ValidArticleID(cfg.Article) {
			return 0, fmt.Errorf("%w: %q is not an article id", events.ErrInvalid, cfg.Article)
		}
		filters = []string{"comments." + cfg.Article + ".>"}
	}
	comments := map[string]*projections.Comment{}
	var order []*projections.Comment
	err := cfg.Log.Replay(ctx, 1, filters, func(e events.Envelope) error {
		if e.Comment == "" || !strings.HasPrefix(e.Subject, "comments.") {
			return nil
		}
		c, seen := comments[e.Comment]
		if !seen {
			c = &projections.Comment{}
		}
		if ch := projections.Fold(*c, e); ch.Known() {
			*c = ch.After
			c.Evidence, c.Rules = nil, nil
			if !seen {
				comments[e.Comment] = c
				order = append(order, c)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("imports: export: %w", err)
	}
	doc := disqusOut{NS: "http://disqus.com", DsqNS: dsqNS}
	threads := map[string]bool{}
	for _, c := range order {
		if c.Status != projections.Approved {
			continue
		}
		if !threads[c.Article] {
			threads[c.Article] = true
			t := disqusOutThread{DsqID: c.Article, Identifier: c.Article, Title: c.Article}
			if cfg.BaseURL != "" {
				t.Link = cfg.BaseURL + c.Article
			}
			doc.Threads = append(doc.Threads, t)
		}
		p := disqusOutPost{
			DsqID: c.ID, ID: c.ID, Message: cdata{disqusHTML(c.Text)}, CreatedAt: c.CreatedAt.UTC().Format(time.RFC3339),
			Author: disqusOutAuthor{Name: c.Author, IsAnonymous: !events.SignedIn(c.AuthorID)}, Thread: disqusOutRef{c.Article},
		}
		for id, n := c.ParentID, 0; id != "" && n < 1000; n++ {
			parent, ok := comments[id]
			if !ok {
				break
			}
			if parent.Status == projections.Approved {
				p.Parent = &disqusOutRef{parent.ID}
				break
			}
			id = parent.ParentID
		}
		doc.Posts = append(doc.Posts, p)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return 0, err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return 0, fmt.Errorf("imports: export: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return 0, err
	}
	return len(doc.Posts), nil
}

// disqusHTML is a plain-text comment as the HTML Disqus keeps: escaped,
// paragraphs and line breaks kept.
func disqusHTML(text string) string {
	var b strings.Builder
	for i, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(xmlEscape(para), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), "&#xA;", "\n")
}
