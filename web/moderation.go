package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/projections"
)

// ModerationConfig is what the moderators' side of the server needs.
type ModerationConfig struct {
	// Accounts keeps moderators, sessions and API tokens; nil turns
	// sign-in off (the admin token still works).
	Accounts *accounts.Store
	// AdminToken, when set, is accepted as Authorization: Bearer with the
	// admin role: the way to make the first accounts.
	AdminToken string
	// SessionTTL is how long the session cookie lives; the sessions
	// bucket forgets sessions after the same time.
	SessionTTL time.Duration
	// Secret keys the hash that turns a reporter's address into an id.
	Secret []byte
	// RateLimitReports is reports a minute from one address; 0 is no
	// limit. LoginsPerMinute is failed sign-ins a minute per address
	// (past it: 429), per account name (past it: each attempt waits up to
	// a second) and wrong bearer tokens a minute per address (default 10).
	RateLimitReports int
	LoginsPerMinute  int
}

// ReasonCodes are the reasons a moderator rejects for, and a reader
// reports for.
var ReasonCodes = []string{"offensive", "abusive", "spam", "off-topic", "personal-information", "other"}

// MaxMessageRunes bounds the message a moderator writes to an author.
const MaxMessageRunes = 500

// MaxBulk bounds one bulk decision.
const MaxBulk = 100

// moderators is the state of the moderators' side of the server.
type moderators struct {
	origin    *http.CrossOriginProtection
	loginIP   *limiter
	loginName *limiter
	bearerIP  *limiter
	reportIP  *limiter
	decisions *prometheus.CounterVec
	overturns *prometheus.CounterVec
}

func newModerators(s *Server) *moderators {
	mc := &s.cfg.Moderation
	if mc.LoginsPerMinute == 0 {
		mc.LoginsPerMinute = 10
	}
	if mc.SessionTTL == 0 {
		mc.SessionTTL = 12 * time.Hour
	}
	m := &moderators{
		origin:    http.NewCrossOriginProtection(),
		loginIP:   newLimiter(mc.LoginsPerMinute),
		loginName: newLimiter(mc.LoginsPerMinute),
		bearerIP:  newLimiter(mc.LoginsPerMinute),
		reportIP:  newLimiter(mc.RateLimitReports),
		// The worker's series, for people: one metric for every decision.
		decisions: moderation.NewDecisionsCounter("human"),
		overturns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "comments_moderation_overturns_total",
			Help: "Automatic approvals or rejections a moderator reversed, by the rule that decided.",
		}, []string{"rule"}),
	}
	m.origin.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, &apiError{Status: http.StatusForbidden, Code: "cross_origin", Message: "cross-origin requests are refused"})
	}))
	if s.cfg.Views != nil {
		s.cfg.Registry.MustRegister(m.decisions, m.overturns)
		for _, q := range projections.Queues {
			s.cfg.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "comments_queue_depth", Help: "Comments waiting in a moderation queue.",
				ConstLabels: prometheus.Labels{"queue": string(q)},
			}, func() float64 { return float64(s.cfg.Views.QueueCounts("")[q]) }))
		}
	}
	return m
}

// observe counts a moderator's decision, and an overturn when it reverses
// an automatic approval or rejection.
func (m *moderators) observe(prior projections.Comment, now projections.Status) {
	rule := "none"
	if len(prior.Rules) > 0 {
		rule = prior.Rules[0]
	}
	outcome := "approve"
	if now == projections.Rejected {
		outcome = "reject"
	}
	m.decisions.WithLabelValues(outcome, rule).Inc()
	automatic := prior.DecidedBy != "" && !prior.HumanDecided()
	if automatic && (prior.Status == projections.Approved || prior.Status == projections.Rejected) && prior.Status != now {
		m.overturns.WithLabelValues(rule).Inc()
	}
}

// Queue.

type queueResponse struct {
	Queue      projections.Queue         `json:"queue"`
	Article    string                    `json:"article,omitempty"`
	Counts     map[projections.Queue]int `json:"counts"`
	Total      int                       `json:"total"`
	Items      []projections.QueueItem   `json:"items"`
	NextCursor string                    `json:"next_cursor"`
}

type queueQuery struct {
	queue   projections.Queue
	article string
	after   uint64
	limit   int
}

func parseQueueQuery(r *http.Request) (queueQuery, error) {
	v := r.URL.Query()
	q := queueQuery{queue: projections.QueueHeld, article: v.Get("article"), limit: defaultPageSize}
	if s := v.Get("queue"); s != "" {
		q.queue = projections.Queue(s)
		if !slices.Contains(projections.Queues, q.queue) {
			return q, badRequest("invalid_queue", "queue", "queue is held or reported")
		}
	}
	if q.article != "" && !events.ValidArticleID(q.article) {
		return q, errInvalidArticle
	}
	var err error
	q.limit, q.after, err = pageParams(v, q.limit)
	return q, err
}

func (s *Server) queuePage(q queueQuery) queueResponse {
	page := s.cfg.Views.Queue(q.queue, q.article, q.after, q.limit)
	resp := queueResponse{Queue: q.queue, Article: q.article, Counts: s.cfg.Views.QueueCounts(q.article), Total: page.Total, Items: page.Items}
	if resp.Items == nil {
		resp.Items = []projections.QueueItem{}
	}
	if page.Next != 0 {
		resp.NextCursor = strconv.FormatUint(page.Next, 36)
	}
	return resp
}

func (s *Server) handleQueue() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := parseQueueQuery(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, s.queuePage(q))
	}
}

func (s *Server) handleModComment() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		it, ok := s.cfg.Views.Item(r.PathValue("id"))
		if !ok {
			s.writeError(w, r, events.ErrNotFound)
			return
		}
		writeJSON(w, http.StatusOK, it)
	}
}

// Decisions.

type decisionRequest struct {
	ID      string `json:"id,omitempty"` // bulk only
	Action  string `json:"action"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	// ExpectedSeq is the comment's seq as the moderator saw it: when the
	// comment changed since, the decision is refused with 409. Without
	// it, the decision applies to the comment as it stands.
	ExpectedSeq *uint64 `json:"expected_seq"`
}

func (in *decisionRequest) validate() (events.Type, error) {
	var typ events.Type
	switch in.Action {
	case "approve":
		typ = events.CommentApproved
		if in.Reason != "" && !slices.Contains(ReasonCodes, in.Reason) {
			return "", badRequest("invalid_reason", "reason", "an unknown reason code")
		}
	case "reject":
		typ = events.CommentRejected
		if !slices.Contains(ReasonCodes, in.Reason) {
			return "", badRequest("invalid_reason", "reason", "a rejection needs a reason: one of offensive, abusive, spam, off-topic, personal-information, other")
		}
	default:
		return "", badRequest("invalid_action", "action", "action is approve or reject")
	}
	if !utf8.ValidString(in.Message) || utf8.RuneCountInString(in.Message) > MaxMessageRunes {
		return "", badRequest("too_long", "message", fmt.Sprintf("a message is at most %d characters", MaxMessageRunes))
	}
	return typ, nil
}

// fold is one comment as its own history says, independent of the read
// models' lag: the authority for what a decision found and left, and what
// the history route shows.
type fold struct {
	store   *projections.Store
	article string
	id      string
	history []events.Envelope
}

func (f fold) comment() projections.Comment {
	c, _ := f.store.Comment(f.id)
	return c
}

// current reads a comment's history from the log and folds it.
func (s *Server) current(ctx context.Context, id string) (fold, error) {
	article, _, err := s.cfg.Log.FindComment(ctx, id)
	if err != nil {
		return fold{}, err
	}
	hist, err := s.cfg.Log.History(ctx, article, id)
	if err != nil {
		return fold{}, err
	}
	f := fold{store: projections.NewStore(), article: article, id: id, history: hist}
	for _, e := range hist {
		f.store.Apply(e)
	}
	if _, ok := f.store.Comment(id); !ok {
		return fold{}, events.ErrNotFound
	}
	return f, nil
}

func conflict(c projections.Comment) error {
	return &apiError{Status: http.StatusConflict, Code: "conflict",
		Message: fmt.Sprintf("the comment changed meanwhile (now %s, by %s); look again", c.Status, c.DecidedBy), Current: c}
}

// decide appends a moderator's decision on one comment, unless it changed
// since the moderator looked (409 with the comment as it stands).
func (s *Server) decide(ctx context.Context, p principal, id string, in decisionRequest, causation string) (projections.Comment, error) {
	typ, err := in.validate()
	if err != nil {
		return projections.Comment{}, err
	}
	f, err := s.current(ctx, id)
	if err != nil {
		return projections.Comment{}, err
	}
	prior := f.comment()
	if in.ExpectedSeq != nil && *in.ExpectedSeq != prior.Seq {
		return projections.Comment{}, conflict(prior)
	}
	e, err := events.New(uuid.NewString(), typ, f.article, id, p.Actor, causation, time.Now(),
		events.Decision{Reason: in.Reason, Message: in.Message})
	if err != nil {
		return projections.Comment{}, err
	}
	// The sequence the moderator's view rests on: another decision
	// stored since makes this one lose, with 409.
	e.Seq, err = s.cfg.Log.AppendAfter(ctx, e, prior.Seq)
	if errors.Is(err, events.ErrConflict) {
		if f, err = s.current(ctx, id); err != nil {
			return projections.Comment{}, err
		}
		return projections.Comment{}, conflict(f.comment())
	}
	if err != nil {
		return projections.Comment{}, err
	}
	f.store.Apply(e)
	after := f.comment()
	s.mod.observe(prior, after.Status)
	s.log.Info("moderator decided", "comment", id, "actor", p.Actor, "action", in.Action, "reason", in.Reason)
	return after, nil
}

func (s *Server) handleDecision() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in decisionRequest
		if err := decodeJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		c, err := s.decide(r.Context(), principalOf(r.Context()), r.PathValue("id"), in, "")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"comment": c})
	}
}

type bulkResult struct {
	ID      string               `json:"id"`
	Status  int                  `json:"status"`
	Comment *projections.Comment `json:"comment,omitempty"`
	Error   *apiError            `json:"error,omitempty"`
}

// handleBulkDecisions decides each comment of a list on its own: each
// gets its own result, as if it had been sent alone.
func (s *Server) handleBulkDecisions() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Decisions []decisionRequest `json:"decisions"`
		}
		if err := decodeJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		if len(in.Decisions) == 0 || len(in.Decisions) > MaxBulk {
			s.writeError(w, r, badRequest("invalid_bulk", "decisions", fmt.Sprintf("send 1 to %d decisions", MaxBulk)))
			return
		}
		p := principalOf(r.Context())
		results := make([]bulkResult, len(in.Decisions))
		for i, d := range in.Decisions {
			res := bulkResult{ID: d.ID, Status: http.StatusOK}
			c, err := s.decide(r.Context(), p, d.ID, d, "")
			if err != nil {
				res.Error = s.apiErrorOf(r, err)
				res.Status = res.Error.Status
			} else {
				res.Comment = &c
			}
			results[i] = res
		}
		writeJSON(w, http.StatusOK, map[string]any{"results": results})
	}
}

// History.

type historyEvent struct {
	Seq         uint64          `json:"seq"`
	ID          string          `json:"id"`
	Type        events.Type     `json:"type"`
	Actor       string          `json:"actor"`
	ActorKind   string          `json:"actor_kind"` // reader, human, automatic
	OccurredAt  time.Time       `json:"occurred_at"`
	StoredAt    time.Time       `json:"stored_at"` // by the stream's clock, what ?as_of= cuts at
	CausationID string          `json:"causation_id,omitempty"`
	Data        json.RawMessage `json:"data,omitempty"`
}

func actorKind(actor string) string {
	switch {
	case actor == events.ActorReader:
		return "reader"
	case events.IsHuman(actor):
		return "human"
	}
	return "automatic"
}

func (s *Server) handleHistory() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var at time.Time
		if v := r.URL.Query(); v.Has("as_of") {
			var err error
			if at, err = parseAsOf(v.Get("as_of")); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		f, err := s.current(r.Context(), r.PathValue("id"))
		if err == nil && !at.IsZero() {
			f, err = historyAt(f, at) // asof.go
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := make([]historyEvent, len(f.history))
		for i, e := range f.history {
			out[i] = historyEvent{Seq: e.Seq, ID: e.ID, Type: e.Type, Actor: e.Actor, ActorKind: actorKind(e.Actor),
				OccurredAt: e.OccurredAt, StoredAt: e.Stored, CausationID: e.CausationID, Data: e.Data}
		}
		resp := map[string]any{"comment": f.comment(), "events": out}
		if !at.IsZero() {
			resp["as_of"] = at
		}
		writeJSON(w, http.StatusOK, resp)
	}
}

// Authors.

const maxAuthorIDLen = 256

func validAuthorID(id string) bool {
	return id != "" && len(id) <= maxAuthorIDLen && utf8.ValidString(id)
}

func (s *Server) handleAuthor() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		limit := 50
		if l := r.URL.Query().Get("limit"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil || n < 1 || n > maxPageSize {
				s.writeError(w, r, badRequest("invalid_limit", "limit", fmt.Sprintf("limit is a number from 1 to %d", maxPageSize)))
				return
			}
			limit = n
		}
		rec, ok := s.cfg.Views.AuthorRecord(events.CanonicalAuthorID(r.PathValue("author")), limit)
		if !ok {
			s.writeError(w, r, events.ErrNotFound)
			return
		}
		writeJSON(w, http.StatusOK, rec)
	}
}

type banRequest struct {
	Reason        string `json:"reason"`
	Message       string `json:"message"`
	RejectPending bool   `json:"reject_pending"`
}

// ban bans or unbans an author; a ban may reject what the author has
// waiting, each rejection caused by the ban event.
func (s *Server) ban(ctx context.Context, p principal, authorID string, banned bool, in banRequest) (rejected []string, err error) {
	if !validAuthorID(authorID) {
		return nil, events.ErrNotFound
	}
	if _, ok := s.cfg.Views.AuthorRecord(authorID, 0); !ok {
		return nil, events.ErrNotFound
	}
	if banned && !slices.Contains(ReasonCodes, in.Reason) {
		return nil, badRequest("invalid_reason", "reason", "a ban needs a reason: one of offensive, abusive, spam, off-topic, personal-information, other")
	}
	if !utf8.ValidString(in.Message) || utf8.RuneCountInString(in.Message) > MaxMessageRunes {
		return nil, badRequest("too_long", "message", fmt.Sprintf("a message is at most %d characters", MaxMessageRunes))
	}
	typ := events.AuthorUnbanned
	if banned {
		typ = events.AuthorBanned
	}
	e, err := events.New(uuid.NewString(), typ, "", "", p.Actor, "", time.Now(),
		events.AuthorAction{AuthorID: authorID, Reason: in.Reason, RejectPending: banned && in.RejectPending})
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.Log.Append(ctx, e); err != nil {
		return nil, err
	}
	s.log.Info("author "+map[bool]string{true: "banned", false: "unbanned"}[banned], "author_key", events.AuthorKey(authorID), "actor", p.Actor)
	rejected = []string{}
	if !banned || !in.RejectPending {
		return rejected, nil
	}
	for _, c := range s.cfg.Views.Undecided(authorID) {
		// The views may lag the log: judge each comment by the log, and
		// reject it only if it still waits and no person decided it.
		f, err := s.current(ctx, c.ID)
		if err != nil {
			return rejected, err
		}
		now := f.comment()
		if now.HumanDecided() || (now.Status != projections.Pending && now.Status != projections.Held) {
			continue
		}
		seq := now.Seq
		_, err = s.decide(ctx, p, c.ID, decisionRequest{Action: "reject", Reason: in.Reason, Message: in.Message, ExpectedSeq: &seq}, e.ID)
		switch {
		case err == nil:
			rejected = append(rejected, c.ID)
		case errors.Is(err, events.ErrConflict) || isConflict(err):
			// Decided meanwhile by someone else: theirs stands.
		default:
			return rejected, err
		}
	}
	return rejected, nil
}

func isConflict(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == http.StatusConflict
}

func (s *Server) handleBan(banned bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in banRequest
		if err := decodeJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		// "name:Anna" bans every spelling that looks like it.
		author := events.CanonicalAuthorID(r.PathValue("author"))
		rejected, err := s.ban(r.Context(), principalOf(r.Context()), author, banned, in)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"author_id": author, "banned": banned, "rejected": rejected})
	}
}

// Article settings.

func (s *Server) handleArticleSettings() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		article := r.PathValue("article")
		if !events.ValidArticleID(article) {
			s.writeError(w, r, errInvalidArticle)
			return
		}
		var in struct {
			Closed       *bool `json:"closed"`
			Premoderated *bool `json:"premoderated"`
		}
		if err := decodeJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		if in.Closed == nil || in.Premoderated == nil {
			s.writeError(w, r, badRequest("missing_field", "", "send the whole settings: closed and premoderated"))
			return
		}
		set := events.ArticleSettings{Closed: *in.Closed, Premoderated: *in.Premoderated}
		p := principalOf(r.Context())
		e, err := events.New(uuid.NewString(), events.ArticleSettingsChanged, article, "", p.Actor, "", time.Now(), set)
		if err == nil {
			_, err = s.cfg.Log.Append(r.Context(), e)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.log.Info("article settings changed", "article", article, "actor", p.Actor, "closed", set.Closed, "premoderated", set.Premoderated)
		writeJSON(w, http.StatusOK, map[string]any{"article": article, "closed": set.Closed, "premoderated": set.Premoderated})
	}
}

// Live updates.

// OnChange is given every event the projector applies, in stream order:
// it tells the open moderation UIs what changed. It runs on the
// projector's goroutine. (Holding a comment enough readers reported is
// the worker role's reports consumer, commands.ReportsHold.)
func (s *Server) OnChange(ch projections.Change) {
	if s.cfg.Views == nil || !ch.Changed {
		return
	}
	s.readersChanged(ch) // the readers' streams (readers.go)
	t := ch.Event.Type
	if !t.IsDecision() && t != events.CommentReported && t != events.AuthorBanned && t != events.AuthorUnbanned {
		return
	}
	if !s.live.Has(queueTopic) {
		return // no moderator is looking: skip the counts and the encoding
	}
	msg := struct {
		Type      events.Type               `json:"type"`
		ID        string                    `json:"id,omitempty"`
		Article   string                    `json:"article,omitempty"`
		Status    projections.Status        `json:"status,omitempty"`
		DecidedBy string                    `json:"decided_by,omitempty"`
		Seq       uint64                    `json:"seq"`
		Counts    map[projections.Queue]int `json:"counts"`
	}{Type: t, ID: ch.Comment.ID, Article: ch.Comment.Article, Status: ch.Comment.Status, DecidedBy: ch.Comment.DecidedBy, Seq: ch.Event.Seq, Counts: s.cfg.Views.QueueCounts("")}
	b, _ := json.Marshal(msg)
	if n := s.live.Publish(queueTopic, liveUpdate{seq: ch.Event.Seq, event: "queue", data: b}); n > 0 {
		s.log.Info("slow moderation streams dropped", "dropped", n)
	}
}

// CloseStreams ends the live-update streams, so a graceful shutdown does
// not wait for them. Give it to http.Server.RegisterOnShutdown.
func (s *Server) CloseStreams() { s.live.Close() }

// queueTopic is the moderation queue's topic in s.live. Article ids are
// letters, digits, '-' and '_', so it cannot collide with an article.
const queueTopic = "#queue"

// handleStream streams changes of the moderation queue as Server-Sent
// Events ("event: queue", the change and the queue counts), on the same
// hub as the readers' streams: a UI that falls behind is dropped and
// reconnects, and reloads the queue when it does.
func (s *Server) handleStream() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.serveStream(w, r, queueTopic, []byte(": connected\n\n"), func(b []byte, u liveUpdate) []byte {
			return appendEvent(b, u.event, strconv.FormatUint(u.seq, 10), u.data)
		})
	}
}

// handleModNotFound answers unknown moderation routes after the
// credentials check, so the API's shape is not visible without them.
func (s *Server) handleModNotFound() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no such route"})
	}
}
