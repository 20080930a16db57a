package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
)

// ArticlesBucket is the approved view: a.<article>.<comment> → the
// approved comment as readers see it (ArticleEntry), deleted when the
// comment stops being approved, and checkpoint. The projector role is its
// only writer; api processes cache the articles they serve from it
// (ArticleCache).
const ArticlesBucket = "VIEW_ARTICLES"

const articlePrefix = "a."

// ArticleEntry is the value of a.<article>.<comment>.
type ArticleEntry struct {
	ID           string    `json:"id"`
	Article      string    `json:"article"`
	ParentID     string    `json:"parent_id,omitempty"`
	Author       string    `json:"author"`
	AuthorID     string    `json:"author_id"`
	Text         string    `json:"text"`
	CreatedAt    time.Time `json:"created_at"`
	SubmittedSeq uint64    `json:"submitted_seq"`
	// Reason and Message are the approval's, for the author's status.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Depth and Ancestors as in CommentState: the thread it sits in.
	Depth     int      `json:"depth,omitempty"`
	Ancestors []string `json:"ancestors,omitempty"`
	// EditedAt: when its author last changed the text shown (zero: never).
	EditedAt time.Time `json:"edited_at,omitzero"`
	// Seq is the comment's Seq the entry reflects.
	Seq uint64 `json:"seq"`
}

func articleEntry(c CommentState) ArticleEntry {
	return ArticleEntry{
		ID: c.ID, Article: c.Article, ParentID: c.ParentID, Author: c.Author, AuthorID: c.AuthorID,
		Text: c.Text, CreatedAt: c.CreatedAt, SubmittedSeq: c.SubmittedSeq,
		Reason: c.Reason, Message: c.Message, Depth: c.Depth, Ancestors: c.Ancestors, Seq: c.Seq, EditedAt: c.EditedAt,
	}
}

// comment is the entry as the read models' Comment (approved).
func (e *ArticleEntry) comment() Comment {
	return Comment{
		ID: e.ID, Article: e.Article, ParentID: e.ParentID, Author: e.Author, AuthorID: e.AuthorID,
		Text: e.Text, CreatedAt: e.CreatedAt, Status: Approved, Reason: e.Reason, Message: e.Message,
		SubmittedSeq: e.SubmittedSeq, Seq: e.Seq, EditedAt: e.EditedAt,
	}
}

func articleKey(article, comment string) string { return articlePrefix + article + "." + comment }

// OpenArticleView creates the bucket, or updates it to replicas. It is for
// provisioning (the operator's identity); the roles attach.
func OpenArticleView(ctx context.Context, js jetstream.JetStream, replicas int) error {
	_, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      ArticlesBucket,
		Description: "Approved view: a.<article>.<comment> for each approved comment, and the stream sequence it reflects (checkpoint).",
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
		History:     1,
	})
	if err != nil {
		return fmt.Errorf("projections: approved view bucket: %w", err)
	}
	return nil
}

// AttachArticleView opens the provisioned bucket without changing it.
func AttachArticleView(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, ArticlesBucket)
	if err != nil {
		return nil, fmt.Errorf("projections: approved view bucket %s: %w", ArticlesBucket, err)
	}
	return kv, nil
}

// ArticleWriter is the projector's writer of the approved view.
type ArticleWriter struct{ kv jetstream.KeyValue }

// NewArticleWriter writes the approved view into kv (AttachArticleView).
func NewArticleWriter(kv jetstream.KeyValue) *ArticleWriter { return &ArticleWriter{kv: kv} }

func (w *ArticleWriter) Bucket() jetstream.KeyValue { return w.kv }
func (w *ArticleWriter) Reset()                     {}

// Into is the same view written into kv, for a rebuild (Rebuildable); it
// caches nothing.
func (w *ArticleWriter) Into(kv jetstream.KeyValue, _ int) ViewWriter { return NewArticleWriter(kv) }

// Apply puts the comment's entry when it becomes approved and deletes it
// when it stops being. It writes the comment's newest state (Latest), so
// events that come again after a crash never take the view back in time;
// an event that leaves the approval as it was writes nothing, and a
// comment never approved never gets a key (not even a delete marker).
func (w *ArticleWriter) Apply(_ context.Context, u *Update, b *Batch) error {
	if u.Erased() {
		// The author was erased: an approved comment is rewritten with
		// its personal fields removed (its seq stays the comment's).
		if u.Latest.Status == Approved && ValidCommentKey(u.Latest.ID) && events.ValidArticleID(u.Latest.Article) {
			return b.PutJSON(articleKey(u.Latest.Article, u.Latest.ID), articleEntry(u.Latest))
		}
		return nil
	}
	if !u.Touched() || !ValidCommentKey(u.Latest.ID) || !events.ValidArticleID(u.Latest.Article) {
		return nil
	}
	was, is := u.Change.Before.Status == Approved, u.Change.After.Status == Approved
	replay := u.Latest.Seq != u.Change.After.Seq
	// An approved edit changes what readers see of a comment that stays
	// approved.
	edited := was && is && u.Change.Before.Text != u.Change.After.Text
	if was == is && !replay && !edited {
		return nil
	}
	key := articleKey(u.Latest.Article, u.Latest.ID)
	switch {
	case u.Latest.Status == Approved:
		return b.PutJSON(key, articleEntry(u.Latest))
	case was || is:
		note, _ := json.Marshal(removal{Seq: u.Latest.Seq, Status: u.Latest.Status, Reason: u.Latest.Reason, Message: u.Latest.Message})
		b.DeleteWith(key, note)
	}
	return nil
}

// removal is the note in a delete marker, for live updates: the sequence
// of the event that took the comment off the article, and its status then.
type removal struct {
	Seq     uint64 `json:"seq"`
	Status  Status `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// articleOf splits a key of the approved view.
func articleOf(key string) (article, comment string, ok bool) {
	rest, ok := strings.CutPrefix(key, articlePrefix)
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, ".")
}
