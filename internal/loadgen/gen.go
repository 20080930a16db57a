// Package loadgen fills a COMMENTS log with a synthetic history shaped like
// a newsroom's: many articles, a few of them very hot, replies, texts of a
// few hundred bytes, some comments held and some rejected. It publishes the
// events directly (the submission, then the rules' decision, as the worker
// would write it), so a log of a million comments fills in a minute rather
// than through the HTTP API and the worker. It is for benchmarks and scale
// tests (commentctl load, BENCHMARKS.md); nothing in the product uses it.
package loadgen

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
)

// Config shapes the history. The zero value of a field takes its default
// (setDefaults).
type Config struct {
	Comments int // how many comments (default 100,000)
	Articles int // over how many articles (default 10,000)
	// Skew is the exponent of the Zipf law articles are chosen by
	// (default 1.1): article rank k gets a share ∝ 1/(k+1)^Skew, so at
	// 1M comments over 10k articles the hottest has about 110k comments
	// and a few more have 10k+.
	Skew float64
	// Replies is the share of comments that reply to an approved comment
	// of the same article (default 0.2).
	Replies float64
	// Held and Rejected are the shares of comments written so that the
	// rules hold them (a link) or reject them (an obscene word); defaults
	// 0.04 and 0.03. The decision is the rule set's own verdict.
	Held, Rejected float64
	// TextBytes is the typical length of a text (default 300; texts vary
	// by ±1/3).
	TextBytes int
	// Authors is how many readers write (default Comments/20, at least 1),
	// also chosen by a Zipf law.
	Authors int
	// Seed makes the history reproducible: the same seed gives the same ids
	// and texts, so loading again within the stream's duplicate window
	// stores nothing twice.
	Seed uint64
	// End is when the newest comment was written (default now), and Span
	// how long the history lasts before it (default 90 days).
	End  time.Time
	Span time.Duration
	// MaxReplyDepth bounds how deep the generated replies nest (default 3,
	// below commentd's --max-reply-depth default of 6).
	MaxReplyDepth int
}

func (c *Config) setDefaults() {
	if c.Comments == 0 {
		c.Comments = 100_000
	}
	if c.Articles == 0 {
		c.Articles = 10_000
	}
	if c.Skew == 0 {
		c.Skew = 1.1
	}
	if c.Replies == 0 {
		c.Replies = 0.2
	}
	if c.Held == 0 {
		c.Held = 0.04
	}
	if c.Rejected == 0 {
		c.Rejected = 0.03
	}
	if c.TextBytes == 0 {
		c.TextBytes = 300
	}
	if c.Authors == 0 {
		c.Authors = max(1, c.Comments/20)
	}
	if c.End.IsZero() {
		c.End = time.Now()
	}
	if c.Span == 0 {
		c.Span = 90 * 24 * time.Hour
	}
	if c.MaxReplyDepth == 0 {
		c.MaxReplyDepth = 3
	}
}

// Validate reports a configuration that cannot be generated.
func (c Config) Validate() error {
	var errs []error
	if c.Comments < 1 || c.Articles < 1 || c.Authors < 1 {
		errs = append(errs, errors.New("comments, articles and authors are at least 1"))
	}
	if c.Skew <= 1 {
		errs = append(errs, errors.New("skew is above 1 (a Zipf exponent)"))
	}
	for _, s := range []float64{c.Replies, c.Held, c.Rejected} {
		if s < 0 || s > 1 {
			errs = append(errs, errors.New("replies, held and rejected are shares between 0 and 1"))
			break
		}
	}
	if c.Held+c.Rejected > 1 {
		errs = append(errs, errors.New("held and rejected add up to more than 1"))
	}
	if c.TextBytes < 20 || c.TextBytes > 4000 {
		errs = append(errs, errors.New("text bytes are 20 to 4000 (a comment is at most 5000 characters)"))
	}
	if c.Span < 0 || c.MaxReplyDepth < 1 {
		errs = append(errs, errors.New("span is 0 or more, reply depth at least 1"))
	}
	return errors.Join(errs...)
}

// Article is the id of the article of Zipf rank k: Article(0) is the
// hottest.
func Article(k int) string { return fmt.Sprintf("a%05d", k) }

// parent is a comment a reply may answer.
type parent struct {
	id    string
	depth int
}

// recentParents is how many approved comments per article replies choose
// from: readers answer what they see near the end of the thread.
const recentParents = 16

// Generator makes the events of one history, in order. It is not safe for
// concurrent use.
type Generator struct {
	cfg      Config
	rules    *moderation.Ruleset
	rng      *rand.Rand
	articles *rand.Zipf
	authors  *rand.Zipf
	recent   map[int][]parent
	n        int
	step     time.Duration
	start    time.Time
}

// NewGenerator returns a generator of cfg's history, decided by rules.
func NewGenerator(cfg Config, rules *moderation.Ruleset) (*Generator, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	if rules == nil {
		return nil, errors.New("loadgen: no rule set")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	g := &Generator{
		cfg: cfg, rules: rules, rng: rng,
		articles: rand.NewZipf(rng, cfg.Skew, 1, uint64(cfg.Articles-1)),
		authors:  rand.NewZipf(rng, cfg.Skew, 1, uint64(cfg.Authors-1)),
		recent:   map[int][]parent{},
		step:     cfg.Span / time.Duration(cfg.Comments),
		start:    cfg.End.Add(-cfg.Span),
	}
	return g, nil
}

// Config is the generator's configuration, defaults filled in.
func (g *Generator) Config() Config { return g.cfg }

// Comment is one generated comment: its two events and what it became.
type Comment struct {
	Submitted, Decision events.Envelope
	Action              moderation.Action
	ArticleRank         int
	Reply               bool
	Depth               int // 1 for a top-level comment
}

// Done reports whether every comment has been generated.
func (g *Generator) Done() bool { return g.n >= g.cfg.Comments }

// Next makes the next comment. Its decision is what the rule set decides
// for its text, written as the worker writes it (moderation.Decision), a
// few hundred milliseconds after the submission.
func (g *Generator) Next() (Comment, error) {
	if g.Done() {
		return Comment{}, errors.New("loadgen: every comment was generated")
	}
	at := g.start.Add(time.Duration(g.n) * g.step).UTC()
	g.n++
	rank := int(g.articles.Uint64())
	article := Article(rank)
	name := fmt.Sprintf("Reader %d", g.authors.Uint64())

	var c Comment
	c.ArticleRank, c.Depth = rank, 1
	var parentID string
	if ps := g.recent[rank]; len(ps) > 0 && g.rng.Float64() < g.cfg.Replies {
		p := ps[g.rng.IntN(len(ps))]
		if p.depth < g.cfg.MaxReplyDepth {
			parentID, c.Depth, c.Reply = p.id, p.depth+1, true
		}
	}
	kind := g.rng.Float64()
	text := g.text(kind)

	id := g.commentID(at)
	sub, err := events.New(g.uuid(), events.CommentSubmitted, article, id, events.ActorReader, "", at,
		events.Submitted{Author: name, AuthorID: events.AnonymousAuthorID(name), Text: text, ParentID: parentID, Source: g.hex(16)})
	if err != nil {
		return Comment{}, err
	}
	v := g.rules.Evaluate(moderation.Input{Text: text, IsReply: parentID != "", Now: at})
	dec, err := moderation.Decision(sub, g.rules, v, at.Add(time.Duration(50+g.rng.IntN(400))*time.Millisecond))
	if err != nil {
		return Comment{}, err
	}
	c.Submitted, c.Decision, c.Action = sub, dec, v.Action
	if v.Action == moderation.Approve {
		ps := g.recent[rank]
		if len(ps) == recentParents {
			ps = ps[1:]
		}
		g.recent[rank] = append(ps, parent{id: id, depth: c.Depth})
	}
	return c, nil
}

// text is a comment of about TextBytes bytes; kind picks whether it is
// written to be held (a link), rejected (an obscene word) or clean.
func (g *Generator) text(kind float64) string {
	want := g.cfg.TextBytes*2/3 + g.rng.IntN(g.cfg.TextBytes*2/3+1)
	var b strings.Builder
	b.Grow(want + 40)
	sentenceStart := true
	for b.Len() < want {
		w := vocabulary[g.rng.IntN(len(vocabulary))]
		if sentenceStart {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
			sentenceStart = false
		} else {
			b.WriteByte(' ')
			b.WriteString(w)
		}
		if g.rng.IntN(12) == 0 {
			b.WriteString(". ")
			sentenceStart = true
		}
	}
	s := strings.TrimSpace(b.String())
	switch {
	case kind < g.cfg.Held:
		s += " More at https://example.com/story/" + g.hex(4) + " if you care."
	case kind < g.cfg.Held+g.cfg.Rejected:
		s += " What a load of " + offensive[g.rng.IntN(len(offensive))] + "."
	default:
		s += "."
	}
	return s
}

// commentID is a version 7 UUID for time at, as the api makes them
// (time-ordered), its random bits from the generator.
func (g *Generator) commentID(at time.Time) string {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[8:], g.rng.Uint64())
	binary.BigEndian.PutUint64(u[0:], uint64(at.UnixMilli())<<16|g.rng.Uint64()&0xffff)
	u[6] = u[6]&0x0f | 0x70 // version 7
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}

// uuid is a random (version 4) UUID from the generator.
func (g *Generator) uuid() string {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[0:], g.rng.Uint64())
	binary.BigEndian.PutUint64(u[8:], g.rng.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}

func (g *Generator) hex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.rng.Uint32())
	}
	return hex.EncodeToString(b)
}

// offensive words the default rule set rejects (its "obscene" list; the
// milder "shit" is held).
var offensive = []string{"fucking nonsense", "motherfuckers", "fuck", "fucking lies"}

// vocabulary: the words of the texts, the language of news comments.
var vocabulary = strings.Fields(`the a an of to in and for on with at by from about as that this it is was
are were be been has have had will would could should may might not no yes but or if than then so because
while after before during over under between against without within government minister election vote
voters party policy budget tax taxes economy inflation prices market markets bank banks rate rates
report reporter article story journalist editor newspaper interview source sources claim claims fact
facts evidence court judge law laws police crime city council mayor school schools teachers students
hospital doctors health care climate energy oil gas power war peace talks treaty border army soldiers
people country nation world europe america russia china ukraine germany france britain president
prime leader leaders opposition parliament senate congress bill agreement deal sanctions trade jobs
workers wages housing rent homes families children parents village town region local national
international history future year years week month today yesterday tomorrow time long short good
bad better worse best worst right wrong true false clear simple hard easy important interesting strange
really very quite just only also even still never always often sometimes perhaps maybe probably
think believe know said says say agree disagree read wrote write remember forget understand explain
wonder hope fear expect seem seems want need like love hate support oppose question answer point
argument reason problem solution idea plan change money cost costs pay paid free public private
service services transport trains roads traffic water food farmers weather storm flood fire summer
winter spring autumn football match team game season player players fans club league cup win lost
thanks thank great piece excellent balanced biased fair unfair honest misleading missing context
numbers figures data study research scientists experts critics officials spokesman statement`)
