package accounts

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// SecretsBucket keeps the server's secrets (the key behind the address
// hashes). It is its own bucket so that NATS permissions can keep it from
// every role but the api's, which needs it.
const SecretsBucket = "SECRETS"

// ProvisionSecret creates the secrets bucket and makes sure it holds the
// named secret: moved from the accounts bucket, where versions before the
// secrets bucket kept it (so every address hash stays what it was), or
// else made at random. It runs with the operator's credential.
func ProvisionSecret(ctx context.Context, js jetstream.JetStream, replicas int, name string) error {
	if replicas == 0 {
		replicas = 1
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: SecretsBucket, Description: "Server secrets: the key behind the hashes of client addresses.",
		Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return fmt.Errorf("accounts: secrets bucket: %w", err)
	}
	key := "secret." + name
	value := make([]byte, 32)
	rand.Read(value)
	old, err := js.KeyValue(ctx, AccountsBucket)
	moved := false
	if err == nil {
		if e, err := old.Get(ctx, key); err == nil {
			value, moved = e.Value(), true
		} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("accounts: secret %s: %w", name, err)
		}
	} else if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return fmt.Errorf("accounts: secret %s: %w", name, err)
	}
	if _, err := kv.Create(ctx, key, value); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("accounts: secret %s: %w", name, err)
	}
	if moved { // once moved, the old copy goes, with its history
		if err := old.Purge(ctx, key); err != nil {
			return fmt.Errorf("accounts: secret %s: remove the old copy: %w", name, err)
		}
	}
	return nil
}

// Secret reads the named secret, which provisioning made.
func Secret(ctx context.Context, js jetstream.JetStream, name string) ([]byte, error) {
	kv, err := js.KeyValue(ctx, SecretsBucket)
	if err != nil {
		return nil, fmt.Errorf("accounts: secrets bucket: %w", err)
	}
	e, err := kv.Get(ctx, "secret."+name)
	if err != nil {
		return nil, fmt.Errorf("accounts: secret %s: %w", name, err)
	}
	return e.Value(), nil
}
