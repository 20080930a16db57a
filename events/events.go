// Package events defines the facts of the comment system — what was
// submitted, decided, reported and published — and the JetStream log that
// stores them. Every read model in the system is a projection of this log.
package events

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	// A drop-in encoding/json, five times faster at decoding events: every
	// event is decoded by the worker and by every process's projector, and
	// a rebuild decodes the whole log.
	codec "github.com/goccy/go-json"
)

// Type names an event. Types are past tense: they record what happened.
type Type string

const (
	CommentSubmitted Type = "CommentSubmitted"
	CommentApproved  Type = "CommentApproved"
	CommentRejected  Type = "CommentRejected"
	CommentHeld      Type = "CommentHeld"
	// CommentEdited: the author changed the text of their comment within
	// the edit window (payload Edited). It goes through the rules again;
	// a decision on it names it (Decision.Edit).
	CommentEdited Type = "CommentEdited"
	// CommentReported: a reader reported a comment (payload Reported).
	CommentReported Type = "CommentReported"
	// AuthorBanned and AuthorUnbanned (payload AuthorAction).
	AuthorBanned   Type = "AuthorBanned"
	AuthorUnbanned Type = "AuthorUnbanned"
	// ArticleSettingsChanged (payload ArticleSettings).
	ArticleSettingsChanged Type = "ArticleSettingsChanged"
	// RulesetPublished: a new rule set version (payload RulesetPublication).
	RulesetPublished Type = "RulesetPublished"
	// AuthorErased: an author's data keys were destroyed on their request
	// (payload Erasure).
	AuthorErased Type = "AuthorErased"
)

// Envelope is the metadata every event carries, with its payload in Data.
// Seq is the stream sequence the event was stored at; it is set when an
// event is read from the log and never serialized.
type Envelope struct {
	ID   string `json:"id"`
	Type Type   `json:"type"`
	// Version is the schema version of this event's type (see schema.go).
	// An event read from the log is always at the current version: Decode
	// upcasts older ones.
	Version     int             `json:"v"`
	Article     string          `json:"article,omitempty"`
	Comment     string          `json:"comment,omitempty"`
	OccurredAt  time.Time       `json:"occurred_at"`
	Actor       string          `json:"actor"`
	CausationID string          `json:"causation_id,omitempty"`
	Data        json.RawMessage `json:"data,omitempty"`

	Seq     uint64 `json:"-"`
	Subject string `json:"-"`
	// Stored is when the stream stored the event (its own clock, not the
	// writer's): what readers of the system could see at a moment is
	// what was stored by then. Set when read from the log.
	Stored time.Time `json:"-"`
}

// Submitted is the payload of CommentSubmitted.
//
// Author, AuthorID, Text, Source and Email are the author's personal data. From
// version 2 they are stored sealed with the author's data key (Key names
// it, Sealed holds them; keys.go) and are empty in the log; every reader
// of the log opens them before it sees the event, and an erased author's
// open as Removed with Erased set. Version 1 events, and events written
// without a keyring, hold them in plain text.
type Submitted struct {
	Author   string `json:"author,omitempty"`
	AuthorID string `json:"author_id,omitempty"`
	Text     string `json:"text,omitempty"`
	ParentID string `json:"parent_id,omitempty"`
	// Source is a keyed hash of the sender's network address (never the
	// address), for flood rules that count per address.
	Source string `json:"source,omitempty"`
	// Email is the address the author left to be told of replies and of
	// the decision on a held comment, and Lang the language they read
	// ("en", "ru"). They are stored only sealed (never in plain text: a
	// log without a keyring drops them) and opened only by a log that
	// asks for them (Log.WithContact): the notifier and the author's
	// export. Every other reader sees them empty.
	Email string `json:"email,omitempty"`
	Lang  string `json:"lang,omitempty"`
	// Key is the id of the data key that sealed the personal fields.
	Key    string `json:"kid,omitempty"`
	Sealed []byte `json:"sealed,omitempty"`
	// Erased: the key was destroyed; the personal fields read Removed.
	// Set only when a sealed event is opened, never stored.
	Erased bool `json:"erased,omitempty"`
	// Imported is set on a comment moved in from another system
	// (commentctl import): where it came from and when it was written
	// there. The envelope's OccurredAt is that time too.
	Imported *Imported `json:"imported,omitempty"`
}

// Edited is the payload of CommentEdited: the comment's new text.
//
// Text is the author's personal data: it is sealed with the data key of
// the comment's submission (Key names it, Sealed holds it; keys.go), so
// the erasure that destroys that key erases every version of the text.
// An edit of a comment stored in plain text is stored in plain text.
type Edited struct {
	Text   string `json:"text,omitempty"`
	Key    string `json:"kid,omitempty"`
	Sealed []byte `json:"sealed,omitempty"`
	// Erased: the key was destroyed; Text reads Removed. Set only when a
	// sealed event is opened, never stored.
	Erased bool `json:"erased,omitempty"`
}

// Imported says where an imported comment came from.
type Imported struct {
	Format    string    `json:"format"`     // disqus, remark42, wxr
	ID        string    `json:"id"`         // the comment's id in the source
	CreatedAt time.Time `json:"created_at"` // when it was written there
}

// Decision is the payload of CommentApproved, CommentRejected and
// CommentHeld. The envelope's Actor says who decided: "rules@<version>" for
// the rules engine, "moderator:<id>" for a person.
type Decision struct {
	Reason   string     `json:"reason"`
	Message  string     `json:"message,omitempty"`
	Ruleset  string     `json:"ruleset,omitempty"`
	Rules    []string   `json:"rules,omitempty"`
	Evidence []Evidence `json:"evidence,omitempty"`
	// Shadow lists rules in shadow mode that would have fired: recorded so
	// a rule can be tried on live traffic before it acts.
	Shadow []string `json:"shadow,omitempty"`
	// Languages the comment was detected to be written in, most letters
	// first ("en", "ru").
	Languages []string `json:"languages,omitempty"`
	// Edit is the id of the CommentEdited event this decision is about:
	// on a published comment it decides the new text (approve shows it,
	// hold and reject keep the published one), not the comment. Empty: the
	// decision is about the comment. An optional field that older events
	// lack, so the version stays 1.
	Edit string `json:"edit,omitempty"`
}

// Reported is the payload of CommentReported. ReporterID is a keyed hash
// or a signed-in reader's id, never an address.
type Reported struct {
	Reason     string `json:"reason"`
	ReporterID string `json:"reporter_id"`
}

// AuthorAction is the payload of AuthorBanned and AuthorUnbanned.
type AuthorAction struct {
	AuthorID string `json:"author_id"`
	Reason   string `json:"reason,omitempty"`
	// RejectPending asks that the author's comments still waiting be
	// rejected with the ban.
	RejectPending bool `json:"reject_pending,omitempty"`
	// Until is when a ban ends (AuthorBanned v2; RFC 3339 in JSON); the
	// zero value is a ban with no end. No event marks the end: a ban holds
	// for a submission made before Until (BanHolds).
	Until time.Time `json:"until,omitzero"`
}

// BanHolds reports whether a ban that ends at until (zero: never) holds
// for something done at t.
func BanHolds(until, t time.Time) bool {
	return until.IsZero() || t.Before(until)
}

// Erasure is the payload of AuthorErased: who was erased (the author key,
// AuthorKey of the id, never the id), the data keys destroyed, and the
// comments whose personal fields they sealed, for the views to rewrite.
// The envelope's Actor says who erased (an operator or an admin).
type Erasure struct {
	AuthorKey string          `json:"author_key"`
	Keys      []string        `json:"keys,omitempty"`
	Comments  []ErasedComment `json:"comments,omitempty"`
	Reason    string          `json:"reason,omitempty"`
}

// ErasedComment is one comment of an erased author.
type ErasedComment struct {
	Article string `json:"article"`
	Comment string `json:"comment"`
}

// ArticleSettings is the payload of ArticleSettingsChanged: the whole
// settings of an article after the change.
type ArticleSettings struct {
	Closed       bool `json:"closed"`
	Premoderated bool `json:"premoderated"`
}

// RulesetPublication is the payload of RulesetPublished.
type RulesetPublication struct {
	Version string `json:"version"` // content hash of Source
	Name    string `json:"name,omitempty"`
	Source  string `json:"source"` // the rule file, YAML
}

// Evidence is one rule match: a span of the original, stored text.
// Start and End are byte offsets into that text.
type Evidence struct {
	Rule  string `json:"rule"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	Match string `json:"match"`
	// Lang is the language of the word list that matched ("en", "ru"),
	// empty for checks that are not word lists.
	Lang string `json:"lang,omitempty"`
}

// Actor prefixes. RulesActor and ReportsActor build the actors of
// automatic decisions.
const (
	ActorReader    = "reader"
	rulesPrefix    = "rules@"
	reportsPrefix  = "reports@"
	ModeratorActor = "moderator:"
)

// automaticPrefixes are the actors that are machines: a decision by any
// of them never overrides a person's.
var automaticPrefixes = []string{rulesPrefix, reportsPrefix}

// RulesActor is the actor recorded for a decision of the given rule set.
func RulesActor(version string) string { return rulesPrefix + version }

// ReportsActor is the actor recorded when a comment is held because
// threshold readers reported it.
func ReportsActor(threshold int) string { return reportsPrefix + strconv.Itoa(threshold) }

// IsHuman reports whether an actor is a person rather than an automatic
// decider (the rules, the report threshold).
func IsHuman(actor string) bool {
	for _, p := range automaticPrefixes {
		if strings.HasPrefix(actor, p) {
			return false
		}
	}
	return true
}

// IsDecision reports whether t changes a comment's moderation state.
func (t Type) IsDecision() bool {
	return t == CommentApproved || t == CommentRejected || t == CommentHeld
}

// New builds an envelope for payload, ready to append.
func New(id string, t Type, article, comment, actor, causation string, at time.Time, payload any) (Envelope, error) {
	data, err := codec.Marshal(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("events: encode %s payload: %w", t, err)
	}
	return Envelope{
		ID: id, Type: t, Version: CurrentVersion(t),
		Article: article, Comment: comment,
		OccurredAt: at.UTC(), Actor: actor, CausationID: causation,
		Data: data,
	}, nil
}

// Payload decodes the envelope's data into v.
func (e Envelope) Payload(v any) error {
	if err := codec.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("%w: %s %s payload: %v", ErrInvalid, e.Type, e.ID, err)
	}
	return nil
}

// Encode serializes an envelope for the log.
func Encode(e Envelope) ([]byte, error) {
	return codec.Marshal(e)
}

// wireEnvelope is an Envelope as stored, told apart from it only by a
// version that can be absent.
type wireEnvelope struct {
	ID          string          `json:"id"`
	Type        Type            `json:"type"`
	Version     *int            `json:"v"`
	Article     string          `json:"article,omitempty"`
	Comment     string          `json:"comment,omitempty"`
	OccurredAt  time.Time       `json:"occurred_at"`
	Actor       string          `json:"actor"`
	CausationID string          `json:"causation_id,omitempty"`
	Data        json.RawMessage `json:"data,omitempty"`
}

// Decode parses an envelope read from the log and brings it to the current
// version of its type through the upcasters (schema.go); every reader of the
// log decodes here, so no consumer ever sees an old version. An event that
// carries no version was written before versions existed and is version 1.
// Decode fails with ErrInvalid for bytes that can never be an event, so
// consumers can terminate them.
func Decode(b []byte) (Envelope, error) {
	var w wireEnvelope
	if err := codec.Unmarshal(b, &w); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if w.ID == "" || w.Type == "" {
		return Envelope{}, fmt.Errorf("%w: event without id or type", ErrInvalid)
	}
	e := Envelope{
		ID: w.ID, Type: w.Type, Version: 1,
		Article: w.Article, Comment: w.Comment,
		OccurredAt: w.OccurredAt, Actor: w.Actor, CausationID: w.CausationID,
		Data: w.Data,
	}
	if w.Version != nil {
		e.Version = *w.Version
	}
	return schemas.Upcast(e)
}
