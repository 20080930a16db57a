// Package imports moves comments in from other systems and out to them:
// it reads a Disqus XML export, a remark42 backup and a WordPress WXR
// export into comments with their threads, authors, original times and
// moderation state, publishes them as events with ids derived from the
// source's, so an import run twice stores everything once, and writes the
// approved comments as a Disqus-compatible XML file.
package imports

import (
	"errors"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
)

// State is what the source says of a comment.
type State string

const (
	Approved State = "approved" // shown
	Held     State = "held"     // waiting for a moderator (pending in the source)
	Rejected State = "rejected" // deleted, spam or trash in the source
)

// Comment is one comment read from a source file.
type Comment struct {
	// Key names the comment in its source: format, site and the source's
	// id. The comment's id here is derived from it (ID).
	Key       string
	SourceID  string
	ParentID  string // the parent's SourceID; "" for a top-level comment
	Article   string // the article id here
	Author    string
	Text      string
	CreatedAt time.Time
	State     State
	Line      int // where the comment starts in the file
	// parentLater: the parent comes later in the file (a streamed file
	// is published in its own order; the reply waits for its parent).
	parentLater bool
}

// Errors are every problem found in a file, each with its line; a file
// with any is not imported at all.
type Errors []error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap lets errors.Is find events.ErrInvalid in each.
func (es Errors) Unwrap() []error { return es }

// lineError is a problem with one record of the file.
func lineError(line int, format string, args ...any) error {
	return fmt.Errorf("%w: line %d: %s", events.ErrInvalid, line, fmt.Sprintf(format, args...))
}

// File is what a source file holds, in an order that can be published:
// every parent before its replies.
type File struct {
	Format   string
	Comments []Comment
	// Skipped counts records that are not comments (WordPress pingbacks
	// and trackbacks), by kind.
	Skipped map[string]int
}

// Formats are the formats Parse reads.
var Formats = []string{"disqus", "remark42", "wxr"}

// maxFileComments bounds one import, which is held in memory to be
// checked whole before anything is published.
const maxFileComments = 5_000_000

// finish checks the comments of a parsed file as a whole (unique ids,
// parents that exist on the same article, no cycles) and orders parents
// before their replies, oldest first otherwise.
func finish(f *File, errs Errors) (File, error) {
	byID := make(map[string]int, len(f.Comments))
	for i, c := range f.Comments {
		if j, dup := byID[c.SourceID]; dup {
			errs = append(errs, lineError(c.Line, "comment id %q is used again (first at line %d)", c.SourceID, f.Comments[j].Line))
			continue
		}
		byID[c.SourceID] = i
	}
	for _, c := range f.Comments {
		if c.ParentID == "" {
			continue
		}
		j, ok := byID[c.ParentID]
		switch {
		case !ok:
			errs = append(errs, lineError(c.Line, "comment %q replies to %q, which the file does not hold", c.SourceID, c.ParentID))
		case f.Comments[j].Article != c.Article:
			errs = append(errs, lineError(c.Line, "comment %q replies to %q, which is on another article", c.SourceID, c.ParentID))
		}
	}
	if len(errs) > 0 {
		return File{}, errs
	}
	// Oldest first; then every comment after its ancestors (depth first
	// from the roots keeps replies after parents whatever their times).
	slices.SortStableFunc(f.Comments, func(a, b Comment) int { return a.CreatedAt.Compare(b.CreatedAt) })
	children := map[string][]int{}
	var roots []int
	for i, c := range f.Comments {
		if c.ParentID == "" {
			roots = append(roots, i)
		} else {
			children[c.ParentID] = append(children[c.ParentID], i)
		}
	}
	ordered := make([]Comment, 0, len(f.Comments))
	stack := slices.Clone(roots)
	slices.Reverse(stack)
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		ordered = append(ordered, f.Comments[i])
		kids := children[f.Comments[i].SourceID]
		for k := len(kids) - 1; k >= 0; k-- {
			stack = append(stack, kids[k])
		}
	}
	if len(ordered) != len(f.Comments) { // a cycle of replies: no root reaches it
		for _, c := range f.Comments {
			if !slices.ContainsFunc(ordered, func(o Comment) bool { return o.SourceID == c.SourceID }) {
				errs = append(errs, lineError(c.Line, "comment %q is in a cycle of replies", c.SourceID))
			}
		}
		return File{}, errs
	}
	f.Comments = ordered
	return *f, nil
}

// check validates one comment's own fields.
func check(c *Comment, errs *Errors) bool {
	n := len(*errs)
	switch {
	case c.SourceID == "":
		*errs = append(*errs, lineError(c.Line, "a comment without an id"))
	case !events.ValidArticleID(c.Article):
		*errs = append(*errs, lineError(c.Line, "comment %q: no article id can be made of %q", c.SourceID, c.Article))
	case c.CreatedAt.IsZero():
		*errs = append(*errs, lineError(c.Line, "comment %q has no creation time", c.SourceID))
	case strings.TrimSpace(c.Author) == "":
		c.Author = "Anonymous"
	}
	if c.ParentID == c.SourceID && c.ParentID != "" {
		*errs = append(*errs, lineError(c.Line, "comment %q replies to itself", c.SourceID))
	}
	if strings.TrimSpace(c.Text) == "" && c.State != Rejected {
		*errs = append(*errs, lineError(c.Line, "comment %q has no text", c.SourceID))
	}
	return len(*errs) == n
}

// articleOf makes an article id: the source's identifier when it is one,
// else the last segment of the article's address (a WordPress or blog
// slug), with every other character turned into '-'.
func articleOf(identifier, link string) string {
	if events.ValidArticleID(identifier) {
		return identifier
	}
	s := link
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(s, "/")
	if i := strings.LastIndex(s, "/"); i >= 0 && strings.Contains(s, "://") && i > strings.Index(s, "://")+2 {
		s = s[i+1:]
	} else if strings.Contains(s, "://") {
		s = "" // a site's front page has no slug
	}
	if s == "" {
		s = identifier
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-'
		if !ok {
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		b.WriteRune(r)
		dash = r == '-'
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > events.MaxArticleIDLen {
		out = strings.TrimRight(out[:events.MaxArticleIDLen], "-")
	}
	return out
}

var (
	breakTags = regexp.MustCompile(`(?i)<\s*(br\s*/?|/p|/div|/blockquote|/li)\s*>`)
	anyTag    = regexp.MustCompile(`<[^>]*>`)
	manyLines = regexp.MustCompile(`\n{3,}`)
)

// plainText turns a source's HTML comment into the plain text commentd
// stores: line breaks for breaks and paragraphs, no tags, entities
// decoded.
func plainText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = breakTags.ReplaceAllString(s, "\n")
	s = anyTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = manyLines.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}

// importNamespace derives comment and event ids from a comment's Key.
var importNamespace = uuid.MustParse("0f5e8f3c-6d1a-4b8e-9c27-5a4d3e2b1c90")

// ID is the comment id an imported comment gets: the same for the same
// comment of the same source, every time.
func (c Comment) ID() string { return uuid.NewSHA1(importNamespace, []byte(c.Key)).String() }

// ErrFormat is an unknown format name.
var ErrFormat = errors.New("imports: unknown format (disqus, remark42 or wxr)")
