package imports

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"time"
)

// WordPress's export (WXR, Tools → Export): an RSS 2.0 <channel> of
// <item>s (posts and pages), each with its <wp:comment>s.

const wpNS = "http://wordpress.org/export/"

type wxrComment struct {
	ID       string `xml:"comment_id"`
	Author   string `xml:"comment_author"`
	DateGMT  string `xml:"comment_date_gmt"`
	Date     string `xml:"comment_date"`
	Content  string `xml:"comment_content"`
	Approved string `xml:"comment_approved"`
	Type     string `xml:"comment_type"`
	Parent   string `xml:"comment_parent"`
}

type wxrItem struct {
	Title    string       `xml:"title"`
	Link     string       `xml:"link"`
	PostName string       `xml:"post_name"`
	PostID   string       `xml:"post_id"`
	Comments []wxrComment `xml:"comment"`
}

// wxrTime is WordPress's "2006-01-02 15:04:05" (in UTC for the _gmt
// field, which is zero for drafts: then the site's local time, taken as
// UTC).
func wxrTime(gmt, local string) (time.Time, bool) {
	for _, s := range []string{gmt, local} {
		s = strings.TrimSpace(s)
		if s == "" || strings.HasPrefix(s, "0000-00-00") {
			continue
		}
		if t, err := time.Parse(time.DateTime, s); err == nil {
			return t.UTC(), true
		}
		return time.Time{}, false
	}
	return time.Time{}, false
}

// ParseWXR reads a WordPress WXR export.
func ParseWXR(r io.Reader) (File, error) {
	f := File{Format: "wxr", Skipped: map[string]int{}}
	var errs Errors
	dec := xml.NewDecoder(r)
	site := ""
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
			if se.Name.Local != "rss" {
				return File{}, append(errs, lineError(line, "<%s>: a WordPress export starts with <rss>", se.Name.Local))
			}
			root = true
			continue
		}
		line, _ = dec.InputPos()
		switch {
		case se.Name.Local == "channel":
			continue // its children come next
		case se.Name.Local == "base_site_url" && strings.HasPrefix(se.Name.Space, wpNS):
			var s string
			if err := dec.DecodeElement(&s, &se); err != nil {
				return File{}, append(errs, lineError(line, "<wp:base_site_url>: %v", err))
			}
			site = strings.TrimSpace(s)
		case se.Name.Local == "item":
			var it wxrItem
			if err := dec.DecodeElement(&it, &se); err != nil {
				return File{}, append(errs, lineError(line, "<item>: %v", err))
			}
			article := articleOf(it.PostName, it.Link)
			for i, wc := range it.Comments {
				switch t := strings.TrimSpace(wc.Type); t {
				case "", "comment":
				default: // pingback, trackback: not a reader's comment
					f.Skipped[t]++
					continue
				}
				// Lines of comments are not kept by the decoder: the item's
				// line and the comment's place in it say where to look.
				c := Comment{
					Key: "wxr\n" + site + "\n" + strings.TrimSpace(wc.ID), SourceID: strings.TrimSpace(wc.ID),
					Article: article, Author: strings.TrimSpace(wc.Author), Text: plainText(wc.Content), Line: line,
				}
				if p := strings.TrimSpace(wc.Parent); p != "" && p != "0" {
					c.ParentID = p
				}
				switch strings.TrimSpace(wc.Approved) {
				case "1", "approve":
					c.State = Approved
				case "0", "hold":
					c.State = Held
				case "spam", "trash", "post-trashed":
					c.State = Rejected
				default:
					errs = append(errs, lineError(line, "item %q, comment %d (%s): comment_approved %q is not 1, 0, spam or trash", it.Title, i+1, c.SourceID, wc.Approved))
					continue
				}
				at, ok := wxrTime(wc.DateGMT, wc.Date)
				if !ok {
					errs = append(errs, lineError(line, "item %q, comment %d (%s): comment_date_gmt %q is not a time (2006-01-02 15:04:05)", it.Title, i+1, c.SourceID, wc.DateGMT))
					continue
				}
				c.CreatedAt = at
				if check(&c, &errs) {
					f.Comments = append(f.Comments, c)
				}
			}
			if len(f.Comments) > maxFileComments {
				return File{}, append(errs, lineError(line, "more than %d comments in one file: split it", maxFileComments))
			}
		default:
			if err := dec.Skip(); err != nil {
				return File{}, append(errs, lineError(line, "<%s>: %v", se.Name.Local, err))
			}
		}
	}
	if !root {
		return File{}, Errors{lineError(1, "no <rss> element: not a WordPress export")}
	}
	return finish(&f, errs)
}

// Parse reads a file in one of Formats.
func Parse(format string, r io.Reader) (File, error) {
	switch format {
	case "disqus":
		return ParseDisqus(r)
	case "remark42":
		return ParseRemark42(r)
	case "wxr":
		return ParseWXR(r)
	}
	return File{}, ErrFormat
}
