package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/deadletter"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

func init() {
	commands["status"] = command{
		summary: "[--json]: the log, its consumers, the read models' snapshot, dead letters\n" +
			"(--nats-url URL or --data-dir DIR)",
		run: runStatus,
	}
}

// status is what commentctl status reports; --json writes it as is.
type status struct {
	Stream    streamStatus     `json:"stream"`
	Consumers []consumerStatus `json:"consumers"`
	// Snapshots are the objects in the PROJECTIONS bucket (commentd keeps
	// one); nil when the bucket does not exist.
	Snapshots []snapshotStatus `json:"snapshots"`
	// DeadLetters is nil when the DEADLETTERS stream does not exist.
	DeadLetters *deadLetterStatus `json:"dead_letters"`
}

type streamStatus struct {
	Messages  uint64    `json:"messages"`
	Bytes     uint64    `json:"bytes"`
	FirstSeq  uint64    `json:"first_seq"`
	FirstTime time.Time `json:"first_time"`
	LastSeq   uint64    `json:"last_seq"`
	LastTime  time.Time `json:"last_time"`
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

type snapshotStatus struct {
	Object  string    `json:"object"`
	Seq     uint64    `json:"seq"` // the log sequence the read models reflect
	SavedAt time.Time `json:"saved_at"`
	Bytes   uint64    `json:"bytes"`
	// Error says why the snapshot cannot be restored (then commentd
	// rebuilds from sequence 1 on start).
	Error string `json:"error,omitempty"`
	// nuid changes with every save: rebuild compares it.
	nuid string
}

type deadLetterStatus struct {
	Total  uint64                                `json:"total"`
	ByKind map[deadletter.Kind]map[string]uint64 `json:"by_kind"`
}

func runStatus(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connection
	conn.flags(fs)
	asJSON := fs.Bool("json", false, "write the status as one JSON object")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: commentctl status [--json] [--nats-url URL | --data-dir DIR]")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	js, closeAll, err := conn.open(false)
	if err != nil {
		return err
	}
	defer closeAll()
	st, err := readStatus(ctx, js)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	return st.print(stdout, time.Now())
}

// readStatus asks the servers; it changes nothing.
func readStatus(ctx context.Context, js jetstream.JetStream) (status, error) {
	var st status
	log, err := events.Attach(ctx, js)
	if err != nil {
		return st, err
	}
	info, err := log.Stream().Info(ctx)
	if err != nil {
		return st, fmt.Errorf("stream %s: %w", events.StreamName, err)
	}
	s := info.State
	st.Stream = streamStatus{Messages: s.Msgs, Bytes: s.Bytes, FirstSeq: s.FirstSeq, FirstTime: s.FirstTime, LastSeq: s.LastSeq, LastTime: s.LastTime}

	st.Consumers = []consumerStatus{}
	list := log.Stream().ListConsumers(ctx)
	for ci := range list.Info() {
		st.Consumers = append(st.Consumers, consumerStatus{
			Name: ci.Name, Durable: ci.Config.Durable != "", Filter: filterOf(ci.Config),
			Pending: ci.NumPending, AckPending: ci.NumAckPending, Redelivered: ci.NumRedelivered,
			Delivered: ci.Delivered.Stream,
		})
	}
	if err := list.Err(); err != nil {
		return st, fmt.Errorf("consumers of %s: %w", events.StreamName, err)
	}
	// Durable consumers first, then by name: the same order every time.
	slices.SortFunc(st.Consumers, func(a, b consumerStatus) int {
		switch {
		case a.Durable != b.Durable && a.Durable:
			return -1
		case a.Durable != b.Durable:
			return 1
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})

	if st.Snapshots, err = readSnapshots(ctx, js); err != nil {
		return st, err
	}

	q, err := deadletter.Attach(ctx, js)
	switch {
	case errors.Is(err, events.ErrNotFound):
		// No commentd made it yet; the report says so.
	case err != nil:
		return st, err
	default:
		counts, err := q.Counts(ctx)
		if err != nil {
			return st, fmt.Errorf("dead letters: %w", err)
		}
		dl := &deadLetterStatus{ByKind: counts}
		for _, byConsumer := range counts {
			for _, n := range byConsumer {
				dl.Total += n
			}
		}
		st.DeadLetters = dl
	}
	return st, nil
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

// readSnapshots loads every object of the PROJECTIONS bucket as the
// projector would restore it, to tell the sequence it reflects. It is nil
// when the bucket does not exist; it never creates it.
func readSnapshots(ctx context.Context, js jetstream.JetStream) ([]snapshotStatus, error) {
	obj, err := js.ObjectStore(ctx, projections.SnapshotBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", projections.SnapshotBucket, err)
	}
	infos, err := obj.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return []snapshotStatus{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bucket %s: list: %w", projections.SnapshotBucket, err)
	}
	out := make([]snapshotStatus, 0, len(infos))
	for _, info := range infos {
		s := snapshotStatus{Object: info.Name, SavedAt: info.ModTime, Bytes: info.Size, nuid: info.NUID}
		data, err := obj.GetBytes(ctx, info.Name)
		if err == nil {
			views := projections.NewStore()
			if err = views.LoadSnapshot(bytes.NewReader(data)); err == nil {
				s.Seq = views.Applied()
			}
		}
		if err != nil {
			s.Error = err.Error()
		}
		out = append(out, s)
	}
	return out, nil
}

func (st status) print(w io.Writer, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	s := st.Stream
	fmt.Fprintf(tw, "%s stream\n", events.StreamName)
	fmt.Fprintf(tw, "  messages\t%d\n", s.Messages)
	fmt.Fprintf(tw, "  bytes\t%d\n", s.Bytes)
	fmt.Fprintf(tw, "  first seq\t%d\t%s\n", s.FirstSeq, when(s.FirstTime, now))
	fmt.Fprintf(tw, "  last seq\t%d\t%s\n", s.LastSeq, when(s.LastTime, now))
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nconsumers")
	if len(st.Consumers) == 0 {
		fmt.Fprintln(w, "  none")
	} else {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  NAME\tKIND\tFILTER\tPENDING\tACK PENDING\tREDELIVERED\tDELIVERED SEQ")
		for _, c := range st.Consumers {
			kind := "ephemeral"
			if c.Durable {
				kind = "durable"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%d\n", c.Name, kind, orDash(c.Filter), c.Pending, c.AckPending, c.Redelivered, c.Delivered)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	fmt.Fprintf(w, "\nsnapshot (%s)\n", projections.SnapshotBucket)
	switch {
	case st.Snapshots == nil:
		fmt.Fprintln(w, "  no bucket: no commentd has started here yet")
	case len(st.Snapshots) == 0:
		fmt.Fprintln(w, "  none saved yet: commentd rebuilds from sequence 1 on start")
	}
	for _, sn := range st.Snapshots {
		if sn.Error != "" {
			fmt.Fprintf(w, "  %s: not usable (%s); commentd rebuilds from sequence 1 on start\n", sn.Object, sn.Error)
			continue
		}
		behind := "up to date"
		if s.LastSeq > sn.Seq {
			behind = fmt.Sprintf("%d events behind the log", s.LastSeq-sn.Seq)
		}
		fmt.Fprintf(w, "  %s: seq %d, %s, saved %s, %d bytes\n", sn.Object, sn.Seq, behind, when(sn.SavedAt, now), sn.Bytes)
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
	return fmt.Sprintf("%s (%s ago)", t.UTC().Format(time.RFC3339), now.Sub(t).Round(time.Second))
}
