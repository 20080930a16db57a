package natsperm_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/newsroom/commentd/internal/natsperm"
)

var update = flag.Bool("update", false, "rewrite deploy/nats.conf from the permission table")

// deploy/nats.conf, which the compose cluster runs, is the permission
// table, and nats-server reads it as that table.
func TestDeployNATSConfig(t *testing.T) {
	path := filepath.Join("..", "..", "deploy", "nats.conf")
	want := natsperm.ServerConfig()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s is not the permission table; run go test ./internal/natsperm -run DeployNATSConfig -update", path)
	}

	ids := append([]string{natsperm.Operator}, natsperm.Roles...)
	for _, id := range ids {
		t.Setenv(natsperm.PasswordVar(id), "pw-"+id)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Users) != len(ids) {
		t.Fatalf("%d users, want %d", len(opts.Users), len(ids))
	}
	for _, u := range opts.Users {
		if u.Password != "pw-"+u.Username {
			t.Errorf("%s: password not from %s", u.Username, natsperm.PasswordVar(u.Username))
		}
		if u.Username == natsperm.Operator {
			if u.Permissions != nil {
				t.Errorf("the operator is limited: %+v", u.Permissions)
			}
			continue
		}
		p, err := natsperm.Permissions(u.Username)
		if err != nil {
			t.Fatal(err)
		}
		if u.Permissions == nil || !slices.Equal(u.Permissions.Publish.Allow, p.Publish.Allow) ||
			!slices.Equal(u.Permissions.Publish.Deny, p.Publish.Deny) || !slices.Equal(u.Permissions.Subscribe.Allow, p.Subscribe.Allow) {
			t.Errorf("%s: permissions %+v, want %+v", u.Username, u.Permissions, p)
		}
	}
}
