package events

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Display names are what readers recognise an author by, so two names that
// look the same must be the same author: "Anna" and "An\u200bna" (a
// zero-width space), "Anna" and "\u202eannA" (a right-to-left override)
// or "Ａｎｎａ" (full-width) would otherwise be three authors with three
// rate limits and three ban records, all shown as "Anna".

// CleanName is the form a display name is kept and shown in: NFKC
// normalised (compatibility forms such as full-width letters and ligatures
// become the letters they look like), without invisible characters (the
// default-ignorable code points: zero-width spaces and joiners, bidi
// controls and isolates, soft hyphens, variation selectors, tag characters,
// Hangul fillers), with each run of spaces made one space and trimmed.
// Control characters are left for the caller to refuse. Stripping rather
// than refusing keeps a name pasted with a stray joiner usable; a name that
// was nothing but invisible characters comes back empty.
func CleanName(name string) string {
	name = norm.NFKC.String(name)
	var b strings.Builder
	b.Grow(len(name))
	space := false
	for _, r := range name {
		switch {
		case Invisible(r):
			continue
		case unicode.IsSpace(r) && !unicode.IsControl(r):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	// Removing characters can leave a sequence NFKC would write otherwise
	// (a combining mark after a zero-width space): normalise once more so
	// the result is stable, CleanName(CleanName(x)) == CleanName(x).
	return norm.NFKC.String(b.String())
}

// Invisible reports the default-ignorable code points (Unicode's
// Default_Ignorable_Code_Point property, which the unicode package spells
// as its three parts) and the bidi controls among them.
func Invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) && !unicode.IsSpace(r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Bidi_Control, r)
}

// Author ids have a kind prefix: an anonymous reader is known by a name,
// a signed-in reader by the publisher's id for them.
const (
	AnonymousPrefix = "name:"
	SignedInPrefix  = "sso:"
)

// AnonymousAuthorID is the author id of an anonymous reader: the cleaned
// name in lower case, so that every spelling that looks the same, and the
// same name in another case, is one author for limits, flood rules and
// bans.
func AnonymousAuthorID(name string) string {
	return AnonymousPrefix + strings.ToLower(CleanName(name))
}

// CanonicalAuthorID is the id a moderator's "name:…" refers to, as
// AnonymousAuthorID makes it; other ids are returned as they are.
func CanonicalAuthorID(id string) string {
	if name, ok := strings.CutPrefix(id, AnonymousPrefix); ok {
		return AnonymousAuthorID(name)
	}
	return id
}

// SignedIn reports whether an author id is a signed-in reader's.
func SignedIn(authorID string) bool { return strings.HasPrefix(authorID, SignedInPrefix) }
