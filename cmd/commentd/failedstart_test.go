package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// A start that fails makes nothing: with the HTTP port taken, or a weak
// admin token, the data dir is not created.
func TestFailedStartMakesNoDataDir(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for name, args := range map[string][]string{
		"port taken":       {"--http-addr", taken.Addr().String()},
		"weak admin token": {"--admin-token", "change-me-to-a-long-secret"},
	} {
		dir := filepath.Join(t.TempDir(), "data")
		err := run(context.Background(), append([]string{"--data-dir", dir, "--nats-monitor", ""}, args...), func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil {
			t.Fatalf("%s: commentd started", name)
		}
		if _, serr := os.Stat(dir); !errors.Is(serr, os.ErrNotExist) {
			t.Errorf("%s (%v): the data dir exists after the failed start (%v)", name, err, serr)
		}
	}
}
