package imports

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"
)

// remark42's backup (remark42 backup / the admin's export): JSON lines,
// the first a header {"version":1,"users":[…],"posts":[…]}, then one
// comment per line as remark42 stores it.

type r42Comment struct {
	ID       string `json:"id"`
	ParentID string `json:"pid"`
	Text     string `json:"text"` // rendered HTML
	Orig     string `json:"orig"` // what the reader wrote (markdown)
	User     struct {
		Name string `json:"name"`
		ID   string `json:"id"`
	} `json:"user"`
	Locator struct {
		Site string `json:"site"`
		URL  string `json:"url"`
	} `json:"locator"`
	Time    time.Time `json:"time"`
	Deleted bool      `json:"delete"`
}

// maxR42Line bounds one line of a backup.
const maxR42Line = 4 << 20

// ParseRemark42 reads a remark42 backup.
func ParseRemark42(r io.Reader) (File, error) {
	f := File{Format: "remark42", Skipped: map[string]int{}}
	var errs Errors
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxR42Line)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if strings.TrimSpace(string(b)) == "" {
			continue
		}
		if line == 1 {
			var head struct {
				Version *int `json:"version"`
			}
			if err := json.Unmarshal(b, &head); err != nil || head.Version == nil {
				return File{}, Errors{lineError(1, "a remark42 backup starts with its header line {\"version\":1,…}")}
			}
			continue
		}
		var rc r42Comment
		if err := json.Unmarshal(b, &rc); err != nil {
			errs = append(errs, lineError(line, "not a remark42 comment: %v", err))
			continue
		}
		text := rc.Orig
		if text == "" {
			text = plainText(rc.Text)
		}
		c := Comment{
			Key: "remark42\n" + rc.Locator.Site + "\n" + rc.ID, SourceID: rc.ID, ParentID: rc.ParentID,
			Article: articleOf("", rc.Locator.URL), Author: strings.TrimSpace(rc.User.Name),
			Text: strings.TrimSpace(text), CreatedAt: rc.Time.UTC(), State: Approved, Line: line,
		}
		if rc.Deleted {
			c.State = Rejected
		}
		if check(&c, &errs) {
			f.Comments = append(f.Comments, c)
		}
		if len(f.Comments) > maxFileComments {
			return File{}, append(errs, lineError(line, "more than %d comments in one file: split it", maxFileComments))
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return File{}, append(errs, lineError(line+1, "a line longer than %d bytes", maxR42Line))
		}
		return File{}, append(errs, lineError(line+1, "read: %v", err))
	}
	if line == 0 {
		return File{}, Errors{lineError(1, "an empty file")}
	}
	return finish(&f, errs)
}
