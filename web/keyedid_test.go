package web_test

import (
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/web"
)

// Ids derived from an Idempotency-Key are keyed by the server secret:
// processes that share it agree, and nobody can compute them from the
// public namespace.
func TestKeyedIDsNeedTheSecret(t *testing.T) {
	secret := []byte("a secret shared by the api processes")
	a := newFixture(t, web.Config{Secret: secret})
	b := &fixture{t: t, log: a.log, srv: httptest.NewServer(web.New(a.tv.Config(web.Config{Secret: secret})))}
	t.Cleanup(b.srv.Close)
	key := map[string]string{"Idempotency-Key": "k-1"}
	body := `{"author":"Anna","text":"Hello"}`
	ra, ba := a.post(path, "application/json", body, key)
	rb, bb := b.post(path, "application/json", body, key)
	if ra.StatusCode != 202 || rb.StatusCode != 202 || ba["id"] != bb["id"] {
		t.Fatalf("two processes, one key: %d %v, %d %v", ra.StatusCode, ba, rb.StatusCode, bb)
	}
	public := uuid.NewSHA1(uuid.MustParse("8d1f6a0e-2b7c-4c1e-a5f3-6e9b0d4c7a21"), []byte("comment\na1\nname:anna\nk-1")).String()
	if ba["id"] == public {
		t.Fatalf("the id %v is computable without the secret", ba["id"])
	}
	if n := a.lastSeq(); n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}
}
