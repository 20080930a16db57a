package events

import (
	"fmt"
	"maps"
	"slices"
)

// Every event type has its own schema version, carried in the envelope's
// "v". An event is never rewritten in the log, so a reader meets every
// version ever written: Decode brings each event up to its type's current
// version through upcasters, one step (N to N+1) at a time, before any
// consumer sees it. Consumers only ever handle the current form.
//
// To change an event: bump its version here, register the upcaster from
// the previous version, and add a fixture of the new version under
// testdata/schema (go test ./events -run TestSchemaFixtures -update). The
// fixtures of old versions are never rewritten: they are what the log holds.

// Upcaster turns an event of one version of its type into the next version.
// It gets and returns the whole envelope so it can move a field between the
// payload and the envelope; it must keep the event's id and type, and sets
// no version (the registry does).
type Upcaster func(Envelope) (Envelope, error)

// Registry knows the current version of every event type and the upcasters
// that reach it.
type Registry struct {
	current map[Type]int
	up      map[Type]map[int]Upcaster // type -> from-version -> upcaster
}

// NewRegistry returns a registry in which every type is at version 1.
func NewRegistry() *Registry {
	return &Registry{current: map[Type]int{}, up: map[Type]map[int]Upcaster{}}
}

// Declare records t as a known type at version 1 (or leaves it as it is).
func (r *Registry) Declare(t Type) {
	if r.current[t] == 0 {
		r.current[t] = 1
	}
}

// Register adds the upcaster of t from version from to from+1. The current
// version of t becomes the highest version reached. Versions must be
// registered in order, from 1, with no gaps: a gap would leave events that
// can never be decoded. It panics on a gap or a duplicate: a registry is
// built at start-up from code, and a broken chain is a programming error.
func (r *Registry) Register(t Type, from int, u Upcaster) {
	r.Declare(t)
	switch {
	case u == nil:
		panic(fmt.Sprintf("events: nil upcaster for %s v%d", t, from))
	case from != r.current[t]:
		panic(fmt.Sprintf("events: upcaster for %s from v%d, but its current version is v%d (register in order, no gaps)", t, from, r.current[t]))
	}
	if r.up[t] == nil {
		r.up[t] = map[int]Upcaster{}
	}
	r.up[t][from] = u
	r.current[t] = from + 1
}

// Current is the version of t that this code writes. A type the registry
// does not know is at version 1.
func (r *Registry) Current(t Type) int {
	if v := r.current[t]; v > 0 {
		return v
	}
	return 1
}

// Types lists the types the registry knows, sorted.
func (r *Registry) Types() []Type {
	return slices.Sorted(maps.Keys(r.current))
}

// Upcast brings e from its version to the current version of its type. It
// fails with ErrInvalid for a version below 1, a version newer than this
// code knows (written by a newer release: upgrade the readers first), and
// an upcaster that fails or changes the event's identity.
func (r *Registry) Upcast(e Envelope) (Envelope, error) {
	cur := r.Current(e.Type)
	if e.Version < 1 || e.Version > cur {
		return Envelope{}, fmt.Errorf("%w: event %s (%s) has schema version %d; this code reads versions 1 to %d", ErrInvalid, e.ID, e.Type, e.Version, cur)
	}
	for e.Version < cur {
		from := e.Version
		next, err := r.up[e.Type][from](e)
		if err != nil {
			return Envelope{}, fmt.Errorf("%w: event %s (%s) upcast from v%d: %v", ErrInvalid, e.ID, e.Type, from, err)
		}
		if next.ID != e.ID || next.Type != e.Type {
			return Envelope{}, fmt.Errorf("%w: event %s (%s) upcast from v%d changed its id or type", ErrInvalid, e.ID, e.Type, from)
		}
		next.Version = from + 1
		next.Seq, next.Subject = e.Seq, e.Subject
		e = next
	}
	return e, nil
}

// schemas is the registry every reader of the log decodes through (Decode).
// Every type this package defines is declared here; the upcasters of types
// that changed follow their declaration.
var schemas = func() *Registry {
	r := NewRegistry()
	for _, t := range []Type{
		CommentSubmitted,
		CommentEdited,
		CommentApproved, CommentRejected, CommentHeld,
		CommentReported,
		AuthorBanned, AuthorUnbanned,
		ArticleSettingsChanged,
		RulesetPublished,
		AuthorErased,
	} {
		r.Declare(t)
	}
	// CommentSubmitted v2 may carry its personal fields sealed (Key,
	// Sealed) instead of in plain text. A v1 event is a v2 event with
	// plain fields, so it upcasts unchanged.
	r.Register(CommentSubmitted, 1, func(e Envelope) (Envelope, error) { return e, nil })
	// AuthorBanned v2 may end (AuthorAction.Until). A v1 ban has no end,
	// which is a v2 ban without Until: it upcasts unchanged.
	r.Register(AuthorBanned, 1, func(e Envelope) (Envelope, error) { return e, nil })
	return r
}()

// CurrentVersion is the schema version of t that this code writes.
func CurrentVersion(t Type) int { return schemas.Current(t) }
