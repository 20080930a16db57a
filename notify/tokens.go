package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Keys derive everything the notifications sign or hash from the
// installation's secret (the key behind the address hashes, which every
// api and worker process reads): the keyed hash that stands in for an
// e-mail address, and the signature of the links in mails. The two are
// separate keys, so a link's signature says nothing about an address hash.
type Keys struct {
	address []byte
	links   []byte
}

// NewKeys derives the notification keys from secret.
func NewKeys(secret []byte) Keys {
	return Keys{address: derive(secret, "notify address"), links: derive(secret, "notify links")}
}

func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// AddressHash is the key of an address in the NOTIFY bucket: a keyed hash
// of the lower-cased address, never the address. Lower-casing makes
// Name@Example.com and name@example.com one reader (nearly every mail
// system treats local parts without regard to case).
func (k Keys) AddressHash(email string) string {
	m := hmac.New(sha256.New, k.address)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Purpose says what a link may do: a link signed for one cannot do the
// other.
type Purpose string

const (
	PurposeVerify      Purpose = "verify"
	PurposeUnsubscribe Purpose = "unsubscribe"
)

// How long links stay good. A verification link is for now; an
// unsubscribe link must still work from a mail read months later.
const (
	VerifyLinkTTL      = 7 * 24 * time.Hour
	UnsubscribeLinkTTL = 365 * 24 * time.Hour
)

// Errors of Open: neither can ever succeed, the reader needs a new link.
var (
	ErrBadLink     = errors.New("notify: the link is not one of ours or was cut short")
	ErrExpiredLink = errors.New("notify: the link has expired")
)

// Link is the token of a signed link: purpose, address hash and expiry,
// with an HMAC over them. It is URL-safe.
func (k Keys) Link(p Purpose, addressHash string, expires time.Time) string {
	body := string(p) + "." + addressHash + "." + strconv.FormatInt(expires.Unix(), 36)
	return base64.RawURLEncoding.EncodeToString([]byte(body)) + "." + base64.RawURLEncoding.EncodeToString(k.sign(body))
}

// Open checks a link's token for purpose p at now and returns the
// address hash it is for.
func (k Keys) Open(p Purpose, token string, now time.Time) (string, error) {
	b64, sig64, ok := strings.Cut(token, ".")
	if !ok || len(token) > 512 {
		return "", ErrBadLink
	}
	body, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return "", ErrBadLink
	}
	sig, err := base64.RawURLEncoding.DecodeString(sig64)
	if err != nil || !hmac.Equal(sig, k.sign(string(body))) {
		return "", ErrBadLink
	}
	parts := strings.Split(string(body), ".")
	if len(parts) != 3 || Purpose(parts[0]) != p || !validHash(parts[1]) {
		return "", ErrBadLink
	}
	exp, err := strconv.ParseInt(parts[2], 36, 64)
	if err != nil {
		return "", ErrBadLink
	}
	if !now.Before(time.Unix(exp, 0)) {
		return "", ErrExpiredLink
	}
	return parts[1], nil
}

func (k Keys) sign(body string) []byte {
	m := hmac.New(sha256.New, k.links)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// validHash: 32 lower-case hex digits, what AddressHash makes (and so one
// safe bucket key).
func validHash(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
