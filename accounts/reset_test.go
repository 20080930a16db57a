package accounts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/events"
)

// A reset password works at once, the old one no longer does, the
// account's sessions end (another account's do not), its tokens stay.
func TestSetPassword(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	for _, n := range []string{"alice", "bob"} {
		if _, err := s.Add(ctx, n, "correct horse", accounts.Moderator, "test"); err != nil {
			t.Fatal(err)
		}
	}
	aliceSess, _, _ := s.NewSession(ctx, "alice")
	bobSess, _, _ := s.NewSession(ctx, "bob")
	tok, _, err := s.NewToken(ctx, "alice", "cron")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, "alice", "short"); !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("a weak password: %v", err)
	}
	if err := s.SetPassword(ctx, "nobody", "copper kettle moonlight"); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("an unknown account: %v", err)
	}
	if err := s.SetPassword(ctx, "alice", "copper kettle moonlight"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ctx, "alice", "correct horse"); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Errorf("the old password: %v", err)
	}
	if _, err := s.Verify(ctx, "alice", "copper kettle moonlight"); err != nil {
		t.Errorf("the new password: %v", err)
	}
	if _, _, err := s.Session(ctx, aliceSess); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Errorf("alice's session after the reset: %v", err)
	}
	if _, _, err := s.Session(ctx, bobSess); err != nil {
		t.Errorf("bob's session after alice's reset: %v", err)
	}
	if a, err := s.TokenAccount(ctx, tok); err != nil || a.Name != "alice" {
		t.Errorf("alice's token after the reset: %+v %v", a, err)
	}
}
