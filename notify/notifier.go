// Package notify tells readers by e-mail of replies to their comments and
// of a moderator's decision on a comment that waited for review: a
// durable consumer of the log (Notifier), the state it keeps in the
// NOTIFY bucket (State: addresses by keyed hash, never in plain text),
// the signed links of the mails (Keys) and the SMTP client (SMTP).
//
// An address is read only from the sealed submission it came with
// (events.Log.WithContact), each time a mail is due: erasing the author
// destroys the key that seals it, and no mail is sent afterwards.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
)

// ConsumerName is the notifier's durable consumer of the COMMENTS
// stream. Every process with the worker role and notifications on runs
// one; each event goes to one of them.
const ConsumerName = "notify"

// DefaultVerifyEvery is how often at most one address is sent a
// verification mail: someone who types another person's address on every
// comment sends them one mail a day, not one a comment.
const DefaultVerifyEvery = 24 * time.Hour

// Notifier reads submissions and decisions and sends the mails they call
// for:
//
//   - a submission with an address not yet verified: one verification
//     mail (at most one per VerifyEvery per address);
//   - a moderator's approval or rejection of a held comment: a mail to
//     its author (an approval of a comment that was visible before, held
//     after readers reported it, changes nothing for them and is not
//     told);
//   - the first approval of a reply: a mail to the parent comment's
//     author, never when they wrote the reply themselves (the same
//     address, or the same signed-in reader).
//
// Decision and reply mails go only to an address its reader verified and
// did not unsubscribe. Edits are not told.
type Notifier struct {
	// Log is the log; the notifier reads it WithContact.
	Log    *events.Log
	State  *State
	Keys   Keys
	Mailer Mailer
	// From is the sender of every mail ("Comments <comments@example.com>").
	From *mail.Address
	// PublicURL is the base of every link in a mail (https://comments.example.com).
	PublicURL   string
	VerifyEvery time.Duration // DefaultVerifyEvery when 0
	Logger      *slog.Logger
	Metrics     *Metrics

	log *events.Log
	now func() time.Time
}

// Validate checks what cmd/commentd builds.
func (n *Notifier) Validate() error {
	if n.Log == nil || n.State == nil || n.Mailer == nil || n.From == nil {
		return errors.New("notify: a log, a state, a mailer and a sender are needed")
	}
	u, err := url.Parse(n.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("notify: public url %q is not like https://comments.example.com", n.PublicURL)
	}
	return nil
}

func (n *Notifier) setDefaults() {
	if n.Logger == nil {
		n.Logger = slog.New(slog.DiscardHandler)
	}
	if n.VerifyEvery <= 0 {
		n.VerifyEvery = DefaultVerifyEvery
	}
	if n.now == nil {
		n.now = time.Now
	}
	n.PublicURL = strings.TrimSuffix(n.PublicURL, "/")
	n.log = n.Log.WithContact()
}

// Subjects are the events the notifier reads. Erasures are among them so
// that this process forgets the destroyed keys at once (events.Log.Decode
// does), not only when its key cache expires.
var Subjects = []string{
	events.SubmittedSubjects, "comments.*.*.approved", "comments.*.*.rejected", events.ErasedSubjects,
}

// Run consumes events until ctx ends, then finishes the one in hand.
func (n *Notifier) Run(ctx context.Context) error {
	if err := n.Validate(); err != nil {
		return err
	}
	n.setDefaults()
	cons, err := n.Log.Durable(ctx, jetstream.ConsumerConfig{
		Durable:        ConsumerName,
		Description:    "Readers' e-mail notifications: verifications, decisions on held comments, replies.",
		FilterSubjects: Subjects,
		// A notifier started on a log with history mails nobody of
		// comments from before notifications were on.
		DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		// One SMTP conversation is bounded by 30 s; two mails an event.
		AckWait: 90 * time.Second,
		// With the back-off (retryDelay) about a day of retrying a mail
		// server that is down; then a dead letter (commentctl dlq).
		MaxDeliver:    maxDeliver,
		MaxAckPending: 16,
	}, n.Logger)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("notify: consumer: %w", err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 80*time.Second)
		defer cancel()
		n.handle(hctx, msg)
	}, jetstream.PullMaxMessages(16), jetstream.PullExpiry(5*time.Second))
	if err != nil {
		return fmt.Errorf("notify: consume: %w", err)
	}
	<-ctx.Done()
	cc.Drain()
	<-cc.Closed()
	return nil
}

const maxDeliver = 100

// retryDelay is the back-off of the n-th failed delivery: 5 s doubling to
// 15 minutes.
func retryDelay(n uint64) time.Duration {
	d := 5 * time.Second
	for i := uint64(1); i < n && d < 15*time.Minute; i++ {
		d *= 2
	}
	return min(d, 15*time.Minute)
}

// handle acts on one event: every outcome is an Ack, a Nak with a delay
// (may succeed later: a mail server or the stream down) or a Term (never
// will).
func (n *Notifier) handle(ctx context.Context, msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		n.term(msg, "no_metadata", err)
		return
	}
	if meta.NumDelivered > 1 {
		n.Metrics.redelivered()
	}
	e, err := n.log.Decode(ctx, msg.Data())
	if errors.Is(err, events.ErrInvalid) {
		n.term(msg, "undecodable", err)
		return
	}
	if err == nil {
		n.Metrics.consumed(e.Type)
		switch e.Type {
		case events.CommentSubmitted:
			err = n.submitted(ctx, e)
		case events.CommentApproved, events.CommentRejected:
			err = n.decided(ctx, e)
		}
	}
	if err != nil {
		delay := retryDelay(meta.NumDelivered)
		n.Logger.Warn("notification not done; will retry", "event", e.ID, "comment", e.Comment, "delivery", meta.NumDelivered, "retry_in", delay, "err", err)
		_ = msg.NakWithDelay(delay)
		return
	}
	if err := msg.Ack(); err != nil {
		n.Logger.Warn("ack", "event", e.ID, "err", err)
	}
}

func (n *Notifier) term(msg jetstream.Msg, reason string, err error) {
	n.Logger.Error("event terminated: it can never be handled", "subject", msg.Subject(), "reason", reason, "err", err)
	n.Metrics.terminated(reason)
	_ = msg.TermWithReason(reason)
}

// submitted sends the verification mail a new address calls for.
func (n *Notifier) submitted(ctx context.Context, e events.Envelope) error {
	var p events.Submitted
	if err := e.Payload(&p); err != nil {
		return nil // an undecodable payload has nothing to tell; the log's readers all skip it
	}
	if p.Email == "" || p.Erased {
		return nil
	}
	hash := n.Keys.AddressHash(p.Email)
	a, err := n.State.Address(ctx, hash)
	if err != nil {
		return err
	}
	if !a.Verified.IsZero() || !a.Unsubscribed.IsZero() {
		return nil // verified: nothing to ask; unsubscribed: asked us never to write
	}
	ok, err := n.State.claimVerification(ctx, hash, e.ID, n.VerifyEvery)
	if err != nil {
		return err
	}
	if !ok {
		n.Logger.Debug("verification pending for this address; none sent", "event", e.ID)
		return nil
	}
	lang := mailLang(p.Lang)
	now := n.now()
	unsub := n.link("unsubscribe", n.Keys.Link(PurposeUnsubscribe, hash, now.Add(UnsubscribeLinkTTL)))
	return n.send(ctx, e.ID, Mail{
		Kind: KindVerify, To: p.Email, Lang: lang, Unsubscribe: unsub,
		Subject: text(lang, "verify.subject"),
		Body: text(lang, "verify.body", "article", n.articleURL(e.Article),
			"verify", n.link("verify", n.Keys.Link(PurposeVerify, hash, now.Add(VerifyLinkTTL))), "unsubscribe", unsub),
	})
}

// decided sends what an approval or a rejection calls for: the decision
// to the author of a held comment, the reply to its parent's author.
func (n *Notifier) decided(ctx context.Context, e events.Envelope) error {
	var d events.Decision
	if err := e.Payload(&d); err != nil || d.Edit != "" {
		return nil
	}
	hist, err := n.log.CommentEvents(ctx, e.Article, e.Comment)
	if errors.Is(err, events.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	c, found := before(hist, e.ID)
	if !found {
		return fmt.Errorf("notify: %s is not in its comment's history yet", e.ID)
	}
	if c.sub == nil {
		return nil
	}
	if c.last == events.CommentHeld && !(e.Type == events.CommentApproved && c.approved) {
		if err := n.decision(ctx, e, d, c.sub); err != nil {
			return err
		}
	}
	if e.Type == events.CommentApproved && !c.approved && c.sub.ParentID != "" {
		return n.reply(ctx, e, c.sub)
	}
	return nil
}

// history is what a comment was before one of its events.
type history struct {
	sub      *events.Submitted
	last     events.Type // its newest decision on the comment (not an edit)
	approved bool        // it was approved (visible) before
}

// before reads hist up to the event id.
func before(hist []events.Envelope, id string) (history, bool) {
	var h history
	for _, ev := range hist {
		if ev.ID == id {
			return h, true
		}
		switch ev.Type {
		case events.CommentSubmitted:
			var p events.Submitted
			if ev.Payload(&p) == nil {
				h.sub = &p
			}
		case events.CommentApproved, events.CommentRejected, events.CommentHeld:
			var d events.Decision
			if ev.Payload(&d) != nil || d.Edit != "" {
				continue
			}
			h.last = ev.Type
			if ev.Type == events.CommentApproved {
				h.approved = true
			}
		}
	}
	return h, false
}

// mailable is the address of sub's author if they verified it and did
// not unsubscribe, "" otherwise (none left, erased, not verified).
func (n *Notifier) mailable(ctx context.Context, sub *events.Submitted) (addr, hash string, err error) {
	if sub.Email == "" || sub.Erased {
		return "", "", nil
	}
	hash = n.Keys.AddressHash(sub.Email)
	a, err := n.State.Address(ctx, hash)
	if err != nil || !a.Mailable() {
		return "", "", err
	}
	return sub.Email, hash, nil
}

func (n *Notifier) decision(ctx context.Context, e events.Envelope, d events.Decision, sub *events.Submitted) error {
	to, hash, err := n.mailable(ctx, sub)
	if err != nil || to == "" {
		return err
	}
	lang := mailLang(sub.Lang)
	unsub := n.unsubscribe(hash)
	m := Mail{Kind: KindDecision, To: to, Lang: lang, Unsubscribe: unsub}
	if e.Type == events.CommentApproved {
		m.Subject = text(lang, "approved.subject")
		m.Body = text(lang, "approved.body", "article", n.articleURL(e.Article), "text", excerpt(sub.Text),
			"link", n.commentURL(e.Article, e.Comment))
	} else {
		m.Subject = text(lang, "rejected.subject")
		m.Body = text(lang, "rejected.body", "article", n.articleURL(e.Article), "text", excerpt(sub.Text),
			"why", why(lang, d.Reason, d.Message))
	}
	m.Body += "\n-- \n" + text(lang, "footer", "unsubscribe", unsub)
	return n.send(ctx, e.ID, m)
}

func (n *Notifier) reply(ctx context.Context, e events.Envelope, sub *events.Submitted) error {
	if sub.Erased {
		return nil
	}
	parent, err := n.log.CommentEvents(ctx, e.Article, sub.ParentID)
	if errors.Is(err, events.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var ps *events.Submitted
	for _, ev := range parent {
		var p events.Submitted
		if ev.Type == events.CommentSubmitted && ev.Payload(&p) == nil {
			ps = &p
			break
		}
	}
	if ps == nil {
		return nil
	}
	to, hash, err := n.mailable(ctx, ps)
	if err != nil || to == "" {
		return err
	}
	// Never tell someone of their own reply.
	if sub.Email != "" && n.Keys.AddressHash(sub.Email) == hash || events.SignedIn(ps.AuthorID) && ps.AuthorID == sub.AuthorID {
		return nil
	}
	lang := mailLang(ps.Lang)
	unsub := n.unsubscribe(hash)
	return n.send(ctx, e.ID, Mail{
		Kind: KindReply, To: to, Lang: lang, Unsubscribe: unsub,
		Subject: text(lang, "reply.subject", "author", oneLine(sub.Author)),
		Body: text(lang, "reply.body", "author", sub.Author, "article", n.articleURL(e.Article), "text", excerpt(sub.Text),
			"link", n.commentURL(e.Article, e.Comment)) + "\n-- \n" + text(lang, "footer", "unsubscribe", unsub),
	})
}

// oneLine keeps a name fit for a header (names are cleaned on submission;
// this is the header's own guard).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// send sends m once per event and kind: a mark in the bucket, written
// after the server took the mail, keeps a redelivery (an ack lost in a
// failover) from mailing again.
func (n *Notifier) send(ctx context.Context, event string, m Mail) error {
	sent, err := n.State.wasSent(ctx, event, m.Kind)
	if err != nil || sent {
		return err
	}
	msg, err := compose(n.From, m, n.now())
	if err != nil {
		n.Metrics.failed(m.Kind, "permanent")
		n.Logger.Error("mail not written; not sent", "kind", m.Kind, "event", event, "err", err)
		return nil
	}
	if err := n.Mailer.Send(ctx, n.From.Address, m.To, msg); err != nil {
		if errors.Is(err, ErrRejected) {
			// Asking again gets the same answer: counted and logged, not
			// retried.
			n.Metrics.failed(m.Kind, "permanent")
			n.Logger.Warn("mail refused by the mail server; not retried", "kind", m.Kind, "event", event, "err", err)
			return nil
		}
		n.Metrics.failed(m.Kind, "temporary")
		return fmt.Errorf("send %s mail: %w", m.Kind, err)
	}
	n.Metrics.sent(m.Kind)
	n.Logger.Info("mail sent", "kind", m.Kind, "event", event)
	// The mail is out: the mark is worth a few tries, or a redelivery
	// sends it again.
	for wait := 100 * time.Millisecond; ; wait *= 2 {
		err = n.State.markSent(ctx, event, m.Kind)
		if err == nil || wait > 5*time.Second {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

func (n *Notifier) link(route, token string) string {
	return n.PublicURL + "/notify/" + route + "?t=" + token
}

func (n *Notifier) unsubscribe(hash string) string {
	return n.link("unsubscribe", n.Keys.Link(PurposeUnsubscribe, hash, n.now().Add(UnsubscribeLinkTTL)))
}

func (n *Notifier) articleURL(article string) string {
	return n.PublicURL + "/articles/" + url.PathEscape(article)
}

func (n *Notifier) commentURL(article, comment string) string {
	return n.articleURL(article) + "/comments/" + url.PathEscape(comment)
}
