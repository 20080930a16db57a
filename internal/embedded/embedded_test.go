package embedded

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// Two servers on one store would corrupt it: the second is refused, and
// the store is free again once the first is down.
func TestOneServerPerStore(t *testing.T) {
	dir := t.TempDir()
	first, err := Start(Options{StoreDir: dir, Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(Options{StoreDir: dir, Name: "b"}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second server on the same store: %v", err)
	}
	first.Shutdown()
	first.WaitForShutdown()
	again, err := Start(Options{StoreDir: dir, Name: "c"})
	if err != nil {
		t.Fatalf("store not released: %v", err)
	}
	again.Shutdown()
}

// The monitoring endpoint answers what prometheus-nats-exporter reads:
// /varz with the server's id and /jsz with JetStream's.
func TestMonitoringAnswers(t *testing.T) {
	ns, err := Start(Options{StoreDir: t.TempDir(), Monitor: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	addr := ns.MonitorAddr()
	if addr == nil || !addr.IP.IsLoopback() {
		t.Fatalf("monitoring address = %v, want loopback", addr)
	}
	for path, field := range map[string]string{"/varz": "server_id", "/jsz": "memory", "/healthz": "status"} {
		resp, err := http.Get("http://" + addr.String() + path)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || body[field] == nil {
			t.Errorf("GET %s = %d, %v; %s missing in %v", path, resp.StatusCode, err, field, body)
		}
	}

	// A second server on the same address says so at once.
	_, err = Start(Options{StoreDir: t.TempDir(), Monitor: addr.String()})
	if !errors.Is(err, ErrMonitorInUse) {
		t.Fatalf("second server on %s: %v, want ErrMonitorInUse", addr, err)
	}
}
