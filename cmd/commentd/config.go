package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/notify"
	"github.com/newsroom/commentd/projections"
)

// Roles a process can take.
const (
	roleAPI       = "api"
	roleWorker    = "worker"
	roleProjector = "projector"
	// roleSetup provisions the stream, buckets and secret with the
	// operator's credential, then exits: the other roles' credentials may
	// use them but not create them.
	roleSetup = "setup"
)

// defaultNATSMonitor is where the embedded server's monitoring endpoints
// listen unless told otherwise: this machine only, the port nats-server
// uses.
const defaultNATSMonitor = "127.0.0.1:8222"

// Config is everything commentd reads from flags and the environment.
type Config struct {
	HTTPAddr           string
	DataDir            string
	NATSURL            string
	NATSListen         string
	NATSMonitor        string
	NATS               NATSConfig
	Roles              []string
	RulesFile          string
	RateLimitPerIP     int
	RateLimitPerAuthor int
	Replicas           int
	// Ignored are flags still accepted but without effect, which the
	// start logs.
	Ignored            []string
	MaxProjectionLag   uint64
	RebuildProjections bool
	LogFormat          string
	LogLevel           string
	AccessLog          bool
	ShutdownTimeout    time.Duration

	// Moderators.
	AdminToken       string
	Secret           string
	ReportsToHold    int
	RateLimitReports int
	SessionTTL       time.Duration

	// Readers.
	AllowedOrigins []string
	SSOSecret      string
	MaxReplyDepth  int
	EditWindow     time.Duration
	CachedComments int
	SearchWindow   int // comments the moderators' search holds
	TrustedProxies []netip.Prefix
	CookieSecure   bool

	// Readers' e-mail notifications (off while SMTP.Addr is empty).
	SMTP      SMTPConfig
	PublicURL string
}

// SMTPConfig is the mail server notifications go through.
type SMTPConfig struct {
	Addr, User, Password, From, TLS string
}

// notifications reports whether readers may leave an address to be told
// of replies and decisions.
func (c *Config) notifications() bool { return c.SMTP.Addr != "" }

// NATSConfig is how commentd reaches and secures NATS.
type NATSConfig struct {
	// A credential for --nats-url: a credentials file, or a user and
	// password. The embedded server makes its own.
	Creds, User, Password string
	// CA, Cert and Key: TLS to --nats-url.
	CA, Cert, Key string
	// TLSCert and TLSKey: the embedded server's listener.
	TLSCert, TLSKey string
	ConnectTimeout  time.Duration
}

// has reports whether the process takes role.
func (c *Config) has(role string) bool { return slices.Contains(c.Roles, role) }

// envName is the environment twin of a flag: --rate-limit-per-ip is
// COMMENTD_RATE_LIMIT_PER_IP.
func envName(flagName string) string {
	return "COMMENTD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseConfig reads flags; a flag not given on the command line takes its
// environment variable, if set.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	var roles string
	fs := flag.NewFlagSet("commentd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.HTTPAddr, "http-addr", ":8080", "address the HTTP server listens on")
	fs.StringVar(&c.DataDir, "data-dir", "./data", "where the embedded NATS server stores the stream")
	fs.StringVar(&c.NATSURL, "nats-url", "", "external NATS/JetStream servers (comma-separated URLs); empty runs an embedded server")
	fs.StringVar(&c.NATSListen, "nats-listen", "", "host:port where the embedded NATS server accepts clients such as the nats CLI; empty keeps it private")
	fs.StringVar(&c.NATSMonitor, "nats-monitor", defaultNATSMonitor, "host:port of the embedded NATS server's monitoring endpoints (/varz, /jsz) for prometheus-nats-exporter; empty turns them off")
	fs.StringVar(&c.NATS.Creds, "nats-creds", "", "NATS credentials file (user JWT and nkey seed) for --nats-url")
	fs.StringVar(&c.NATS.User, "nats-user", "", "NATS user for --nats-url (with --nats-password)")
	fs.StringVar(&c.NATS.Password, "nats-password", "", "password of --nats-user")
	fs.StringVar(&c.NATS.CA, "nats-ca", "", "PEM file of the CA that signed the --nats-url servers' certificates")
	fs.StringVar(&c.NATS.Cert, "nats-cert", "", "client certificate (PEM) for --nats-url servers that ask for one, with --nats-key")
	fs.StringVar(&c.NATS.Key, "nats-key", "", "key of --nats-cert (PEM)")
	fs.StringVar(&c.NATS.TLSCert, "nats-tls-cert", "", "certificate (PEM) of the embedded server's --nats-listen listener, with --nats-tls-key; needed to listen beyond loopback")
	fs.StringVar(&c.NATS.TLSKey, "nats-tls-key", "", "key of --nats-tls-cert (PEM)")
	fs.DurationVar(&c.NATS.ConnectTimeout, "nats-connect-timeout", 30*time.Second, "how long to keep trying to reach NATS at start before giving up")
	fs.StringVar(&roles, "roles", "api,worker,projector", "roles of this process: api, worker, projector (comma-separated); setup alone provisions the stream and buckets with the operator's credential and exits")
	fs.StringVar(&c.RulesFile, "rules", "", "rule file (YAML); empty uses the built-in rule set")
	fs.IntVar(&c.RateLimitPerIP, "rate-limit-per-ip", 60, "comments a minute from one address; 0 turns the limit off")
	fs.IntVar(&c.RateLimitPerAuthor, "rate-limit-per-author", 20, "comments a minute from one author; 0 turns the limit off")
	fs.IntVar(&c.Replicas, "replicas", 1, "replicas of the stream and buckets (3 on a 3-node cluster)")
	fs.Func("snapshot-every", "ignored: the views in JetStream KV keep their own checkpoints (the read models' snapshot is gone)", func(string) error {
		c.Ignored = append(c.Ignored, "--snapshot-every")
		return nil
	})
	fs.Uint64Var(&c.MaxProjectionLag, "max-projection-lag", 1000, "events the read models may lag behind the stream and still be ready")
	fs.BoolVar(&c.RebuildProjections, "rebuild-projections", false, "projector: at start, rebuild every view from sequence 1 into its spare bucket while the current one serves, then switch readers")
	fs.StringVar(&c.LogFormat, "log-format", "json", "log format: json or text")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.BoolVar(&c.AccessLog, "access-log", false, "log every HTTP request at info: method, route pattern, status, duration, bytes (never addresses, paths or text)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long a graceful shutdown may take")
	fs.StringVar(&c.AdminToken, "admin-token", "", "bootstrap secret accepted as 'Authorization: Bearer' with the admin role (make one with: openssl rand -hex 32); empty turns it off")
	fs.StringVar(&c.Secret, "secret", "", "key of the hashes that stand in for client addresses (reporters, rate limits, flood rules); empty makes one and keeps it in the ACCOUNTS bucket")
	fs.IntVar(&c.ReportsToHold, "reports-to-hold", 3, "readers' reports that hold a visible comment for review; 0 never holds")
	fs.IntVar(&c.RateLimitReports, "rate-limit-reports", 10, "reports a minute from one address; 0 turns the limit off")
	fs.DurationVar(&c.SessionTTL, "session-ttl", 12*time.Hour, "how long a moderator stays signed in")
	var origins string
	fs.StringVar(&origins, "allowed-origins", "", "origins whose pages may embed the widget, comma-separated (https://www.example.com); * for any")
	fs.StringVar(&c.SSOSecret, "sso-secret", "", "shared secret of the publisher's HS256 sign-in tokens; empty: anonymous readers only")
	fs.IntVar(&c.MaxReplyDepth, "max-reply-depth", 6, "how deep replies may nest")
	fs.DurationVar(&c.EditWindow, "edit-window", commands.DefaultEditWindow, "how long after posting readers may edit their comment (e.g. 10m; up to 24h)")
	fs.IntVar(&c.CachedComments, "cached-comments", projections.DefaultCachedComments, "api role: approved comments kept in memory, together, for the articles read most recently")
	fs.IntVar(&c.SearchWindow, "search-window", projections.DefaultRecentComments, "api role: comments changed most recently that the moderators' search holds in memory (an article's search reads all of its comments)")
	var proxies string
	fs.StringVar(&proxies, "trusted-proxies", "", "reverse proxies (CIDRs or addresses, comma-separated) whose X-Forwarded-For names the client; empty trusts nobody's")

	fs.StringVar(&c.SMTP.Addr, "smtp-addr", "", "host:port of the mail server that sends readers' notifications (replies, decisions on held comments); empty turns notifications off")
	fs.StringVar(&c.SMTP.User, "smtp-user", "", "user of --smtp-addr (PLAIN authentication); empty: none")
	fs.StringVar(&c.SMTP.Password, "smtp-password", "", "password of --smtp-user (better in COMMENTD_SMTP_PASSWORD; never logged)")
	fs.StringVar(&c.SMTP.From, "smtp-from", "", "sender of notification mails, e.g. 'Comments <comments@example.com>' (required with --smtp-addr)")
	fs.StringVar(&c.SMTP.TLS, "smtp-tls", "starttls", "how the mail server connection is protected: starttls (port 587), tls (port 465), none (only to a server on localhost)")
	fs.StringVar(&c.PublicURL, "public-url", "", "base URL readers reach commentd at, for the links in notification mails, e.g. https://comments.example.com (required with --smtp-addr)")

	fs.BoolVar(&c.CookieSecure, "cookie-secure", true, "make the moderators' session cookie Secure with the __Host- prefix (HTTPS only); default: on unless --http-addr is a loopback address")

	set := map[string]bool{}
	var err error
	if err = fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", envName(f.Name), v, err))
			}
			set[f.Name] = true
		}
	})
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	for r := range strings.SplitSeq(roles, ",") {
		r = strings.TrimSpace(r)
		switch r {
		case roleAPI, roleWorker, roleProjector, roleSetup:
			if !c.has(r) {
				c.Roles = append(c.Roles, r)
			}
		case "":
		default:
			return c, fmt.Errorf("--roles: unknown role %q (want api, worker, projector, or setup alone)", r)
		}
	}
	if len(c.Roles) == 0 {
		return c, errors.New("--roles: name at least one role")
	}
	if c.has(roleSetup) && len(c.Roles) > 1 {
		return c, errors.New("--roles: setup runs alone")
	}
	if err := c.NATS.validate(c.NATSURL); err != nil {
		return c, err
	}
	if c.RateLimitPerIP < 0 || c.RateLimitPerAuthor < 0 {
		return c, errors.New("rate limits are requests a minute, 0 or more")
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		return c, errors.New("--replicas is 1 to 5")
	}
	if c.AdminToken != "" {
		if err := accounts.CheckSecret(c.AdminToken); err != nil {
			return c, fmt.Errorf("--admin-token: %w", err)
		}
	}
	if c.ReportsToHold < 0 || c.RateLimitReports < 0 {
		return c, errors.New("--reports-to-hold and --rate-limit-reports are 0 or more")
	}
	if c.SessionTTL < time.Minute {
		return c, errors.New("--session-ttl is at least a minute")
	}
	if c.AllowedOrigins, err = parseOrigins(origins); err != nil {
		return c, fmt.Errorf("--allowed-origins: %w", err)
	}
	if c.SSOSecret != "" && len(c.SSOSecret) < 32 {
		return c, errors.New("--sso-secret: use at least 32 characters; a short HMAC key can be guessed offline")
	}
	if c.TrustedProxies, err = parsePrefixes(proxies); err != nil {
		return c, fmt.Errorf("--trusted-proxies: %w", err)
	}
	if c.SearchWindow < 1 {
		return c, errors.New("--search-window is at least 1")
	}
	if c.CachedComments < 1 {
		return c, errors.New("--cached-comments is at least 1")
	}
	if c.MaxReplyDepth < 1 || c.MaxReplyDepth > 50 {
		return c, errors.New("--max-reply-depth is 1 to 50")
	}
	if c.EditWindow < time.Second || c.EditWindow > 24*time.Hour {
		return c, errors.New("--edit-window is 1s to 24h")
	}
	if !set["cookie-secure"] {
		// Plain HTTP is for a developer's machine; anything reachable
		// from elsewhere is behind HTTPS, or should be.
		c.CookieSecure = !loopbackAddr(c.HTTPAddr)
	}
	if err := c.validateSMTP(); err != nil {
		return c, err
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return c, errors.New("--log-format is json or text")
	}
	return c, nil
}

func (n NATSConfig) validate(url string) error {
	if url == "" && (n.Creds != "" || n.User != "" || n.Password != "" || n.CA != "" || n.Cert != "" || n.Key != "") {
		return errors.New("--nats-creds, --nats-user, --nats-password, --nats-ca, --nats-cert and --nats-key are for --nats-url; the embedded server makes its own credentials")
	}
	if url != "" && (n.TLSCert != "" || n.TLSKey != "") {
		return errors.New("--nats-tls-cert and --nats-tls-key are the embedded server's; with --nats-url use --nats-ca (and --nats-cert, --nats-key)")
	}
	if (n.TLSCert == "") != (n.TLSKey == "") {
		return errors.New("--nats-tls-cert and --nats-tls-key go together")
	}
	if n.ConnectTimeout < 0 {
		return errors.New("--nats-connect-timeout is 0 or more")
	}
	return n.conn().Validate()
}

// parseOrigins reads a list of browser origins: scheme://host[:port], no
// path, or "*".
func parseOrigins(v string) ([]string, error) {
	var out []string
	for o := range strings.SplitSeq(v, ",") {
		o = strings.TrimSuffix(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		if o == "*" {
			out = append(out, o)
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("%q is not an origin like https://www.example.com", o)
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out, nil
}

// parsePrefixes reads a list of CIDRs; a bare address is its own /32 or
// /128. A prefix that covers every address is refused: trusting any peer's
// X-Forwarded-For lets every client choose its own address.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a CIDR like 10.0.0.0/8 or an address", s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		if p.Bits() == 0 {
			return nil, fmt.Errorf("%q trusts every address, so any client could claim any address", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// loopbackAddr reports whether a listen address (host:port) takes
// connections from this machine only: localhost or a loopback address. An
// empty host listens on every interface.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// validateSMTP checks the notification flags: all or nothing.
func (c *Config) validateSMTP() error {
	if !c.notifications() {
		if c.SMTP.User != "" || c.SMTP.Password != "" || c.SMTP.From != "" {
			return errors.New("--smtp-user, --smtp-password and --smtp-from need --smtp-addr")
		}
		return nil
	}
	if _, err := c.smtpMailer(); err != nil {
		return fmt.Errorf("--smtp-addr: %w", err)
	}
	if c.SMTP.From == "" {
		return errors.New("--smtp-from: notification mails need a sender, e.g. 'Comments <comments@example.com>'")
	}
	if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
		return fmt.Errorf("--smtp-from %q: %w", c.SMTP.From, err)
	}
	u, err := url.Parse(c.PublicURL)
	if c.PublicURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("--public-url: notification mails link back to commentd; give its base URL, e.g. https://comments.example.com")
	}
	return nil
}

// smtpMailer is the mail server of --smtp-addr.
func (c *Config) smtpMailer() (*notify.SMTP, error) {
	m := &notify.SMTP{Addr: c.SMTP.Addr, User: c.SMTP.User, Password: c.SMTP.Password, TLS: notify.TLS(c.SMTP.TLS)}
	return m, m.Validate()
}
