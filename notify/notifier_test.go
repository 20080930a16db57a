package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/smtptest"
)

const article = "a1"

type fixture struct {
	t       *testing.T
	js      jetstream.JetStream
	log     *events.Log
	state   *State
	keys    Keys
	smtp    *smtptest.Server
	metrics *Metrics
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	_, js := natstest.Connect(t, natstest.Server(t))
	ctx := context.Background()
	l, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Provision(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	st, err := Attach(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, js: js, log: l, state: st, keys: NewKeys([]byte("0123456789abcdef0123456789abcdef")),
		smtp: smtptest.Start(t, smtptest.Options{}), metrics: NewMetrics(prometheus.NewRegistry())}
}

// run starts a notifier sending through mailer (the fixture's server when
// nil), stopped at the end of the test.
func (f *fixture) run(mailer Mailer) *Notifier {
	f.t.Helper()
	if mailer == nil {
		mailer = &SMTP{Addr: f.smtp.Addr, TLS: NoTLS}
	}
	n := &Notifier{
		Log: f.log, State: f.state, Keys: f.keys, Mailer: mailer,
		From: &mail.Address{Name: "Comments", Address: "comments@example.com"}, PublicURL: "https://comments.example.com/",
		Metrics: f.metrics,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	var once sync.Once
	f.t.Cleanup(func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				f.t.Errorf("notifier: %v", err)
			}
		})
	})
	// The consumer delivers new events only: wait until it exists.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := f.log.Stream().Consumer(ctx, ConsumerName); err == nil {
			break
		}
		if time.Now().After(deadline) {
			f.t.Fatal("the notifier's consumer was not created")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

func (f *fixture) append(typ events.Type, comment, actor string, payload any) events.Envelope {
	f.t.Helper()
	e, err := events.New(uuid.NewString(), typ, article, comment, actor, "", time.Now(), payload)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.log.Append(context.Background(), e); err != nil {
		f.t.Fatal(err)
	}
	return e
}

// submit appends a comment and returns its id.
func (f *fixture) submit(author, email, lang, parent string) string {
	id := uuid.NewString()
	f.append(events.CommentSubmitted, id, events.ActorReader, events.Submitted{
		Author: author, AuthorID: events.AnonymousAuthorID(author), Text: "Words of " + author, ParentID: parent, Email: email, Lang: lang,
	})
	return id
}

func (f *fixture) decide(typ events.Type, comment, actor string, d events.Decision) events.Envelope {
	return f.append(typ, comment, actor, d)
}

// settled waits until the notifier acknowledged every event it was
// given: then a mail it did not send will not come.
func (f *fixture) settled() {
	f.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := f.log.Stream().Consumer(ctx, ConsumerName)
		if err == nil {
			info, err := c.Info(ctx)
			if err == nil && info.NumPending == 0 && info.NumAckPending == 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			f.t.Fatal("the notifier did not settle")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// linkIn finds the link to route in a mail's body and returns its token.
func linkIn(t *testing.T, body, route string) string {
	t.Helper()
	for _, w := range strings.Fields(body) {
		if strings.HasPrefix(w, "https://comments.example.com/notify/"+route+"?t=") {
			u, err := url.Parse(w)
			if err != nil {
				t.Fatal(err)
			}
			return u.Query().Get("t")
		}
	}
	t.Fatalf("no %s link in:\n%s", route, body)
	return ""
}

func (f *fixture) verifyFrom(m smtptest.Message) string {
	f.t.Helper()
	hash, err := f.keys.Open(PurposeVerify, linkIn(f.t, m.Body, "verify"), time.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.state.Verify(context.Background(), hash); err != nil {
		f.t.Fatal(err)
	}
	return hash
}

func TestVerificationThenReplyThenUnsubscribe(t *testing.T) {
	f := newFixture(t)
	f.run(nil)

	parent := f.submit("Anna", "Anna@Example.com", "en", "")
	m := f.smtp.Wait(t, 1, 10*time.Second)
	if got := m.To; len(got) != 1 || got[0] != "Anna@Example.com" {
		t.Fatalf("verification to %v", got)
	}
	if !strings.Contains(m.Header.Get("Subject"), "Confirm") || !strings.Contains(m.Body, "/articles/a1") {
		t.Fatalf("verification mail:\n%s", m.Raw)
	}
	if m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.HasPrefix(m.Header.Get("List-Unsubscribe"), "<https://comments.example.com/notify/unsubscribe?t=") {
		t.Fatalf("unsubscribe headers: %q %q", m.Header.Get("List-Unsubscribe"), m.Header.Get("List-Unsubscribe-Post"))
	}
	// A second comment from the same address, in another case, while
	// the first verification is pending: no second mail.
	f.submit("Anna", "anna@example.com", "en", "")
	f.settled()
	if n := len(f.smtp.Messages()); n != 1 {
		t.Fatalf("%d mails after two comments of an unverified address, want 1", n)
	}

	// Before verification, a reply tells nobody.
	early := f.submit("Boris", "", "ru", parent)
	f.decide(events.CommentApproved, early, "rules@v1", events.Decision{Reason: "clean"})
	f.settled()
	if n := len(f.smtp.Messages()); n != 1 {
		t.Fatalf("%d mails: a reply to an unverified address was told", n)
	}

	hash := f.verifyFrom(m)
	reply := f.submit("Boris", "", "ru", parent)
	f.decide(events.CommentApproved, reply, "rules@v1", events.Decision{Reason: "clean"})
	r := f.smtp.Wait(t, 2, 10*time.Second)
	if !strings.Contains(r.Header.Get("Subject"), "Boris replied") || !strings.Contains(r.Body, "Words of Boris") ||
		!strings.Contains(r.Body, "https://comments.example.com/articles/a1/comments/"+reply) {
		t.Fatalf("reply mail:\n%s", r.Body)
	}
	unsub, err := url.Parse(strings.Trim(r.Header.Get("List-Unsubscribe"), "<>"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.keys.Open(PurposeUnsubscribe, unsub.Query().Get("t"), time.Now()); err != nil || got != hash {
		t.Fatalf("the unsubscribe header's link opens as %q, %v; want the address %q", got, err, hash)
	}
	if linkIn(t, r.Body, "unsubscribe") == "" {
		t.Fatal("no unsubscribe link in the body")
	}
	// The reply's approval delivered again (an ack lost): not sent twice.
	// A moderator's approval of it again is another event, but not its
	// first approval: nothing either.
	f.decide(events.CommentApproved, reply, "moderator:m1", events.Decision{Reason: "ok"})

	// Her own reply to her own comment is not told.
	own := f.submit("Anna", "anna@EXAMPLE.com", "en", parent)
	f.decide(events.CommentApproved, own, "rules@v1", events.Decision{Reason: "clean"})
	f.settled()
	if n := len(f.smtp.Messages()); n != 2 {
		t.Fatalf("%d mails, want 2 (no mail for a repeated approval or her own reply)", n)
	}

	if err := f.state.Unsubscribe(context.Background(), hash); err != nil {
		t.Fatal(err)
	}
	next := f.submit("Vera", "", "en", parent)
	f.decide(events.CommentApproved, next, "rules@v1", events.Decision{Reason: "clean"})
	f.settled()
	if n := len(f.smtp.Messages()); n != 2 {
		t.Fatalf("%d mails: a reply was told after unsubscribing", n)
	}
	if got := testutil.ToFloat64(f.metrics.mailsSent.WithLabelValues("reply")); got != 1 {
		t.Errorf("reply mails sent = %v, want 1", got)
	}
	if got := testutil.ToFloat64(f.metrics.mailsSent.WithLabelValues("verify")); got != 1 {
		t.Errorf("verification mails sent = %v, want 1", got)
	}
}

func TestDecisionOnHeldComment(t *testing.T) {
	f := newFixture(t)
	f.run(nil)
	held := f.submit("Ivan", "ivan@example.com", "ru", "")
	f.verifyFrom(f.smtp.Wait(t, 1, 10*time.Second))
	f.decide(events.CommentHeld, held, "rules@v1", events.Decision{Reason: "links"})
	f.decide(events.CommentRejected, held, "moderator:m1", events.Decision{Reason: "spam", Message: "Реклама запрещена."})
	m := f.smtp.Wait(t, 2, 10*time.Second)
	if !strings.Contains(m.Header.Get("Subject"), "=?utf-8?") || m.Header.Get("Content-Language") != "ru" {
		t.Fatalf("a Russian reader's mail: subject %q, language %q", m.Header.Get("Subject"), m.Header.Get("Content-Language"))
	}
	if !strings.Contains(m.Body, "не опубликовал") || !strings.Contains(m.Body, "Реклама запрещена.") || !strings.Contains(m.Body, "Words of Ivan") {
		t.Fatalf("decision mail:\n%s", m.Body)
	}

	// A held comment approved: told; a comment the rules approved at
	// once: not (the reader saw it published).
	other := f.submit("Ivan", "ivan@example.com", "en", "")
	f.decide(events.CommentHeld, other, "rules@v1", events.Decision{Reason: "premoderated"})
	f.decide(events.CommentApproved, other, "moderator:m1", events.Decision{Reason: "ok"})
	a := f.smtp.Wait(t, 3, 10*time.Second)
	if !strings.Contains(a.Body, "published it") || !strings.Contains(a.Body, "/comments/"+other) {
		t.Fatalf("approval mail:\n%s", a.Body)
	}
	quick := f.submit("Ivan", "ivan@example.com", "en", "")
	f.decide(events.CommentApproved, quick, "rules@v1", events.Decision{Reason: "clean"})
	// Held after reports and approved again: nothing new for the author.
	f.decide(events.CommentHeld, quick, "reports@3", events.Decision{Reason: "reported"})
	f.decide(events.CommentApproved, quick, "moderator:m1", events.Decision{Reason: "ok"})
	f.settled()
	if n := len(f.smtp.Messages()); n != 3 {
		t.Fatalf("%d mails, want 3", n)
	}
}

func TestErasedAuthorGetsNothing(t *testing.T) {
	f := newFixture(t)
	f.run(nil)
	ctx := context.Background()
	parent := f.submit("Olga", "olga@example.com", "en", "")
	f.verifyFrom(f.smtp.Wait(t, 1, 10*time.Second))
	held := f.submit("Olga", "olga@example.com", "en", "")
	f.decide(events.CommentHeld, held, "rules@v1", events.Decision{Reason: "links"})
	f.settled()

	// The erasure as commentctl authors erase does it: the event, then
	// the keys destroyed.
	authorID := events.AnonymousAuthorID("Olga")
	kid, err := f.log.Keys().CurrentKey(ctx, authorID)
	if err != nil || kid == "" {
		t.Fatalf("Olga's key: %q, %v", kid, err)
	}
	f.append(events.AuthorErased, "", "operator:test", events.Erasure{AuthorKey: events.AuthorKey(authorID), Keys: []string{kid},
		Comments: []events.ErasedComment{{Article: article, Comment: parent}, {Article: article, Comment: held}}})
	if err := f.log.Keys().Destroy(ctx, events.AuthorKey(authorID), []string{kid}); err != nil {
		t.Fatal(err)
	}

	reply := f.submit("Pavel", "", "en", parent)
	f.decide(events.CommentApproved, reply, "rules@v1", events.Decision{Reason: "clean"})
	f.decide(events.CommentApproved, held, "moderator:m1", events.Decision{Reason: "ok"})
	f.settled()
	if n := len(f.smtp.Messages()); n != 1 {
		t.Fatalf("%d mails: an erased author was written to", n)
	}
	// The bucket never held her address.
	assertNoAddress(t, f.js, "olga@example.com")
}

// assertNoAddress fails if any message of the NOTIFY bucket spells addr.
func assertNoAddress(t *testing.T, js jetstream.JetStream, addr string) {
	t.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, "KV_"+Bucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		if strings.Contains(strings.ToLower(string(m.Data)+m.Subject), strings.ToLower(addr)) {
			t.Fatalf("the NOTIFY bucket holds the address at %d: %s %s", seq, m.Subject, m.Data)
		}
	}
}

func TestFailedSendIsRetried(t *testing.T) {
	f := newFixture(t)
	f.smtp.FailNext(2)
	f.run(nil)
	f.submit("Lena", "lena@example.com", "en", "")
	m := f.smtp.Wait(t, 1, 60*time.Second) // after 5 s and 10 s of back-off
	if m.To[0] != "lena@example.com" {
		t.Fatalf("mail to %v", m.To)
	}
	f.settled()
	if n := len(f.smtp.Messages()); n != 1 {
		t.Fatalf("%d mails after retries, want 1", n)
	}
	if got := testutil.ToFloat64(f.metrics.mailsFailed.WithLabelValues("verify", "temporary")); got != 2 {
		t.Errorf("temporary failures = %v, want 2", got)
	}
	// A refused address is counted and not retried.
	f.smtp.Refuse("nobody@example.com")
	f.submit("Nobody", "nobody@example.com", "en", "")
	f.settled()
	if got := testutil.ToFloat64(f.metrics.mailsFailed.WithLabelValues("verify", "permanent")); got != 1 {
		t.Errorf("permanent failures = %v, want 1", got)
	}
}

func TestSentMarkKeepsARedeliveryFromMailingTwice(t *testing.T) {
	f := newFixture(t)
	n := &Notifier{Log: f.log, State: f.state, Keys: f.keys, Mailer: &SMTP{Addr: f.smtp.Addr, TLS: NoTLS},
		From: &mail.Address{Address: "c@example.com"}, PublicURL: "https://comments.example.com"}
	n.setDefaults()
	ctx := context.Background()
	e := f.append(events.CommentSubmitted, uuid.NewString(), events.ActorReader,
		events.Submitted{Author: "Max", AuthorID: events.AnonymousAuthorID("Max"), Text: "hi", Email: "max@example.com"})
	opened, err := f.log.WithContact().At(ctx, 1)
	if err != nil || opened.ID != e.ID {
		t.Fatalf("read back: %v", err)
	}
	// The same event handled twice (as after an ack lost in a failover).
	for range 2 {
		if err := n.submitted(ctx, opened); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(f.smtp.Messages()); got != 1 {
		t.Fatalf("%d mails for one event handled twice", got)
	}
}

func TestSMTPStartTLSWithAuth(t *testing.T) {
	certFile, keyFile := natstest.TLSFiles(t)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	srv := smtptest.Start(t, smtptest.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, User: "u", Password: "p"})
	msg, err := compose(&mail.Address{Address: "c@example.com"}, Mail{To: "r@example.com", Lang: "en", Subject: "Привет", Body: "line\nна русском", Unsubscribe: "https://x/u"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := &SMTP{Addr: srv.Addr, TLS: StartTLS, User: "u", Password: "p", RootCAs: pool}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(ctx, "c@example.com", "r@example.com", msg); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1, 5*time.Second)
	if got.Body != "line\nна русском\n" {
		t.Fatalf("body %q", got.Body)
	}
	if err := (&SMTP{Addr: srv.Addr, TLS: StartTLS, User: "u", Password: "wrong", RootCAs: pool}).Send(ctx, "c@example.com", "r@example.com", msg); err == nil {
		t.Fatal("a wrong password sent the mail")
	}
	if err := (&SMTP{Addr: srv.Addr, TLS: StartTLS}).Send(ctx, "c@example.com", "r@example.com", msg); err == nil {
		t.Fatal("an untrusted certificate was accepted")
	}
	if err := (&SMTP{Addr: "mail.example.com:25", TLS: NoTLS}).Validate(); err == nil {
		t.Fatal("plain SMTP to another host was allowed")
	}
}

func TestLinks(t *testing.T) {
	k := NewKeys([]byte("secret"))
	now := time.Now()
	h := k.AddressHash("A@B.c")
	if h != k.AddressHash(" a@b.C") || len(h) != 32 {
		t.Fatalf("hash %q not case-blind", h)
	}
	tok := k.Link(PurposeVerify, h, now.Add(time.Hour))
	if got, err := k.Open(PurposeVerify, tok, now); err != nil || got != h {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := k.Open(PurposeUnsubscribe, tok, now); err != ErrBadLink {
		t.Fatalf("a verify link used to unsubscribe: %v", err)
	}
	if _, err := k.Open(PurposeVerify, tok, now.Add(2*time.Hour)); err != ErrExpiredLink {
		t.Fatalf("expired: %v", err)
	}
	if _, err := NewKeys([]byte("other")).Open(PurposeVerify, tok, now); err != ErrBadLink {
		t.Fatalf("another installation's link: %v", err)
	}
	for _, bad := range []string{"", ".", tok[:len(tok)-2], "x" + tok, strings.Replace(tok, ".", "", 1)} {
		if _, err := k.Open(PurposeVerify, bad, now); err != ErrBadLink {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
