package web

import (
	"net/http"
	"slices"

	"github.com/newsroom/commentd/accounts"
)

// Accounts and tokens, for the UI and scripts alike: an admin resets a
// moderator's password and manages anyone's API tokens; a moderator
// manages their own tokens here or under /api/moderation/tokens: the token
// handlers serve both routes, told whose tokens by an owner func.

// tokenOwner is the account a tokens route acts on, when the caller may:
// an admin for anyone, a moderator for themselves.
func tokenOwner(r *http.Request) (string, error) {
	p, name := principalOf(r.Context()), r.PathValue("name")
	if p.Role != accounts.Admin && name != p.Name {
		return "", errForbidden
	}
	if name == p.Name && p.Actor == AdminTokenActor {
		return "", errAdminTokenNoAccount
	}
	return name, nil
}

func (s *Server) handleResetPassword() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, err := s.accountsStore()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var in struct {
			Password string `json:"password"`
		}
		if err := decodeJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		p, name := principalOf(r.Context()), r.PathValue("name")
		if err := st.SetPassword(r.Context(), name, in.Password); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.log.Info("password reset", "account", name, "by", p.Actor)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) handleListTokens(owner func(*http.Request) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, err := s.accountsStore()
		if err == nil {
			var name string
			if name, err = owner(r); err == nil {
				var list []accounts.Token
				if list, err = st.Tokens(r.Context(), name); err == nil {
					if list == nil {
						list = []accounts.Token{}
					}
					writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
					return
				}
			}
		}
		s.writeError(w, r, err)
	}
}

func (s *Server) handleNewToken(owner func(*http.Request) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, err := s.accountsStore()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		name, err := owner(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var in struct {
			Label string `json:"label"`
		}
		if err := decodeJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		if len(in.Label) > 100 {
			s.writeError(w, r, badRequest("too_long", "label", "a label is at most 100 bytes"))
			return
		}
		sec, t, err := st.NewToken(r.Context(), name, in.Label)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.log.Info("API token made", "account", name, "token", t.ID, "by", principalOf(r.Context()).Actor)
		writeJSON(w, http.StatusCreated, map[string]any{"token": sec, "id": t.ID, "label": t.Label, "created": t.Created})
	}
}

func (s *Server) handleRevokeToken(owner func(*http.Request) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, err := s.accountsStore()
		if err == nil {
			var name string
			if name, err = owner(r); err == nil {
				if err = st.RevokeToken(r.Context(), name, r.PathValue("id")); err == nil {
					s.log.Info("API token revoked", "account", name, "token", r.PathValue("id"), "by", principalOf(r.Context()).Actor)
					w.WriteHeader(http.StatusNoContent)
					return
				}
			}
		}
		s.writeError(w, r, err)
	}
}

// The accounts page: an admin sees every account, a moderator their own.

type uiAccount struct {
	accounts.Account
	Tokens []accounts.Token
	Self   bool
}

type accountsPage struct {
	modPage
	Accounts    []uiAccount
	MinPassword int
	Error       string
}

func (s *Server) handleAccountsPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principalOf(r.Context())
		pg := accountsPage{modPage: s.modPage(r, pageI18n(r).T("Accounts")), MinPassword: accounts.MinPasswordLen}
		pg.Page, pg.Counts = "accounts", counts(s.cfg.Views.QueueCounts(""))
		st, err := s.accountsStore()
		var list []accounts.Account
		if err == nil {
			if p.Role == accounts.Admin {
				list, err = st.List(r.Context())
			} else {
				var a accounts.Account
				if a, err = st.Get(r.Context(), p.Name); err == nil {
					list = []accounts.Account{a}
				}
			}
		}
		for _, a := range list {
			u := uiAccount{Account: a, Self: a.Name == p.Name}
			if err == nil {
				u.Tokens, err = st.Tokens(r.Context(), a.Name)
			}
			pg.Accounts = append(pg.Accounts, u)
		}
		if err != nil {
			pg.Error = s.apiErrorOf(r, err).Message
		}
		// Your own account first.
		slices.SortStableFunc(pg.Accounts, func(a, b uiAccount) int {
			switch {
			case a.Self == b.Self:
				return 0
			case a.Self:
				return -1
			}
			return 1
		})
		s.render(w, http.StatusOK, "accounts", pg)
	}
}
