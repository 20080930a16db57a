package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/internal/natsconn"
)

// defaultDataDir is commentd's default --data-dir.
const defaultDataDir = "./data"

// getenv reads the environment; tests replace it.
var getenv = os.Getenv

// connection is how every subcommand that needs the installation reaches
// its JetStream: the servers of a running deployment (--nats-url), or the
// store of a stopped single-binary install, opened in-process
// (--data-dir).
//
// Which one, first match wins:
//
//  1. --nats-url on the command line;
//  2. --data-dir on the command line;
//  3. COMMENTD_NATS_URL in the environment;
//  4. COMMENTD_DATA_DIR in the environment, else ./data.
//
// A flag beats the environment, and at the same level a URL beats a data
// dir, just as commentd reads them: commentctl run with commentd's
// environment reaches commentd's store.
//
// Both flags at once mean a running single-binary install on this
// machine, reached at its --nats-listen address with the operator's
// credential from its data dir. A URL alone signs in with --nats-creds or
// --nats-user and --nats-password (or their COMMENTD_ twins).
type connection struct {
	fs       *flag.FlagSet
	natsURL  string
	dataDir  string
	creds    string
	user     string
	password string
	ca       string
	// server is the in-process server open started for a data dir; nil
	// for --nats-url.
	server *server.Server
}

// flags adds the connection's flags to fs.
func (c *connection) flags(fs *flag.FlagSet) {
	c.fs = fs
	fs.StringVar(&c.natsURL, "nats-url", "", "NATS servers of a running deployment, comma-separated (env COMMENTD_NATS_URL); commentd's embedded server takes clients only with --nats-listen")
	fs.StringVar(&c.dataDir, "data-dir", "", "data dir of a stopped single-binary install, opened in-process (env COMMENTD_DATA_DIR, default "+defaultDataDir+"); with --nats-url, of a running one on this machine, whose operator credential it holds")
	fs.StringVar(&c.creds, "nats-creds", "", "NATS credentials file of the operator, for --nats-url (env COMMENTD_NATS_CREDS)")
	fs.StringVar(&c.user, "nats-user", "", "NATS user for --nats-url, the operator (env COMMENTD_NATS_USER)")
	fs.StringVar(&c.password, "nats-password", "", "password of --nats-user (env COMMENTD_NATS_PASSWORD)")
	fs.StringVar(&c.ca, "nats-ca", "", "CA of the --nats-url servers' certificates, PEM (env COMMENTD_NATS_CA)")
}

// target says where the flags and environment point: a URL (and maybe
// the data dir of the install behind it), or else a data dir.
type target struct {
	url     string
	dataDir string
}

func (t target) String() string {
	if t.url != "" {
		return t.url
	}
	return "data dir " + t.dataDir
}

// target resolves the precedence documented on connection; call it after
// the flags are parsed.
func (c *connection) target() (target, error) {
	set := map[string]bool{}
	if c.fs != nil {
		c.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	}
	switch {
	case set["nats-url"] && set["data-dir"] && c.natsURL != "" && c.dataDir != "":
		return target{url: c.natsURL, dataDir: c.dataDir}, nil
	case set["nats-url"] && c.natsURL != "":
		return target{url: c.natsURL}, nil
	case set["data-dir"] && c.dataDir != "":
		return target{dataDir: c.dataDir}, nil
	case getenv("COMMENTD_NATS_URL") != "":
		return target{url: getenv("COMMENTD_NATS_URL")}, nil
	case getenv("COMMENTD_DATA_DIR") != "":
		return target{dataDir: getenv("COMMENTD_DATA_DIR")}, nil
	}
	return target{dataDir: defaultDataDir}, nil
}

// open connects to the installation and returns a function that closes
// everything it started. A data dir must hold a JetStream store already
// unless create is set: a typo in --data-dir, or commentctl run from the
// wrong directory, must not report an empty installation. Only
// bootstrapping (the first admin, before commentd ever ran) creates one.
func (c *connection) open(create bool) (jetstream.JetStream, func(), error) {
	t, err := c.target()
	if err != nil {
		return nil, nil, err
	}
	var ns *server.Server
	cc := natsconn.Config{Name: "commentctl", URL: t.url, ConnectTimeout: 5 * time.Second}
	cc.CredsFile, cc.User, cc.Password, cc.CAFile = c.setting("nats-creds", c.creds), c.setting("nats-user", c.user), c.setting("nats-password", c.password), c.setting("nats-ca", c.ca)
	var opts []nats.Option
	if t.url != "" && t.dataDir != "" && cc.CredsFile == "" && cc.User == "" {
		if cc.Password, err = embedded.Password(t.dataDir, embedded.Operator); err != nil {
			return nil, nil, fmt.Errorf("the operator's credential of %s: %w", t.dataDir, err)
		}
		cc.User = embedded.Operator
	}
	if t.url == "" {
		if !create {
			if _, err := os.Stat(filepath.Join(t.dataDir, "jetstream")); err != nil {
				return nil, nil, fmt.Errorf("no commentd store in %s (%w); point --data-dir at a stopped install's data dir, or --nats-url at a running deployment", t.dataDir, err)
			}
		}
		// The embedded server gets commentd's name, so it reads the store
		// exactly as commentd does. It must not run on a data dir that a
		// commentd is using: two servers on one store corrupt it.
		ns, err = embedded.Start(embedded.Options{StoreDir: t.dataDir, Name: "commentd"})
		if err != nil {
			return nil, nil, fmt.Errorf("open data dir %s: %w", t.dataDir, err)
		}
		opts = append(opts, nats.InProcessServer(ns))
		if cc.Password, err = embedded.Password(t.dataDir, embedded.Operator); err != nil {
			shutdown(ns)
			return nil, nil, err
		}
		cc.User, cc.CredsFile, cc.CAFile = embedded.Operator, "", ""
	}
	nc, _, err := natsconn.Dial(context.Background(), cc, opts...)
	if err != nil {
		shutdown(ns)
		return nil, nil, fmt.Errorf("connect to %s: %w", t, err)
	}
	c.server = ns
	closeAll := func() {
		nc.Close()
		shutdown(ns) // flushes the store
	}
	js, err := jetstream.New(nc)
	if err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("jetstream on %s: %w", t, err)
	}
	return js, closeAll, nil
}

// setting is a connection flag's value, or else its environment twin.
func (c *connection) setting(name, value string) string {
	set := false
	if c.fs != nil {
		c.fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	}
	if set {
		return value
	}
	return getenv("COMMENTD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")))
}

// attachLog opens the existing COMMENTS log without changing its
// configuration (commentd owns that).
func (c *connection) attachLog(ctx context.Context) (*events.Log, func(), error) {
	js, closeAll, err := c.open(false)
	if err != nil {
		return nil, nil, err
	}
	log, err := events.Attach(ctx, js)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return log, closeAll, nil
}

func shutdown(ns *server.Server) {
	if ns != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
	}
}

// withTimeout bounds a short subcommand's I/O; export and rebuild, which
// read the whole log, run until done or interrupted.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 30*time.Second)
}
