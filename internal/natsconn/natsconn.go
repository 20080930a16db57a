// Package natsconn is how commentd and commentctl open a NATS connection:
// with a credential, optional TLS, a log line for each disconnect,
// reconnect, error and close, and a first connection retried with back-off
// for a bounded time, so a process started before its servers waits for
// them instead of exiting.
package natsconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Config is one connection's identity and where it goes.
type Config struct {
	Name string // the client name servers show
	URL  string // comma-separated; empty with an in-process server option
	// One credential: a NATS credentials file (a user JWT and its nkey
	// seed, as nsc writes them), or a user and password.
	CredsFile      string
	User, Password string
	// InboxPrefix is where replies arrive; empty is NATS's _INBOX.
	InboxPrefix string
	// CAFile is the CA that signed the servers' certificates; CertFile
	// and KeyFile are a client certificate, for servers that ask for one.
	CAFile, CertFile, KeyFile string
	// ConnectTimeout bounds how long the first connection is retried.
	ConnectTimeout time.Duration
	Logger         *slog.Logger
	// Refused, when set, is called with each permissions violation the
	// server reports: a refused request is never answered, so a caller
	// that must not wait out its deadline can give up at once.
	Refused func(error)
}

// Validate reports a credential given twice or a half client certificate.
func (c Config) Validate() error {
	if c.CredsFile != "" && (c.User != "" || c.Password != "") {
		return errors.New("give a NATS credentials file or a user and password, not both")
	}
	if (c.User == "") != (c.Password == "") {
		return errors.New("a NATS user needs its password, and a password its user")
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("a NATS client certificate needs its key, and a key its certificate")
	}
	return nil
}

// Dial connects, retrying a refused or unreachable first connection with
// back-off until c.ConnectTimeout has passed or ctx ends. A wrong
// credential is not retried. Once connected, the connection reconnects
// forever; closed is closed when it is closed for good.
func Dial(ctx context.Context, c Config, extra ...nats.Option) (nc *nats.Conn, closed <-chan struct{}, err error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	logger := c.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "nats", "conn", c.Name)
	done := make(chan struct{})
	lim := &limiter{every: 10 * time.Second}
	opts := []nats.Option{
		nats.Name(c.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil && lim.allow("disconnect") {
				logger.Warn("nats disconnected", "err", err, "repeats", lim.repeats("disconnect"))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			if lim.allow("reconnect") {
				logger.Info("nats reconnected", "url", nc.ConnectedUrlRedacted(), "repeats", lim.repeats("reconnect"))
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if c.Refused != nil && errors.Is(err, nats.ErrPermissionViolation) {
				c.Refused(err)
			}
			if lim.allow("error:" + errKind(err)) {
				logger.Error("nats error", "err", err, "repeats", lim.repeats("error:"+errKind(err)))
			}
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			if err := nc.LastError(); err != nil {
				logger.Warn("nats connection closed", "err", err)
			} else {
				logger.Debug("nats connection closed")
			}
			close(done)
		}),
	}
	switch {
	case c.CredsFile != "":
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	case c.User != "":
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	if c.InboxPrefix != "" {
		opts = append(opts, nats.CustomInboxPrefix(c.InboxPrefix))
	}
	if c.CAFile != "" {
		opts = append(opts, nats.RootCAs(c.CAFile))
	}
	if c.CertFile != "" {
		opts = append(opts, nats.ClientCert(c.CertFile, c.KeyFile))
	}
	opts = append(opts, extra...)

	deadline := time.Now().Add(c.ConnectTimeout)
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		nc, err = nats.Connect(c.URL, opts...)
		if err == nil {
			if attempt > 1 {
				logger.Info("nats connected", "url", nc.ConnectedUrlRedacted(), "attempts", attempt)
			}
			return nc, done, nil
		}
		if permanent(err) {
			return nil, nil, fmt.Errorf("connect to NATS as %s: %w", c.Name, err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil, fmt.Errorf("connect to NATS (%d attempts in %s): %w", attempt, c.ConnectTimeout, err)
		}
		if attempt == 1 {
			logger.Warn("nats not reachable yet; retrying", "err", err, "for", c.ConnectTimeout.String())
		}
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("connect to NATS: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(min(wait, left)):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// permanent errors do not go away by retrying: a refused credential, a
// bad option or file.
func permanent(err error) bool {
	return errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) ||
		errors.Is(err, nats.ErrAuthRevoked) || errors.Is(err, os.ErrNotExist) ||
		strings.Contains(strings.ToLower(err.Error()), "authorization violation")
}

// errKind groups errors for rate limiting: a permissions violation names
// its subject, and the same one repeats.
func errKind(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

// limiter lets one log line of a kind through every so often, and counts
// the ones it held back, so a flapping connection does not flood the log.
type limiter struct {
	every time.Duration
	mu    sync.Mutex
	last  map[string]time.Time
	held  map[string]int
}

func (l *limiter) allow(kind string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last, l.held = map[string]time.Time{}, map[string]int{}
	}
	if t, ok := l.last[kind]; ok && time.Since(t) < l.every {
		l.held[kind]++
		return false
	}
	l.last[kind] = time.Now()
	return true
}

// repeats is how many lines of kind were held back before this one, and
// starts the count again.
func (l *limiter) repeats(kind string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.held[kind]
	l.held[kind] = 0
	return n
}
