package main

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
)

// The all-in-one's embedded server answers on its monitoring address, so
// prometheus-nats-exporter can read it; a taken address that was asked
// for explicitly is an error, not a silent lack of monitoring.
func TestAllInOneIsMonitorable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	err = runErr("--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:0", "--nats-monitor", addr)
	ln.Close()
	if err == nil || !strings.Contains(err.Error(), "monitoring address in use") {
		t.Fatalf("--nats-monitor on a taken address: %v", err)
	}

	// The address is free now: the process serves it.
	p := launchCommentd(t, "--data-dir", t.TempDir(), "--nats-monitor", addr)
	p.waitReady(t)
	resp, err := http.Get("http://" + addr + "/jsz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jsz struct {
		Streams int `json:"streams"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&jsz); err != nil || resp.StatusCode != 200 || jsz.Streams < 1 {
		t.Fatalf("GET /jsz = %d, %+v, %v; want the COMMENTS stream counted", resp.StatusCode, jsz, err)
	}
}
