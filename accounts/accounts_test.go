package accounts_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
)

func open(t *testing.T) *accounts.Store {
	t.Helper()
	_, js := natstest.Connect(t, natstest.Server(t))
	s, err := accounts.Open(context.Background(), js, accounts.Config{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAccountsSessionsAndTokens(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.Add(ctx, "alice", "correct horse", accounts.Moderator, "test"); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"taken":          must(s.Add(ctx, "alice", "correct horse", accounts.Moderator, "")),
		"bad name":       must(s.Add(ctx, "Alice Smith", "correct horse", accounts.Moderator, "")),
		"short password": must(s.Add(ctx, "bob", "short", accounts.Moderator, "")),
		"bad role":       must(s.Add(ctx, "bob", "correct horse", "king", "")),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := s.Verify(ctx, "alice", "wrong horse!"); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := s.Verify(ctx, "nobody", "correct horse"); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Errorf("unknown name: %v", err)
	}
	a, err := s.Verify(ctx, "alice", "correct horse")
	if err != nil || a.Role != accounts.Moderator || a.PasswordHash != nil || a.Actor() != "moderator:alice" {
		t.Fatalf("verify = %+v, %v", a, err)
	}

	sec, sess, err := s.NewSession(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got, acc, err := s.Session(ctx, sec); err != nil || got.CSRF != sess.CSRF || acc.Name != "alice" {
		t.Fatalf("session = %+v %+v %v", got, acc, err)
	}
	tok, info, err := s.NewToken(ctx, "alice", "cron")
	if err != nil {
		t.Fatal(err)
	}
	if acc, err := s.TokenAccount(ctx, tok); err != nil || acc.Name != "alice" {
		t.Fatalf("token = %+v %v", acc, err)
	}
	if list, err := s.Tokens(ctx, "alice"); err != nil || len(list) != 1 || list[0].ID != info.ID {
		t.Fatalf("tokens = %+v %v", list, err)
	}
	if err := s.RevokeToken(ctx, "alice", info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenAccount(ctx, tok); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Errorf("revoked token still works: %v", err)
	}
	if err := s.RevokeToken(ctx, "alice", info.ID); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("revoke twice: %v", err)
	}

	// Removing the account ends its sessions at once.
	if err := s.Remove(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(ctx, sec); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Errorf("session of a removed account: %v", err)
	}
	if err := s.Remove(ctx, "alice"); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("remove twice: %v", err)
	}
	if err := s.EndSession(ctx, sec); err != nil {
		t.Error(err)
	}
}

func must(_ accounts.Account, err error) error { return err }

func TestRoles(t *testing.T) {
	if !accounts.Admin.Allows(accounts.Moderator) || accounts.Moderator.Allows(accounts.Admin) || !accounts.Moderator.Allows(accounts.Moderator) {
		t.Error("roles")
	}
}

// TestRemoveRevokesForGood is the reviewer's reproduction: tokens and
// sessions named only the account, so adding the name again after a
// removal brought them back to life, with whatever role the new account
// has.
func TestRemoveRevokesForGood(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.Add(ctx, "bob", "bob's first password", accounts.Moderator, "test"); err != nil {
		t.Fatal(err)
	}
	tok, _, err := s.NewToken(ctx, "bob", "laptop")
	if err != nil {
		t.Fatal(err)
	}
	sec, _, err := s.NewSession(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	// Someone else gets the name, as an admin.
	if _, err := s.Add(ctx, "bob", "another bob's password", accounts.Admin, "test"); err != nil {
		t.Fatal(err)
	}
	if a, err := s.TokenAccount(ctx, tok); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Errorf("old token works for the new bob: %+v, %v", a, err)
	}
	if _, a, err := s.Session(ctx, sec); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Errorf("old session works for the new bob: %+v, %v", a, err)
	}
	if list, err := s.Tokens(ctx, "bob"); err != nil || len(list) != 0 {
		t.Errorf("the new bob has the old bob's tokens: %+v, %v", list, err)
	}

	// The new account's own credentials work, and carry nothing internal
	// out of the store.
	tok2, info, err := s.NewToken(ctx, "bob", "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.TokenAccount(ctx, tok2)
	if err != nil || a.Role != accounts.Admin {
		t.Errorf("new token = %+v, %v", a, err)
	}
	// The admin API encodes these as they are.
	for _, v := range []any{a, info} {
		if b, _ := json.Marshal(v); strings.Contains(string(b), "generation") {
			t.Errorf("the store's generation leaks out: %s", b)
		}
	}
	sec2, _, err := s.NewSession(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, a, err := s.Session(ctx, sec2); err != nil || a.Name != "bob" {
		t.Errorf("new session = %+v, %v", a, err)
	}
}

// TestRemoveDeletesCredentials checks the clean-up half: a removed
// account's tokens and sessions are gone from the buckets, not only
// refused.
func TestRemoveDeletesCredentials(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Server(t)
	_, js := natstest.Connect(t, ns)
	s, err := accounts.Open(ctx, js, accounts.Config{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bob", "carol"} {
		if _, err := s.Add(ctx, name, "a fine password", accounts.Moderator, "test"); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, _, err := s.NewToken(ctx, name, ""); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.NewSession(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Remove(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	count := func(bucket, filter string) int {
		t.Helper()
		kv, err := js.KeyValue(ctx, bucket)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := kv.ListKeysFiltered(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for range keys.Keys() {
			n++
		}
		return n
	}
	if n := count(accounts.AccountsBucket, "token.>"); n != 2 {
		t.Errorf("%d tokens left, want carol's 2", n)
	}
	if n := count(accounts.SessionsBucket, ">"); n != 2 {
		t.Errorf("%d sessions left, want carol's 2", n)
	}
}

func TestPasswordsAreCharactersAndHardToGuess(t *testing.T) {
	for _, tc := range []struct {
		pw string
		ok bool
	}{
		{"aaaaaaaaaa", false},
		{"password12", false},
		{"qwertyuiop1", false},
		{strings.Repeat("\x00", 10), false},
		{"bob's password\x1b[2J", false},
		{"bobbobbobbob", false}, // the account's own name
		{"ёжик в тумане", true}, // 13 characters, 24 bytes
		{"пароль-ёж", false},    // 9 characters, though 17 bytes
		{"correct horse battery", true},
		{strings.Repeat("ж", 37), false}, // 74 bytes: past bcrypt's 72
	} {
		err := accounts.CheckPassword("bob", tc.pw)
		if (err == nil) != tc.ok {
			t.Errorf("CheckPassword(%q) = %v, want ok=%v", tc.pw, err, tc.ok)
		}
		if err != nil && !errors.Is(err, events.ErrInvalid) {
			t.Errorf("CheckPassword(%q) = %v, not ErrInvalid", tc.pw, err)
		}
	}
}

func TestReservedNamesAndTokenIDs(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.Add(ctx, "admin-token", "correct horse battery", accounts.Admin, "test"); !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("an account named admin-token: %v", err)
	}
	if _, err := s.Add(ctx, "alice", "correct horse battery", accounts.Moderator, "test"); err != nil {
		t.Fatal(err)
	}
	// Ids a NATS key cannot hold are no token's: not found, not a failure.
	for _, id := range []string{"éééééééé", "0123456789abcde\t", "0123456789ABCDEF", "0123456789abcd/e", "%%%%%%%%%%%%%%%%", "0123456789abcdef0"} {
		if err := s.RevokeToken(ctx, "alice", id); !errors.Is(err, events.ErrNotFound) {
			t.Errorf("RevokeToken(%q) = %v, want ErrNotFound", id, err)
		}
	}
}
