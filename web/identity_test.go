package web

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerifySSO(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_700_000_000, 0)
	good := SSOClaims{Subject: "u1", Name: "Anna", Expires: now.Add(time.Minute).Unix()}
	enc := base64.RawURLEncoding.EncodeToString
	tok := SignSSO(good, secret)
	parts := strings.Split(tok, ".")
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"valid", tok, true},
		{"within leeway after exp", SignSSO(SSOClaims{Subject: "u1", Name: "Anna", Expires: now.Add(-10 * time.Second).Unix()}, secret), true},
		{"expired", SignSSO(SSOClaims{Subject: "u1", Name: "Anna", Expires: now.Add(-time.Minute).Unix()}, secret), false},
		{"not yet valid", SignSSO(SSOClaims{Subject: "u1", Name: "Anna", Expires: now.Add(time.Hour).Unix(), NotBef: now.Add(time.Minute).Unix()}, secret), false},
		{"bad signature", parts[0] + "." + parts[1] + "." + enc([]byte("nope")), false},
		{"signature of another key", SignSSO(good, []byte("x")), false},
		{"alg none, no signature", enc([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", false},
		{"alg None", enc([]byte(`{"alg":"None"}`)) + "." + parts[1] + "." + parts[2], false},
		{"alg HS384", enc([]byte(`{"alg":"HS384"}`)) + "." + parts[1] + "." + parts[2], false},
		{"crit header", enc([]byte(`{"alg":"HS256","crit":["x"]}`)) + "." + parts[1] + "." + parts[2], false},
		{"four parts", tok + ".x", false},
		{"padded base64", tok + "=", false},
		{"empty", "", false},
		{"too long", strings.Repeat("a", MaxSSOTokenBytes+1), false},
		{"name with control characters", SignSSO(SSOClaims{Subject: "u1", Name: "a\x07b", Expires: now.Add(time.Minute).Unix()}, secret), false},
		{"no name", SignSSO(SSOClaims{Subject: "u1", Expires: now.Add(time.Minute).Unix()}, secret), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := VerifySSO(tt.token, secret, now)
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("err %v is not ErrInvalidToken", err)
			}
			if tt.ok && (c.Subject != "u1" || c.Name != "Anna") {
				t.Fatalf("claims %+v", c)
			}
		})
	}
	if _, err := VerifySSO(tok, nil, now); err == nil {
		t.Fatal("a token was accepted without a secret")
	}
}

func FuzzVerifySSO(f *testing.F) {
	secret := []byte("k")
	f.Add(SignSSO(SSOClaims{Subject: "u", Name: "n", Expires: 1 << 40}, secret))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := VerifySSO(token, secret, time.Unix(0, 0))
		if err == nil && (c.Subject == "" || c.Name == "") {
			t.Fatalf("accepted %q with empty claims", token)
		}
	})
}

func TestHubDropsSlowSubscribersAndCloses(t *testing.T) {
	h := newHub[int](2)
	fast, slow := h.Subscribe("a"), h.Subscribe("a")
	other := h.Subscribe("b")
	for i := range 3 {
		h.Publish("a", i)
		<-fast.C
	}
	if _, ok := <-slow.C; !ok {
		t.Fatal("the buffered messages were lost")
	}
	<-slow.C
	if _, ok := <-slow.C; ok {
		t.Fatal("a slow subscriber was not dropped")
	}
	h.Unsubscribe(slow) // harmless after a drop
	if !h.Has("a") || !h.Has("b") {
		t.Fatal("subscribers lost")
	}
	h.Unsubscribe(fast)
	if h.Has("a") {
		t.Fatal("an empty topic is kept")
	}
	h.Close()
	if _, ok := <-other.C; ok {
		t.Fatal("Close left a subscription open")
	}
	if h.Subscribe("a") != nil {
		t.Fatal("a closed hub took a subscriber")
	}
}
