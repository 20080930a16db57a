package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Appender stores events as the Log's Append and AppendAfter do (the same
// Nats-Msg-Id, the same expected-stream and expected-sequence headers,
// the same sealing), without waiting for each ack: for a bulk writer such
// as an import, which would otherwise run at one round trip an event.
// The caller bounds how many are in flight and orders what depends on
// what: two appends are stored in the order they were called only if the
// second was called after the first one's done. Safe for concurrent use.
type Appender struct {
	l  *Log
	js jetstream.JetStream
}

// AsyncTimeout bounds the wait for one asynchronous append's ack. It is
// longer than the Log's own bound: an ack behind a full window of others
// waits for them too.
const AsyncTimeout = 10 * time.Second

// Appended is what the stream answered to an asynchronous append.
type Appended struct {
	Seq uint64
	// Duplicate: the stream held this event id already (within its
	// duplicate window) and stored nothing; Seq is the first copy's.
	Duplicate bool
}

// Appender returns an appender on the log's connection. Its acks are
// bounded by AsyncTimeout, and the appends still in flight when the
// connection is lost end with an error, so every one is answered.
func (l *Log) Appender() (*Appender, error) {
	js, err := jetstream.New(l.js.Conn(), jetstream.WithPublishAsyncTimeout(AsyncTimeout),
		// The caller's window bounds what is in flight; this bound only
		// keeps a caller without one from growing without limit.
		jetstream.WithPublishAsyncMaxPending(1<<16))
	if err != nil {
		return nil, fmt.Errorf("events: appender: %w", err)
	}
	return &Appender{l: l, js: js}, nil
}

// Append is Log.Append without the wait: done is called once, from
// another goroutine, with the outcome. An error returned here means done
// will not be called and nothing was sent.
func (a *Appender) Append(ctx context.Context, e Envelope, done func(Appended, error)) error {
	return a.append(ctx, e, done)
}

// AppendAfter is Log.AppendAfter without the wait (after 0: the comment
// has no event yet); a lost race is ErrConflict in done.
func (a *Appender) AppendAfter(ctx context.Context, e Envelope, after uint64, done func(Appended, error)) error {
	scope, err := Subject(e)
	if err != nil {
		return err
	}
	if _, ok := commentToken[e.Type]; ok {
		scope = CommentSubjects(e.Article, e.Comment)
	}
	return a.append(ctx, e, done, jetstream.WithExpectLastSequenceForSubject(after, scope))
}

// AppendFirst stores e only if its own subject holds no event yet: for a
// comment's decision, only if the comment never had one of that kind
// (comments.<article>.<comment>.approved, …). An importer's decision is
// then stored once however often the import runs, beyond the duplicate
// window too, without reading the comment first. ErrConflict in done
// when there is one.
func (a *Appender) AppendFirst(ctx context.Context, e Envelope, done func(Appended, error)) error {
	return a.append(ctx, e, done, jetstream.WithExpectLastSequencePerSubject(0))
}

func (a *Appender) append(ctx context.Context, e Envelope, done func(Appended, error), opts ...jetstream.PublishOpt) error {
	l := a.l
	subject, err := Subject(e)
	if err != nil {
		return err
	}
	sctx, scancel := l.bound(ctx)
	err = l.seal(sctx, &e)
	scancel()
	if err != nil {
		return fmt.Errorf("events: seal %s: %w", e.ID, unavailable(ctx, err))
	}
	data, err := Encode(e)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	opts = append(opts, jetstream.WithMsgID(e.ID), jetstream.WithExpectStream(StreamName))
	f, err := a.js.PublishMsgAsync(&nats.Msg{Subject: subject, Data: data}, opts...)
	if err != nil {
		return fmt.Errorf("events: append %s to %s: %w", e.Type, subject, unavailable(ctx, err))
	}
	go func() {
		select {
		case ack := <-f.Ok():
			if l.onAppend != nil && !ack.Duplicate {
				l.onAppend(e.Type)
			}
			done(Appended{Seq: ack.Sequence, Duplicate: ack.Duplicate}, nil)
		case err := <-f.Err():
			switch {
			case lostRace(err):
				err = fmt.Errorf("events: append %s to %s: %w", e.Type, e.Comment, ErrConflict)
			case errors.Is(err, jetstream.ErrAsyncPublishTimeout) || errors.Is(err, nats.ErrDisconnected):
				// Sent, and maybe stored: a retry with the same id is
				// safe (stored once within the duplicate window).
				err = fmt.Errorf("events: append %s to %s: %w: %w", e.Type, subject, ErrUnavailable, err)
			default:
				err = fmt.Errorf("events: append %s to %s: %w", e.Type, subject, unavailable(context.Background(), err))
			}
			done(Appended{}, err)
		}
	}()
	return nil
}
