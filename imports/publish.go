package imports

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
)

// Summary is what an import did, or would do (a dry run).
type Summary struct {
	Format   string         `json:"format"`
	Comments int            `json:"comments"`
	Articles int            `json:"articles"`
	Replies  int            `json:"replies"`
	States   map[string]int `json:"states"`  // approved, held, rejected
	Skipped  map[string]int `json:"skipped"` // pingbacks, trackbacks
	// Imported: comments stored now; Present: stored by an earlier run
	// (nothing stored again); Completed: an earlier run stored the
	// comment but not its decision, stored now.
	Imported  int `json:"imported"`
	Present   int `json:"present"`
	Completed int `json:"completed"`
	// Failed: comments this run could not store whole (a refused or
	// unanswered append, or a parent that was not stored); Refused counts
	// the refused appends by reason. A run again completes them.
	Failed  int            `json:"failed,omitempty"`
	Refused map[string]int `json:"refused,omitempty"`
}

// Summarize counts what a file holds.
func Summarize(f File) Summary {
	s := Summary{Format: f.Format, States: map[string]int{}, Skipped: f.Skipped}
	articles := map[string]bool{}
	for _, c := range f.Comments {
		articles[c.Article] = true
		s.count(c)
	}
	s.Articles = len(articles)
	return s
}

func (s *Summary) count(c Comment) {
	s.Comments++
	s.States[string(c.State)]++
	if c.ParentID != "" {
		s.Replies++
	}
}

var decisionOf = map[State]events.Type{Approved: events.CommentApproved, Held: events.CommentHeld, Rejected: events.CommentRejected}

// ImportActor is the actor of an imported comment's decision: the
// moderation the source had, which (like a person's) the rules never
// override.
func ImportActor(format string) string { return "import:" + format }

// Options tune how Publish writes.
type Options struct {
	// Window bounds the appends in flight (DefaultWindow when 0).
	Window int
	// Sealers is how many comments are sealed at once (DefaultSealers
	// when 0): sealing reads, or makes, the author's key in the keys
	// bucket, a round trip the window would otherwise wait on.
	Sealers int
	// Progress, when set, is called after each comment is done (stored,
	// present, or failed) with how many are.
	Progress func(done int)
}

// DefaultWindow and DefaultSealers are Options' defaults.
const (
	DefaultWindow  = 512
	DefaultSealers = 16
)

func (o *Options) setDefaults() {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Sealers <= 0 {
		o.Sealers = DefaultSealers
	}
}

// ErrIncomplete: an import stored part of its file; Summary says what.
// The same import again completes it.
var ErrIncomplete = errors.New("imports: the import is incomplete (run it again to go on: nothing is stored twice)")

// Publish stores every comment of f as a CommentSubmitted event followed
// by its decision (PublishAll).
func Publish(ctx context.Context, log *events.Log, f File, progress func(done int)) (Summary, error) {
	s := Summarize(f)
	s.Comments, s.Replies, s.States = 0, 0, map[string]int{}
	err := PublishAll(ctx, log, f.Format, slices.Values(f.Comments), Options{Progress: progress}, &s)
	return s, err
}

// PublishAll stores every comment of comments as a CommentSubmitted
// event followed by its decision, and counts them in s. Ids are derived
// from the source's (Comment.ID); a submission is stored only if its
// comment has no event yet, and a decision only if the comment never had
// one of its kind, so running the same import again stores nothing
// twice, and a run that stopped half-way is completed by the next.
//
// Appends are pipelined (Options.Window in flight), with two orders
// kept: a comment's decision is sent once its submission is stored, and
// a reply once its parent's submission is: the views place a reply
// under a parent they know. A reply that comes before its parent waits
// for it in memory. On the first append the stream refuses, or does not
// answer, nothing new is sent; the appends in flight are waited for and
// each outcome counted; the error is then ErrIncomplete with the first
// failure.
func PublishAll(ctx context.Context, log *events.Log, format string, comments iter.Seq[Comment], o Options, s *Summary) error {
	o.setDefaults()
	if s.States == nil {
		s.States = map[string]int{}
	}
	app, err := log.Appender()
	if err != nil {
		return err
	}
	p := &pipeline{
		app: app, format: format, actor: ImportActor(format), s: s, o: o,
		results: make(chan result, 2*o.Window+o.Sealers), waiting: map[string][]Comment{},
		pending: map[string]bool{}, failed: map[string]bool{},
	}
	return p.run(ctx, comments)
}

type pipeline struct {
	app           *events.Appender
	format, actor string
	s             *Summary
	o             Options

	results  chan result
	inflight int                  // appends sent and not answered
	pending  map[string]bool      // comments whose submission is not stored yet, by id
	waiting  map[string][]Comment // replies waiting for their parent's submission, by the parent's id
	failed   map[string]bool      // comments not stored: their replies are not sent
	ready    []Comment            // replies whose parent is stored, to send first
	done     int
	first    error // the first failure
	stopping bool
}

// result is the answer to one append.
type result struct {
	c        Comment
	decision bool // the decision's append, else the submission's
	subNew   bool // for a decision: its submission was stored by this run
	a        events.Appended
	err      error
}

func (p *pipeline) run(ctx context.Context, comments iter.Seq[Comment]) error {
	next, stop := iter.Pull(comments)
	defer stop()
	toSeal := make(chan Comment)
	var wg sync.WaitGroup
	for range p.o.Sealers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range toSeal {
				p.submit(ctx, c)
			}
		}()
	}
	defer func() { close(toSeal); wg.Wait() }()

	exhausted := false
	var queued *Comment // the next comment to seal, when it could not be handed over yet
	for {
		if ctx.Err() != nil && !p.stopping {
			p.fail(ctx.Err())
		}
		// The next comment to send: a reply released by its parent, else
		// the source's next, unless it must wait for its parent.
		for queued == nil && !p.stopping && p.inflight < p.o.Window {
			var c Comment
			if len(p.ready) > 0 {
				c, p.ready = p.ready[0], p.ready[1:]
			} else if exhausted {
				break
			} else if n, ok := next(); ok {
				c = n
				p.s.count(c)
				if pid := c.parentID(); pid != "" {
					if p.failed[pid] {
						p.failComment(c, fmt.Errorf("its parent %q was not stored", c.ParentID), "the parent was not stored")
						continue
					}
					if p.pending[pid] || c.parentLater {
						p.pending[c.ID()] = true
						p.waiting[pid] = append(p.waiting[pid], c)
						continue
					}
				}
				p.pending[c.ID()] = true
			} else {
				exhausted = true
				break
			}
			queued = &c
		}
		if queued == nil && p.inflight == 0 {
			break // nothing sent is unanswered, nothing more can be sent
		}
		var send chan Comment
		var c Comment
		if queued != nil {
			send, c = toSeal, *queued
		}
		stopped := ctx.Done()
		if p.stopping {
			stopped = nil // the rest is waiting for what is in flight
		}
		select {
		case send <- c:
			queued = nil
			p.inflight++
		case r := <-p.results:
			p.inflight--
			p.handle(ctx, r)
		case <-stopped:
			p.fail(ctx.Err())
			if queued != nil {
				p.failComment(*queued, ctx.Err(), "")
				queued = nil
			}
		}
	}
	// What was never sent: replies whose parent failed, or that waited
	// for a parent when the run stopped.
	for len(p.waiting) > 0 {
		for pid, cs := range p.waiting {
			delete(p.waiting, pid)
			for _, c := range cs {
				p.failComment(c, errors.New("not sent: the run stopped first"), "")
			}
			break
		}
	}
	for _, c := range p.ready {
		p.failComment(c, errors.New("not sent: the run stopped first"), "")
	}
	if !exhausted && p.first != nil {
		// The source's rest was never read: counted, so the summary
		// says how many comments the next run has to do.
		for c, ok := next(); ok; c, ok = next() {
			p.s.count(c)
			p.s.Failed++
		}
	}
	if p.first != nil {
		if errors.Is(p.first, context.Canceled) || errors.Is(p.first, context.DeadlineExceeded) {
			return fmt.Errorf("%w: %w", ErrIncomplete, p.first)
		}
		return fmt.Errorf("%w: %d comments not stored; first: %w", ErrIncomplete, p.s.Failed, p.first)
	}
	return nil
}

// submit seals and sends a comment's submission; its answer comes on
// p.results.
func (p *pipeline) submit(ctx context.Context, c Comment) {
	sub, err := events.New(c.eventID("submitted"), events.CommentSubmitted, c.Article, c.ID(),
		events.ActorReader, "", c.CreatedAt, events.Submitted{
			Author: events.CleanName(c.Author), AuthorID: events.AnonymousAuthorID(c.Author), Text: c.Text, ParentID: c.parentID(),
			Imported: &events.Imported{Format: p.format, ID: c.SourceID, CreatedAt: c.CreatedAt},
		})
	if err == nil {
		err = p.app.AppendAfter(ctx, sub, 0, func(a events.Appended, err error) { p.results <- result{c: c, a: a, err: err} })
	}
	if err != nil {
		p.results <- result{c: c, err: err}
	}
}

// decide sends a comment's decision, once its submission is stored.
func (p *pipeline) decide(ctx context.Context, c Comment, subNew bool) {
	dec, err := events.New(c.eventID("decided"), decisionOf[c.State], c.Article, c.ID(),
		p.actor, c.eventID("submitted"), c.CreatedAt, events.Decision{Reason: "imported"})
	if err == nil {
		err = p.app.AppendFirst(context.WithoutCancel(ctx), dec, func(a events.Appended, err error) {
			p.results <- result{c: c, decision: true, subNew: subNew, a: a, err: err}
		})
	}
	p.inflight++
	if err != nil {
		p.inflight--
		p.commentFailed(c, err)
	}
}

func (p *pipeline) handle(ctx context.Context, r result) {
	c := r.c
	if !r.decision {
		switch {
		case r.err == nil && !r.a.Duplicate:
			delete(p.pending, c.ID())
			p.release(c.ID())
			p.decide(ctx, c, true)
		case r.err == nil || errors.Is(r.err, events.ErrConflict):
			// Stored before, by an earlier run (a duplicate within the
			// stream's window, else the comment's first event is there).
			delete(p.pending, c.ID())
			p.release(c.ID())
			p.decide(ctx, c, false)
		default:
			p.commentFailed(c, r.err)
		}
		return
	}
	switch {
	case r.err == nil && !r.a.Duplicate && r.subNew:
		p.s.Imported++
	case r.err == nil && !r.a.Duplicate:
		p.s.Completed++
	case r.subNew && (r.err == nil || errors.Is(r.err, events.ErrConflict)):
		// Submitted now and already decided alike: the rules worker saw
		// the submission first and came to the source's decision.
		p.s.Imported++
	case r.err == nil || errors.Is(r.err, events.ErrConflict):
		p.s.Present++
	default:
		// The submission is stored; the next run stores the decision.
		p.fail(r.err)
		p.s.Failed++
		p.reason(r.err)
	}
	p.progress()
}

// release sends the replies that waited for comment id's submission.
func (p *pipeline) release(id string) {
	if kids, ok := p.waiting[id]; ok {
		delete(p.waiting, id)
		p.ready = append(p.ready, kids...)
	}
}

// commentFailed records a comment whose submission was not stored, and
// its waiting replies (and theirs) with it.
func (p *pipeline) commentFailed(c Comment, err error) {
	p.fail(fmt.Errorf("line %d, comment %q: %w", c.Line, c.SourceID, err))
	p.failComment(c, err, "")
}

func (p *pipeline) failComment(c Comment, err error, reason string) {
	id := c.ID()
	delete(p.pending, id)
	p.failed[id] = true
	p.s.Failed++
	if reason == "" {
		p.reason(err)
	} else {
		p.s.Refused = countIn(p.s.Refused, reason)
	}
	kids := p.waiting[id]
	delete(p.waiting, id)
	for _, k := range kids {
		p.failComment(k, err, "the parent was not stored")
	}
	p.progress()
}

func (p *pipeline) fail(err error) {
	if p.first == nil {
		p.first = err
	}
	p.stopping = true
}

func (p *pipeline) progress() {
	p.done++
	if p.o.Progress != nil {
		p.o.Progress(p.done)
	}
}

// reason counts a refused append by what the stream said.
func (p *pipeline) reason(err error) {
	var apiErr *jetstream.APIError
	var why string
	switch {
	case errors.As(err, &apiErr):
		why = "refused by the stream: " + apiErr.Description
	case errors.Is(err, events.ErrUnavailable):
		why = "no answer from the stream"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		why = "the run was stopped"
	default:
		why = err.Error()
	}
	p.s.Refused = countIn(p.s.Refused, why)
}

func countIn(m map[string]int, k string) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	m[k]++
	return m
}

// RefusedReasons lists a summary's refusals, most frequent first.
func (s Summary) RefusedReasons() []string {
	keys := slices.SortedFunc(maps.Keys(s.Refused), func(a, b string) int {
		if s.Refused[a] != s.Refused[b] {
			return s.Refused[b] - s.Refused[a]
		}
		return strings.Compare(a, b)
	})
	return keys
}

// eventID derives the id of one of a comment's events from its Key.
func (c Comment) eventID(kind string) string {
	return uuid.NewSHA1(importNamespace, []byte(kind+"\n"+c.Key)).String()
}

// parentID is the id here of the comment's parent, "" for a top-level
// comment. A parent is in the same thread of the same source, so its Key
// is the comment's with the parent's source id.
func (c Comment) parentID() string {
	if c.ParentID == "" {
		return ""
	}
	k := strings.TrimSuffix(c.Key, c.SourceID) + c.ParentID
	return uuid.NewSHA1(importNamespace, []byte(k)).String()
}
