package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is the JetStream KV bucket of the notifications' state. It never
// holds an e-mail address: an address is known by its keyed hash
// (Keys.AddressHash), and the address itself is read again, sealed, from
// the comment's submission whenever a mail is due, so an author's erasure
// leaves nothing here to write to. Its keys:
//
//	addr.<hash>                the address's standing: verified, unsubscribed
//	verify.<hash>              a verification mail went out (expires: VerifyEvery)
//	sent.<event id>.<kind>     a mail for that event went out (expires: sentTTL)
const Bucket = "NOTIFY"

// sentTTL is how long the bucket remembers that an event's mail went out:
// far longer than a delivery is retried (MaxDeliver × the longest back-off),
// so a redelivery after a lost ack never mails twice.
const sentTTL = 30 * 24 * time.Hour

// markerTTL: how long the marker of an expired key stays (the bucket
// needs one for per-key expiry).
const markerTTL = time.Minute

// opTimeout bounds one bucket operation when the caller set no sooner
// deadline.
const opTimeout = 2 * time.Second

// Provision creates the bucket, or updates it to replicas: with the
// operator's credential (commentd --roles setup, or the all-in-one).
func Provision(ctx context.Context, js jetstream.JetStream, replicas int) error {
	_, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:         Bucket,
		Description:    "Readers' e-mail notifications: addresses (by keyed hash) verified or unsubscribed, verifications and mails sent.",
		Storage:        jetstream.FileStorage,
		Replicas:       max(replicas, 1),
		History:        1,
		LimitMarkerTTL: markerTTL,
	})
	if err != nil {
		return fmt.Errorf("notify: %s bucket: %w", Bucket, err)
	}
	return nil
}

// State is the bucket as the notifier and the web server use it.
type State struct {
	kv  jetstream.KeyValue
	now func() time.Time
}

// Attach opens the provisioned bucket without changing it.
func Attach(ctx context.Context, js jetstream.JetStream) (*State, error) {
	kv, err := js.KeyValue(ctx, Bucket)
	if err != nil {
		return nil, fmt.Errorf("notify: %s bucket: %w", Bucket, err)
	}
	return &State{kv: kv, now: time.Now}, nil
}

// Address is what is known of one address.
type Address struct {
	Verified     time.Time `json:"verified,omitzero"`
	Unsubscribed time.Time `json:"unsubscribed,omitzero"`
}

// Mailable: the reader proved the address is theirs and did not ask us
// to stop.
func (a Address) Mailable() bool { return !a.Verified.IsZero() && a.Unsubscribed.IsZero() }

func addrKey(hash string) string   { return "addr." + hash }
func verifyKey(hash string) string { return "verify." + hash }
func sentKey(event string, k Kind) string {
	return "sent." + event + "." + string(k)
}

func bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, opTimeout)
}

// Address reads an address's standing (the zero Address when nothing is
// known of it).
func (s *State) Address(ctx context.Context, hash string) (Address, error) {
	a, _, err := s.address(ctx, hash)
	return a, err
}

func (s *State) address(ctx context.Context, hash string) (Address, uint64, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	e, err := s.kv.Get(ctx, addrKey(hash))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Address{}, 0, nil
	}
	if err != nil {
		return Address{}, 0, fmt.Errorf("notify: read address: %w", err)
	}
	var a Address
	if err := json.Unmarshal(e.Value(), &a); err != nil {
		return Address{}, 0, fmt.Errorf("notify: address record: %w", err)
	}
	return a, e.Revision(), nil
}

// Verify records that the reader opened the verification link sent to
// the address. It is idempotent: the first time stays.
func (s *State) Verify(ctx context.Context, hash string) error {
	return s.change(ctx, hash, func(a *Address) {
		if a.Verified.IsZero() {
			a.Verified = s.now().UTC()
		}
	})
}

// Unsubscribe records that no more mail goes to the address, from any
// link of any mail (a verification mail too: that is how someone whose
// address another person typed stops it). Idempotent.
func (s *State) Unsubscribe(ctx context.Context, hash string) error {
	return s.change(ctx, hash, func(a *Address) {
		if a.Unsubscribed.IsZero() {
			a.Unsubscribed = s.now().UTC()
		}
	})
}

// change applies f to the address's record, again on a concurrent write.
func (s *State) change(ctx context.Context, hash string, f func(*Address)) error {
	for range 5 {
		a, rev, err := s.address(ctx, hash)
		if err != nil {
			return err
		}
		f(&a)
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		bctx, cancel := bound(ctx)
		if rev == 0 {
			_, err = s.kv.Create(bctx, addrKey(hash), b)
		} else {
			_, err = s.kv.Update(bctx, addrKey(hash), b, rev)
		}
		cancel()
		if err == nil {
			return nil
		}
		if !lostRace(err) {
			return fmt.Errorf("notify: write address: %w", err)
		}
	}
	return errors.New("notify: write address: too many concurrent writers")
}

// claimVerification reserves the one verification mail an address may
// get per every: true when event may send it (it made the claim, or made
// it before and is delivered again), false when another submission's
// verification is still pending.
func (s *State) claimVerification(ctx context.Context, hash, event string, every time.Duration) (bool, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.kv.Create(ctx, verifyKey(hash), []byte(event), jetstream.KeyTTL(every))
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return false, fmt.Errorf("notify: claim a verification: %w", err)
	}
	e, err := s.kv.Get(ctx, verifyKey(hash))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, fmt.Errorf("notify: claim a verification: it expired meanwhile: %w", err)
	}
	if err != nil {
		return false, fmt.Errorf("notify: claim a verification: %w", err)
	}
	return string(e.Value()) == event, nil
}

// wasSent reports whether the mail of kind for event went out already.
func (s *State) wasSent(ctx context.Context, event string, k Kind) (bool, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.kv.Get(ctx, sentKey(event, k))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("notify: read a sent mark: %w", err)
	}
	return true, nil
}

// markSent records that the mail of kind for event went out.
func (s *State) markSent(ctx context.Context, event string, k Kind) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.kv.Create(ctx, sentKey(event, k), []byte(s.now().UTC().Format(time.RFC3339)), jetstream.KeyTTL(sentTTL))
	if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("notify: mark a mail sent: %w", err)
	}
	return nil
}

// lostRace: another writer changed the key since it was read.
func lostRace(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var api *jetstream.APIError
	return errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
