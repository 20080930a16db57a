// Package web serves readers, moderators and operators over HTTP: the JSON
// API, the server-rendered pages, health and metrics.
package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
)

// Limits on what readers send.
const (
	MaxBodyBytes   = 64 << 10
	MaxTextRunes   = commands.MaxTextRunes
	MaxAuthorRunes = commands.MaxAuthorRunes
	MaxKeyLen      = commands.MaxKeyLen
)

// Config is what the server needs; cmd/commentd fills it from flags.
type Config struct {
	Log *events.Log
	// Views are the moderators' read models; nil in a process without
	// the api role, which then serves only health and metrics. Articles
	// and Comments (views.go) are then set too.
	Views    ModerationViews
	Articles ArticleViews
	Comments CommentViews
	// Search finds the comments changed most recently, for the
	// moderators' Approved, Rejected and All screens (search.go).
	Search CommentSearch
	// Status is the comment status view that GET /api/comments/{id}
	// answers from (projections.StatusView); when nil, Comments answers.
	// Either way an unknown id is a miss, never a question to the log.
	Status StatusView
	// Ready reports whether the read models are current with the stream,
	// whose newest sequence is lastSeq; /readyz asks it (readiness.go).
	Ready func(lastSeq uint64) bool
	// ReadyGrace is how long the read models, once current, may stay
	// behind before /readyz says so; DefaultReadyGrace when 0.
	ReadyGrace time.Duration
	// RateLimitPerIP and RateLimitPerAuthor are requests per minute that
	// post comments; 0 turns one off.
	RateLimitPerIP     int
	RateLimitPerAuthor int
	Logger             *slog.Logger
	Registry           *prometheus.Registry
	// Moderators: see ModerationConfig (moderation.go).
	Moderation ModerationConfig

	// Readers (see readers.go): origins allowed to call the reader API
	// from the browser ("*" for any), the shared secret of sign-in tokens
	// (empty: anonymous only), the key of address hashes (random when
	// empty, so set it when several api processes must agree), and how
	// deep replies may nest.
	AllowedOrigins []string
	SSOSecret      []byte
	Secret         []byte
	MaxReplyDepth  int
	// EditWindow is how long after posting a reader may edit their
	// comment (commands.DefaultEditWindow when 0).
	EditWindow time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (see clientAddr); empty believes nobody's.
	TrustedProxies []netip.Prefix
	// CookieSecure makes the moderators' session cookie Secure and names
	// it with the __Host- prefix (Secure, Path=/, no Domain: a browser
	// keeps it only from HTTPS, for this host alone). It is the
	// operator's to say, not a request header's: any peer can send
	// X-Forwarded-Proto. Off is for plain HTTP on a developer's machine.
	CookieSecure bool
	// Restored is closed once the read models have first caught up with
	// the stream; until then the readers' lists, counts, live updates and
	// pages answer 503 (restored.go). Nil serves at once.
	Restored <-chan struct{}
	// Notify turns readers' e-mail notifications on (notify.go); nil:
	// off.
	Notify *Notifications
	// AccessLog logs one line per request at info (access.go): method,
	// route pattern, status, duration and bytes; never addresses, paths
	// or text.
	AccessLog bool
}

// Server is the HTTP handler of the whole product.
type Server struct {
	cfg       Config
	log       *slog.Logger
	mux       *http.ServeMux
	metrics   *httpMetrics
	ipLimit   *limiter
	recent    *recentSubmissions // status.go
	authLimit *limiter
	pages     *pageCache                                       // comments.go
	articles  *viewCache[articleQuery, articleStamp, [][]byte] // pages.go
	// live fans changes out to the open Server-Sent Event streams:
	// readers' per article (stream.go), moderators' on queueTopic.
	live    *hub[liveUpdate]
	streams streamSlots       // slots.go
	mod     *moderators       // moderation.go
	cmd     *commands.Service // the write side (commands.go)
	setup   firstRun          // modui.go
	refused refusedOrigins    // origins.go
	readers *readers
	ready   *readiness
	asOf    chan struct{} // time-travel reads under way (asof.go)
	// backtests holds the one backtest a process runs at a time
	// (backtest.go).
	backtests chan struct{}
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		mux:       http.NewServeMux(),
		metrics:   newHTTPMetrics(cfg.Registry),
		ipLimit:   newLimiter(cfg.RateLimitPerIP),
		recent:    newRecentSubmissions(recentCap, recentTTL),
		authLimit: newLimiter(cfg.RateLimitPerAuthor),
		pages:     newPageCache(),
		articles:  newArticleCache(),
		live:      newHub[liveUpdate](liveBuffer),
		asOf:      make(chan struct{}, maxAsOfReads),
		backtests: make(chan struct{}, 1),
	}
	if cfg.ReadyGrace <= 0 {
		cfg.ReadyGrace = DefaultReadyGrace
	}
	s.ready = &readiness{ready: cfg.Ready, grace: cfg.ReadyGrace}
	s.pages.notifications = cfg.Notify != nil
	s.mod = newModerators(s)
	s.readers = newReaders(&s.cfg)
	s.cmd = s.newCommands() // after newReaders: the secret and the depth are set
	s.routes()
	return s
}

// ServeHTTP counts and times every request by route pattern and status,
// and writes the access log line if it is on. Live streams (Server-Sent
// Events) are timed in their own histogram: they last minutes to hours and
// would pin the request latency's p99 at its top bucket.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(sw, r)
	route := r.Pattern // set by the mux on the request it was given
	if route == "" {
		route = "unmatched"
	}
	took := time.Since(began)
	stream := strings.HasPrefix(w.Header().Get("Content-Type"), "text/event-stream")
	s.metrics.observe(route, sw.code, took, stream)
	if s.cfg.AccessLog {
		s.logAccess(r.Context(), r.Method, route, sw.code, took, sw.bytes)
	}
}

func (s *Server) handleHealthz() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}
}

// handleAPINotFound answers what no API route takes with the JSON error
// body, 405 with Allow when the path exists for other methods.
func (s *Server) handleAPINotFound() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/api/" {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			s.writeError(w, r, &apiError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: r.Method + " is not allowed here; use " + strings.Join(allowed, " or ")})
			return
		}
		s.writeError(w, r, &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "there is no such API route"})
	}
}

func (s *Server) handleMetrics() http.Handler {
	return promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{Registry: s.cfg.Registry})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"encoding failed"}}`, http.StatusInternalServerError)
		return
	}
	writeJSONBytes(w, status, append(b, '\n'))
}

// writeJSONBytes writes an encoded JSON body, newline included, in one
// Write: a second write of the newline cost large bodies a second syscall.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	bytes int64 // body bytes written
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	streams  *prometheus.HistogramVec
	input    *prometheus.CounterVec
}

// knownOutcomes are route and status pairs that exist from the start, so
// the first of them after a restart shows in increase() and rate(): a
// series that appears at 1 looks like no change. They are what alerts and
// the dashboard watch: posting, its refusals and outages, and reports.
var knownOutcomes = []struct{ route, code string }{
	{"POST /api/articles/{article}/comments", "202"},
	{"POST /api/articles/{article}/comments", "400"},
	{"POST /api/articles/{article}/comments", "429"},
	{"POST /api/articles/{article}/comments", "503"},
	{"POST /api/comments/{id}/reports", "202"},
	{"POST /api/comments/{id}/reports", "429"},
	{"POST /api/comments/{id}/reports", "503"},
	{"POST /api/moderation/comments/{id}/decision", "200"},
	{"POST /api/moderation/comments/{id}/decision", "503"},
	{"GET /api/articles/{article}/events", "429"},
}

// knownRejections are input_rejected reasons created up front, likewise.
var knownRejections = []string{"rate_limited", "too_many_client_streams", "too_many_streams"}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "comments_http_requests_total", Help: "HTTP requests, by route pattern and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "comments_http_request_duration_seconds", Help: "HTTP request latency, by route pattern; live streams are in comments_http_stream_duration_seconds.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		streams: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "comments_http_stream_duration_seconds", Help: "How long live streams (Server-Sent Events) stayed open, by route pattern.",
			Buckets: []float64{1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 43200},
		}, []string{"route"}),
		input: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "comments_input_rejected_total", Help: "Requests refused for their input, by reason code.",
		}, []string{"reason"}),
	}
	for _, o := range knownOutcomes {
		m.requests.WithLabelValues(o.route, o.code)
	}
	for _, r := range knownRejections {
		m.input.WithLabelValues(r)
	}
	reg.MustRegister(m.requests, m.latency, m.streams, m.input)
	return m
}

func (m *httpMetrics) observe(route string, code int, d time.Duration, stream bool) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	if stream {
		m.streams.WithLabelValues(route).Observe(d.Seconds())
		return
	}
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

func (m *httpMetrics) rejected(reason string) { m.input.WithLabelValues(reason).Inc() }
