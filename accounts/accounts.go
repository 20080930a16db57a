// Package accounts keeps the moderators' and admins' accounts, their
// browser sessions and their API tokens in JetStream key-value buckets.
//
// Credentials are mutable secrets, not facts: they live in buckets that
// can be changed and deleted, never in the immutable event log. Passwords
// are stored as bcrypt hashes; sessions and tokens as SHA-256 hashes of
// the random secret handed out, so a copy of the buckets logs nobody in.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/newsroom/commentd/events"
)

// Bucket names.
const (
	AccountsBucket = "ACCOUNTS"
	SessionsBucket = "SESSIONS"
)

// Role is what an account may do.
type Role string

const (
	// Moderator works the queues, decides comments, bans authors.
	Moderator Role = "moderator"
	// Admin may also add and remove accounts.
	Admin Role = "admin"
)

// Allows reports whether r may do what need may.
func (r Role) Allows(need Role) bool {
	return r == need || r == Admin && need == Moderator
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == Moderator || r == Admin }

// Account is one person who moderates.
type Account struct {
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	PasswordHash []byte    `json:"password_hash,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	CreatedBy    string    `json:"created_by,omitempty"`
	// Generation is made at random each time the name is added. Its
	// sessions and tokens carry it and are honoured only while it
	// matches: a name removed and added again is a new account, and the
	// old one's credentials never come back to life with it. Accounts
	// made before generations existed have none, and so do their
	// credentials; any re-creation gives the name one.
	Generation string `json:"generation,omitempty"`
}

// public is a for callers outside the store: without the password hash
// and the generation, which only the store compares.
func (a Account) public() Account {
	a.PasswordHash, a.Generation = nil, ""
	return a
}

// Actor is the actor recorded in events for what this account does.
func (a Account) Actor() string { return events.ModeratorActor + a.Name }

// Session is a signed-in browser.
type Session struct {
	Account    string    `json:"account"`
	Generation string    `json:"generation,omitempty"` // of the account when signed in
	CSRF       string    `json:"csrf"`                 // the token the UI sends with every change
	Created    time.Time `json:"created"`
}

// Token is an API token for scripts; its secret is shown once.
type Token struct {
	ID         string    `json:"id"`
	Account    string    `json:"account"`
	Generation string    `json:"generation,omitempty"` // of the account when made
	Label      string    `json:"label,omitempty"`
	Created    time.Time `json:"created"`
}

// Errors. They wrap the events sentinels, so the HTTP layer maps them in
// its one place.
var (
	// ErrBadCredentials: unknown name, wrong password, unknown or expired
	// session or token. Deliberately one error: the caller learns nothing
	// about which part was wrong.
	ErrBadCredentials = errors.New("bad credentials")
	// ErrNameTaken: an account of that name exists. It is an
	// events.ErrConflict too.
	ErrNameTaken = fmt.Errorf("the name is taken: %w", events.ErrConflict)
)

// MaxNameLen bounds an account name.
const MaxNameLen = 64

// reservedNames cannot name an account: "admin-token" is the name (and
// actor) of whoever holds the bootstrap admin token, and an account of that
// name would be indistinguishable from it in every event and log line.
var reservedNames = map[string]bool{"admin-token": true}

// Config is what an operator chooses about accounts.
type Config struct {
	Replicas int
	// SessionTTL is how long a browser stays signed in.
	SessionTTL time.Duration
	// BcryptCost is the bcrypt work factor; tests lower it.
	BcryptCost int
}

// Store keeps accounts, tokens and sessions.
type Store struct {
	kv       jetstream.KeyValue // account.<name>, token.<hash>
	sessions jetstream.KeyValue // <hash>, expiring with the bucket's TTL
	cost     int
	// dummy is compared against when a name is unknown, so a login for
	// an unknown name takes as long as one for a known name.
	dummy []byte
}

// bucketConfigs are the buckets as cfg wants them.
func bucketConfigs(cfg Config) []jetstream.KeyValueConfig {
	return []jetstream.KeyValueConfig{{
		Bucket: AccountsBucket, Description: "Moderator and admin accounts and API tokens (hashed).",
		Storage: jetstream.FileStorage, Replicas: cfg.Replicas, History: 10,
	}, {
		Bucket: SessionsBucket, Description: "Signed-in moderators' browser sessions (hashed).",
		Storage: jetstream.FileStorage, Replicas: cfg.Replicas, TTL: cfg.SessionTTL,
	}}
}

// Open creates the buckets, or updates them to cfg, and returns the
// store: for provisioning, with the operator's credential.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	cfg.setDefaults()
	for _, bc := range bucketConfigs(cfg) {
		if _, err := js.CreateOrUpdateKeyValue(ctx, bc); err != nil {
			return nil, fmt.Errorf("accounts: bucket %s: %w", bc.Bucket, err)
		}
	}
	return Attach(ctx, js, cfg)
}

// AttachOrCreate attaches to the buckets that exist, leaving their
// replicas and session TTL as the operator set them, and creates with cfg
// only those that do not: for tools, which may make the first account of
// a fresh install but must never reconfigure a live one.
func AttachOrCreate(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	cfg.setDefaults()
	for _, bc := range bucketConfigs(cfg) {
		_, err := js.KeyValue(ctx, bc.Bucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			// CreateKeyValue never changes a bucket made meanwhile.
			_, err = js.CreateKeyValue(ctx, bc)
			if errors.Is(err, jetstream.ErrBucketExists) {
				err = nil
			}
		}
		if err != nil {
			return nil, fmt.Errorf("accounts: bucket %s: %w", bc.Bucket, err)
		}
	}
	return Attach(ctx, js, cfg)
}

// Attach returns the store of the existing buckets without changing
// their configuration: for the api, whose credential may use the buckets
// but not create or change them.
func Attach(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	cfg.setDefaults()
	kv, err := js.KeyValue(ctx, AccountsBucket)
	if err != nil {
		return nil, fmt.Errorf("accounts: bucket %s: %w", AccountsBucket, err)
	}
	sessions, err := js.KeyValue(ctx, SessionsBucket)
	if err != nil {
		return nil, fmt.Errorf("accounts: bucket %s: %w", SessionsBucket, err)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("not a password anyone has"), cfg.BcryptCost)
	if err != nil {
		return nil, err
	}
	return &Store{kv: kv, sessions: sessions, cost: cfg.BcryptCost, dummy: dummy}, nil
}

func (c *Config) setDefaults() {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.BcryptCost == 0 {
		c.BcryptCost = bcrypt.DefaultCost
	}
}

// ValidName reports whether name can name an account: 1 to MaxNameLen of
// [a-z0-9_-].
func ValidName(name string) bool {
	if name == "" || len(name) > MaxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Add creates an account; ErrNameTaken when the name is taken.
func (s *Store) Add(ctx context.Context, name, password string, role Role, by string) (Account, error) {
	if !ValidName(name) {
		return Account{}, fmt.Errorf("%w: an account name is 1 to %d of a-z, 0-9, '-' and '_'", events.ErrInvalid, MaxNameLen)
	}
	if reservedNames[name] {
		return Account{}, fmt.Errorf("%w: the account name %q is reserved", events.ErrInvalid, name)
	}
	if !role.Valid() {
		return Account{}, fmt.Errorf("%w: role is moderator or admin", events.ErrInvalid)
	}
	if err := CheckPassword(name, password); err != nil {
		return Account{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: hash: %w", err)
	}
	gen, _ := secret("")
	a := Account{Name: name, Role: role, PasswordHash: hash, CreatedAt: time.Now().UTC(), CreatedBy: by, Generation: gen}
	b, _ := json.Marshal(a)
	if _, err := s.kv.Create(ctx, "account."+name, b); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return Account{}, fmt.Errorf("accounts: %s: %w", name, ErrNameTaken)
		}
		return Account{}, fmt.Errorf("accounts: add %s: %w", name, err)
	}
	return a.public(), nil
}

// Get returns an account (without its hash); ErrNotFound when unknown.
func (s *Store) Get(ctx context.Context, name string) (Account, error) {
	a, err := s.get(ctx, name)
	return a.public(), err
}

func (s *Store) get(ctx context.Context, name string) (Account, error) {
	if !ValidName(name) {
		return Account{}, fmt.Errorf("accounts: %q: %w", name, events.ErrNotFound)
	}
	e, err := s.kv.Get(ctx, "account."+name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Account{}, fmt.Errorf("accounts: %s: %w", name, events.ErrNotFound)
	}
	if err != nil {
		return Account{}, fmt.Errorf("accounts: get %s: %w", name, err)
	}
	var a Account
	if err := json.Unmarshal(e.Value(), &a); err != nil {
		return Account{}, fmt.Errorf("accounts: decode %s: %w", name, err)
	}
	return a, nil
}

// List returns every account, without hashes, by name.
func (s *Store) List(ctx context.Context) ([]Account, error) {
	keys, err := s.kv.ListKeysFiltered(ctx, "account.*")
	if err != nil {
		return nil, fmt.Errorf("accounts: list: %w", err)
	}
	var out []Account
	for k := range keys.Keys() {
		a, err := s.Get(ctx, strings.TrimPrefix(k, "account."))
		if errors.Is(err, events.ErrNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Remove deletes an account. Its sessions and tokens stop working at once,
// and stay dead if the name is added again: each use looks the account up
// and compares its generation. Remove then deletes them too, so they do
// not linger in the buckets; that part is best effort, since the
// generation check alone already refuses them.
func (s *Store) Remove(ctx context.Context, name string) error {
	a, err := s.get(ctx, name)
	if err != nil {
		return err
	}
	// Purge, not Delete: the key's history would keep the password hash.
	if err := s.kv.Purge(ctx, "account."+name); err != nil {
		return fmt.Errorf("accounts: remove %s: %w", name, err)
	}
	_ = s.purgeCredentials(ctx, a)
	return nil
}

// purgeCredentials deletes the tokens and sessions of one account, of
// this generation or an older one (a previous holder of the name whose
// removal was cut short).
func (s *Store) purgeCredentials(ctx context.Context, a Account) error {
	var errs []error
	for _, b := range []struct {
		kv     jetstream.KeyValue
		filter string
	}{{s.kv, "token.>"}, {s.sessions, ">"}} {
		keys, err := b.kv.ListKeysFiltered(ctx, b.filter)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for k := range keys.Keys() {
			e, err := b.kv.Get(ctx, k)
			if err != nil {
				continue // gone meanwhile
			}
			var owner struct {
				Account string `json:"account"`
			}
			if json.Unmarshal(e.Value(), &owner) == nil && owner.Account == a.Name {
				errs = append(errs, b.kv.Purge(ctx, k))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("accounts: purge credentials of %s: %w", a.Name, err)
	}
	return nil
}

// Verify checks a name and password.
func (s *Store) Verify(ctx context.Context, name, password string) (Account, error) {
	a, err := s.get(ctx, name)
	if errors.Is(err, events.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(s.dummy, []byte(password))
		return Account{}, ErrBadCredentials
	}
	if err != nil {
		return Account{}, err
	}
	if bcrypt.CompareHashAndPassword(a.PasswordHash, []byte(password)) != nil {
		return Account{}, ErrBadCredentials
	}
	return a.public(), nil
}

// secret returns a random secret with a prefix saying what it is, and the
// hash under which it is stored.
func secret(prefix string) (string, string) {
	b := make([]byte, 32)
	rand.Read(b)
	sec := prefix + base64.RawURLEncoding.EncodeToString(b)
	return sec, hash(sec)
}

func hash(sec string) string {
	sum := sha256.Sum256([]byte(sec))
	return hex.EncodeToString(sum[:])
}

// NewSession signs an account in; the returned secret goes in a cookie.
// It is ErrBadCredentials when the account was removed since its password
// was verified.
func (s *Store) NewSession(ctx context.Context, name string) (string, Session, error) {
	a, err := s.get(ctx, name)
	if errors.Is(err, events.ErrNotFound) {
		return "", Session{}, ErrBadCredentials
	}
	if err != nil {
		return "", Session{}, err
	}
	sec, key := secret("cs_")
	csrf, _ := secret("")
	sess := Session{Account: name, Generation: a.Generation, CSRF: csrf, Created: time.Now().UTC()}
	b, _ := json.Marshal(sess)
	if _, err := s.sessions.Create(ctx, key, b); err != nil {
		return "", Session{}, fmt.Errorf("accounts: new session: %w", err)
	}
	return sec, sess, nil
}

// Session returns a live session and its account.
func (s *Store) Session(ctx context.Context, sec string) (Session, Account, error) {
	if !strings.HasPrefix(sec, "cs_") {
		return Session{}, Account{}, ErrBadCredentials
	}
	e, err := s.sessions.Get(ctx, hash(sec))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Session{}, Account{}, ErrBadCredentials
	}
	if err != nil {
		return Session{}, Account{}, fmt.Errorf("accounts: session: %w", err)
	}
	var sess Session
	if err := json.Unmarshal(e.Value(), &sess); err != nil {
		return Session{}, Account{}, ErrBadCredentials
	}
	a, err := s.holder(ctx, sess.Account, sess.Generation)
	if err != nil {
		return Session{}, Account{}, err
	}
	return sess, a, nil
}

// holder returns the account a credential was issued to, if it is still
// the same account: the name exists and has the credential's generation.
// Otherwise it is ErrBadCredentials.
func (s *Store) holder(ctx context.Context, name, generation string) (Account, error) {
	a, err := s.get(ctx, name)
	if errors.Is(err, events.ErrNotFound) {
		return Account{}, ErrBadCredentials
	}
	if err != nil {
		return Account{}, err
	}
	if !EqualSecret(a.Generation, generation) {
		return Account{}, ErrBadCredentials
	}
	return a.public(), nil
}

// EndSession signs a browser out.
func (s *Store) EndSession(ctx context.Context, sec string) error {
	if err := s.sessions.Purge(ctx, hash(sec)); err != nil {
		return fmt.Errorf("accounts: end session: %w", err)
	}
	return nil
}

// NewToken makes an API token for an account; the secret is returned
// once and only its hash kept.
func (s *Store) NewToken(ctx context.Context, name, label string) (string, Token, error) {
	a, err := s.get(ctx, name)
	if err != nil {
		return "", Token{}, err
	}
	sec, key := secret("ct_")
	t := Token{ID: key[:16], Account: name, Generation: a.Generation, Label: label, Created: time.Now().UTC()}
	b, _ := json.Marshal(t)
	if _, err := s.kv.Create(ctx, tokenKey(key), b); err != nil {
		return "", Token{}, fmt.Errorf("accounts: new token: %w", err)
	}
	t.Generation = "" // the store's business, as in Tokens
	return sec, t, nil
}

// ValidTokenID reports whether id can be a token's id: 16 lower-case hex
// digits, as NewToken makes them. Anything else is no token's, and must
// never reach a key filter (NATS keys refuse most other characters).
func ValidTokenID(id string) bool {
	if len(id) != 16 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// tokenKey stores a token under its id (the hash's first 16 digits) and
// the rest of its hash, so a revocation by id finds it by a key filter.
func tokenKey(h string) string { return "token." + h[:16] + "." + h[16:] }

// TokenAccount returns the account an API token belongs to.
func (s *Store) TokenAccount(ctx context.Context, sec string) (Account, error) {
	if !strings.HasPrefix(sec, "ct_") {
		return Account{}, ErrBadCredentials
	}
	e, err := s.kv.Get(ctx, tokenKey(hash(sec)))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Account{}, ErrBadCredentials
	}
	if err != nil {
		return Account{}, fmt.Errorf("accounts: token: %w", err)
	}
	var t Token
	if err := json.Unmarshal(e.Value(), &t); err != nil {
		return Account{}, ErrBadCredentials
	}
	return s.holder(ctx, t.Account, t.Generation)
}

// Tokens lists an account's live tokens (never their secrets); tokens
// left over from an earlier account of the same name are not its.
func (s *Store) Tokens(ctx context.Context, name string) ([]Token, error) {
	a, err := s.get(ctx, name)
	if errors.Is(err, events.ErrNotFound) {
		return []Token{}, nil
	}
	if err != nil {
		return nil, err
	}
	keys, err := s.kv.ListKeysFiltered(ctx, "token.>")
	if err != nil {
		return nil, fmt.Errorf("accounts: tokens: %w", err)
	}
	out := []Token{}
	for k := range keys.Keys() {
		e, err := s.kv.Get(ctx, k)
		if err != nil {
			continue // revoked meanwhile
		}
		var t Token
		if json.Unmarshal(e.Value(), &t) == nil && t.Account == name && t.Generation == a.Generation {
			t.Generation = ""
			out = append(out, t)
		}
	}
	return out, nil
}

// RevokeToken deletes one of an account's tokens by id.
func (s *Store) RevokeToken(ctx context.Context, name, id string) error {
	if !ValidTokenID(id) {
		return fmt.Errorf("accounts: token %q: %w", id, events.ErrNotFound)
	}
	keys, err := s.kv.ListKeysFiltered(ctx, "token."+id+".*")
	if err != nil {
		return fmt.Errorf("accounts: revoke: %w", err)
	}
	for k := range keys.Keys() {
		e, err := s.kv.Get(ctx, k)
		if err != nil {
			continue
		}
		var t Token
		if json.Unmarshal(e.Value(), &t) == nil && t.Account == name && t.ID == id {
			return s.kv.Purge(ctx, k)
		}
	}
	return fmt.Errorf("accounts: token %s: %w", id, events.ErrNotFound)
}

// EqualSecret compares two secrets in constant time.
func EqualSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
