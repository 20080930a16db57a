package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
)

type newComment struct {
	Author   string `json:"author"`
	Text     string `json:"text"`
	ParentID string `json:"parent_id"`
	// Email is where the author asks to be told of replies and of the
	// decision on a held comment (optional; never shown; with
	// notifications on only).
	Email string `json:"email,omitempty"`
}

type accepted struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	// EditToken lets whoever posted the comment edit it for
	// --edit-window (POST /api/comments/{id}/edit): a reader's name
	// proves nothing, so the widget keeps this with its own comments.
	EditToken string `json:"edit_token,omitempty"`
}

func (s *Server) handlePostComment() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := checkJSONContentType(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		var in newComment
		if err := decodeJSONBody(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		res, err := s.submit(r.Context(), r, r.PathValue("article"), in, r.Header.Get("Idempotency-Key"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusAccepted, res)
	}
}

// submit identifies who posts and runs the submit command: the one path
// for the JSON API and the HTML form.
func (s *Server) submit(ctx context.Context, r *http.Request, article string, in newComment, key string) (accepted, error) {
	// A bad article or name is refused before a bad sign-in token.
	if !events.ValidArticleID(article) {
		return accepted{}, errInvalidArticle
	}
	if !utf8.ValidString(in.Author) {
		return accepted{}, badRequest("invalid_utf8", "", "the comment is not valid UTF-8")
	}
	// The name as it is kept and shown: one spelling for every name that
	// looks the same (events.CleanName).
	who, err := s.identify(r, events.CleanName(in.Author))
	if err != nil {
		return accepted{}, err
	}
	email, err := s.contact(in) // notify.go
	if err != nil {
		return accepted{}, err
	}
	lang := ""
	if email != "" {
		lang = readerLang(r) // the mails speak the language the reader reads
	}
	res, err := s.cmd.Submit(ctx, commands.Submission{
		Article: article, Author: who.Author, AuthorID: who.AuthorID, Text: in.Text, ParentID: in.ParentID,
		Key: key, Source: s.addressKey(r), Email: email, Lang: lang,
		Admit: func() error { return s.allow(r, who.AuthorID) },
	})
	if err != nil {
		return accepted{}, err
	}
	if res.Stored {
		s.recent.add(res.ID, article)
	}
	return accepted{ID: res.ID, Status: string(res.Status), EditToken: s.cmd.EditToken(res.ID)}, nil
}

// errInvalidArticle answers an article id that cannot be one: the
// commands' own refusal, so reads and writes say it alike.
var errInvalidArticle = commands.ErrArticleID

func checkJSONContentType(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send Content-Type: application/json"}
	}
	return nil
}

var errBodyTooLarge = &apiError{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: fmt.Sprintf("the body is limited to %d bytes", MaxBodyBytes)}

// tooLarge reports a body whose Content-Length is over limit, before
// anything is read: net/http sends "100 Continue" only when a handler
// first reads, so a client that asked (curl does for large bodies) never
// sends the body and sees the 413. A body without a length is cut off at
// the limit by http.MaxBytesReader, which also closes the connection
// after the answer.
func tooLarge(r *http.Request, limit int64) bool { return r.ContentLength > limit }

// decodeJSONBody reads at most MaxBodyBytes and decodes one JSON object.
// Invalid UTF-8 is refused, not silently replaced, so stored text is what
// the reader sent.
func decodeJSONBody(w http.ResponseWriter, r *http.Request, v any) error {
	if tooLarge(r, MaxBodyBytes) {
		return errBodyTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return errBodyTooLarge
		}
		return badRequest("bad_body", "", "the body could not be read")
	}
	if !utf8.Valid(body) {
		return badRequest("invalid_utf8", "", "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		msg := "the body is not a JSON object of the expected shape"
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" { // the body itself is not an object
				return badRequest("invalid_json", "", "the body must be a JSON object")
			}
			return badRequest("invalid_json", te.Field, fmt.Sprintf("%s must be a %s", te.Field, te.Type))
		}
		return badRequest("invalid_json", "", msg)
	}
	if dec.More() {
		return badRequest("invalid_json", "", "the body must hold one JSON object")
	}
	return nil
}

// listResponse is the approved view of an article, as readers get it.
type listResponse struct {
	Article    string          `json:"article"`
	Total      int             `json:"total"`
	Comments   []publicComment `json:"comments"`
	NextCursor string          `json:"next_cursor"`
	// AsOf is the moment a list of the past (?as_of=) shows.
	AsOf *time.Time `json:"as_of,omitempty"`
	// Settings are the article's settings at that moment (only with
	// AsOf): whether it was closed or pre-moderated then.
	Settings *events.ArticleSettings `json:"settings,omitempty"`
	// Notifications: readers may leave an e-mail address with a comment
	// (the widget then shows the field).
	Notifications bool `json:"notifications,omitempty"`
}

type publicComment struct {
	ID        string    `json:"id"`
	ParentID  string    `json:"parent_id"`
	Author    string    `json:"author"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
	// SignedIn marks a reader who signed in with the publisher (SSO): an
	// anonymous reader may take any name, so a client shows this, not the
	// name alone, as who wrote the comment.
	SignedIn bool `json:"signed_in,omitempty"`
	// EditedAt: the author changed the text after posting (an approved
	// edit); absent for a comment never edited.
	EditedAt time.Time `json:"edited_at,omitzero"`
}

const (
	defaultPageSize = 50
	maxPageSize     = 200
)

type listQuery struct {
	article string
	after   uint64
	limit   int
	newest  bool
}

func parseListQuery(r *http.Request) (listQuery, error) {
	q := listQuery{article: r.PathValue("article"), limit: defaultPageSize}
	if !events.ValidArticleID(q.article) {
		return q, errInvalidArticle
	}
	v := r.URL.Query()
	var err error
	if q.limit, q.after, err = pageParams(v, q.limit); err != nil {
		return q, err
	}
	switch v.Get("sort") {
	case "", "oldest":
	case "newest":
		q.newest = true
	default:
		return q, badRequest("invalid_sort", "sort", "sort is oldest or newest")
	}
	return q, nil
}

// pageParams reads the limit (1 to maxPageSize; def when absent) and the
// cursor (the next_cursor of the previous page) every paged list takes.
func pageParams(v url.Values, def int) (limit int, after uint64, err error) {
	limit = def
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxPageSize {
			return 0, 0, badRequest("invalid_limit", "limit", fmt.Sprintf("limit is a number from 1 to %d", maxPageSize))
		}
		limit = n
	}
	if c := v.Get("cursor"); c != "" {
		if after, err = strconv.ParseUint(c, 36, 64); err != nil {
			return 0, 0, badRequest("invalid_cursor", "cursor", "use the next_cursor of the previous page")
		}
	}
	return limit, after, nil
}

func (s *Server) handleListComments() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := parseListQuery(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if v := r.URL.Query(); v.Has("as_of") {
			s.listAsOf(w, r, q, v.Get("as_of")) // asof.go
			return
		}
		body, err := s.pages.get(r.Context(), s.cfg.Articles, q)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSONBytes(w, http.StatusOK, body)
	}
}

// pageCache keeps encoded pages of approved comments until the article's
// view changes, so a popular article is served without re-encoding.
type pageCache struct {
	notifications bool // listResponse.Notifications
	mu            sync.RWMutex
	pages         map[listQuery]cachedPage
	bytes         int // the bodies' total size
}

type cachedPage struct {
	version uint64
	body    []byte
}

// maxCachedBytes bounds the cache; past it the cache starts over. Only
// first pages are cached (the ones every reader asks for), so a client
// walking cursors or limits cannot fill memory with pages nobody else
// reads.
const maxCachedBytes = 64 << 20

func newPageCache() *pageCache { return &pageCache{pages: make(map[listQuery]cachedPage)} }

func (c *pageCache) get(ctx context.Context, views ArticleViews, q listQuery) ([]byte, error) {
	version, err := views.ArticleVersion(ctx, q.article)
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	p, ok := c.pages[q]
	c.mu.RUnlock()
	if ok && p.version == version {
		return p.body, nil
	}
	page, err := views.Approved(ctx, q.article, q.after, q.limit, q.newest)
	if err != nil {
		return nil, err
	}
	resp := listResponse{Article: q.article, Total: page.Total, Comments: make([]publicComment, len(page.Comments)), Notifications: c.notifications}
	for i, c := range page.Comments {
		resp.Comments[i] = toPublic(c)
	}
	if page.Next != 0 {
		resp.NextCursor = strconv.FormatUint(page.Next, 36)
	}
	body, _ := json.Marshal(resp) // plain strings and times: cannot fail
	body = append(body, '\n')
	if q.after != 0 {
		return body, nil
	}
	c.mu.Lock()
	if old, ok := c.pages[q]; ok {
		c.bytes -= len(old.body)
	}
	if c.bytes+len(body) > maxCachedBytes {
		clear(c.pages)
		c.bytes = 0
	}
	c.pages[q] = cachedPage{version: page.Version, body: body}
	c.bytes += len(body)
	c.mu.Unlock()
	return body, nil
}

// allow takes a token from the address's and the author's buckets, or
// neither.
func (s *Server) allow(r *http.Request, authorID string) error {
	wait, undo := s.ipLimit.reserve(s.addressKey(r))
	if wait > 0 {
		return tooMany(wait)
	}
	if wait, _ := s.authLimit.reserve(authorID); wait > 0 {
		undo()
		return tooMany(wait)
	}
	return nil
}

func tooMany(wait time.Duration) *apiError {
	secs := int((wait + time.Second - 1) / time.Second)
	return &apiError{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: fmt.Sprintf("too many comments; try again in %d s", secs), retryAfter: secs}
}
