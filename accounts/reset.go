package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/newsroom/commentd/events"
)

// SetPassword gives an account a new password (an admin's reset) and
// ends its sessions, so whoever knew the old one is signed out
// everywhere. Its API tokens keep working: they are revoked one by one.
// The account is updated against the revision it was read at, so a
// removal or another reset meanwhile is not overwritten.
func (s *Store) SetPassword(ctx context.Context, name, password string) error {
	if !ValidName(name) {
		return fmt.Errorf("accounts: %q: %w", name, events.ErrNotFound)
	}
	if err := CheckPassword(name, password); err != nil {
		return err
	}
	e, err := s.kv.Get(ctx, "account."+name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("accounts: %s: %w", name, events.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("accounts: get %s: %w", name, err)
	}
	var a Account
	if err := json.Unmarshal(e.Value(), &a); err != nil {
		return fmt.Errorf("accounts: decode %s: %w", name, err)
	}
	if a.PasswordHash, err = bcrypt.GenerateFromPassword([]byte(password), s.cost); err != nil {
		return fmt.Errorf("accounts: hash: %w", err)
	}
	b, _ := json.Marshal(a)
	if _, err := s.kv.Update(ctx, "account."+name, b, e.Revision()); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("accounts: %s changed meanwhile: %w", name, events.ErrConflict)
		}
		return fmt.Errorf("accounts: set password of %s: %w", name, err)
	}
	return s.endSessions(ctx, name)
}

// endSessions deletes every session of one account.
func (s *Store) endSessions(ctx context.Context, name string) error {
	keys, err := s.sessions.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("accounts: end sessions of %s: %w", name, err)
	}
	var errs []error
	for k := range keys.Keys() {
		e, err := s.sessions.Get(ctx, k)
		if err != nil {
			continue // gone meanwhile
		}
		var owner struct {
			Account string `json:"account"`
		}
		if json.Unmarshal(e.Value(), &owner) == nil && owner.Account == name {
			errs = append(errs, s.sessions.Purge(ctx, k))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("accounts: end sessions of %s: %w", name, err)
	}
	return nil
}
