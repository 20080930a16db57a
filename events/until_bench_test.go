package events_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
)

// BenchmarkUntil reads one article's events as of now (what a thread
// ?as_of= costs) from a log of 50 articles, beside a replay of the whole
// log in the same run: the read follows the article, not the log.
//
//	go test -run '^$' -bench Until -benchtime 20x ./events/
func BenchmarkUntil(b *testing.B) {
	const articles, perArticle = 50, 400
	l := openLog(b)
	ctx := context.Background()
	for i := range articles * perArticle {
		sub, _ := events.New(uuid.NewString(), events.CommentSubmitted, fmt.Sprint("article-", i%articles), uuid.NewString(), events.ActorReader, "", time.Now(),
			events.Submitted{Author: "Anna", AuthorID: "name:anna", Text: "A typical comment of a sentence or two, about the talks in Berlin."})
		mustAppend(b, l, sub)
		dec, _ := events.New(uuid.NewString(), events.CommentApproved, sub.Article, sub.Comment, events.RulesActor("v1"), sub.ID, time.Now(), events.Decision{})
		mustAppend(b, l, dec)
	}
	filters := []string{"comments.article-7.>", "articles.article-7.settings"}
	var until, whole time.Duration
	for b.Loop() {
		began, n := time.Now(), 0
		if err := l.Until(ctx, filters, time.Now(), func(events.Envelope) error { n++; return nil }); err != nil || n != 2*perArticle {
			b.Fatal(n, err)
		}
		until += time.Since(began)
		began, n = time.Now(), 0
		if err := l.Replay(ctx, 1, nil, func(events.Envelope) error { n++; return nil }); err != nil || n != 2*articles*perArticle {
			b.Fatal(n, err)
		}
		whole += time.Since(began)
	}
	b.ReportMetric(float64(until.Milliseconds())/float64(b.N), "ms/article")
	b.ReportMetric(float64(whole.Milliseconds())/float64(b.N), "ms/log")
}
