// Package embedded runs a NATS server with JetStream inside the process, the
// default so that one command runs the whole system, and in tests.
//
// The server always authenticates: each identity it is given gets a
// password made at its first start and kept in the store directory
// (credentials/<name>, mode 0600), so a restart, and commentctl on the
// same machine, find the same ones. Nobody connects anonymously.
package embedded

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Operator is the identity that may do everything; every server has it.
const Operator = "operator"

// Options configure an embedded server.
type Options struct {
	// StoreDir holds the JetStream files and the credentials.
	StoreDir string
	// Listen is host:port for outside clients such as the nats CLI; empty
	// keeps the server private to this process. A host other than a
	// loopback address needs TLSCert and TLSKey.
	Listen string
	// Name is the server's name, stable across restarts of one data dir.
	Name string
	// Identities are the users besides the operator, by name, with their
	// permissions.
	Identities map[string]*server.Permissions
	// TLSCert and TLSKey are the listener's certificate and key (PEM
	// files); clients on the listener must then use TLS.
	TLSCert, TLSKey string
	// Monitor is host:port of the server's HTTP monitoring endpoints
	// (/varz, /jsz, /connz, /healthz: what prometheus-nats-exporter
	// reads); empty runs none. Port 0 picks a free one (MonitorAddr).
	Monitor string
}

// ErrMonitorInUse is returned by Start when the monitoring address is
// taken, by another commentd most likely.
var ErrMonitorInUse = errors.New("embedded nats: monitoring address in use")

// Start runs a server and waits until it accepts connections.
func Start(o Options) (*server.Server, error) {
	opts := &server.Options{
		ServerName:         o.Name,
		JetStream:          true,
		StoreDir:           filepath.Clean(o.StoreDir),
		NoSigs:             true,
		NoLog:              true,
		DontListen:         o.Listen == "",
		Host:               "127.0.0.1",
		Port:               server.RANDOM_PORT,
		MaxPayload:         1 << 20,
		JetStreamMaxMemory: 256 << 20,
	}
	if o.Listen != "" {
		host, port, err := splitHostPort(o.Listen)
		if err != nil {
			return nil, err
		}
		if (o.TLSCert == "") != (o.TLSKey == "") {
			return nil, errors.New("embedded nats: give both a TLS certificate and its key, or neither")
		}
		if !loopback(host) && o.TLSCert == "" {
			return nil, fmt.Errorf("embedded nats: listen address %q takes clients from other machines: give it a TLS certificate and key (--nats-tls-cert, --nats-tls-key), or listen on 127.0.0.1", o.Listen)
		}
		opts.Host, opts.Port = host, port
	}
	if o.Monitor != "" {
		host, port, err := splitHostPort(o.Monitor)
		if err != nil {
			return nil, err
		}
		if port != server.RANDOM_PORT {
			// nats-server only logs a monitoring listener that fails, and
			// then never becomes ready: say why now.
			ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrMonitorInUse, o.Monitor, err)
			}
			ln.Close()
		}
		opts.HTTPHost, opts.HTTPPort = host, port
	}
	if o.TLSCert != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: o.TLSCert, KeyFile: o.TLSKey})
		if err != nil {
			return nil, fmt.Errorf("embedded nats: TLS: %w", err)
		}
		opts.TLSConfig, opts.TLS = tc, true
	}
	release, err := lockDir(opts.StoreDir)
	if err != nil {
		return nil, err
	}
	if opts.Users, err = users(opts.StoreDir, o.Identities); err != nil {
		release()
		return nil, err
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		release()
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	ns.Start()
	go func() { // the store is free again once the server is down
		ns.WaitForShutdown()
		release()
	}()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("embedded nats: not ready after 30s")
	}
	return ns, nil
}

// users are the server's users: the operator and each identity, with the
// password kept for it in dir.
func users(dir string, ids map[string]*server.Permissions) ([]*server.User, error) {
	names := []string{Operator}
	for name := range ids {
		if name != Operator {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var out []*server.User
	for _, name := range names {
		pw, err := password(dir, name, true)
		if err != nil {
			return nil, err
		}
		out = append(out, &server.User{Username: name, Password: pw, Permissions: ids[name]})
	}
	return out, nil
}

// CredentialsDir is where a store keeps its identities' passwords.
func CredentialsDir(storeDir string) string { return filepath.Join(storeDir, "credentials") }

// Password returns the password of the identity name of the server that
// stores in storeDir.
func Password(storeDir, name string) (string, error) {
	return password(storeDir, name, false)
}

// password reads name's password, making it first if create is set.
func password(storeDir, name string, create bool) (string, error) {
	dir := CredentialsDir(storeDir)
	file := filepath.Join(dir, name)
	b, err := os.ReadFile(file)
	if err == nil {
		if pw := strings.TrimSpace(string(b)); pw != "" {
			return pw, nil
		}
		return "", fmt.Errorf("embedded nats: %s is empty; delete it to make a new password", file)
	}
	if !errors.Is(err, os.ErrNotExist) || !create {
		return "", fmt.Errorf("embedded nats: credential: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("embedded nats: credentials: %w", err)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	pw := hex.EncodeToString(raw)
	// O_EXCL: a password someone else has written first wins.
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("embedded nats: credential: %w", err)
	}
	_, err = f.WriteString(pw + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("embedded nats: credential: %w", err)
	}
	return pw, nil
}

// loopback reports whether host only takes clients of this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("embedded nats: listen address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("embedded nats: listen address %q: bad port", addr)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	if port == 0 {
		port = server.RANDOM_PORT // nats-server reads 0 as its default, 4222
	}
	return host, port, nil
}
