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
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/deadletter"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/internal/logthrottle"
	"github.com/newsroom/commentd/internal/natsperm"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/notify"
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
	for _, f := range cfg.Ignored {
		logger.Warn("flag ignored: the views keep their own checkpoints in JetStream KV; drop it from the command line", "flag", f)
	}
	// The HTTP address first: a start that cannot serve (the port is
	// taken) fails before it makes anything, ./data included.
	var ln net.Listener
	if !cfg.has(roleSetup) {
		if ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return fmt.Errorf("http: %w", err)
		}
		defer ln.Close()
	}
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	if cfg.has(roleSetup) {
		fmt.Fprintln(stdout, "commentd: provisioned")
		return nil
	}
	return a.serve(ctx, ln, stdout)
}

// app is one commentd process: its connection, its roles and its HTTP
// server, built by newApp and run by serve.
type app struct {
	cfg       Config
	logger    *slog.Logger
	ns        *server.Server // nil with an external NATS
	conns     []*conn
	js        map[string]jetstream.JetStream // by identity (nats.go)
	projector *projections.Projector
	worker    *moderation.Worker          // nil without the worker role
	holds     *commands.ReportsHold       // beside the worker
	notifier  *notify.Notifier            // beside the worker, with --smtp-addr
	facts     *projections.FactsView      // what the worker decides with
	search    *projections.RecentComments // the moderators' search, with the api
	// watchers keep this process's copies of the views current (the
	// api's queues and articles' settings, the worker's facts).
	watchers []func(context.Context) error
	rules    *moderation.Rules // the rule set in force, with the worker
	log      *events.Log
	handler  http.Handler
	web      *web.Server
	articles *projections.ArticleCache // with the api role
	views    *apiViews                 // with the api role
	restored chan struct{}             // closed when readers may be served
}

func newApp(ctx context.Context, cfg Config, logger *slog.Logger) (a *app, err error) {
	a = &app{cfg: cfg, logger: logger}
	defer func() {
		if err != nil {
			a.close()
		}
	}()

	// NATS: an embedded server by default, which knows every role's
	// identity and the operator's.
	if cfg.NATSURL == "" {
		opts := embedded.Options{
			StoreDir: cfg.DataDir, Listen: cfg.NATSListen, Name: "commentd", Identities: natsperm.Identities(),
			TLSCert: cfg.NATS.TLSCert, TLSKey: cfg.NATS.TLSKey, Monitor: cfg.NATSMonitor,
		}
		a.ns, err = embedded.Start(opts)
		if errors.Is(err, embedded.ErrMonitorInUse) && cfg.NATSMonitor == defaultNATSMonitor {
			// A second all-in-one on one machine: it runs, unmonitored,
			// rather than not at all.
			logger.Warn("embedded NATS without monitoring: its default address is taken; give --nats-monitor another", "err", err)
			opts.Monitor = ""
			a.ns, err = embedded.Start(opts)
		}
		if err != nil {
			return a, err
		}
		monitor := ""
		if addr := a.ns.MonitorAddr(); addr != nil {
			monitor = "http://" + addr.String()
		}
		logger.Info("embedded NATS started", "store_dir", filepath.Join(cfg.DataDir, "jetstream"), "listen", cfg.NATSListen,
			"monitor", monitor, "credentials", embedded.CredentialsDir(cfg.DataDir))
	}
	// The roles may use the stream and buckets but not create them: the
	// all-in-one provisions them as the operator, and so does --roles
	// setup on a cluster, before the roles start (nats.go).
	if a.ns != nil || cfg.has(roleSetup) {
		if err := a.provision(ctx); err != nil || cfg.has(roleSetup) {
			return a, err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	published := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "comments_events_published_total", Help: "Events stored in the log, by event type.",
	}, []string{"type"})
	for _, t := range publishedTypes {
		published.WithLabelValues(string(t)) // the first of each shows in increase()
	}
	reg.MustRegister(published, buildInfo())
	onAppend := func(t events.Type) { published.WithLabelValues(string(t)).Inc() }

	// The log as this process reads it: with the projector's identity if
	// it has that role (it reads the whole log), else its first role's.
	readerRole := cfg.Roles[0]
	if cfg.has(roleProjector) {
		readerRole = roleProjector
	}
	log, err := a.attach(ctx, readerRole)
	if err != nil {
		return a, err
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// Every role reports the dead letters' count.
	rjs, err := a.jsFor(ctx, readerRole)
	if err != nil {
		return a, err
	}
	dead, err := deadletter.Attach(sctx, rjs)
	if err != nil {
		return a, fmt.Errorf("%w (%s)", err, notProvisioned)
	}
	deadletter.NewCollector(reg, dead, logger.With("component", "deadletter"), moderation.ConsumerName, commands.ReportsHoldConsumer, notify.ConsumerName)

	if cfg.has(roleProjector) {
		// The projector role is the views' one writer, in the buckets the
		// catalog names, and performs the operator's rebuilds.
		a.projector = &projections.Projector{
			Log: log, Rebuild: cfg.RebuildProjections, MaxLag: cfg.MaxProjectionLag,
			Logger: logger.With("component", "projector"), Metrics: projections.NewMetrics(reg),
		}
		if a.projector.Catalog, err = projections.AttachCatalog(sctx, rjs); err != nil {
			return a, fmt.Errorf("%w (%s)", err, notProvisioned)
		}
		if a.projector.Status, err = projections.AttachCurrentStatusView(sctx, a.projector.Catalog); err != nil {
			return a, fmt.Errorf("%w (%s)", err, notProvisioned)
		}
		for _, v := range []struct {
			bucket string
			writer func(jetstream.KeyValue) projections.ViewWriter
		}{
			{projections.ArticlesBucket, func(kv jetstream.KeyValue) projections.ViewWriter { return projections.NewArticleWriter(kv) }},
			{projections.QueuesBucket, func(kv jetstream.KeyValue) projections.ViewWriter { return projections.NewQueuesWriter(kv) }},
			{projections.FactsBucket, func(kv jetstream.KeyValue) projections.ViewWriter { return projections.NewFactsWriter(kv) }},
		} {
			kv, err := a.projector.Catalog.Bucket(sctx, v.bucket)
			if err != nil {
				return a, fmt.Errorf("%w (%s)", err, notProvisioned)
			}
			a.projector.Views = append(a.projector.Views, v.writer(kv))
		}
	}
	a.log = log
	if cfg.has(roleWorker) {
		if a.log, err = a.attach(ctx, roleWorker); err != nil {
			return a, err
		}
		a.log.OnAppend(onAppend)
		if a.rules, err = loadRules(sctx, a.log, cfg.RulesFile, logger); err != nil {
			return a, err
		}
		a.worker = &moderation.Worker{
			Log: a.log, Rules: a.rules.Current, Flood: moderation.NewFloodTracker(),
			Logger: logger.With("component", "worker"), Metrics: moderation.NewWorkerMetrics(reg),
		}
		wjs, err := a.jsFor(ctx, roleWorker)
		if err != nil {
			return a, err
		}
		// The rules read author facts and articles' settings from the
		// facts view, all of it in memory: it grows with authors and
		// articles, not with comments.
		// In whichever bucket the catalog names: a rebuild moves it.
		wcat, err := projections.AttachCatalog(sctx, wjs)
		if err != nil {
			return a, fmt.Errorf("%w (%s)", err, notProvisioned)
		}
		if a.facts, err = wcat.FollowFacts(ctx, true); err != nil {
			return a, fmt.Errorf("%w (%s)", err, notProvisioned)
		}
		a.watchers = append(a.watchers, a.facts.Run)
		a.worker.Context = ruleContext{a.facts} // moderators.go
		a.holds = &commands.ReportsHold{
			Log: a.log, Threshold: cfg.ReportsToHold,
			Logger: logger.With("component", "reports-hold"), Metrics: commands.NewReportsHoldMetrics(reg),
		}
		reg.MustRegister(rulesetInfo{a.rules})
	}
	// Readers' e-mail notifications, beside the worker.
	if cfg.has(roleWorker) && cfg.notifications() {
		if a.notifier, err = a.newNotifier(sctx, reg); err != nil {
			return a, err
		}
	}
	webLog := log
	if cfg.has(roleAPI) {
		if webLog, err = a.attach(ctx, roleAPI); err != nil {
			return a, err
		}
		webLog.OnAppend(onAppend)
	}
	modCfg := web.ModerationConfig{
		AdminToken: cfg.AdminToken, SessionTTL: cfg.SessionTTL,
		RateLimitReports: cfg.RateLimitReports,
	}
	wcfg := web.Config{
		Log: webLog, RateLimitPerIP: cfg.RateLimitPerIP, RateLimitPerAuthor: cfg.RateLimitPerAuthor,
		Logger: logger.With("component", "http"), Registry: reg,
		// Readers: the address-hash key is the moderators' secret, kept
		// in the SECRETS bucket, so every api process agrees on it.
		AllowedOrigins: cfg.AllowedOrigins, SSOSecret: []byte(cfg.SSOSecret),
		MaxReplyDepth: cfg.MaxReplyDepth, EditWindow: cfg.EditWindow, TrustedProxies: cfg.TrustedProxies,
		CookieSecure: cfg.CookieSecure, AccessLog: cfg.AccessLog,
	}
	var views *apiViews
	if cfg.has(roleAPI) {
		ajs, err := a.jsFor(ctx, roleAPI)
		if err != nil {
			return a, err
		}
		if modCfg, err = moderationConfig(sctx, ajs, cfg, modCfg); err != nil {
			return a, err
		}
		if views, err = a.followViews(ctx, ajs, reg); err != nil {
			return a, err
		}
		a.views = views
		a.restored = make(chan struct{})
		wcfg.Status, wcfg.Views, wcfg.Articles, wcfg.Comments, wcfg.Search, wcfg.Restored = views.status, views.mod, a.articles, views.status, a.search, a.restored
		if cfg.notifications() {
			if wcfg.Notify, err = a.webNotifications(sctx); err != nil {
				return a, err
			}
		}
	}
	wcfg.Moderation, wcfg.Secret = modCfg, modCfg.Secret
	wcfg.Ready = a.readiness(views)
	a.web = web.New(wcfg)
	a.handler = a.web
	if views != nil {
		// The views' watchers tell the server what changed, for the live
		// streams.
		views.queues.OnChange(a.web.QueueChanged)
		views.facts.OnSettings(a.web.SettingsChanged)
		a.search.OnChange(a.web.CommentChanged)
	}
	return a, nil
}

// apiViews are the views an api process follows: through the catalog,
// so a rebuild moves them to the new buckets.
type apiViews struct {
	status *projections.StatusReader
	queues *projections.QueuesView
	facts  *projections.FactsView
	mod    *projections.Moderation
	// loaded are closed once each watcher delivered what existed at its
	// start.
	loaded []<-chan struct{}
}

// followViews attaches the api's views: the comment view read key by
// key, the approved view's cache (a.articles), the queues and articles'
// settings in memory, authors and reports read on demand, and the
// moderators' search of recent comments (a.search). Their watchers join
// a.watchers.
func (a *app) followViews(ctx context.Context, ajs jetstream.JetStream, reg prometheus.Registerer) (*apiViews, error) {
	catalog, err := projections.AttachCatalog(ctx, ajs)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, notProvisioned)
	}
	v := &apiViews{}
	if v.status, err = catalog.FollowStatus(ctx); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, notProvisioned)
	}
	// Live updates go to the server built after, once it exists.
	a.articles = projections.NewArticleCache(nil, a.cfg.CachedComments, func(ch projections.ArticleChange) {
		if w := a.web; w != nil {
			w.ArticleChanged(ch)
		}
	}, a.logger.With("component", "articles"))
	if err := catalog.Follow(ctx, projections.ArticlesBucket, a.articles.SetBucket); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, notProvisioned)
	}
	if v.queues, err = catalog.FollowQueues(ctx); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, notProvisioned)
	}
	if v.facts, err = catalog.FollowFacts(ctx, false); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, notProvisioned)
	}
	a.search = projections.NewRecentComments(ajs, a.cfg.SearchWindow, a.logger.With("component", "search"))
	if err := catalog.Follow(ctx, projections.StatusBucket, a.search.SetBucket); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, notProvisioned)
	}
	a.watchers = append(a.watchers, v.queues.Run, v.facts.Run, a.search.Run)
	v.loaded = []<-chan struct{}{v.queues.Ready(), v.facts.Ready(), a.search.Ready()}
	v.mod = &projections.Moderation{Queues: v.queues, Facts: v.facts, Comments: v.status}
	reg.MustRegister(v.queues.UndecidedCollector())
	return v, nil
}

// applied is how far the views this process follows reflect the stream:
// the oldest checkpoint its watchers saw.
func (v *apiViews) applied() uint64 { return min(v.queues.Applied(), v.facts.Applied()) }

// readiness is /readyz's answer, given the stream's last sequence: an api
// once readers are served (its views loaded) and the views it follows lag
// the stream by at most --max-projection-lag; a projector once it caught
// up within that lag; a worker once its facts view did.
func (a *app) readiness(views *apiViews) func(lastSeq uint64) bool {
	within := func(applied, lastSeq uint64) bool { return applied+a.cfg.MaxProjectionLag >= lastSeq }
	var checks []func(uint64) bool
	if views != nil {
		checks = append(checks, readyWith(func(last uint64) bool { return within(views.applied(), last) }, a.restored))
	}
	if a.projector != nil {
		checks = append(checks, a.projector.Ready)
	}
	if a.facts != nil {
		checks = append(checks, readyWith(func(last uint64) bool { return within(a.facts.Applied(), last) }, a.facts.Ready()))
	}
	return func(lastSeq uint64) bool {
		for _, ok := range checks {
			if !ok(lastSeq) {
				return false
			}
		}
		return true
	}
}

// serve runs the roles and the HTTP server until ctx ends or a part
// fails, then shuts down gracefully: HTTP stops taking requests and
// finishes those in flight, the worker finishes and acks what it holds,
// the projector writes its views' last checkpoints, and the connection drains.
func (a *app) serve(ctx context.Context, ln net.Listener, stdout io.Writer) error {
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var wg sync.WaitGroup
	failed := make(chan error, 1) // the first failure stops the process
	fail := func(err error) {
		select {
		case failed <- err:
		default:
		}
	}
	goRun := func(name string, f func(context.Context) error) {
		wg.Go(func() {
			if err := f(work); err != nil {
				fail(fmt.Errorf("%s: %w", name, err))
			}
		})
	}
	if a.projector != nil {
		goRun("projector", a.projector.Run)
	}
	for _, w := range a.watchers {
		goRun("views", w)
	}
	if a.articles != nil {
		goRun("approved view", a.articles.Run)
		wg.Go(func() { a.serveReaders(work) })
	}
	if a.worker != nil {
		goRun("worker", func(ctx context.Context) error {
			// The facts view as current as the stream was at start, so
			// that a restart does not decide on stale author facts. A
			// projector that cannot write (a view bucket without a leader
			// for a while) must not stop moderation: past factsWait the
			// worker decides with the facts it has, and says so.
			var last uint64
			err := events.Retry(ctx, a.logger, "read the stream's last sequence", func(ctx context.Context) (err error) {
				last, err = a.log.LastSeq(ctx)
				return err
			})
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return err
			}
			wctx, cancel := context.WithTimeout(ctx, factsWait)
			err = a.facts.WaitApplied(wctx, last)
			cancel()
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				a.logger.Warn("the facts view is behind the stream; deciding with the facts it holds (is a projector running?)",
					"stream_last_seq", last, "facts_seq", a.facts.Applied(), "waited", factsWait)
			}
			return a.worker.Run(ctx)
		})
		// It judges reports by the log, not by the views: no wait.
		goRun("reports-hold", a.holds.Run)
		if a.notifier != nil {
			goRun("notify", a.notifier.Run)
		}
		goRun("rules", func(ctx context.Context) error {
			return a.rules.Follow(ctx, a.log, a.logger.With("component", "rules"))
		})
	}
	srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	if a.web != nil {
		srv.RegisterOnShutdown(a.web.CloseStreams) // live streams would hold Shutdown up
	}
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fail(fmt.Errorf("http: %w", err))
		}
	})
	a.logger.Info("commentd started", "http", ln.Addr().String(), "roles", a.cfg.Roles)
	if a.cfg.has(roleAPI) {
		fmt.Fprintf(stdout, "commentd: serving http://%s/articles/%s\n", displayAddr(ln.Addr()), web.DemoArticle)
		if setup := a.web.FirstRun(ctx); setup != "" {
			link := "http://" + displayAddr(ln.Addr()) + setup
			a.logger.Warn("no moderator account exists yet: open the one-time setup link to make the first admin "+
				"(or, with commentd stopped, run: commentctl moderators add --role admin NAME, password on stdin)", "setup_link", link)
			fmt.Fprintf(stdout, "commentd: no moderator account yet; make the first admin at %s\n", link)
		}
	} else {
		fmt.Fprintf(stdout, "commentd: %v on http://%s\n", a.cfg.Roles, displayAddr(ln.Addr()))
	}

	var err error
	select {
	case <-ctx.Done():
	case err = <-failed:
	}
	a.logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil {
		a.logger.Error("http shutdown", "err", serr)
	}
	stopWork()
	wg.Wait()
	for _, c := range a.conns {
		if derr := c.nc.Drain(); derr != nil && !errors.Is(derr, nats.ErrConnectionClosed) {
			a.logger.Warn("nats drain", "err", derr)
		}
	}
	for _, c := range a.conns {
		select {
		case <-c.closed:
		case <-sctx.Done():
		}
	}
	a.logger.Info("stopped")
	return err
}

// close releases the connections and the embedded server.
func (a *app) close() {
	for _, c := range a.conns {
		c.nc.Close()
	}
	if a.ns != nil {
		a.ns.Shutdown()
		a.ns.WaitForShutdown()
	}
}

func newLogger(cfg Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if cfg.LogFormat == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	// An outage fails every request the same way: one line a minute per
	// identical warning or error, with the count of those left out.
	return slog.New(logthrottle.New(h, time.Minute)), nil
}

// loadRules returns the rule set to start with. A --rules file is
// published (if the log's newest version differs) and so becomes every
// worker's; without one, the newest published version stays in force, and
// the built-in rule set is published when the log has none.
func loadRules(ctx context.Context, log *events.Log, path string, logger *slog.Logger) (*moderation.Rules, error) {
	name, source := "default.yaml", moderation.DefaultRulesetSource()
	if path != "" {
		var err error
		if source, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("--rules: %w", err)
		}
		name = filepath.Base(path)
	} else {
		latest, err := moderation.LatestRuleset(ctx, log)
		if err == nil {
			return moderation.NewRules(latest), nil
		}
		if !errors.Is(err, events.ErrNotFound) {
			logger.Error("newest published rule set not usable; publishing the built-in one", "err", err)
		}
	}
	rs, published, err := moderation.PublishRuleset(ctx, log, name, source, "operator")
	if err != nil {
		return nil, fmt.Errorf("--rules: %w", err)
	}
	if published {
		logger.Info("rule set published", "version", rs.Version, "name", rs.Name)
	}
	return moderation.NewRules(rs), nil
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

// factsWait bounds how long a starting worker waits for the facts view to
// catch up with the stream.
const factsWait = 15 * time.Second

// readyWith is ready once every channel is closed and ready says so.
func readyWith(ready func(uint64) bool, chans ...<-chan struct{}) func(uint64) bool {
	return func(lastSeq uint64) bool {
		for _, c := range chans {
			select {
			case <-c:
			default:
				return false
			}
		}
		return ready(lastSeq)
	}
}

// readersWait bounds how long a starting api waits for the views to
// reflect the stream as it was at start before it serves readers.
const readersWait = 15 * time.Second

// serveReaders opens the api to readers (closes a.restored) once its
// views are loaded and, for at most readersWait, reflect the stream as it
// was: a reader's own comment, accepted just before a restart, is then
// found. Past that wait it serves what the views hold, and says so.
func (a *app) serveReaders(ctx context.Context) {
	views := a.views
	for _, ch := range append([]<-chan struct{}{a.articles.Ready()}, views.loaded...) {
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
	last, err := a.log.LastSeq(ctx)
	if err == nil {
		wctx, cancel := context.WithTimeout(ctx, readersWait)
		err = views.facts.WaitApplied(wctx, last)
		cancel()
	}
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		a.logger.Warn("the views are behind the stream; serving readers what they hold (is a projector running?)",
			"stream_last_seq", last, "facts_seq", views.facts.Applied(), "err", err)
	}
	close(a.restored)
}
