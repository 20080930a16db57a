package main

import (
	"strings"
	"testing"
)

func TestModeratorsAddListTokenRemove(t *testing.T) {
	dir := t.TempDir()
	ctl := func(stdin string, args ...string) (string, error) {
		t.Helper()
		// Flags go before the subcommand's arguments.
		args = append([]string{"moderators", args[0], "--data-dir", dir}, args[1:]...)
		out, _, err := runCtl(t, stdin, args...)
		return out, err
	}
	if _, err := ctl("correct horse battery\n", "add", "--role", "admin", "Alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl("short\n", "add", "bob"); err == nil {
		t.Error("a short password was taken")
	}
	if _, err := ctl("correct horse battery\n", "add", "alice"); err == nil {
		t.Error("a name was taken twice")
	}
	out, err := ctl("", "list")
	if err != nil || !strings.Contains(out, "alice") || !strings.Contains(out, "admin") {
		t.Fatalf("list = %q, %v", out, err)
	}
	out, err = ctl("", "token", "--label", "cron", "alice")
	if err != nil || !strings.HasPrefix(out, "ct_") {
		t.Fatalf("token = %q, %v", out, err)
	}
	if _, err := ctl("", "remove", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl("", "remove", "alice"); err == nil {
		t.Error("removed twice")
	}
	if _, err := ctl("", "sideways", "alice"); err == nil {
		t.Error("an unknown subcommand ran")
	}
}
