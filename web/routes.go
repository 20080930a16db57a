package web

import (
	"net/http"

	"github.com/newsroom/commentd/accounts"
)

// routes lists every route of the product in one place.
func (s *Server) routes() {
	// Operations, in every role.
	s.mux.Handle("GET /healthz", s.handleHealthz())
	s.mux.Handle("GET /readyz", s.handleReadyz())
	s.mux.Handle("GET /metrics", s.handleMetrics())
	if s.cfg.Views == nil {
		return
	}

	// Readers' JSON API (the HTTP contract in DESIGN.md). s.cors lets the
	// widget call it from the publishers' origins (--allowed-origins).
	s.mux.Handle("POST /api/articles/{article}/comments", s.cors(s.handlePostComment()))
	s.mux.Handle("GET /api/articles/{article}/comments", s.cors(s.whenRestored(s.handleListComments())))
	s.mux.Handle("GET /api/comments/{id}", s.cors(s.handleGetComment()))
	s.mux.Handle("GET /api/articles/{article}/events", s.cors(s.whenRestored(s.handleArticleEvents())))
	s.mux.Handle("GET /api/counts", s.cors(s.whenRestored(s.handleCounts())))
	s.mux.Handle("OPTIONS /api/articles/{article}/comments", s.handlePreflight())
	s.mux.Handle("OPTIONS /api/articles/{article}/events", s.handlePreflight())
	s.mux.Handle("OPTIONS /api/comments/{id}/reports", s.handlePreflight())

	s.mux.Handle("POST /api/comments/{id}/reports", s.cors(s.handleReport())) // the widget may report
	s.mux.Handle("POST /api/comments/{id}/edit", s.cors(s.handleEditComment()))
	s.mux.Handle("OPTIONS /api/comments/{id}/edit", s.handlePreflight())

	// Moderators' JSON API (auth.go, moderation.go): 401 without
	// credentials, 403 for a role that may not.
	mod, admin := accounts.Moderator, accounts.Admin
	s.mux.Handle("POST /api/moderation/login", s.handleAPILogin())
	s.mux.Handle("POST /api/moderation/logout", s.requireAPI(mod, s.handleAPILogout()))
	s.mux.Handle("GET /api/moderation/me", s.requireAPI(mod, s.handleMe()))
	s.mux.Handle("GET /api/moderation/accounts", s.requireAPI(admin, s.handleListAccounts()))
	s.mux.Handle("POST /api/moderation/accounts", s.requireAPI(admin, s.handleAddAccount()))
	s.mux.Handle("DELETE /api/moderation/accounts/{name}", s.requireAPI(admin, s.handleRemoveAccount()))
	s.mux.Handle("POST /api/moderation/accounts/{name}/password", s.requireAPI(admin, s.handleResetPassword()))
	s.mux.Handle("GET /api/moderation/accounts/{name}/tokens", s.requireAPI(mod, s.handleListTokens(tokenOwner)))
	s.mux.Handle("POST /api/moderation/accounts/{name}/tokens", s.requireAPI(mod, s.handleNewToken(tokenOwner)))
	s.mux.Handle("DELETE /api/moderation/accounts/{name}/tokens/{id}", s.requireAPI(mod, s.handleRevokeToken(tokenOwner)))
	s.mux.Handle("GET /api/moderation/tokens", s.requireAPI(mod, s.handleListTokens(selfOwner)))
	s.mux.Handle("POST /api/moderation/tokens", s.requireAPI(mod, s.handleNewToken(selfOwner)))
	s.mux.Handle("DELETE /api/moderation/tokens/{id}", s.requireAPI(mod, s.handleRevokeToken(selfOwner)))
	s.mux.Handle("GET /api/moderation/queue", s.requireAPI(mod, s.handleQueue()))
	s.mux.Handle("GET /api/moderation/events", s.requireAPI(mod, s.handleStream()))
	s.mux.Handle("GET /api/moderation/comments", s.requireAPI(mod, s.handleSearch()))
	s.mux.Handle("GET /api/moderation/comments/{id}", s.requireAPI(mod, s.handleModComment()))
	s.mux.Handle("GET /api/moderation/comments/{id}/history", s.requireAPI(mod, s.handleHistory()))
	s.mux.Handle("POST /api/moderation/comments/{id}/decision", s.requireAPI(mod, s.handleDecision()))
	s.mux.Handle("POST /api/moderation/decisions", s.requireAPI(mod, s.handleBulkDecisions()))
	s.mux.Handle("GET /api/moderation/authors/{author}", s.requireAPI(mod, s.handleAuthor()))
	s.mux.Handle("POST /api/moderation/authors/{author}/ban", s.requireAPI(mod, s.handleBan(true)))
	s.mux.Handle("POST /api/moderation/authors/{author}/unban", s.requireAPI(mod, s.handleBan(false)))
	s.mux.Handle("POST /api/moderation/authors/{author}/erase", s.requireAPI(admin, s.handleErase()))
	s.mux.Handle("PUT /api/moderation/articles/{article}/settings", s.requireAPI(mod, s.handleArticleSettings()))
	s.mux.Handle("GET /api/moderation/rules", s.requireAPI(mod, s.handleGetRules()))
	s.mux.Handle("PUT /api/moderation/rules", s.requireAPI(admin, s.handlePublishRules()))
	s.mux.Handle("POST /api/moderation/rules/dryrun", s.requireAPI(mod, s.handleDryRunRules()))
	s.mux.Handle("POST /api/moderation/rules/validate", s.requireAPI(mod, s.handleValidateRules()))
	s.mux.Handle("POST /api/moderation/rules/check", s.requireAPI(mod, s.handleCheckRules()))
	s.mux.Handle("GET /api/moderation/rules/versions", s.requireAPI(mod, s.handleRuleVersions()))
	s.mux.Handle("GET /api/moderation/rules/versions/{version}", s.requireAPI(mod, s.handleRuleVersion()))
	s.mux.Handle("POST /api/moderation/rules/backtest", s.requireAPI(admin, s.handleBacktestRules()))
	s.mux.Handle("GET /api/moderation/rules/shadow", s.requireAPI(mod, s.handleShadowRules()))
	s.mux.Handle("/api/moderation/", s.requireAPI(mod, s.handleModNotFound()))

	// The moderation UI (modui.go).
	s.mux.Handle("GET /moderation/login", s.handleLoginPage())
	s.mux.Handle("POST /moderation/login", s.handleLoginForm())
	s.mux.Handle("GET /moderation/setup", s.handleSetupPage())
	s.mux.Handle("POST /moderation/setup", s.handleSetupForm())
	s.mux.Handle("GET /moderation/assets/{name}", s.handleAsset())
	s.mux.Handle("POST /moderation/lang", s.handleLangForm())
	s.mux.Handle("POST /moderation/logout", s.requirePage(mod, s.handleLogoutForm()))
	s.mux.Handle("GET /moderation/{$}", s.requirePage(mod, s.handleQueuePage()))
	s.mux.Handle("GET /moderation/items", s.requirePage(mod, s.handleQueueItems()))
	s.mux.Handle("GET /moderation/authors/{author}", s.requirePage(mod, s.handleAuthorPage()))
	s.mux.Handle("GET /moderation/accounts", s.requirePage(mod, s.handleAccountsPage()))
	s.mux.Handle("GET /moderation/rules", s.requirePage(mod, s.handleRulesPage()))
	s.mux.Handle("GET /moderation/comments", s.requirePage(mod, s.handleSearchPage()))
	s.mux.Handle("GET /moderation/comments/items", s.requirePage(mod, s.handleSearchItems()))
	s.mux.Handle("GET /moderation/comments/{id}", s.requirePage(mod, s.handleCommentPage()))
	s.mux.Handle("GET /moderation/articles/{$}", s.requirePage(mod, s.handleArticlesPage()))
	s.mux.Handle("GET /moderation/articles/{article}", s.requirePage(mod, s.handleArticleModPage()))
	s.mux.Handle("GET /moderation", http.RedirectHandler("/moderation/", http.StatusMovedPermanently))
	s.mux.Handle("/moderation/", s.requirePage(mod, func(w http.ResponseWriter, r *http.Request) {
		s.renderMessage(w, r, http.StatusNotFound, "Not found", "There is no such page.")
	}))

	// Pages.
	s.mux.Handle("/api/", s.handleAPINotFound())
	s.mux.Handle("GET /{$}", s.handleIndex())
	s.mux.Handle("GET /articles/{article}", s.whenRestored(s.handleArticlePage()))
	s.mux.Handle("GET /articles/{article}/comments/{id}", s.whenRestored(s.handlePermalink()))
	// Another site's page must not make its visitors post here (from
	// their own addresses, past per-address limits).
	form := http.NewCrossOriginProtection()
	form.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Comments are posted from this site's own pages.", http.StatusForbidden)
	}))
	s.mux.Handle("POST /articles/{article}", form.Handler(s.handleArticleForm()))
	s.mux.Handle("POST /articles/{article}/reports", form.Handler(s.handleArticleReport()))
	s.mux.Handle("POST /articles/{article}/edit", form.Handler(s.handleArticleEdit()))
	s.mux.Handle("GET /embed.js", s.handleEmbedJS())
	// The links of notification mails (notify.go): signed, so no
	// cross-origin check (a mail program's one-click POST has no origin).
	if s.cfg.Notify != nil {
		s.mux.Handle("GET /notify/verify", s.handleVerify())
		s.mux.Handle("POST /notify/verify", s.handleVerify())
		s.mux.Handle("GET /notify/unsubscribe", s.handleUnsubscribe())
		s.mux.Handle("POST /notify/unsubscribe", s.handleUnsubscribe())
	}
}
