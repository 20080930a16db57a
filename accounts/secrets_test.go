package accounts_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/internal/natstest"
)

// An install from before the secrets bucket kept the key in the accounts
// bucket: provisioning moves it, so every address hash stays the same,
// and leaves no copy (nor its history) where other readers of accounts
// would find it.
func TestProvisionSecretMovesTheOldKey(t *testing.T) {
	ctx := context.Background()
	_, js := natstest.Connect(t, natstest.Server(t))
	old, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: accounts.AccountsBucket, History: 10})
	if err != nil {
		t.Fatal(err)
	}
	key := []byte("0123456789abcdef0123456789abcdef")
	if _, err := old.Put(ctx, "secret.reporters", key); err != nil {
		t.Fatal(err)
	}
	for range 2 { // and again, as every start does
		if err := accounts.ProvisionSecret(ctx, js, 1, "reporters"); err != nil {
			t.Fatal(err)
		}
		got, err := accounts.Secret(ctx, js, "reporters")
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("secret after provisioning = %x, %v; want the old one", got, err)
		}
	}
	if _, err := old.Get(ctx, "secret.reporters"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("old copy: %v", err)
	}
	hist, err := old.History(ctx, "secret.reporters")
	if err == nil && len(hist) > 1 {
		t.Errorf("the old copy's history is kept: %d entries", len(hist))
	}
}

// A fresh install gets a random secret, made once.
func TestProvisionSecretMakesOneOnce(t *testing.T) {
	ctx := context.Background()
	_, js := natstest.Connect(t, natstest.Server(t))
	if _, err := accounts.Secret(ctx, js, "reporters"); err == nil {
		t.Fatal("a secret before provisioning")
	}
	var first []byte
	for range 2 {
		if err := accounts.ProvisionSecret(ctx, js, 1, "reporters"); err != nil {
			t.Fatal(err)
		}
		got, err := accounts.Secret(ctx, js, "reporters")
		if err != nil || len(got) != 32 || first != nil && !bytes.Equal(got, first) {
			t.Fatalf("secret = %x, %v (first %x)", got, err, first)
		}
		first = got
	}
}
