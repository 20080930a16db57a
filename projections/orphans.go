package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// SnapshotStream is the stream behind the snapshot bucket.
const SnapshotStream = "OBJ_" + SnapshotBucket

var chunkPrefix = "$O." + SnapshotBucket + ".C."

// cleanOrphanChunks purges the chunks in the snapshot bucket that no
// object names: what a save interrupted before its metadata (a killed
// process, an expired context the client's own clean-up then also ran
// under) leaves behind. A save in progress has no metadata yet either, so
// only chunk subjects that received nothing for olderThan are purged. It
// returns how many subjects it purged.
func cleanOrphanChunks(ctx context.Context, stream jetstream.Stream, obj jetstream.ObjectStore, olderThan time.Duration) (int, error) {
	live := map[string]bool{}
	infos, err := obj.List(ctx, jetstream.ListObjectsShowDeleted())
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		return 0, fmt.Errorf("projections: list snapshots: %w", err)
	}
	for _, i := range infos {
		if !i.Deleted {
			live[i.NUID] = true
		}
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(chunkPrefix+">"))
	if err != nil {
		return 0, fmt.Errorf("projections: snapshot chunks: %w", err)
	}
	n := 0
	for subj := range info.State.Subjects {
		if live[strings.TrimPrefix(subj, chunkPrefix)] {
			continue
		}
		last, err := stream.GetLastMsgForSubject(ctx, subj)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("projections: snapshot chunk %s: %w", subj, err)
		}
		if time.Since(last.Time) < olderThan {
			continue
		}
		if err := stream.Purge(ctx, jetstream.WithPurgeSubject(subj)); err != nil {
			return n, fmt.Errorf("projections: purge orphaned chunks %s: %w", subj, err)
		}
		n++
	}
	return n, nil
}
