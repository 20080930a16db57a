package imports

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"time"
)

// Disqus's export (https://help.disqus.com/en/articles/1717164): a
// <disqus> root holding <category>, <thread> and <post> elements side by
// side; a post names its thread and its parent by dsq:id.

const dsqNS = "http://disqus.com/disqus-internals"

type dsqRef struct {
	ID string `xml:"http://disqus.com/disqus-internals id,attr"`
}

type dsqAuthor struct {
	Name        string `xml:"name"`
	Username    string `xml:"username"`
	IsAnonymous bool   `xml:"isAnonymous"`
	// The email and address in the export are left where they are:
	// commentd never needs a reader's email, and keeps no addresses.
}

type dsqThread struct {
	DsqID      string `xml:"http://disqus.com/disqus-internals id,attr"`
	Identifier string `xml:"id"`
	Forum      string `xml:"forum"`
	Link       string `xml:"link"`
	Title      string `xml:"title"`
}

type dsqPost struct {
	DsqID      string    `xml:"http://disqus.com/disqus-internals id,attr"`
	Message    string    `xml:"message"`
	CreatedAt  string    `xml:"createdAt"`
	IsDeleted  bool      `xml:"isDeleted"`
	IsSpam     bool      `xml:"isSpam"`
	IsApproved *bool     `xml:"isApproved"`
	Author     dsqAuthor `xml:"author"`
	Thread     dsqRef    `xml:"thread"`
	Parent     *dsqRef   `xml:"parent"`
}

// ParseDisqus reads a Disqus XML export.
func ParseDisqus(r io.Reader) (File, error) {
	f := File{Format: "disqus", Skipped: map[string]int{}}
	var errs Errors
	dec := xml.NewDecoder(r)
	threads := map[string]dsqThread{}
	type pending struct {
		p    dsqPost
		line int
	}
	var posts []pending
	root := false
	for {
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return File{}, append(errs, lineError(line, "not well-formed XML: %v", err))
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !root {
			if se.Name.Local != "disqus" {
				return File{}, append(errs, lineError(line, "<%s>: a Disqus export starts with <disqus>", se.Name.Local))
			}
			root = true
			continue
		}
		line, _ = dec.InputPos()
		switch se.Name.Local {
		case "thread":
			var t dsqThread
			if err := dec.DecodeElement(&t, &se); err != nil {
				return File{}, append(errs, lineError(line, "<thread>: %v", err))
			}
			if t.DsqID == "" {
				errs = append(errs, lineError(line, "<thread> without dsq:id"))
				continue
			}
			threads[t.DsqID] = t
		case "post":
			var p dsqPost
			if err := dec.DecodeElement(&p, &se); err != nil {
				return File{}, append(errs, lineError(line, "<post>: %v", err))
			}
			// Disqus writes the threads before the posts: a post whose
			// thread is known is made a comment now, and only the
			// comment (not the post's HTML as well) is kept.
			if _, ok := threads[p.Thread.ID]; ok {
				if c, ok := disqusComment(p, threads, line, &errs); ok {
					f.Comments = append(f.Comments, c)
				}
			} else {
				posts = append(posts, pending{p, line})
			}
			if len(posts)+len(f.Comments) > maxFileComments {
				return File{}, append(errs, lineError(line, "more than %d comments in one file: split it", maxFileComments))
			}
		default:
			if err := dec.Skip(); err != nil {
				return File{}, append(errs, lineError(line, "<%s>: %v", se.Name.Local, err))
			}
		}
	}
	if !root {
		return File{}, Errors{lineError(1, "no <disqus> element: not a Disqus export")}
	}
	for _, pp := range posts {
		if c, ok := disqusComment(pp.p, threads, pp.line, &errs); ok {
			f.Comments = append(f.Comments, c)
		}
	}
	return finish(&f, errs)
}

// disqusComment makes a post of a known thread a comment.
func disqusComment(p dsqPost, threads map[string]dsqThread, line int, errs *Errors) (Comment, bool) {
	t, ok := threads[p.Thread.ID]
	if !ok {
		*errs = append(*errs, lineError(line, "post %q names thread %q, which the file does not hold", p.DsqID, p.Thread.ID))
		return Comment{}, false
	}
	c := Comment{
		Key: "disqus\n" + t.Forum + "\n" + p.DsqID, SourceID: p.DsqID,
		Article: articleOf(t.Identifier, t.Link), Author: strings.TrimSpace(p.Author.Name),
		Text: plainText(p.Message), State: Approved, Line: line,
	}
	if c.Author == "" {
		c.Author = p.Author.Username
	}
	if p.Parent != nil {
		c.ParentID = p.Parent.ID
	}
	switch {
	case p.IsDeleted || p.IsSpam:
		c.State = Rejected
	case p.IsApproved != nil && !*p.IsApproved:
		c.State = Held
	}
	if p.CreatedAt != "" {
		at, err := time.Parse(time.RFC3339, strings.TrimSpace(p.CreatedAt))
		if err != nil {
			*errs = append(*errs, lineError(line, "post %q: createdAt %q is not a time (2013-01-31T12:00:00Z)", p.DsqID, p.CreatedAt))
			return Comment{}, false
		}
		c.CreatedAt = at.UTC()
	}
	return c, check(&c, errs)
}

// disqusOut is the export's document.
type disqusOut struct {
	XMLName xml.Name `xml:"disqus"`
	NS      string   `xml:"xmlns,attr"`
	DsqNS   string   `xml:"xmlns:dsq,attr"`
	Threads []disqusOutThread
	Posts   []disqusOutPost
}

type disqusOutThread struct {
	XMLName    xml.Name `xml:"thread"`
	DsqID      string   `xml:"dsq:id,attr"`
	Identifier string   `xml:"id"`
	Link       string   `xml:"link"`
	Title      string   `xml:"title"`
}

type disqusOutAuthor struct {
	Name        string `xml:"name"`
	IsAnonymous bool   `xml:"isAnonymous"`
}

type disqusOutRef struct {
	DsqID string `xml:"dsq:id,attr"`
}

type disqusOutPost struct {
	XMLName   xml.Name        `xml:"post"`
	DsqID     string          `xml:"dsq:id,attr"`
	ID        string          `xml:"id"`
	Message   cdata           `xml:"message"`
	CreatedAt string          `xml:"createdAt"`
	IsDeleted bool            `xml:"isDeleted"`
	IsSpam    bool            `xml:"isSpam"`
	Author    disqusOutAuthor `xml:"author"`
	Thread    disqusOutRef    `xml:"thread"`
	Parent    *disqusOutRef   `xml:"parent,omitempty"`
}

type cdata struct {
	Text string `xml:",cdata"`
}
