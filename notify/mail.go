package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"
)

// Mail is one message to one reader, before it is written out.
type Mail struct {
	Kind    Kind
	To      string
	Lang    string
	Subject string
	Body    string
	// Unsubscribe is the one-click link (RFC 8058) of this mail's
	// List-Unsubscribe header; the body says it too.
	Unsubscribe string
}

// Mailer sends one written message. An error that wraps ErrRejected will
// never succeed (the server refused the address); any other may later.
type Mailer interface {
	Send(ctx context.Context, from, to string, msg []byte) error
}

// ErrRejected: the mail server refused the message for good (a 5xx
// answer: no such mailbox, a refused sender). Sending it again would not
// help.
var ErrRejected = errors.New("notify: the mail server refused the message")

// compose writes m as a plain-text message (UTF-8, quoted-printable) from
// from, with the headers a bulk sender owes: List-Unsubscribe with its
// one-click POST (RFC 8058) and Auto-Submitted (RFC 3834, so that
// autoresponders stay quiet).
func compose(from *mail.Address, m Mail, now time.Time) ([]byte, error) {
	for _, s := range []string{m.To, m.Subject, m.Unsubscribe} {
		if strings.ContainsAny(s, "\r\n") {
			return nil, errors.New("notify: a header with a line break")
		}
	}
	domain := "localhost"
	if at := strings.LastIndexByte(from.Address, '@'); at >= 0 {
		domain = from.Address[at+1:]
	}
	id := make([]byte, 16)
	rand.Read(id)
	var b bytes.Buffer
	h := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	h("From", from.String())
	h("To", (&mail.Address{Address: m.To}).String())
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", "<"+hex.EncodeToString(id)+"@"+domain+">")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	h("Content-Language", m.Lang)
	h("Auto-Submitted", "auto-generated")
	h("List-Unsubscribe", "<"+m.Unsubscribe+">")
	h("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	b.WriteString("\r\n")
	body := strings.ReplaceAll(strings.TrimRight(m.Body, "\n")+"\n", "\n", "\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// TLS is how the SMTP connection is protected.
type TLS string

const (
	// StartTLS: plain TCP, then STARTTLS before anything else (port
	// 587); a server that does not offer it is refused.
	StartTLS TLS = "starttls"
	// ImplicitTLS: TLS from the first byte (port 465).
	ImplicitTLS TLS = "tls"
	// NoTLS: plain text, only to a server on this machine (a local relay).
	NoTLS TLS = "none"
)

// SMTP sends through one mail server (net/smtp).
type SMTP struct {
	Addr           string // host:port
	User, Password string // PLAIN authentication when User is set
	TLS            TLS
	// RootCAs are the CAs the server's certificate is checked against;
	// nil: the system's.
	RootCAs *x509.CertPool
	// Timeout bounds one message's whole conversation (30 s when 0).
	Timeout time.Duration
}

// Validate checks the configuration before anything is sent.
func (m *SMTP) Validate() error {
	host, port, err := net.SplitHostPort(m.Addr)
	if err != nil || host == "" || port == "" {
		return fmt.Errorf("smtp address %q is not host:port", m.Addr)
	}
	switch m.TLS {
	case StartTLS, ImplicitTLS:
	case NoTLS:
		if !isLoopback(host) {
			return errors.New("smtp without TLS is only for a server on this machine (localhost)")
		}
	default:
		return fmt.Errorf("smtp tls %q: want starttls, tls or none", m.TLS)
	}
	if m.Password != "" && m.User == "" {
		return errors.New("an smtp password without a user")
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send delivers msg to one recipient.
func (m *SMTP) Send(ctx context.Context, from, to string, msg []byte) error {
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return err
	}
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("notify: smtp dial: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) }) // a shutdown interrupts
	defer stop()
	cfg := &tls.Config{ServerName: host, RootCAs: m.RootCAs, MinVersion: tls.VersionTLS12}
	if m.TLS == ImplicitTLS {
		conn = tls.Client(conn, cfg)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return smtpErr("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(helloName()); err != nil {
		return smtpErr("ehlo", err)
	}
	if m.TLS == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("notify: the smtp server offers no STARTTLS (use --smtp-tls tls for port 465)")
		}
		if err := c.StartTLS(cfg); err != nil {
			return smtpErr("starttls", err)
		}
	}
	if m.User != "" {
		if err := c.Auth(smtp.PlainAuth("", m.User, m.Password, host)); err != nil {
			return smtpErr("auth", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return smtpErr("mail from", err)
	}
	if err := c.Rcpt(to); err != nil {
		return smtpErr("rcpt to", err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpErr("data", err)
	}
	if _, err := w.Write(msg); err != nil {
		return smtpErr("data", err)
	}
	if err := w.Close(); err != nil {
		return smtpErr("data", err)
	}
	_ = c.Quit() // the message is taken once DATA is answered
	return nil
}

// helloName is this machine's name for EHLO: some servers refuse
// "localhost" from elsewhere.
func helloName() string {
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \t\r\n") {
		return h
	}
	return "localhost"
}

// smtpErr marks the server's permanent refusals (5xx) as ErrRejected,
// except of authentication, which is the operator's to fix and then
// succeeds.
func smtpErr(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && step != "auth" && step != "starttls" {
		return fmt.Errorf("%w: %s: %v", ErrRejected, step, err)
	}
	return fmt.Errorf("notify: smtp %s: %w", step, err)
}
