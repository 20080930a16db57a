package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/projections"
	"github.com/newsroom/commentd/web"
)

// run is the whole program: it returns when ctx ends (after a graceful
// shutdown) or when a part of it fails.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	logger, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}

	// The connection to NATS: an embedded server by default.
	var ns *server.Server
	natsOpts := []nats.Option{nats.Name("commentd"), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	url := cfg.NATSURL
	if url == "" {
		ns, err = embedded.Start(embedded.Options{StoreDir: cfg.DataDir, Listen: cfg.NATSListen, Name: "commentd"})
		if err != nil {
			return err
		}
		defer func() {
			ns.Shutdown()
			ns.WaitForShutdown()
		}()
		// In-process: no TCP between the API and its own server.
		natsOpts = append(natsOpts, nats.InProcessServer(ns))
		logger.Info("embedded NATS started", "store_dir", filepath.Join(cfg.DataDir, "jetstream"), "listen", cfg.NATSListen)
	}
	nc, err := nats.Connect(url, natsOpts...)
	if err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	published := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "comments_events_published_total", Help: "Events stored in the log, by event type.",
	}, []string{"type"})
	reg.MustRegister(published)

	openCtx, cancelOpen := context.WithTimeout(ctx, 30*time.Second)
	defer cancelOpen()
	log, err := events.Open(openCtx, js, events.Config{
		Replicas: cfg.Replicas,
		OnAppend: func(t events.Type) { published.WithLabelValues(string(t)).Inc() },
	})
	if err != nil {
		return err
	}

	// Background parts run until work ends; HTTP stops first on shutdown
	// so that nothing new arrives while they finish.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var wg sync.WaitGroup
	failed := make(chan error, 3)
	goRun := func(name string, f func(context.Context) error) {
		wg.Go(func() {
			if err := f(work); err != nil {
				failed <- fmt.Errorf("%s: %w", name, err)
			}
		})
	}

	ready := func() bool { return true }
	var views *projections.Store
	if cfg.has(roleAPI) || cfg.has(roleProjector) {
		views = projections.NewStore()
		p := &projections.Projector{
			Log: log, Store: views, Rebuild: cfg.RebuildProjections, MaxLag: cfg.MaxProjectionLag,
			Logger: logger.With("component", "projector"),
		}
		if p.Snapshots, err = projections.OpenSnapshots(openCtx, js, cfg.Replicas); err != nil {
			return err
		}
		if cfg.has(roleProjector) {
			p.SaveEvery = cfg.SnapshotEvery
		}
		p.Metrics = projections.NewMetrics(reg, p)
		ready = p.Ready
		goRun("projector", p.Run)
	}
	if cfg.has(roleWorker) {
		rules, err := loadRules(cfg.RulesFile)
		if err != nil {
			return err
		}
		w := &moderation.Worker{
			Log: log, Rules: func() *moderation.Ruleset { return rules },
			Logger: logger.With("component", "worker"), Metrics: moderation.NewWorkerMetrics(reg),
		}
		goRun("worker", w.Run)
	}
	if !cfg.has(roleAPI) {
		views = nil
	}

	handler := web.New(web.Config{
		Log: log, Views: views, Ready: ready,
		RateLimitPerIP: cfg.RateLimitPerIP, RateLimitPerAuthor: cfg.RateLimitPerAuthor,
		Logger: logger.With("component", "http"), Registry: reg,
	})
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			failed <- fmt.Errorf("http: %w", err)
		}
	})
	logger.Info("commentd started", "http", ln.Addr().String(), "roles", cfg.Roles)
	if cfg.has(roleAPI) {
		fmt.Fprintf(stdout, "commentd: serving http://%s/articles/%s\n", displayAddr(ln.Addr()), web.DemoArticle)
	} else {
		fmt.Fprintf(stdout, "commentd: %v on http://%s\n", cfg.Roles, displayAddr(ln.Addr()))
	}

	select {
	case <-ctx.Done():
		err = nil
	case err = <-failed:
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil {
		logger.Error("http shutdown", "err", serr)
	}
	stopWork()
	wg.Wait()
	if derr := nc.Drain(); derr != nil && !errors.Is(derr, nats.ErrConnectionClosed) {
		logger.Warn("nats drain", "err", derr)
	}
	for nc.Status() != nats.CLOSED && sctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	logger.Info("stopped")
	return err
}

func newLogger(cfg Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}

// loadRules reads the rule file, or returns the built-in rule set.
func loadRules(path string) (*moderation.Ruleset, error) {
	if path == "" {
		return moderation.NewWordlist([]string{"fuck", "shit", "cunt", "motherfucker", "asshole"}), nil
	}
	return nil, fmt.Errorf("--rules %s: rule files arrive with the rules engine", path)
}

// displayAddr turns a wildcard listen address into one a browser opens.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
