package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/events"
)

// Who may do what. A request under /api/moderation/ or /moderation/
// proves who it is with one of:
//
//   - Authorization: Bearer <admin token>, the bootstrap secret given to
//     commentd, which acts as an admin;
//   - Authorization: Bearer <API token>, made by a moderator for scripts;
//   - the session cookie set by signing in, for the UI. Requests that
//     change anything must then also carry the session's CSRF token
//     (X-CSRF-Token header or csrf_token form field) and come from the
//     same origin (http.CrossOriginProtection).
//
// No proof is 401; a role that may not is 403.

// The session cookie's name: with Config.CookieSecure the __Host- prefix
// makes browsers refuse it unless it is Secure, host-only and for Path=/,
// so neither a plain-HTTP page nor a sibling subdomain can plant or
// overwrite it.
const (
	sessionCookie       = "commentd_session"
	secureSessionCookie = "__Host-" + sessionCookie
)

func (s *Server) sessionCookieName() string {
	if s.cfg.CookieSecure {
		return secureSessionCookie
	}
	return sessionCookie
}

// sessionCookieFor is the session cookie with value, living maxAge
// seconds (-1 removes it).
func (s *Server) sessionCookieFor(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: s.sessionCookieName(), Value: value, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.CookieSecure,
		MaxAge: maxAge,
	}
}

// AdminTokenActor is the actor recorded for what the bootstrap admin
// token does.
const AdminTokenActor = events.ModeratorActor + "admin-token"

var (
	errUnauthenticated = &apiError{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "sign in, or send Authorization: Bearer <token>"}
	errForbidden       = &apiError{Status: http.StatusForbidden, Code: "forbidden", Message: "your role may not do this"}
	// The bootstrap admin token is no account, so it has no tokens of its
	// own; it makes an account, and that account's tokens.
	errAdminTokenNoAccount = &apiError{Status: http.StatusBadRequest, Code: "no_account", Message: "the admin token is not an account and has no API tokens: add an account (POST /api/moderation/accounts), then make its tokens (POST /api/moderation/accounts/{name}/tokens)"}
	errBadCSRF             = &apiError{Status: http.StatusForbidden, Code: "csrf", Message: "missing or wrong CSRF token; reload the page"}
)

// principal is who sent a request.
type principal struct {
	Name  string
	Role  accounts.Role
	Actor string
	// Session is set when the proof was the cookie (the UI).
	Session *accounts.Session
}

type principalKey struct{}

func principalOf(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

// authenticate finds who sent r, or fails with a 401 error.
func (s *Server) authenticate(r *http.Request) (principal, error) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		// Wrong tokens are limited per address, so guessing one is as
		// slow as guessing a password; right ones are never counted.
		addr := s.addressKey(r)
		if wait := s.mod.bearerIP.wait(addr); wait > 0 {
			e := tooMany(wait)
			e.Message = "too many wrong tokens; try again later"
			return principal{}, e
		}
		p, err := s.bearer(ctx, h)
		if errors.Is(err, errUnauthenticated) || errors.Is(err, accounts.ErrBadCredentials) {
			s.mod.bearerIP.take(addr)
		}
		return p, err
	}
	c, err := r.Cookie(s.sessionCookieName())
	if err != nil || s.cfg.Moderation.Accounts == nil {
		return principal{}, errUnauthenticated
	}
	sess, a, err := s.cfg.Moderation.Accounts.Session(ctx, c.Value)
	if err != nil {
		return principal{}, err
	}
	return principal{Name: a.Name, Role: a.Role, Actor: a.Actor(), Session: &sess}, nil
}

// bearer checks an Authorization header: the admin token or an API token.
func (s *Server) bearer(ctx context.Context, h string) (principal, error) {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return principal{}, errUnauthenticated
	}
	if at := s.cfg.Moderation.AdminToken; at != "" && accounts.EqualSecret(tok, at) {
		return principal{Name: "admin-token", Role: accounts.Admin, Actor: AdminTokenActor}, nil
	}
	if s.cfg.Moderation.Accounts == nil {
		return principal{}, errUnauthenticated
	}
	a, err := s.cfg.Moderation.Accounts.TokenAccount(ctx, tok)
	if err != nil {
		return principal{}, err
	}
	return principal{Name: a.Name, Role: a.Role, Actor: a.Actor()}, nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkCSRF: a signed-in browser's change must carry the session's token.
// Bearer requests carry no ambient credentials and need none.
func checkCSRF(r *http.Request, p principal) error {
	if p.Session == nil || safeMethod(r.Method) {
		return nil
	}
	tok := r.Header.Get("X-CSRF-Token")
	if tok == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		tok = r.PostFormValue("csrf_token")
	}
	if tok == "" || !accounts.EqualSecret(tok, p.Session.CSRF) {
		return errBadCSRF
	}
	return nil
}

// authorize checks who sent r and that their role allows need.
func (s *Server) authorize(r *http.Request, need accounts.Role) (principal, error) {
	p, err := s.authenticate(r)
	if err != nil {
		return p, err
	}
	if !p.Role.Allows(need) {
		return p, errForbidden
	}
	return p, checkCSRF(r, p)
}

// requireAPI wraps a JSON handler of the moderators' API.
func (s *Server) requireAPI(need accounts.Role, h http.HandlerFunc) http.Handler {
	return s.mod.origin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		p, err := s.authorize(r, need)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}))
}

// requirePage wraps a page of the moderation UI: without credentials it
// answers 401 with the sign-in form, for a wrong role 403.
func (s *Server) requirePage(need accounts.Role, h http.HandlerFunc) http.Handler {
	return s.mod.origin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		p, err := s.authorize(r, need)
		if err != nil {
			ae := s.apiErrorOf(r, err)
			switch ae.Status {
			case http.StatusUnauthorized:
				s.renderLogin(w, r, http.StatusUnauthorized, "", r.URL.RequestURI())
			case http.StatusForbidden:
				s.renderMessage(w, r, http.StatusForbidden, "Not allowed", ae.Message)
			default:
				s.renderMessage(w, r, ae.Status, "Something went wrong", ae.Message)
			}
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}))
}

// signIn checks a name and password under the failed-login limits and
// starts a session.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, name, password string) (accounts.Session, error) {
	if s.cfg.Moderation.Accounts == nil {
		return accounts.Session{}, errUnauthenticated
	}
	// Failures are limited per address: a token is taken before the
	// check and given back on success. Per name they only slow down, so
	// that nobody can lock a moderator out by failing for their name
	// from elsewhere, and a guesser spread over many addresses still
	// waits for each guess.
	name = strings.ToLower(name)
	wait, undoIP := s.mod.loginIP.reserve(s.addressKey(r))
	if wait > 0 {
		return accounts.Session{}, tooManyLogins(wait)
	}
	if wait := s.mod.loginName.wait(name); wait > 0 {
		t := time.NewTimer(min(wait, maxLoginDelay))
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			undoIP()
			return accounts.Session{}, r.Context().Err()
		}
	}
	a, err := s.cfg.Moderation.Accounts.Verify(r.Context(), name, password)
	if err != nil {
		if errors.Is(err, accounts.ErrBadCredentials) {
			s.mod.loginName.take(name)
			if accounts.ValidName(name) {
				s.log.Warn("failed sign-in", "account", name)
			}
			return accounts.Session{}, &apiError{Status: http.StatusUnauthorized, Code: "bad_credentials", Message: "wrong name or password"}
		}
		undoIP()
		return accounts.Session{}, err
	}
	undoIP()
	sec, sess, err := s.cfg.Moderation.Accounts.NewSession(r.Context(), a.Name)
	if err != nil {
		return accounts.Session{}, err
	}
	http.SetCookie(w, s.sessionCookieFor(sec, int(s.cfg.Moderation.SessionTTL/time.Second)))
	s.log.Info("signed in", "account", a.Name)
	return sess, nil
}

// maxLoginDelay bounds the wait of a sign-in for a name that has failed
// too often: long enough to make guessing slow, short enough for the
// moderator who owns the name.
const maxLoginDelay = time.Second

func tooManyLogins(wait time.Duration) *apiError {
	e := tooMany(wait)
	e.Message = "too many failed sign-ins; try again later"
	return e
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.sessionCookieName()); err == nil && s.cfg.Moderation.Accounts != nil {
		if err := s.cfg.Moderation.Accounts.EndSession(r.Context(), c.Value); err != nil {
			s.log.Warn("sign out", "err", err)
		}
	}
	http.SetCookie(w, s.sessionCookieFor("", -1))
}

type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

type me struct {
	Name      string        `json:"name"`
	Role      accounts.Role `json:"role"`
	CSRFToken string        `json:"csrf_token,omitempty"`
}

func (s *Server) handleAPILogin() http.Handler {
	return s.mod.origin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in loginRequest
		if err := decodeJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		sess, err := s.signIn(w, r, in.Name, in.Password)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		a, _ := s.cfg.Moderation.Accounts.Get(r.Context(), sess.Account)
		writeJSON(w, http.StatusOK, me{Name: a.Name, Role: a.Role, CSRFToken: sess.CSRF})
	}))
}

func (s *Server) handleAPILogout() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.signOut(w, r)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) handleMe() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principalOf(r.Context())
		out := me{Name: p.Name, Role: p.Role}
		if p.Session != nil {
			out.CSRFToken = p.Session.CSRF
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// decodeJSON is decodeJSONBody for requests that must be JSON.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if err := checkJSONContentType(r); err != nil {
		return err
	}
	return decodeJSONBody(w, r, v)
}

// Accounts (admins).

type newAccount struct {
	Name     string        `json:"name"`
	Password string        `json:"password"`
	Role     accounts.Role `json:"role"`
}

func (s *Server) accountsStore() (*accounts.Store, error) {
	if s.cfg.Moderation.Accounts == nil {
		return nil, &apiError{Status: http.StatusNotImplemented, Code: "no_accounts", Message: "this server keeps no accounts"}
	}
	return s.cfg.Moderation.Accounts, nil
}

func (s *Server) handleListAccounts() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, err := s.accountsStore()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		list, err := st.List(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if list == nil {
			list = []accounts.Account{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"accounts": list})
	}
}

func (s *Server) handleAddAccount() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, err := s.accountsStore()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var in newAccount
		if err := decodeJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		if in.Role == "" {
			in.Role = accounts.Moderator
		}
		p := principalOf(r.Context())
		a, err := st.Add(r.Context(), in.Name, in.Password, in.Role, p.Actor)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.log.Info("account added", "account", a.Name, "role", a.Role, "by", p.Actor)
		writeJSON(w, http.StatusCreated, a)
	}
}

func (s *Server) handleRemoveAccount() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, err := s.accountsStore()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		p, name := principalOf(r.Context()), r.PathValue("name")
		if name == p.Name {
			s.writeError(w, r, &apiError{Status: http.StatusConflict, Code: "self", Message: "an admin cannot remove their own account"})
			return
		}
		if err := st.Remove(r.Context(), name); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.log.Info("account removed", "account", name, "by", p.Actor)
		w.WriteHeader(http.StatusNoContent)
	}
}

// API tokens: each moderator's own are under /api/moderation/tokens, and
// anyone's (for an admin) under /accounts/{name}/tokens; one set of
// handlers serves both, told whose tokens by owner (accountsui.go).

// selfOwner is the caller's own account; the admin token has none.
func selfOwner(r *http.Request) (string, error) {
	p := principalOf(r.Context())
	if p.Actor == AdminTokenActor {
		return "", errAdminTokenNoAccount
	}
	return p.Name, nil
}
