package projections

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/internal/natstest"
)

// TestOrphanedChunksAreCleaned: chunks an interrupted save left (no
// metadata names them) are purged once stale; the snapshot itself and a
// save still writing its chunks are kept.
func TestOrphanedChunksAreCleaned(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t))
	ctx := context.Background()
	obj, err := OpenSnapshots(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("snapshot "), 100_000) // several chunks
	if _, err := obj.PutBytes(ctx, snapshotObject, data); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := js.Publish(ctx, chunkPrefix+"interrupted", []byte("half a snapshot")); err != nil {
			t.Fatal(err)
		}
	}
	stream, err := js.Stream(ctx, SnapshotStream)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := cleanOrphanChunks(ctx, stream, obj, time.Hour); err != nil || n != 0 {
		t.Fatalf("fresh chunks (a save in progress): purged %d, %v; want 0", n, err)
	}
	if n, err := cleanOrphanChunks(ctx, stream, obj, 0); err != nil || n != 1 {
		t.Fatalf("stale orphan: purged %d, %v; want 1", n, err)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(chunkPrefix+">"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := info.State.Subjects[chunkPrefix+"interrupted"]; ok || len(info.State.Subjects) != 1 {
		t.Fatalf("chunk subjects after cleaning: %v", info.State.Subjects)
	}
	got, err := obj.GetBytes(ctx, snapshotObject)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the snapshot after cleaning: %d bytes, %v", len(got), err)
	}
	// A new save replaces the old chunks; nothing is left to clean.
	if _, err := obj.PutBytes(ctx, snapshotObject, data[:1000]); err != nil {
		t.Fatal(err)
	}
	if n, err := cleanOrphanChunks(ctx, stream, obj, 0); err != nil || n != 0 {
		t.Fatalf("after a complete save: purged %d, %v; want 0", n, err)
	}
}
