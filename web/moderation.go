package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
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
var ReasonCodes = commands.ReasonCodes

// MaxMessageRunes bounds the message a moderator writes to an author.
const MaxMessageRunes = commands.MaxMessageRunes

// MaxBulk bounds one bulk decision.
const MaxBulk = commands.MaxBulk

// moderators is the state of the moderators' side of the server.
type moderators struct {
	origin    *http.CrossOriginProtection
	loginIP   *limiter
	loginName *limiter
	bearerIP  *limiter
	reportIP  *limiter
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
	}
	m.origin.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, &apiError{Status: http.StatusForbidden, Code: "cross_origin", Message: "cross-origin requests are refused"})
	}))
	if s.cfg.Views != nil {
		for _, q := range projections.Queues {
			s.cfg.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "comments_queue_depth", Help: "Comments waiting in a moderation queue.",
				ConstLabels: prometheus.Labels{"queue": string(q)},
			}, func() float64 { return float64(s.cfg.Views.QueueCounts("")[q]) }))
		}
	}
	return m
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

func (s *Server) queuePage(ctx context.Context, q queueQuery) (queueResponse, error) {
	page, err := s.cfg.Views.Queue(ctx, q.queue, q.article, q.after, q.limit)
	if err != nil {
		return queueResponse{}, err
	}
	resp := queueResponse{Queue: q.queue, Article: q.article, Counts: s.cfg.Views.QueueCounts(q.article), Total: page.Total, Items: page.Items}
	if resp.Items == nil {
		resp.Items = []projections.QueueItem{}
	}
	if page.Next != 0 {
		resp.NextCursor = strconv.FormatUint(page.Next, 36)
	}
	return resp, nil
}

func (s *Server) handleQueue() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := parseQueueQuery(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		resp, err := s.queuePage(r.Context(), q)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	}
}

func (s *Server) handleModComment() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		it, err := s.cfg.Views.Item(r.Context(), r.PathValue("id"))
		if err != nil {
			s.writeError(w, r, err)
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

// command is the decision on comment id as the commands take it.
func (in decisionRequest) command(id string) commands.Decision {
	return commands.Decision{Comment: id, Action: in.Action, Reason: in.Reason, Message: in.Message, ExpectedSeq: in.ExpectedSeq}
}

func (s *Server) handleDecision() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in decisionRequest
		if err := decodeJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		c, err := s.cmd.Decide(r.Context(), principalOf(r.Context()).Actor, in.command(r.PathValue("id")))
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
		ds := make([]commands.Decision, len(in.Decisions))
		for i, d := range in.Decisions {
			ds[i] = d.command(d.ID)
		}
		done, err := s.cmd.DecideAll(r.Context(), principalOf(r.Context()).Actor, ds)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		results := make([]bulkResult, len(done))
		for i, d := range done {
			res := bulkResult{ID: in.Decisions[i].ID, Status: http.StatusOK}
			if d.Err != nil {
				res.Error = s.apiErrorOf(r, d.Err)
				res.Status = res.Error.Status
			} else {
				res.Comment = &d.Comment
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
		f, err := s.cmd.State(r.Context(), r.PathValue("id"))
		if err == nil && !at.IsZero() {
			f, err = historyAt(f, at) // asof.go
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := make([]historyEvent, len(f.History))
		for i, e := range f.History {
			out[i] = historyEvent{Seq: e.Seq, ID: e.ID, Type: e.Type, Actor: e.Actor, ActorKind: actorKind(e.Actor),
				OccurredAt: e.OccurredAt, StoredAt: e.Stored, CausationID: e.CausationID, Data: e.Data}
		}
		resp := map[string]any{"comment": f.Comment, "events": out}
		if !at.IsZero() {
			resp["as_of"] = at
		}
		writeJSON(w, http.StatusOK, resp)
	}
}

// Authors.

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
		rec, err := s.cfg.Views.AuthorRecord(r.Context(), events.CanonicalAuthorID(r.PathValue("author")), limit)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, rec)
	}
}

type banRequest struct {
	Reason        string `json:"reason"`
	Message       string `json:"message"`
	RejectPending bool   `json:"reject_pending"`
	// Duration ("1d", "7d", "30d", "12h", any Go duration; "" or
	// "permanent": no end) or Until (RFC 3339) times a ban; not both.
	Duration string `json:"duration"`
	Until    string `json:"until"`
}

// banEnd is when a ban asked for at now ends: zero for no end.
func (in banRequest) banEnd(now time.Time) (time.Time, error) {
	d, until := strings.TrimSpace(in.Duration), strings.TrimSpace(in.Until)
	switch {
	case d != "" && until != "":
		return time.Time{}, badRequest("invalid_until", "until", "give duration or until, not both")
	case until != "":
		t, err := time.Parse(time.RFC3339, until)
		if err != nil {
			return time.Time{}, badRequest("invalid_until", "until", "until is a time in RFC 3339, e.g. 2026-03-10T12:00:00Z")
		}
		return t, nil
	case d == "" || d == "permanent":
		return time.Time{}, nil
	}
	dur, err := parseBanDuration(d)
	if err != nil {
		return time.Time{}, badRequest("invalid_duration", "duration", `duration is a number of days ("7d"), a duration ("12h", "90m") or "permanent"`)
	}
	return now.Add(dur), nil
}

// parseBanDuration reads "7d" as seven days, and any positive Go duration.
func parseBanDuration(s string) (time.Duration, error) {
	var dur time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > int(commands.MaxBan/(24*time.Hour)) {
			return 0, errors.New("bad days")
		}
		dur = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if dur, err = time.ParseDuration(s); err != nil {
			return 0, err
		}
	}
	if dur <= 0 {
		return 0, errors.New("not positive")
	}
	return dur, nil
}

func (s *Server) handleBan(banned bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in banRequest
		if err := decodeJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		until, err := in.banEnd(time.Now())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		// "name:Anna" bans every spelling that looks like it.
		author := events.CanonicalAuthorID(r.PathValue("author"))
		rejected, err := s.cmd.Ban(r.Context(), principalOf(r.Context()).Actor, commands.Ban{
			AuthorID: author, Banned: banned, Reason: in.Reason, Message: in.Message, RejectPending: in.RejectPending, Until: until,
		})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := map[string]any{"author_id": author, "banned": banned, "rejected": rejected}
		if !until.IsZero() {
			out["until"] = until.UTC().Truncate(time.Second)
		}
		writeJSON(w, http.StatusOK, out)
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
		if err := s.cmd.SetArticle(r.Context(), principalOf(r.Context()).Actor, article, set); err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"article": article, "closed": set.Closed, "premoderated": set.Premoderated})
	}
}

// Live updates.

// queueEvent is the data of a "queue" event on the moderators' stream.
// Type is the event type of a decision (CommentApproved, CommentRejected,
// CommentHeld) or CommentReported, or QueueChanged when an item came into
// or left a queue (the UI reloads on each).
type queueEvent struct {
	Type      string                    `json:"type"`
	Queue     projections.Queue         `json:"queue,omitempty"`
	ID        string                    `json:"id,omitempty"`
	Article   string                    `json:"article,omitempty"`
	Status    projections.Status        `json:"status,omitempty"`
	DecidedBy string                    `json:"decided_by,omitempty"`
	Seq       uint64                    `json:"seq"`
	Counts    map[projections.Queue]int `json:"counts"`
}

// publishQueue sends ev to the open moderation UIs, with the counts.
func (s *Server) publishQueue(ev queueEvent) {
	ev.Counts = s.cfg.Views.QueueCounts("")
	b, _ := json.Marshal(ev)
	if n := s.live.Publish(queueTopic, liveUpdate{seq: ev.Seq, event: "queue", data: b}); n > 0 {
		s.log.Info("slow moderation streams dropped", "dropped", n)
	}
}

// QueueChanged is told of each change of the queues view this process
// follows (projections.QueuesView.OnChange): a report, or an item come or
// gone.
func (s *Server) QueueChanged(ch projections.QueueChange) {
	if s.cfg.Views == nil || !s.live.Has(queueTopic) {
		return // no moderator is looking: skip the counts and the encoding
	}
	ev := queueEvent{Type: "QueueChanged", Queue: ch.Queue, ID: ch.ID}
	var reports int
	if ch.Before != nil {
		reports = ch.Before.Reports.Total
	}
	if e := ch.After; e != nil {
		ev.Article, ev.Status, ev.DecidedBy, ev.Seq = e.Comment.Article, e.Comment.Status, e.Comment.DecidedBy, e.Comment.Seq
		if e.Reports.Total > reports {
			ev.Type = string(events.CommentReported)
		}
	} else if e := ch.Before; e != nil {
		ev.Article, ev.Seq = e.Comment.Article, e.Comment.Seq
	}
	s.publishQueue(ev)
}

// CommentChanged is told of each comment the comment view writes, with
// its state before when this process kept it (projections.RecentComments
// .OnChange): it tells the readers who follow the article what the
// approved view does not carry (the status of watched comments), and the
// moderators of decisions.
func (s *Server) CommentChanged(before, after projections.CommentState) {
	if s.cfg.Views == nil {
		return
	}
	s.readersChanged(before.Comment, after.Comment)
	c := after.Comment
	decided := c.DecidedBy != before.DecidedBy || c.DecidedAt != before.DecidedAt || c.Status != before.Status
	if !decided || c.Status == projections.Pending || !s.live.Has(queueTopic) {
		return
	}
	s.publishQueue(queueEvent{Type: string(decisionType[c.Status]), ID: c.ID, Article: c.Article, Status: c.Status, DecidedBy: c.DecidedBy, Seq: c.Seq})
}

var decisionType = map[projections.Status]events.Type{
	projections.Approved: events.CommentApproved,
	projections.Rejected: events.CommentRejected,
	projections.Held:     events.CommentHeld,
}

// SettingsChanged is told of each article's settings the facts view this
// process follows applies (projections.FactsView.OnSettings).
func (s *Server) SettingsChanged(article string, set events.ArticleSettings) {
	if !s.live.Has(article) {
		return
	}
	data, _ := json.Marshal(set)
	if n := s.live.Publish(article, liveUpdate{event: "settings", data: data}); n > 0 {
		s.log.Info("slow live streams dropped", "article", article, "dropped", n)
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
