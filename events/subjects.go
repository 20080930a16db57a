package events

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// StreamName is the one stream that holds every event.
const StreamName = "COMMENTS"

// StreamSubjects are the subjects the COMMENTS stream stores:
//
//	comments.<article>.<comment>.<submitted|edited|approved|rejected|held>
//	reports.<article>.<comment>           a reader's report
//	authors.<author key>.<banned|unbanned|erased> author key: AuthorKey(author id)
//	articles.<article>.settings
//	rulesets.published
//
// Reports live outside comments.<article>.<comment>.* on purpose: a
// decision expects the last sequence of those subjects, and a report
// arriving meanwhile must not make it conflict.
var StreamSubjects = []string{"comments.>", "reports.>", "authors.>", "articles.>", "rulesets.>"}

// Subject filters for consumers.
const (
	// SubmittedSubjects matches every CommentSubmitted event.
	SubmittedSubjects = "comments.*.*.submitted"
	// EditedSubjects matches every CommentEdited event. The moderation
	// workers decide these as they decide submissions.
	EditedSubjects = "comments.*.*.edited"
	// ReportedSubjects matches every CommentReported event.
	ReportedSubjects = "reports.>"
	// RulesetSubjects matches every RulesetPublished event.
	RulesetSubjects = "rulesets.published"
)

// MaxArticleIDLen bounds an article id, which becomes a subject token.
const MaxArticleIDLen = 128

// ValidArticleID reports whether id can be used as an article id: 1 to
// MaxArticleIDLen characters of [A-Za-z0-9_-], so it is always one safe
// subject token.
func ValidArticleID(id string) bool {
	if id == "" || len(id) > MaxArticleIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validToken is the rule for comment ids: a UUID or anything else that is
// one subject token without wildcards.
func validToken(s string) bool {
	return s != "" && len(s) <= MaxArticleIDLen && !strings.ContainsAny(s, ".*> \t\r\n")
}

// commentToken names each comment event in its subject.
var commentToken = map[Type]string{
	CommentSubmitted: "submitted",
	CommentApproved:  "approved",
	CommentRejected:  "rejected",
	CommentHeld:      "held",
	CommentEdited:    "edited",
}

// Subject is where the log stores e.
func Subject(e Envelope) (string, error) {
	if tok, ok := commentToken[e.Type]; ok || e.Type == CommentReported {
		if !ValidArticleID(e.Article) || !validToken(e.Comment) {
			return "", fmt.Errorf("%w: article %q / comment %q", ErrInvalid, e.Article, e.Comment)
		}
		if e.Type == CommentReported {
			return "reports." + e.Article + "." + e.Comment, nil
		}
		return "comments." + e.Article + "." + e.Comment + "." + tok, nil
	}
	switch e.Type {
	case AuthorBanned, AuthorUnbanned:
		var a AuthorAction
		if err := e.Payload(&a); err != nil || a.AuthorID == "" {
			return "", fmt.Errorf("%w: %s without an author id", ErrInvalid, e.Type)
		}
		tok := "banned"
		if e.Type == AuthorUnbanned {
			tok = "unbanned"
		}
		return "authors." + AuthorKey(a.AuthorID) + "." + tok, nil
	case AuthorErased:
		var x Erasure
		if err := e.Payload(&x); err != nil || !validToken(x.AuthorKey) {
			return "", fmt.Errorf("%w: %s without an author key", ErrInvalid, e.Type)
		}
		return "authors." + x.AuthorKey + ".erased", nil
	case ArticleSettingsChanged:
		if !ValidArticleID(e.Article) {
			return "", fmt.Errorf("%w: article %q", ErrInvalid, e.Article)
		}
		return "articles." + e.Article + ".settings", nil
	case RulesetPublished:
		return RulesetSubjects, nil
	}
	return "", fmt.Errorf("%w: no subject for event type %q", ErrInvalid, e.Type)
}

// AuthorKey turns an author id, which may hold any character, into one
// subject token.
func AuthorKey(authorID string) string {
	sum := sha256.Sum256([]byte(authorID))
	return hex.EncodeToString(sum[:12])
}

// ErasedSubjects matches every AuthorErased event.
const ErasedSubjects = "authors.*.erased"

// ReportSubjects matches every report of one comment.
func ReportSubjects(article, comment string) string {
	return "reports." + article + "." + comment
}

// CommentSubjects matches every event of one comment.
func CommentSubjects(article, comment string) string {
	return "comments." + article + "." + comment + ".*"
}
