package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/projections"
)

// snapshotStatus is one object of the PROJECTIONS bucket as rebuild
// checks it: downloaded and loaded, to tell the sequence it reflects.
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
