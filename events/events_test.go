package events

import (
	"errors"
	"testing"
	"time"
)

func TestDecodeRoundTrip(t *testing.T) {
	e, err := New("id1", CommentSubmitted, "a", "c", ActorReader, "", time.Unix(5, 0), Submitted{Author: "A", Text: "t"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	var s Submitted
	if err := got.Payload(&s); err != nil || s.Text != "t" || got.ID != "id1" || !got.OccurredAt.Equal(e.OccurredAt) {
		t.Fatalf("round trip = %+v %+v %v", got, s, err)
	}
}

func TestDecodeRejectsWhatCanNeverBeAnEvent(t *testing.T) {
	for _, in := range []string{``, `{`, `null`, `{"id":"x"}`, `{"id":"x","type":"CommentSubmitted","v":99}`, `{"id":"x","type":"CommentSubmitted","v":0}`} {
		if _, err := Decode([]byte(in)); !errors.Is(err, ErrInvalid) {
			t.Errorf("Decode(%q) error = %v, want ErrInvalid", in, err)
		}
	}
}

func TestIsHuman(t *testing.T) {
	for actor, want := range map[string]bool{RulesActor("abc"): false, "moderator:m1": true, "rules": true, "": true} {
		if IsHuman(actor) != want {
			t.Errorf("IsHuman(%q) = %v", actor, !want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"id":"x","type":"CommentSubmitted","v":1,"data":{"text":"hi"}}`))
	f.Add([]byte(`{"id":"x","type":"CommentApproved","v":1,"data":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Decode(b)
		if err != nil {
			return
		}
		var s Submitted
		_ = e.Payload(&s)
		if _, err := Encode(e); err != nil {
			t.Fatalf("decoded event does not encode: %v", err)
		}
	})
}

func benchEvent(b *testing.B) []byte {
	e, err := New("0193a0b4-58a1-7c3e-9f00-5b1f3c2d4e5f", CommentSubmitted, "lavrov-kerry-talks", "0193a0b4-58a1-7c3e-9f00-5b1f3c2d4e60", ActorReader, "", time.Now(),
		Submitted{Author: "Anna", AuthorID: "name:anna", Text: "A typical comment of a sentence or two, about the talks in Berlin and what comes of them."})
	if err != nil {
		b.Fatal(err)
	}
	data, err := Encode(e)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// go test -run '^$' -bench 'Encode|Decode' -benchmem ./events/
func BenchmarkEncode(b *testing.B) {
	e, _ := Decode(benchEvent(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	data := benchEvent(b)
	b.ReportAllocs()
	for b.Loop() {
		e, err := Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		var s Submitted
		if err := e.Payload(&s); err != nil {
			b.Fatal(err)
		}
	}
}
