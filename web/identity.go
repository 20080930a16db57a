package web

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/newsroom/commentd/events"
)

// Single sign-on: a publisher that knows its readers signs a short-lived
// HS256 JWT with a secret it shares with commentd, and the widget sends it
// as "Authorization: Bearer <token>". The standard library is enough for
// one algorithm, and a hand-written verifier that accepts exactly HS256 has
// no algorithm-confusion surface ("none", RS256-with-the-secret-as-key).

// MaxSSOTokenBytes bounds a token before any decoding.
const MaxSSOTokenBytes = 4096

// ssoLeeway tolerates clock skew between the publisher and commentd.
const ssoLeeway = 30 * time.Second

// MaxSSOLifetime bounds how far ahead a sign-in token may expire (and how
// long it may be valid from its nbf or iat). The widget asks the
// publisher's page for a fresh token on each load, so a token needs to
// outlive a reading session, not a year: one that leaks from a log or a
// shared screen stops working within a day.
const MaxSSOLifetime = 24 * time.Hour

// ErrInvalidToken is why a token was refused; the message says which check
// failed but never echoes the token.
var ErrInvalidToken = errors.New("invalid sign-in token")

// SSOClaims are the claims commentd reads from a publisher's token.
type SSOClaims struct {
	Subject string `json:"sub"`  // the publisher's stable user id
	Name    string `json:"name"` // the display name
	Expires int64  `json:"exp"`  // required: seconds since the epoch
	NotBef  int64  `json:"nbf,omitempty"`
	Issued  int64  `json:"iat,omitempty"`
}

// VerifySSO checks an HS256 JWT against secret at now and returns its
// claims. Only alg HS256 is accepted; exp is required; sub and name must
// be usable as an author.
func VerifySSO(token string, secret []byte, now time.Time) (SSOClaims, error) {
	var c SSOClaims
	fail := func(why string) (SSOClaims, error) { return SSOClaims{}, fmt.Errorf("%w: %s", ErrInvalidToken, why) }
	if len(secret) == 0 {
		return fail("sign-in is not configured on this server")
	}
	if len(token) > MaxSSOTokenBytes {
		return fail("too long")
	}
	head, rest, ok1 := strings.Cut(token, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sig, ".") {
		return fail("not a JWT")
	}
	var h struct {
		Alg  string `json:"alg"`
		Typ  string `json:"typ"`
		Crit any    `json:"crit"`
	}
	if err := decodeSegment(head, &h); err != nil {
		return fail("bad header")
	}
	if h.Alg != "HS256" {
		return fail("algorithm must be HS256")
	}
	if h.Crit != nil || h.Typ != "" && !strings.EqualFold(h.Typ, "JWT") {
		return fail("unsupported header")
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return fail("bad signature encoding")
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(head + "." + payload))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fail("bad signature")
	}
	// Only a signed payload is parsed.
	if err := decodeSegment(payload, &c); err != nil {
		return fail("bad claims")
	}
	switch {
	case c.Expires == 0:
		return fail("exp is required")
	case now.After(time.Unix(c.Expires, 0).Add(ssoLeeway)):
		return fail("expired")
	case c.NotBef != 0 && now.Add(ssoLeeway).Before(time.Unix(c.NotBef, 0)):
		return fail("not valid yet")
	case time.Unix(c.Expires, 0).After(now.Add(MaxSSOLifetime + ssoLeeway)):
		return fail(fmt.Sprintf("exp is more than %s ahead", MaxSSOLifetime))
	case c.NotBef != 0 && c.Expires-c.NotBef > int64(MaxSSOLifetime/time.Second),
		c.Issued != 0 && c.Expires-c.Issued > int64(MaxSSOLifetime/time.Second):
		return fail(fmt.Sprintf("the token is valid for more than %s", MaxSSOLifetime))
	case c.Subject == "" || len(c.Subject) > 200 || !utf8.ValidString(c.Subject):
		return fail("sub must be 1 to 200 bytes")
	case strings.IndexFunc(c.Subject, func(r rune) bool { return unicode.IsControl(r) || events.Invisible(r) }) >= 0:
		// An id with a control or invisible character would be one that
		// prints like another's in logs and the moderators' UI.
		return fail("sub cannot contain control or invisible characters")
	}
	if !utf8.ValidString(c.Name) {
		return fail("name is not valid UTF-8")
	}
	c.Name = events.CleanName(c.Name)
	if c.Name == "" || utf8.RuneCountInString(c.Name) > MaxAuthorRunes || strings.IndexFunc(c.Name, unicode.IsControl) >= 0 {
		return fail(fmt.Sprintf("name must be 1 to %d characters without control characters", MaxAuthorRunes))
	}
	return c, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// SignSSO makes a token VerifySSO accepts. Publishers use their own JWT
// library; this serves tests, the docs' examples and commentctl.
func SignSSO(c SSOClaims, secret []byte) string {
	head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, _ := json.Marshal(c)
	payload := base64.RawURLEncoding.EncodeToString(body)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(head + "." + payload))
	return head + "." + payload + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// identity is who posts: an anonymous display name, or a signed-in reader.
type identity struct {
	Author   string // display name
	AuthorID string // events.AnonymousAuthorID(name) or "sso:<publisher's id>"
}

// identify reads the optional SSO token of a request. A request without
// one is anonymous under the name it gave; a request with a bad one is
// refused, never silently downgraded to anonymous.
func (s *Server) identify(r *http.Request, name string) (identity, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return identity{Author: name, AuthorID: events.AnonymousAuthorID(name)}, nil
	}
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return identity{}, &apiError{Status: http.StatusUnauthorized, Code: "invalid_token", Message: "send Authorization: Bearer <sign-in token>"}
	}
	c, err := VerifySSO(strings.TrimSpace(token), s.cfg.SSOSecret, time.Now())
	if err != nil {
		return identity{}, err // ErrInvalidToken, whose text is written for the client (errors.go)
	}
	return identity{Author: c.Name, AuthorID: events.SignedInPrefix + c.Subject}, nil
}
