// Package projections holds the read models — what readers, moderators
// and operators see — as views in JetStream KV, each with its own
// checkpoint, folded from the event log by the projector role (their one
// writer, pipeline.go) and followed by the processes that serve them.
package projections

import (
	"time"

	"github.com/newsroom/commentd/events"
)

// Status is where a comment stands.
type Status string

const (
	Pending  Status = "pending"
	Approved Status = "approved"
	Rejected Status = "rejected"
	Held     Status = "held"
)

var statusOf = map[events.Type]Status{
	events.CommentApproved: Approved,
	events.CommentRejected: Rejected,
	events.CommentHeld:     Held,
}

// Comment is what the read models know of one comment.
type Comment struct {
	ID        string    `json:"id"`
	Article   string    `json:"article"`
	ParentID  string    `json:"parent_id,omitempty"`
	Author    string    `json:"author"`
	AuthorID  string    `json:"author_id"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`

	Status    Status            `json:"status"`
	Reason    string            `json:"reason,omitempty"`
	Message   string            `json:"message,omitempty"`
	DecidedBy string            `json:"decided_by,omitempty"`
	DecidedAt time.Time         `json:"decided_at,omitzero"`
	Rules     []string          `json:"rules,omitempty"`
	Evidence  []events.Evidence `json:"evidence,omitempty"`

	// SubmittedSeq orders comments (oldest first); Seq is the comment's
	// last applied event, the expected sequence for its next decision.
	SubmittedSeq uint64 `json:"submitted_seq"`
	Seq          uint64 `json:"seq"`
	// Erased: the author was erased; Author and Text read events.Removed
	// and nothing identifies them (no author id, no evidence spans).
	Erased bool `json:"erased,omitempty"`

	// EditedAt is when the author last changed the text readers see (an
	// edit approved, or made before the comment was first decided); zero
	// for a comment never edited.
	EditedAt time.Time `json:"edited_at,omitzero"`
	// Edit is the author's newest edit of a published comment while it
	// waits for a decision, is held for a moderator, or was refused:
	// readers go on seeing Text, the approved one, until it is approved.
	Edit *Edit `json:"edit,omitempty"`
	// LastEdit is the id of the newest CommentEdited applied: a decision
	// on an older one decides nothing.
	LastEdit string `json:"last_edit,omitempty"`
}

// Edit is an edit of a published comment and what was decided of it.
type Edit struct {
	ID        string            `json:"id"` // the CommentEdited event's id
	Text      string            `json:"text"`
	At        time.Time         `json:"at"`
	Status    Status            `json:"status"` // pending, held or rejected
	Reason    string            `json:"reason,omitempty"`
	Message   string            `json:"message,omitempty"`
	DecidedBy string            `json:"decided_by,omitempty"`
	Rules     []string          `json:"rules,omitempty"`
	Evidence  []events.Evidence `json:"evidence,omitempty"`
}

// AwaitsModerator reports whether a person must look at the comment: it
// is held, or its edit is.
func (c Comment) AwaitsModerator() bool {
	return c.Status == Held || c.Status == Approved && c.Edit != nil && c.Edit.Status == Held
}

// HumanDecided reports whether a person made the comment's current
// decision; automatic decisions never override it.
func (c *Comment) HumanDecided() bool { return c.DecidedBy != "" && events.IsHuman(c.DecidedBy) }

// Page is one page of an article's approved comments.
type Page struct {
	Total    int
	Comments []Comment
	// Next is the cursor of the following page; 0 when this is the last.
	Next uint64
	// Version changes whenever the article's approved view changes.
	Version uint64
}

// maxAncestors bounds a walk up a reply chain. Parents always exist before
// their replies, so chains cannot loop; the bound only protects the read
// path from a corrupt log.
const maxAncestors = 1000

// ThreadComment is an approved comment placed in its thread. Depth is its
// place in the shown tree, which may be shallower than Store.Depth when an
// ancestor is not visible.
type ThreadComment struct {
	Comment
	Depth int
	// ReplyDepth is the comment's own depth (Store.Depth), which the
	// reply depth limit counts.
	ReplyDepth int
}

// ThreadPage is a page of an article's approved comments grouped in
// threads: pages count threads, and a thread is never split.
type ThreadPage struct {
	Total    int // approved comments of the article
	Threads  int // threads of the article
	Comments []ThreadComment
	// Next is the cursor of the following page; 0 when this is the last.
	Next uint64
}

// Queue names a moderation queue.
type Queue string

const (
	// QueueHeld: comments waiting for a person (held by the rules, by
	// reports, or by a moderator).
	QueueHeld Queue = "held"
	// QueueReported: visible comments readers reported since a moderator
	// last decided them.
	QueueReported Queue = "reported"
)

// Queues lists every queue, in display order.
var Queues = []Queue{QueueHeld, QueueReported}

// RecentDecisions is how many of an author's latest decided comments
// RecentRejectionRate looks at.
const RecentDecisions = 20

// AuthorStats is what the rules and the moderators know of an author. The
// zero value is an author never seen.
type AuthorStats struct {
	ApprovedCount int       `json:"approved_count"`
	RejectedCount int       `json:"rejected_count"`
	FirstSeen     time.Time `json:"first_seen,omitzero"`
	Banned        bool      `json:"banned"`
	// BannedUntil is when a timed ban ends (zero: it does not); whether
	// it holds is BannedAt.
	BannedUntil time.Time `json:"banned_until,omitzero"`
	// RecentRejectionRate is the share rejected among the author's last
	// RecentDecisions approved or rejected comments (0 with none).
	RecentRejectionRate float64 `json:"recent_rejection_rate"`
}

// Report is one reader's report of a comment.
type Report struct {
	Reason     string    `json:"reason"`
	ReporterID string    `json:"reporter_id"`
	At         time.Time `json:"at"`
}

// Reports summarizes the reports of one comment. Each reader counts once
// per comment, however often they report it.
type Reports struct {
	// Open is the number of readers who reported the comment since a
	// moderator last decided it; Reasons counts their reasons.
	Open    int            `json:"open"`
	Reasons map[string]int `json:"reasons,omitempty"`
	// Total is every reader who ever reported it.
	Total int `json:"total"`
}

// QueueItem is one comment in a queue, with what a moderator needs to
// decide it at a glance.
type QueueItem struct {
	Comment
	Reports Reports     `json:"reports"`
	Stats   AuthorStats `json:"author_stats"`
}

// QueuePage is one page of a queue.
type QueuePage struct {
	Items []QueueItem
	// Total is the number of items in the queue (for the article, when
	// filtered).
	Total int
	// Next is the cursor of the following page; 0 when this is the last.
	Next uint64
}

// AuthorRecord is an author's page: stats, ban and comments.
type AuthorRecord struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Stats     AuthorStats `json:"stats"`
	BanReason string      `json:"ban_reason,omitempty"`
	BannedBy  string      `json:"banned_by,omitempty"`
	BannedAt  time.Time   `json:"banned_at,omitzero"`
	// BannedUntil is when the ban ends; zero for a ban with no end.
	BannedUntil time.Time `json:"banned_until,omitzero"`
	// Comments are the newest first, at most the limit asked for.
	Comments []Comment `json:"comments"`
	Total    int       `json:"total"`
}
