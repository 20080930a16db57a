package events

import (
	"fmt"
	"strings"
)

// StreamName is the one stream that holds every event.
const StreamName = "COMMENTS"

// StreamSubjects are the subjects the COMMENTS stream stores.
var StreamSubjects = []string{"comments.>"}

// Subject filters for consumers.
const (
	// SubmittedSubjects matches every CommentSubmitted event.
	SubmittedSubjects = "comments.*.*.submitted"
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
}

// Subject is where the log stores e.
func Subject(e Envelope) (string, error) {
	tok, ok := commentToken[e.Type]
	if !ok {
		return "", fmt.Errorf("%w: no subject for event type %q", ErrInvalid, e.Type)
	}
	if !ValidArticleID(e.Article) || !validToken(e.Comment) {
		return "", fmt.Errorf("%w: article %q / comment %q", ErrInvalid, e.Article, e.Comment)
	}
	return "comments." + e.Article + "." + e.Comment + "." + tok, nil
}

// CommentSubjects matches every event of one comment.
func CommentSubjects(article, comment string) string {
	return "comments." + article + "." + comment + ".*"
}
