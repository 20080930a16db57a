package events

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	codec "github.com/goccy/go-json"
)

// Crypto-shredding. The personal fields of a submission (the display name,
// the author id, which for an anonymous reader is that name, the text, the
// address hash, and the e-mail address left for notifications) are sealed with a data key of their author (AES-256-GCM)
// before they reach the log, which is never rewritten. The keys live outside
// the stream, in the KeysBucket; erasing an author destroys their keys, and
// from then on every reader of the log, a rebuild from sequence 1 included,
// opens those fields as Removed.
//
// The bucket is write-once per key: its stream discards a new message on a
// subject that holds one (DiscardNewPerSubject), so a role that may create
// keys can neither overwrite nor delete one (a KV delete is a new message).
// Only the message-delete API of its stream removes a key, and the
// permission table gives that to the erasure path alone.
//
//	author.<AuthorKey(author id)> → the author's current key id
//	key.<key id>                  → 32 random bytes
//
// Key ids are random, so the log links an author's comments to each other
// but not to them.

// KeysBucket holds the authors' data keys.
const KeysBucket = "AUTHOR_KEYS"

// KeysStream is the stream behind KeysBucket.
const KeysStream = "KV_" + KeysBucket

// Removed is what an erased author's personal fields read as.
const Removed = "[removed]"

// keyCacheTTL bounds how long a process trusts a data key it read: a key
// destroyed by another process stops opening here within it (sooner when
// this process reads the AuthorErased event, which names the keys).
const keyCacheTTL = time.Minute

const keyCacheMax = 50000

// Keyring seals and opens the personal fields of submissions. Safe for
// concurrent use.
type Keyring struct {
	kv     jetstream.KeyValue
	stream jetstream.Stream

	mu    sync.Mutex
	cache map[string]cachedKey // key id → key (nil: destroyed)
}

type cachedKey struct {
	aead cipher.AEAD
	at   time.Time
}

// OpenKeys creates the keys bucket, or updates it to replicas, and returns
// its keyring: provisioning only.
func OpenKeys(ctx context.Context, js jetstream.JetStream, replicas int) (*Keyring, error) {
	cfg := jetstream.StreamConfig{
		Name:                 KeysStream,
		Description:          "Authors' data keys (crypto-shredding): write-once per key, destroyed on erasure.",
		Subjects:             []string{"$KV." + KeysBucket + ".>"},
		Storage:              jetstream.FileStorage,
		Replicas:             max(replicas, 1),
		MaxMsgsPerSubject:    1,
		Discard:              jetstream.DiscardNew,
		DiscardNewPerSubject: true,
		AllowDirect:          true,
		// DenyDelete stays off: deleting a key's message is how it is
		// destroyed (a secure delete overwrites it on disk).
		DenyPurge: true,
	}
	if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return nil, fmt.Errorf("events: create %s: %w", KeysStream, err)
	}
	return AttachKeys(ctx, js)
}

// AttachKeys returns the keyring of the existing keys bucket, or
// ErrNotFound when it was never provisioned.
func AttachKeys(ctx context.Context, js jetstream.JetStream) (*Keyring, error) {
	kv, err := js.KeyValue(ctx, KeysBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("events: %s: %w", KeysBucket, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("events: %s: %w", KeysBucket, err)
	}
	stream, err := js.Stream(ctx, KeysStream)
	if err != nil {
		return nil, fmt.Errorf("events: %s: %w", KeysStream, err)
	}
	return &Keyring{kv: kv, stream: stream, cache: map[string]cachedKey{}}, nil
}

func authorEntry(authorID string) string { return "author." + AuthorKey(authorID) }
func keyEntry(kid string) string         { return "key." + kid }

// personal is what a submission seals.
type personal struct {
	Author   string `json:"author"`
	AuthorID string `json:"author_id"`
	Text     string `json:"text"`
	Source   string `json:"source,omitempty"`
	Email    string `json:"email,omitempty"`
	Lang     string `json:"lang,omitempty"`
}

// Seal replaces the personal fields of p with their encryption under the
// author's current key, made on the author's first submission (or first
// after an erasure). ad binds the sealed bytes to one event (its id), so
// they cannot be moved to another.
func (k *Keyring) Seal(ctx context.Context, p *Submitted, ad string) error {
	if p.Key != "" {
		return nil
	}
	kid, aead, err := k.authorKey(ctx, p.AuthorID)
	if err != nil {
		return err
	}
	plain, err := codec.Marshal(personal{Author: p.Author, AuthorID: p.AuthorID, Text: p.Text, Source: p.Source, Email: p.Email, Lang: p.Lang})
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	p.Sealed = aead.Seal(nonce, nonce, plain, []byte(ad))
	p.Key = kid
	p.Author, p.AuthorID, p.Text, p.Source, p.Email, p.Lang = "", "", "", "", "", ""
	return nil
}

// authorKey is the author's current key, made if there is none.
func (k *Keyring) authorKey(ctx context.Context, authorID string) (string, cipher.AEAD, error) {
	for range 3 {
		e, err := k.kv.Get(ctx, authorEntry(authorID))
		if err == nil {
			kid := string(e.Value())
			aead, err := k.key(ctx, kid)
			if err != nil {
				return "", nil, err
			}
			if aead != nil {
				return kid, aead, nil
			}
			// The key was destroyed and the author entry not yet (an
			// erasure under way): wait for it to finish.
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return "", nil, fmt.Errorf("events: author key: %w", unavailable(ctx, err))
		}
		raw := make([]byte, 32)
		rand.Read(raw)
		id := make([]byte, 16)
		rand.Read(id)
		kid := hex.EncodeToString(id)
		// The key first, then the author's pointer to it: a pointer never
		// names a key that is not there. Two first submissions at once:
		// the loser's key stays unused (32 bytes) and it takes the
		// winner's.
		if _, err := k.kv.Create(ctx, keyEntry(kid), raw); err != nil {
			return "", nil, fmt.Errorf("events: new author key: %w", unavailable(ctx, err))
		}
		if _, err := k.kv.Create(ctx, authorEntry(authorID), []byte(kid)); err != nil {
			if ctx.Err() != nil {
				return "", nil, err
			}
			continue // another writer made it first: read theirs
		}
		aead, err := newAEAD(raw)
		if err != nil {
			return "", nil, err
		}
		k.remember(kid, aead)
		return kid, aead, nil
	}
	return "", nil, fmt.Errorf("events: author key: %w", ErrUnavailable)
}

// key is the cipher of key id kid, nil when the key was destroyed.
func (k *Keyring) key(ctx context.Context, kid string) (cipher.AEAD, error) {
	k.mu.Lock()
	c, ok := k.cache[kid]
	k.mu.Unlock()
	if ok && time.Since(c.at) < keyCacheTTL {
		return c.aead, nil
	}
	e, err := k.kv.Get(ctx, keyEntry(kid))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		k.remember(kid, nil)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("events: data key %s: %w", kid, unavailable(ctx, err))
	}
	aead, err := newAEAD(e.Value())
	if err != nil {
		return nil, err
	}
	k.remember(kid, aead)
	return aead, nil
}

func (k *Keyring) remember(kid string, aead cipher.AEAD) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.cache) >= keyCacheMax {
		clear(k.cache)
	}
	k.cache[kid] = cachedKey{aead: aead, at: time.Now()}
}

// Forget drops keys from the cache: they were destroyed.
func (k *Keyring) Forget(kids ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, kid := range kids {
		k.cache[kid] = cachedKey{at: time.Now()}
	}
}

func newAEAD(raw []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("events: data key: %w", err)
	}
	return cipher.NewGCM(block)
}

// Open restores the personal fields of a sealed submission in place. A
// destroyed key opens them as Removed with Erased set; that is no error.
// Its error means the key could not be read now (retry later), or the
// sealed bytes are not what this key sealed (ErrInvalid).
func (k *Keyring) Open(ctx context.Context, p *Submitted, ad string) error {
	if p.Key == "" {
		return nil
	}
	aead, err := k.key(ctx, p.Key)
	if err != nil {
		return err
	}
	if aead == nil {
		p.Author, p.Text, p.AuthorID, p.Source, p.Email, p.Lang, p.Erased = Removed, Removed, "", "", "", "", true
		p.Sealed = nil
		return nil
	}
	if len(p.Sealed) < aead.NonceSize() {
		return fmt.Errorf("%w: sealed fields too short", ErrInvalid)
	}
	plain, err := aead.Open(nil, p.Sealed[:aead.NonceSize()], p.Sealed[aead.NonceSize():], []byte(ad))
	if err != nil {
		return fmt.Errorf("%w: sealed fields do not open: %v", ErrInvalid, err)
	}
	var f personal
	if err := codec.Unmarshal(plain, &f); err != nil {
		return fmt.Errorf("%w: sealed fields: %v", ErrInvalid, err)
	}
	p.Author, p.AuthorID, p.Text, p.Source, p.Sealed = f.Author, f.AuthorID, f.Text, f.Source, nil
	p.Email, p.Lang = f.Email, f.Lang
	return nil
}

// SealEdit replaces the text of an edit with its encryption under key id
// p.Key, the key of the comment's submission, so that destroying that key
// erases the edit with the comment. ad binds the sealed bytes to the
// edit's event id. A destroyed key refuses the edit (ErrNotFound): the
// comment's author was erased.
func (k *Keyring) SealEdit(ctx context.Context, p *Edited, ad string) error {
	if p.Key == "" || p.Sealed != nil {
		return nil
	}
	aead, err := k.key(ctx, p.Key)
	if err != nil {
		return err
	}
	if aead == nil {
		return fmt.Errorf("events: the comment's key was destroyed: %w", ErrNotFound)
	}
	plain, err := codec.Marshal(personal{Text: p.Text})
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	p.Sealed = aead.Seal(nonce, nonce, plain, []byte(ad))
	p.Text = ""
	return nil
}

// OpenEdit restores the text of a sealed edit in place, as Open does for
// a submission: a destroyed key opens it as Removed with Erased set.
func (k *Keyring) OpenEdit(ctx context.Context, p *Edited, ad string) error {
	if p.Key == "" || p.Sealed == nil {
		return nil
	}
	aead, err := k.key(ctx, p.Key)
	if err != nil {
		return err
	}
	if aead == nil {
		p.Text, p.Sealed, p.Erased = Removed, nil, true
		return nil
	}
	if len(p.Sealed) < aead.NonceSize() {
		return fmt.Errorf("%w: sealed fields too short", ErrInvalid)
	}
	plain, err := aead.Open(nil, p.Sealed[:aead.NonceSize()], p.Sealed[aead.NonceSize():], []byte(ad))
	if err != nil {
		return fmt.Errorf("%w: sealed fields do not open: %v", ErrInvalid, err)
	}
	var f personal
	if err := codec.Unmarshal(plain, &f); err != nil {
		return fmt.Errorf("%w: sealed fields: %v", ErrInvalid, err)
	}
	p.Text, p.Sealed = f.Text, nil
	return nil
}

// CurrentKey is the author's current key id, "" when they have none.
func (k *Keyring) CurrentKey(ctx context.Context, authorID string) (string, error) {
	e, err := k.kv.Get(ctx, authorEntry(authorID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("events: author key: %w", unavailable(ctx, err))
	}
	return string(e.Value()), nil
}

// Destroy removes the pointer of the author whose AuthorKey is authorKey
// and the keys kids, for good (a secure delete: the stored bytes are
// overwritten). Destroying what is gone already is no error, so an
// erasure can run again. It needs the erasure path's permission on the
// keys stream (the operator's, the projector's).
func (k *Keyring) Destroy(ctx context.Context, authorKey string, kids []string) error {
	entries := []string{"author." + authorKey}
	for _, kid := range kids {
		entries = append(entries, keyEntry(kid))
	}
	k.Forget(kids...)
	for _, name := range entries {
		msg, err := k.stream.GetLastMsgForSubject(ctx, "$KV."+KeysBucket+"."+name)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("events: destroy %s: %w", name, unavailable(ctx, err))
		}
		if err := k.stream.SecureDeleteMsg(ctx, msg.Sequence); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("events: destroy %s: %w", name, err)
		}
	}
	k.Forget(kids...)
	return nil
}
