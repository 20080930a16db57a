package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/deadletter"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/projections"
)

func init() {
	commands["status"] = command{
		summary: "[--json] [--nats-monitor URLS] [--max-delay D]: is the installation healthy? The NATS\n" +
			"servers, every stream's replicas, the worker's backlog and oldest undecided\n" +
			"submission, the views' checkpoints, dead letters; exit 3 when unhealthy\n" +
			"(--nats-url URL or --data-dir DIR)",
		run: runStatus,
	}
}

// askTimeout bounds each question status asks: a stream without a leader
// does not answer, and must not use up the whole report's time.
const askTimeout = 3 * time.Second

func ask(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, askTimeout)
}

// errUnhealthy is status's verdict: the report names the problems. main
// exits 3 on it, so a script tells "unhealthy" from "could not ask" (1).
var errUnhealthy = errors.New("unhealthy")

// viewBuckets are the read side's KV views (docs/operations.md, Views),
// in the order status shows them; each is read in the bucket the catalog
// names for it. A bucket not provisioned yet is shown
// as absent, not as a fault: the views arrive one release at a time.
var viewBuckets = []string{projections.StatusBucket, "VIEW_ARTICLES", "VIEW_QUEUES", "VIEW_FACTS"}

// viewCheckpointKey is the key under which each view keeps the stream
// sequence it reflects, in decimal.
const viewCheckpointKey = "checkpoint"

// status is what commentctl status reports; --json writes it as is.
type status struct {
	Healthy bool `json:"healthy"`
	// Problems make the installation unhealthy (exit 3); warnings are
	// worth a look but not a page.
	Problems []string `json:"problems"`
	Warnings []string `json:"warnings"`
	// Connected is the NATS server commentctl reached.
	Connected string `json:"connected"`
	// Cluster is nil when no monitoring endpoint was asked.
	Cluster *clusterStatus `json:"cluster"`
	// Streams are every stream of the account, commentd's and others.
	Streams []streamHealth `json:"streams"`
	Stream  streamStatus   `json:"stream"`
	// Worker is nil while no worker ever created its consumer.
	Worker    *workerStatus    `json:"worker"`
	Consumers []consumerStatus `json:"consumers"`
	Views     []viewStatus     `json:"views"`
	// DeadLetters is nil when the DEADLETTERS stream does not exist.
	DeadLetters *deadLetterStatus `json:"dead_letters"`
}

// health collects the verdict while the report is read.
type health struct{ problems, warnings []string }

func (h *health) problem(format string, args ...any) {
	h.problems = append(h.problems, fmt.Sprintf(format, args...))
}

func (h *health) warn(format string, args ...any) {
	h.warnings = append(h.warnings, fmt.Sprintf(format, args...))
}

type streamStatus struct {
	Messages  uint64    `json:"messages"`
	Bytes     uint64    `json:"bytes"`
	FirstSeq  uint64    `json:"first_seq"`
	FirstTime time.Time `json:"first_time"`
	LastSeq   uint64    `json:"last_seq"`
	LastTime  time.Time `json:"last_time"`
}

// streamHealth is one stream's replication.
type streamHealth struct {
	Name     string        `json:"name"`
	Replicas int           `json:"replicas"` // configured
	Group    replicaStatus `json:"group"`
	Messages uint64        `json:"messages"`
	Bytes    uint64        `json:"bytes"`
	Error    string        `json:"error,omitempty"` // its info could not be read
}

type consumerStatus struct {
	Name string `json:"name"`
	// Durable consumers are the workers'; ephemeral ones are mostly the
	// ordered consumers of running processes' read models.
	Durable     bool   `json:"durable"`
	Filter      string `json:"filter,omitempty"`
	Pending     uint64 `json:"pending"`     // stored, not yet delivered
	AckPending  int    `json:"ack_pending"` // delivered, not yet acknowledged
	Redelivered int    `json:"redelivered"` // delivered more than once, not yet acknowledged
	Delivered   uint64 `json:"delivered_seq"`
}

// workerStatus is the moderation workers' durable consumer.
type workerStatus struct {
	Consumer    string        `json:"consumer"`
	Pending     uint64        `json:"pending"`      // submissions no worker has taken yet
	AckPending  int           `json:"ack_pending"`  // taken, being decided
	Redelivered int           `json:"redelivered"`  // taken more than once, not decided yet
	Waiting     int           `json:"waiting"`      // pull requests waiting: workers ready for more
	AckFloor    uint64        `json:"ack_floor"`    // every submission up to it is decided
	Group       replicaStatus `json:"group"`        // the consumer's replicas
	Oldest      *undecided    `json:"oldest"`       // nil when nothing waits
	MaxDelay    time.Duration `json:"max_delay_ns"` // what status allowed
}

// undecided is the oldest submission the workers have not acknowledged:
// the first one after the consumer's ack floor.
type undecided struct {
	Seq      uint64        `json:"seq"`
	StoredAt time.Time     `json:"stored_at"`
	Age      time.Duration `json:"age_ns"`
}

// viewStatus is one KV view against the stream.
type viewStatus struct {
	Bucket  string `json:"bucket"`
	Present bool   `json:"present"`
	// Checkpoint is the stream sequence the view reflects (0: none yet),
	// written at CheckpointAt.
	Checkpoint   uint64    `json:"checkpoint"`
	CheckpointAt time.Time `json:"checkpoint_at,omitzero"`
	// Behind is how many events the stream holds past the checkpoint;
	// MissingSince is when the first of them was stored.
	Behind       uint64    `json:"behind"`
	MissingSince time.Time `json:"missing_since,omitzero"`
	Keys         uint64    `json:"keys"`
	Error        string    `json:"error,omitempty"`
}

type deadLetterStatus struct {
	Total  uint64                                `json:"total"`
	ByKind map[deadletter.Kind]map[string]uint64 `json:"by_kind"`
}

// statusOptions are status's flags besides the connection.
type statusOptions struct {
	monitors []string
	// explicit is false for the default endpoint guessed for a running
	// all-in-one: its absence is not a fault.
	explicit bool
	maxDelay time.Duration
	now      func() time.Time
}

func runStatus(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connection
	conn.flags(fs)
	asJSON := fs.Bool("json", false, "write the status as one JSON object")
	monitor := fs.String("nats-monitor", "", "monitoring endpoints of the NATS servers, comma-separated host:port or URLs (http://nats-1:8222,…), to see the servers and the meta leader (env COMMENTD_NATS_MONITOR; default 127.0.0.1:8222 for a running all-in-one reached with --nats-url and --data-dir)")
	maxDelay := fs.Duration("max-delay", time.Minute, "unhealthy when a submission has waited longer than this for the rules, or a view lacks an event stored longer ago")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: commentctl status [--json] [--nats-monitor URLS] [--max-delay D] [--nats-url URL | --data-dir DIR]\n\nExit status: 0 healthy, 3 unhealthy (the report says why), 1 could not ask.")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	if *maxDelay <= 0 {
		fmt.Fprintln(stderr, "commentctl status: --max-delay must be positive")
		return errUsage
	}
	opts := statusOptions{maxDelay: *maxDelay, now: time.Now}
	list := conn.setting("nats-monitor", *monitor)
	t, err := conn.target()
	if err != nil {
		return err
	}
	switch {
	case list != "":
		opts.explicit = true
	case t.url != "" && t.dataDir != "":
		list = "127.0.0.1:8222" // commentd's default --nats-monitor
	}
	if opts.monitors, err = monitorURLs(list); err != nil {
		fmt.Fprintln(stderr, "commentctl status:", err)
		return errUsage
	}

	ctx, cancel := withTimeout(ctx)
	defer cancel()
	js, closeAll, err := conn.open(false)
	if err != nil {
		return err
	}
	defer closeAll()
	st, err := readStatus(ctx, js, &conn, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(st)
	} else {
		err = st.print(stdout, opts.now())
	}
	if err != nil {
		return err
	}
	if !st.Healthy {
		return errUnhealthy
	}
	return nil
}

// readStatus asks the servers; it changes nothing, creates no consumer
// and downloads no snapshot. A part it cannot read is a problem in the
// report, not an error: the report is most needed when things fail.
func readStatus(ctx context.Context, js jetstream.JetStream, conn *connection, opts statusOptions) (status, error) {
	st := status{Problems: []string{}, Warnings: []string{}, Consumers: []consumerStatus{}}
	h := &health{}
	now := opts.now()
	if nc := js.Conn(); nc != nil {
		st.Connected = nc.ConnectedServerName()
		if u := nc.ConnectedUrlRedacted(); u != "" && conn.server == nil {
			st.Connected += " at " + u
		}
	}

	switch {
	case conn.server != nil:
		reports, failed := inProcessReport(conn.server)
		st.Cluster = assembleCluster(reports, failed, true, h)
	case len(opts.monitors) > 0:
		reports, failed := readMonitors(ctx, opts.monitors)
		st.Cluster = assembleCluster(reports, failed, opts.explicit, h)
	}

	// Replicas that are down, by server, so one dead server is one problem.
	down := map[string][]string{}
	st.Streams = readStreams(ctx, js, now, down, h)

	sctx, cancel := ask(ctx)
	stream, err := js.Stream(sctx, events.StreamName)
	cancel()
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		h.problem("no %s stream: provision first (commentd --roles setup, or start the all-in-one)", events.StreamName)
	case err != nil:
		h.problem("stream %s: %v", events.StreamName, err)
	default:
		s := stream.CachedInfo().State
		st.Stream = streamStatus{Messages: s.Msgs, Bytes: s.Bytes, FirstSeq: s.FirstSeq, FirstTime: s.FirstTime, LastSeq: s.LastSeq, LastTime: s.LastTime}
		wctx, cancel := ask(ctx)
		st.Worker = readWorker(wctx, stream, now, opts.maxDelay, down, h)
		cancel()
		cctx, cancel := ask(ctx)
		st.Consumers = readConsumers(cctx, stream, h)
		cancel()
		st.Views = readViews(ctx, js, stream, st.Stream, now, opts.maxDelay, h)
	}

	reportDown(down, h)
	octx, cancel := ask(ctx)
	warnLegacySnapshots(octx, js, h)
	cancel()

	dctx, cancel := ask(ctx)
	defer cancel()
	q, err := deadletter.Attach(dctx, js)
	switch {
	case errors.Is(err, events.ErrNotFound):
		// No commentd made it yet; the report says so.
	case err != nil:
		h.problem("dead letters: %v", err)
	default:
		counts, err := q.Counts(dctx)
		if err != nil {
			h.problem("dead letters: %v", err)
			break
		}
		dl := &deadLetterStatus{ByKind: counts}
		for _, byConsumer := range counts {
			for _, n := range byConsumer {
				dl.Total += n
			}
		}
		st.DeadLetters = dl
		if dl.Total > 0 {
			h.warn("%d dead letters wait to be handled: commentctl dlq list", dl.Total)
		}
	}
	st.Problems = append(st.Problems, h.problems...)
	st.Warnings = append(st.Warnings, h.warnings...)
	st.Healthy = len(st.Problems) == 0
	return st, nil
}

// readStreams reads every stream's replication; the replicas that are
// down go into down, by server.
func readStreams(ctx context.Context, js jetstream.JetStream, now time.Time, down map[string][]string, h *health) []streamHealth {
	nctx, cancel := ask(ctx)
	defer cancel()
	names := js.StreamNames(nctx)
	var list []string
	for n := range names.Name() {
		list = append(list, n)
	}
	if err := names.Err(); err != nil {
		h.problem("listing streams: %v", err)
	}
	slices.Sort(list)
	out := []streamHealth{}
	for _, name := range list {
		sh := streamHealth{Name: name}
		sctx, cancel := ask(ctx)
		s, err := js.Stream(sctx, name)
		cancel()
		if err != nil {
			sh.Error = err.Error()
			h.problem("stream %s does not answer (%v): it may have no leader", name, err)
			out = append(out, sh)
			continue
		}
		info := s.CachedInfo()
		sh.Replicas, sh.Messages, sh.Bytes = max(info.Config.Replicas, 1), info.State.Msgs, info.State.Bytes
		sh.Group = replicasOf(info.Cluster, now)
		checkGroup("stream "+name, sh.Replicas, sh.Group, down, h)
		out = append(out, sh)
	}
	return out
}

// checkGroup judges one Raft group; replicas that are down are gathered by
// server, so one dead server is one problem.
func checkGroup(what string, replicas int, g replicaStatus, down map[string][]string, h *health) {
	if g.Leader == "" && replicas > 1 {
		h.problem("%s has no leader: it takes no writes until one is elected", what)
	}
	if replicas > 1 && 1+len(g.Peers) < replicas {
		h.problem("%s has %d of its %d replicas", what, 1+len(g.Peers), replicas)
	}
	for _, p := range g.Peers {
		switch p.State {
		case "offline", "silent":
			down[p.Name] = append(down[p.Name], what)
		case "behind":
			h.warn("%s: the replica on %s is %d operations behind", what, p.Name, p.Lag)
		}
	}
}

func reportDown(down map[string][]string, h *health) {
	for _, srv := range slices.Sorted(maps.Keys(down)) {
		what := down[srv]
		shown := what
		if len(shown) > 4 {
			shown = append(slices.Clone(shown[:4]), fmt.Sprintf("%d more", len(what)-4))
		}
		h.problem("server %s: the replicas it holds are down (%s); the groups keep working while a majority is up", srv, strings.Join(shown, ", "))
	}
}

// readWorker reads the moderation consumer and the oldest submission it
// has not acknowledged (a worker acks once the decision is stored).
func readWorker(ctx context.Context, stream jetstream.Stream, now time.Time, maxDelay time.Duration, down map[string][]string, h *health) *workerStatus {
	c, err := stream.Consumer(ctx, moderation.ConsumerName)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		if msg, err := stream.GetMsg(ctx, 1, jetstream.WithGetMsgSubject(events.SubmittedSubjects)); err == nil {
			h.problem("no %q consumer: no worker (--roles worker) has ever run, and submissions since seq %d wait", moderation.ConsumerName, msg.Sequence)
		} else {
			h.warn("no %q consumer yet: no worker (--roles worker) has run", moderation.ConsumerName)
		}
		return nil
	}
	if err != nil {
		h.problem("consumer %s: %v", moderation.ConsumerName, err)
		return nil
	}
	ci := c.CachedInfo()
	w := &workerStatus{
		Consumer: ci.Name, Pending: ci.NumPending, AckPending: ci.NumAckPending, Redelivered: ci.NumRedelivered,
		Waiting: ci.NumWaiting, AckFloor: ci.AckFloor.Stream, Group: replicasOf(ci.Cluster, now), MaxDelay: maxDelay,
	}
	checkGroup("consumer "+ci.Name, max(ci.Config.Replicas, 1), w.Group, down, h)
	if ci.NumPending+uint64(ci.NumAckPending) == 0 {
		return w
	}
	filter := filterOf(ci.Config)
	if filter == "" || strings.HasPrefix(filter, "[") {
		filter = events.SubmittedSubjects
	}
	msg, err := stream.GetMsg(ctx, w.AckFloor+1, jetstream.WithGetMsgSubject(filter))
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return w
	case err != nil:
		h.problem("the oldest undecided submission: %v", err)
		return w
	}
	w.Oldest = &undecided{Seq: msg.Sequence, StoredAt: msg.Time, Age: max(now.Sub(msg.Time), 0)}
	if w.Oldest.Age > maxDelay {
		why := "no worker pulls (none runs, or none reaches NATS)"
		if w.Waiting > 0 {
			why = fmt.Sprintf("%d pull requests wait, so a worker runs: read its log (component=worker)", w.Waiting)
		}
		h.problem("the oldest undecided submission (seq %d) has waited %s for the rules: %s", msg.Sequence, w.Oldest.Age.Round(time.Second), why)
	}
	return w
}

// readConsumers lists the log's consumers: the workers' durable one and
// the ordered consumers of running processes.
func readConsumers(ctx context.Context, stream jetstream.Stream, h *health) []consumerStatus {
	out := []consumerStatus{}
	list := stream.ListConsumers(ctx)
	for ci := range list.Info() {
		out = append(out, consumerStatus{
			Name: ci.Name, Durable: ci.Config.Durable != "", Filter: filterOf(ci.Config),
			Pending: ci.NumPending, AckPending: ci.NumAckPending, Redelivered: ci.NumRedelivered,
			Delivered: ci.Delivered.Stream,
		})
	}
	if err := list.Err(); err != nil {
		h.problem("consumers of %s: %v", events.StreamName, err)
	}
	// Durable consumers first, then by name: the same order every time.
	slices.SortFunc(out, func(a, b consumerStatus) int {
		if a.Durable != b.Durable {
			if a.Durable {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

func filterOf(c jetstream.ConsumerConfig) string {
	if c.FilterSubject != "" {
		return c.FilterSubject
	}
	if len(c.FilterSubjects) > 0 {
		return fmt.Sprint(c.FilterSubjects)
	}
	return ""
}

// readViews compares each view's checkpoint with the stream: a view that
// lacks an event stored more than maxDelay ago is not being kept current.
func readViews(ctx context.Context, js jetstream.JetStream, stream jetstream.Stream, log streamStatus, now time.Time, maxDelay time.Duration, h *health) []viewStatus {
	var out []viewStatus
	// Each view in the bucket that serves it now: a rebuild moves a view
	// to its spare (VIEW_STATUS_B) and the catalog says so.
	cctx, cancel := ask(ctx)
	catalog, cerr := projections.AttachCatalog(cctx, js)
	cancel()
	for _, view := range viewBuckets {
		bucket := view
		if cerr == nil {
			cctx, cancel := ask(ctx)
			cur, err := catalog.Current(cctx, view)
			cancel()
			if err != nil {
				h.warn("view %s: the catalog does not say which bucket serves it: %v", view, err)
			} else {
				bucket = cur
			}
		}
		out = append(out, readView(ctx, js, stream, bucket, log, now, maxDelay, h))
	}
	return out
}

func readView(ctx context.Context, js jetstream.JetStream, stream jetstream.Stream, bucket string, log streamStatus, now time.Time, maxDelay time.Duration, h *health) viewStatus {
	ctx, cancel := ask(ctx)
	defer cancel()
	v := viewStatus{Bucket: bucket}
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return v
	}
	v.Present = true
	if err == nil {
		var e jetstream.KeyValueEntry
		e, err = kv.Get(ctx, viewCheckpointKey)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			err = nil
		case err == nil:
			v.CheckpointAt = e.Created()
			v.Checkpoint, err = strconv.ParseUint(string(e.Value()), 10, 64)
		}
	}
	if err == nil {
		var kst jetstream.KeyValueStatus
		if kst, err = kv.Status(ctx); err == nil {
			v.Keys = kst.Values()
		}
	}
	if err != nil {
		v.Error = err.Error()
		h.problem("view %s: %v", bucket, err)
		return v
	}
	if log.LastSeq > v.Checkpoint {
		v.Behind = log.LastSeq - v.Checkpoint
		next := max(v.Checkpoint+1, log.FirstSeq)
		if msg, err := stream.GetMsg(ctx, next); err == nil {
			v.MissingSince = msg.Time
		} else if !errors.Is(err, jetstream.ErrMsgNotFound) {
			h.warn("view %s: the first event it lacks (seq %d): %v", bucket, next, err)
		}
	}
	if !v.MissingSince.IsZero() && now.Sub(v.MissingSince) > maxDelay {
		h.problem("view %s is %d events behind the stream, and has lacked seq %d since %s: is the projector (--roles projector) running?",
			bucket, v.Behind, v.Checkpoint+1, ago(v.MissingSince, now))
	}
	return v
}

// legacySnapshots is the object store that kept the read models'
// snapshot before the views (commentd no longer reads or writes it).
const legacySnapshots = "PROJECTIONS"

// warnLegacySnapshots says when the old snapshot bucket is still there:
// disk nothing uses.
func warnLegacySnapshots(ctx context.Context, js jetstream.JetStream, h *health) {
	if _, err := js.ObjectStore(ctx, legacySnapshots); err == nil {
		h.warn("bucket %s holds the old read models' snapshot, which nothing reads since the views; remove it: nats object rm %s", legacySnapshots, legacySnapshots)
	}
}

func (st status) print(w io.Writer, now time.Time) error {
	if st.Healthy {
		fmt.Fprintln(w, "healthy")
	} else {
		fmt.Fprintf(w, "UNHEALTHY: %d %s\n", len(st.Problems), plural(len(st.Problems), "problem", "problems"))
	}
	for _, p := range st.Problems {
		fmt.Fprintf(w, "  - %s\n", p)
	}
	if len(st.Warnings) > 0 {
		fmt.Fprintln(w, "warnings")
		for _, p := range st.Warnings {
			fmt.Fprintf(w, "  - %s\n", p)
		}
	}
	fmt.Fprintf(w, "connected to %s\n", orDash(st.Connected))

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	switch c := st.Cluster; {
	case c == nil:
		fmt.Fprintln(tw, "\nNATS servers: not asked (give --nats-monitor http://HOST:8222,… to see them and the meta leader)")
	case c.Name == "" && len(c.Servers) > 0:
		fmt.Fprintf(tw, "\nNATS server %s: a single server, outside any cluster\n", c.Servers[0].Name)
	default:
		fmt.Fprintf(tw, "\nNATS cluster %s: meta leader %s, %d servers known\n", orDash(c.Name), orDash(c.MetaLeader), max(c.Size, len(c.Servers)))
		if len(c.Servers) > 0 {
			fmt.Fprintln(tw, "  SERVER\tSTATE\tLAG\tLAST HEARD\tMONITOR")
		}
		for _, s := range c.Servers {
			state := s.State
			if state == "offline" || state == "silent" {
				state = strings.ToUpper(state)
			}
			heard := "-"
			if s.State != "leader" && s.State != "unknown" {
				heard = s.Seen.Round(time.Millisecond).String() + " ago"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\n", s.Name, state, s.Lag, heard, orDash(s.Monitor))
		}
		for _, u := range c.Unreachable {
			fmt.Fprintf(tw, "  monitoring endpoint %s does not answer: %s\n", u.URL, u.Error)
		}
	}

	fmt.Fprintln(tw, "\nstreams")
	fmt.Fprintln(tw, "  NAME\tREPLICAS\tMESSAGES\tBYTES\tGROUP")
	for _, s := range st.Streams {
		if s.Error != "" {
			fmt.Fprintf(tw, "  %s\t-\t-\t-\tdoes not answer: %s\n", s.Name, s.Error)
			continue
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\n", s.Name, s.Replicas, s.Messages, s.Bytes, s.Group)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	s := st.Stream
	fmt.Fprintf(tw, "\n%s stream\n", events.StreamName)
	fmt.Fprintf(tw, "  messages\t%d\n", s.Messages)
	fmt.Fprintf(tw, "  bytes\t%d\n", s.Bytes)
	fmt.Fprintf(tw, "  first seq\t%d\t%s\n", s.FirstSeq, when(s.FirstTime, now))
	fmt.Fprintf(tw, "  last seq\t%d\t%s\n", s.LastSeq, when(s.LastTime, now))

	if wk := st.Worker; wk == nil {
		fmt.Fprintf(tw, "\nmoderation worker: no %q consumer\n", moderation.ConsumerName)
	} else {
		fmt.Fprintf(tw, "\nmoderation worker (consumer %s)\n", wk.Consumer)
		fmt.Fprintf(tw, "  waiting for a worker\t%d\n", wk.Pending)
		fmt.Fprintf(tw, "  being decided\t%d\n", wk.AckPending)
		fmt.Fprintf(tw, "  redelivered\t%d\n", wk.Redelivered)
		fmt.Fprintf(tw, "  pull requests waiting\t%d\t(workers ready for more)\n", wk.Waiting)
		fmt.Fprintf(tw, "  decided up to seq\t%d\n", wk.AckFloor)
		if wk.Oldest == nil {
			fmt.Fprintln(tw, "  oldest undecided\tnone")
		} else {
			fmt.Fprintf(tw, "  oldest undecided\tseq %d\t%s\n", wk.Oldest.Seq, when(wk.Oldest.StoredAt, now))
		}
		fmt.Fprintf(tw, "  replicas\t%s\n", wk.Group)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nconsumers")
	if len(st.Consumers) == 0 {
		fmt.Fprintln(w, "  none")
	} else {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  NAME\tKIND\tFILTER\tPENDING\tACK PENDING\tREDELIVERED\tDELIVERED SEQ")
		ephemeral := 0
		for _, c := range st.Consumers {
			kind := "durable"
			if !c.Durable {
				kind = "ephemeral"
				// The ordered consumers of running processes: a few are
				// worth seeing, hundreds would hide everything else.
				if ephemeral++; ephemeral > 10 {
					continue
				}
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%d\n", c.Name, kind, orDash(c.Filter), c.Pending, c.AckPending, c.Redelivered, c.Delivered)
		}
		if ephemeral > 10 {
			fmt.Fprintf(tw, "  … and %d more ephemeral consumers (--json lists them all)\n", ephemeral-10)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nviews")
	fmt.Fprintln(tw, "  BUCKET\tCHECKPOINT\tBEHIND\tLACKS EVENTS SINCE\tKEYS\tCHECKPOINT WRITTEN")
	for _, v := range st.Views {
		switch {
		case !v.Present:
			fmt.Fprintf(tw, "  %s\tnot present\n", v.Bucket)
		case v.Error != "":
			fmt.Fprintf(tw, "  %s\tunreadable: %s\n", v.Bucket, v.Error)
		default:
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\t%d\t%s\n", v.Bucket, v.Checkpoint, v.Behind, when(v.MissingSince, now), v.Keys, when(v.CheckpointAt, now))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	if st.DeadLetters == nil {
		fmt.Fprintf(w, "dead letters: no %s stream yet\n", deadletter.StreamName)
		return nil
	}
	fmt.Fprintf(w, "dead letters: %d\n", st.DeadLetters.Total)
	for _, kind := range slices.Sorted(maps.Keys(st.DeadLetters.ByKind)) {
		byConsumer := st.DeadLetters.ByKind[kind]
		for _, c := range slices.Sorted(maps.Keys(byConsumer)) {
			fmt.Fprintf(w, "  %s %s: %d\n", kind, c, byConsumer[c])
		}
	}
	return nil
}

// when is a time with how long ago it was.
func when(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return fmt.Sprintf("%s (%s)", t.UTC().Format(time.RFC3339), ago(t, now))
}

func ago(t, now time.Time) string {
	return now.Sub(t).Round(time.Second).String() + " ago"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
