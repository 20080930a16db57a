package projections

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
)

// lockedBuffer is a log a projector writes while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestCatchUpInBulk: a projector that starts far behind the stream (a
// history loaded or imported while none ran) catches up in bulk, into the
// buckets that serve, then follows event by event; its views then hold
// exactly what a projector that followed every event one by one holds,
// reports and what is still held included.
func TestCatchUpInBulk(t *testing.T) {
	defer func(n int, from uint64) { rebuildCheckpointEvery, catchUpFrom = n, from }(rebuildCheckpointEvery, catchUpFrom)
	rebuildCheckpointEvery, catchUpFrom = 64, 300
	f := newAllViews(t)
	f.stop()
	ctx := context.Background()
	for i := range 400 {
		id := f.add(i%4 == 0)
		if i%7 == 0 {
			rep, _ := events.New(uuid.NewString(), events.CommentReported, "a1", id, events.ActorReader, "", time.Now(), events.Reported{Reason: "spam", ReporterID: "ip:1"})
			if _, err := f.log.Append(ctx, rep); err != nil {
				t.Fatal(err)
			}
		}
	}
	var logs lockedBuffer
	f.logger = slog.New(slog.NewTextHandler(&logs, nil))
	f.start(t)
	if !strings.Contains(logs.String(), "views caught up in bulk") {
		t.Fatalf("the projector did not catch up in bulk:\n%s", logs.String())
	}
	f.add(true)
	f.add(false)
	f.caughtUp(t)
	f.stop()
	catchUpFrom = math.MaxUint64 // the reference follows every event
	f.compareWithReference(t)
}
