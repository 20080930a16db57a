package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// RedeliveredFromHeader names the sequence a redelivered event was copied
// from, for audits of the log.
const RedeliveredFromHeader = "Commentd-Redelivered-From"

// Redeliver stores the event at seq again at the end of the log, so the
// consumers that gave up on it (a dead letter) receive it once more, and
// returns the new sequence.
//
// The copy is stored only while the original is still the newest event of
// its comment. If anything happened to the comment since (a decision, an
// earlier redelivery) it fails with ErrConflict: a submission that was
// decided in the meantime is not decided again, and of two operators who
// redeliver the same event one wins. A retried call within the duplicate
// window returns the sequence of the first copy.
func (l *Log) Redeliver(ctx context.Context, seq uint64) (uint64, error) {
	orig, err := l.stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, fmt.Errorf("events: redeliver %d: %w", seq, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("events: redeliver %d: %w", seq, err)
	}
	// The same filter AppendAfter uses, so a decision appended after the
	// original counts as "something happened".
	filter := orig.Subject
	if t := strings.Split(orig.Subject, "."); len(t) == 4 && t[0] == "comments" {
		filter = CommentSubjects(t[1], t[2])
	}
	msg := &nats.Msg{Subject: orig.Subject, Data: orig.Data, Header: nats.Header{}}
	msg.Header.Set(RedeliveredFromHeader, strconv.FormatUint(seq, 10))
	ack, err := l.js.PublishMsg(ctx, msg,
		jetstream.WithMsgID("redeliver:"+strconv.FormatUint(seq, 10)),
		jetstream.WithExpectStream(StreamName),
		jetstream.WithExpectLastSequenceForSubject(seq, filter))
	if err != nil {
		if lostRace(err) {
			return 0, fmt.Errorf("events: redeliver %d: the comment has newer events: %w", seq, ErrConflict)
		}
		return 0, fmt.Errorf("events: redeliver %d: %w", seq, err)
	}
	return ack.Sequence, nil
}
