package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden fixtures of the current version of every event type (old versions are never rewritten)")

const fixtureDir = "testdata/schema"

// example is one event of a type in its current form: the golden fixture of
// the current version is its encoding, and every older fixture of the type
// must upcast to it (or to want[version], where an old version could not
// carry all of it).
type example struct {
	article, comment, actor, causation string
	payload                            any
	// want, by old version, the payload that fixture upcasts to when it
	// differs from payload.
	want map[int]any
}

var exampleAt = time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)

var examples = map[Type]example{
	// v2 seals the personal fields with the author's key (keys.go); a v1
	// event holds them in plain text and upcasts unchanged.
	CommentSubmitted: {article: "lavrov-kerry-talks", comment: "c1", actor: ActorReader,
		payload: &Submitted{ParentID: "c0", Key: "5f1c0e4a9b2d7c3e8f6a1b0c9d8e7f60",
			Sealed: []byte("\x8a\x01nonce-12byt\xc3sealed personal fields and the GCM tag")},
		want: map[int]any{1: &Submitted{Author: "Anna", AuthorID: "name:anna", Text: "What comes of the talks?", ParentID: "c0", Source: "k1:9f86d081884c7d65"}}},
	// Sealed with the key of the comment's submission (keys.go).
	CommentEdited: {article: "lavrov-kerry-talks", comment: "c1", actor: ActorReader,
		payload: &Edited{Key: "5f1c0e4a9b2d7c3e8f6a1b0c9d8e7f60", Sealed: []byte("\x8a\x01nonce-12byt\xc3sealed new text and the GCM tag")}},
	CommentApproved: {article: "lavrov-kerry-talks", comment: "c1", actor: RulesActor("3f2a9c1d"), causation: "e1",
		payload: &Decision{Reason: "clean", Ruleset: "3f2a9c1d", Languages: []string{"en"}}},
	CommentRejected: {article: "lavrov-kerry-talks", comment: "c1", actor: RulesActor("3f2a9c1d"), causation: "e1",
		payload: &Decision{Reason: "profanity", Message: "Please keep it civil.", Ruleset: "3f2a9c1d", Rules: []string{"profanity"},
			Evidence: []Evidence{{Rule: "profanity", Start: 5, End: 9, Match: "darn", Lang: "en"}}, Shadow: []string{"caps"}, Languages: []string{"en", "ru"}}},
	CommentHeld: {article: "lavrov-kerry-talks", comment: "c1", actor: ReportsActor(3), causation: "e1",
		payload: &Decision{Reason: "reported"}},
	CommentReported: {article: "lavrov-kerry-talks", comment: "c1", actor: ActorReader,
		payload: &Reported{Reason: "spam", ReporterID: "r:5d41402abc4b2a76"}},
	// v2 may end (Until); a v1 ban is a ban without an end.
	AuthorBanned: {actor: ModeratorActor + "m1",
		payload: &AuthorAction{AuthorID: "name:troll", Reason: "abuse", RejectPending: true, Until: exampleAt.Add(7 * 24 * time.Hour)},
		want:    map[int]any{1: &AuthorAction{AuthorID: "name:troll", Reason: "abuse", RejectPending: true}}},
	AuthorUnbanned: {actor: ModeratorActor + "m1",
		payload: &AuthorAction{AuthorID: "name:troll", Reason: "appeal"}},
	ArticleSettingsChanged: {article: "lavrov-kerry-talks", actor: ModeratorActor + "m1",
		payload: &ArticleSettings{Closed: true, Premoderated: true}},
	AuthorErased: {actor: "operator:dpo@newsroom.example",
		payload: &Erasure{AuthorKey: "5d41402abc4b2a76b9719d91", Keys: []string{"5f1c0e4a9b2d7c3e8f6a1b0c9d8e7f60"},
			Comments: []ErasedComment{{Article: "lavrov-kerry-talks", Comment: "c1"}}, Reason: "reader's request 2026-03-03"}},
	RulesetPublished: {actor: ModeratorActor + "m1",
		payload: &RulesetPublication{Version: "3f2a9c1d", Name: "default", Source: "rules:\n  - name: caps\n    action: hold\n"}},
}

func (x example) envelope(t *testing.T, typ Type) Envelope {
	t.Helper()
	e, err := New("e-"+string(typ), typ, x.article, x.comment, x.actor, x.causation, exampleAt, x.payload)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func fixturePath(t Type, v int) string {
	return filepath.Join(fixtureDir, fmt.Sprintf("%s.v%d.json", t, v))
}

var fixtureName = regexp.MustCompile(`^([A-Za-z]+)\.v([0-9]+)\.json$`)

// TestSchemaFixtures decodes the golden fixture of every version ever
// written of every event type through the upcasters and compares it with
// the current form. The current version's fixture must also be exactly what
// this code writes, so a change of an event's encoding without a new
// version fails here. -update rewrites only the current versions.
func TestSchemaFixtures(t *testing.T) {
	for _, typ := range schemas.Types() {
		if _, ok := examples[typ]; !ok {
			t.Errorf("%s has no example in schema_test.go: add one, and its fixture with -update", typ)
		}
	}
	for typ, x := range examples {
		cur := schemas.Current(typ)
		want := x.envelope(t, typ)
		t.Run(string(typ), func(t *testing.T) {
			encoded, err := Encode(want)
			if err != nil {
				t.Fatal(err)
			}
			encoded = append(encoded, '\n')
			path := fixturePath(typ, cur)
			if *update {
				if err := os.WriteFile(path, encoded, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("no fixture of the current version (run with -update): %v", err)
			}
			if !bytes.Equal(golden, encoded) {
				t.Errorf("%s v%d encodes differently from its fixture %s.\nTo change an event, bump its version and add an upcaster; -update only if the change is to the example.\n got: %s\nwant: %s", typ, cur, path, encoded, golden)
			}
			for v := 1; v <= cur; v++ {
				t.Run("v"+strconv.Itoa(v), func(t *testing.T) {
					b, err := os.ReadFile(fixturePath(typ, v))
					if err != nil {
						t.Fatalf("every version ever written keeps a fixture: %v", err)
					}
					got, err := Decode(b)
					if err != nil {
						t.Fatalf("Decode: %v", err)
					}
					if got.Version != cur {
						t.Errorf("decoded version = %d, want %d", got.Version, cur)
					}
					wantPayload := x.payload
					if p, ok := x.want[v]; ok {
						wantPayload = p
					}
					gotPayload := reflect.New(reflect.TypeOf(wantPayload).Elem()).Interface()
					dec := json.NewDecoder(bytes.NewReader(got.Data))
					dec.DisallowUnknownFields() // an upcaster must leave no field of an old version behind
					if err := dec.Decode(gotPayload); err != nil {
						t.Fatalf("payload does not decode into %T: %v", gotPayload, err)
					}
					if !reflect.DeepEqual(gotPayload, wantPayload) {
						t.Errorf("payload = %+v, want %+v", gotPayload, wantPayload)
					}
					got.Data, want.Data = nil, nil
					if !reflect.DeepEqual(got, want) {
						t.Errorf("envelope = %+v, want %+v", got, want)
					}
				})
			}
		})
	}
	// Every fixture belongs to a version that exists: a fixture of a
	// version no longer reachable would test nothing.
	files, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		m := fixtureName.FindStringSubmatch(f.Name())
		if m == nil {
			t.Errorf("%s: not a fixture name (Type.vN.json)", f.Name())
			continue
		}
		v, _ := strconv.Atoi(m[2])
		if _, ok := examples[Type(m[1])]; !ok || v < 1 || v > schemas.Current(Type(m[1])) {
			t.Errorf("%s: no such event type or version", f.Name())
		}
	}
}

func TestDecodeWithoutVersionIsVersionOne(t *testing.T) {
	e, err := Decode([]byte(`{"id":"x","type":"CommentSubmitted","occurred_at":"2026-03-03T12:00:00Z","actor":"reader","data":{"author":"A","text":"hi"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if e.Version != CurrentVersion(CommentSubmitted) {
		t.Fatalf("version = %d", e.Version)
	}
	var s Submitted
	if err := e.Payload(&s); err != nil || s.Text != "hi" {
		t.Fatalf("payload = %+v, %v", s, err)
	}
}

// A made-up type with three versions: v1 {"name"}, v2 {"first","last"},
// v3 moves "last" into the envelope's article (for the test's sake).
func threeVersions() *Registry {
	r := NewRegistry()
	r.Register("Renamed", 1, func(e Envelope) (Envelope, error) {
		var v1 struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(e.Data, &v1); err != nil {
			return e, err
		}
		first, last, _ := bytes.Cut([]byte(v1.Name), []byte(" "))
		e.Data, _ = json.Marshal(map[string]string{"first": string(first), "last": string(last)})
		return e, nil
	})
	r.Register("Renamed", 2, func(e Envelope) (Envelope, error) {
		var v2 map[string]string
		if err := json.Unmarshal(e.Data, &v2); err != nil {
			return e, err
		}
		e.Article = v2["last"]
		e.Data, _ = json.Marshal(map[string]string{"first": v2["first"]})
		return e, nil
	})
	r.Register("Broken", 1, func(e Envelope) (Envelope, error) { return e, errors.New("cannot") })
	r.Register("Renumbered", 1, func(e Envelope) (Envelope, error) { e.ID = "other"; return e, nil })
	return r
}

func TestUpcastChain(t *testing.T) {
	r := threeVersions()
	if r.Current("Renamed") != 3 || r.Current("Unknown") != 1 {
		t.Fatalf("current = %d, %d", r.Current("Renamed"), r.Current("Unknown"))
	}
	for _, tc := range []struct {
		in          Envelope
		wantArticle string
		wantData    string
	}{
		{Envelope{ID: "a", Type: "Renamed", Version: 1, Data: []byte(`{"name":"Anna Karenina"}`)}, "Karenina", `{"first":"Anna"}`},
		{Envelope{ID: "b", Type: "Renamed", Version: 2, Data: []byte(`{"first":"Anna","last":"K"}`)}, "K", `{"first":"Anna"}`},
		{Envelope{ID: "c", Type: "Renamed", Version: 3, Article: "x", Data: []byte(`{"first":"Anna"}`)}, "x", `{"first":"Anna"}`},
	} {
		tc.in.Seq, tc.in.Subject = 7, "s"
		got, err := r.Upcast(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in.ID, err)
		}
		if got.Version != 3 || got.Article != tc.wantArticle || string(got.Data) != tc.wantData || got.Seq != 7 || got.Subject != "s" || got.ID != tc.in.ID {
			t.Errorf("%s: upcast = %+v (data %s)", tc.in.ID, got, got.Data)
		}
	}
	for _, in := range []Envelope{
		{ID: "new", Type: "Renamed", Version: 4},
		{ID: "zero", Type: "Renamed", Version: 0},
		{ID: "neg", Type: "Renamed", Version: -1},
		{ID: "bad", Type: "Renamed", Version: 1, Data: []byte(`{"name":`)},
		{ID: "broken", Type: "Broken", Version: 1},
		{ID: "renumbered", Type: "Renumbered", Version: 1},
		{ID: "future", Type: "Unknown", Version: 2},
	} {
		if _, err := r.Upcast(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error = %v, want ErrInvalid", in.ID, err)
		}
	}
}

func TestRegisterRefusesGaps(t *testing.T) {
	noop := func(e Envelope) (Envelope, error) { return e, nil }
	for name, f := range map[string]func(r *Registry){
		"gap":       func(r *Registry) { r.Register("T", 2, noop) },
		"duplicate": func(r *Registry) { r.Register("T", 1, noop); r.Register("T", 1, noop) },
		"nil":       func(r *Registry) { r.Register("T", 1, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f(NewRegistry())
		})
	}
}
