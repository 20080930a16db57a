package web

import (
	_ "embed"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/newsroom/commentd/notify"
)

// Notifications are what the api needs for readers' e-mail notifications
// (--smtp-addr): the NOTIFY bucket, where it marks an address verified or
// unsubscribed, and the keys of the mails' signed links. Nil turns them
// off: the forms show no e-mail field, and a comment that carries an
// address is refused (notifications_off).
type Notifications struct {
	State *notify.State
	Keys  notify.Keys
}

//go:embed templates/notify.html
var notifyHTML string

var notifyTemplate = template.Must(template.New("notify").Parse(notifyHTML))

type notifyPage struct {
	Lang, Title, Text string
	Bad               bool
	// Ask, Token and Button make the page a form that posts the link's
	// token back: opening a link (as mail scanners do) changes nothing.
	Ask, Token, Button string
}

// errNotificationsOff answers an address sent to a server that sends no
// mail: a reader who left one must not believe they will hear back.
var errNotificationsOff = badRequest("notifications_off", "email", "this site sends no e-mail notifications; leave the e-mail address out")

// handleVerify shows the confirmation of an address (GET: a page with a
// button) and records it (POST).
func (s *Server) handleVerify() http.HandlerFunc {
	return s.notifyLink(notify.PurposeVerify, func(lang string) notifyPage {
		return notifyPage{Title: tr(lang, "Confirm your e-mail address"),
			Ask:    tr(lang, "Confirm that you want to be told by e-mail of replies to your comments and of moderators' decisions on them."),
			Button: tr(lang, "Confirm")}
	}, func(r *http.Request, hash string) error {
		return s.cfg.Notify.State.Verify(r.Context(), hash)
	}, func(lang string) notifyPage {
		return notifyPage{Title: tr(lang, "Address confirmed"),
			Text: tr(lang, "Thank you. You will be told of replies to your comments and of moderators' decisions on them. Each mail has a link to stop them.")}
	})
}

// handleUnsubscribe stops every mail to an address: GET shows a page with
// a button, POST does it, from that button or from a mail program's
// one-click unsubscribe (RFC 8058: a POST of List-Unsubscribe=One-Click
// to the header's link, the token in its query).
func (s *Server) handleUnsubscribe() http.HandlerFunc {
	return s.notifyLink(notify.PurposeUnsubscribe, func(lang string) notifyPage {
		return notifyPage{Title: tr(lang, "Stop e-mail from us"),
			Ask:    tr(lang, "Stop every notification mail to this address: replies, decisions and requests to confirm it."),
			Button: tr(lang, "Unsubscribe")}
	}, func(r *http.Request, hash string) error {
		return s.cfg.Notify.State.Unsubscribe(r.Context(), hash)
	}, func(lang string) notifyPage {
		return notifyPage{Title: tr(lang, "Unsubscribed"), Text: tr(lang, "You will get no more mail from us at this address.")}
	})
}

// notifyLink is the one shape of both links: check the token, then ask
// (GET) or act (POST); a forged, cut or expired token is a 400 page that
// says what to do.
func (s *Server) notifyLink(p notify.Purpose, ask func(string) notifyPage, act func(*http.Request, string) error, done func(string) notifyPage) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := readerLang(r)
		token := r.URL.Query().Get("t")
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
			if err := r.ParseForm(); err == nil && r.PostForm.Get("t") != "" {
				token = r.PostForm.Get("t")
			}
		}
		hash, err := s.cfg.Notify.Keys.Open(p, token, time.Now())
		if err != nil {
			text := tr(lang, "This link is not valid: it may have been cut short when it was copied. Open it from the mail again.")
			if errors.Is(err, notify.ErrExpiredLink) {
				text = tr(lang, "This link has expired.")
				if p == notify.PurposeVerify {
					text = tr(lang, "This link has expired. Leave your address with your next comment to get a new one.")
				}
			}
			s.renderNotify(w, http.StatusBadRequest, lang, notifyPage{Title: tr(lang, "Link not valid"), Text: text, Bad: true})
			return
		}
		if r.Method != http.MethodPost {
			pg := ask(lang)
			pg.Token = token
			s.renderNotify(w, http.StatusOK, lang, pg)
			return
		}
		if err := act(r, hash); err != nil {
			s.log.Warn("notification link not recorded", "purpose", p, "err", err)
			w.Header().Set("Retry-After", "5")
			s.renderNotify(w, http.StatusServiceUnavailable, lang, notifyPage{Title: tr(lang, "Please try again"),
				Text: tr(lang, "We could not record this just now. Please try again in a moment."), Bad: true})
			return
		}
		s.renderNotify(w, http.StatusOK, lang, done(lang))
	}
}

func (s *Server) renderNotify(w http.ResponseWriter, status int, lang string, p notifyPage) {
	p.Lang = lang
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", lang)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // the token is in the address
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := notifyTemplate.Execute(w, p); err != nil {
		s.log.Error("render notification page", "err", err)
	}
}

// contact is the address a comment carries, checked against the server's
// configuration.
func (s *Server) contact(in newComment) (string, error) {
	email := strings.TrimSpace(in.Email)
	if email != "" && s.cfg.Notify == nil {
		return "", errNotificationsOff
	}
	return email, nil
}

// notifyCatalogue is the notifications' part of the catalogue.
var notifyCatalogue = map[string]map[string]string{
	"ru": {
		"E-mail (optional)": "Эл. почта (необязательно)",
		"Never shown. Only to tell you of replies and of a moderator's decision; each mail can stop them.": "Никому не показывается. Только чтобы сообщить об ответах и о решении модератора; в каждом письме есть ссылка, чтобы отписаться.",
		"Confirm your e-mail address": "Подтвердите адрес эл. почты",
		"Confirm that you want to be told by e-mail of replies to your comments and of moderators' decisions on them.": "Подтвердите, что хотите получать письма об ответах на ваши комментарии и о решениях модераторов по ним.",
		"Confirm":           "Подтвердить",
		"Address confirmed": "Адрес подтверждён",
		"Thank you. You will be told of replies to your comments and of moderators' decisions on them. Each mail has a link to stop them.": "Спасибо. Мы сообщим вам об ответах на ваши комментарии и о решениях модераторов по ним. В каждом письме есть ссылка, чтобы отписаться.",
		"Stop e-mail from us": "Больше не присылать писем",
		"Stop every notification mail to this address: replies, decisions and requests to confirm it.": "Не присылать на этот адрес никаких уведомлений: ни об ответах, ни о решениях, ни просьб подтвердить адрес.",
		"Unsubscribe":  "Отписаться",
		"Unsubscribed": "Вы отписались",
		"You will get no more mail from us at this address.": "Больше мы не будем присылать писем на этот адрес.",
		"Link not valid": "Ссылка недействительна",
		"This link is not valid: it may have been cut short when it was copied. Open it from the mail again.": "Ссылка недействительна: возможно, при копировании она обрезалась. Откройте её из письма ещё раз.",
		"This link has expired.": "Срок действия ссылки истёк.",
		"This link has expired. Leave your address with your next comment to get a new one.": "Срок действия ссылки истёк. Укажите адрес со следующим комментарием, чтобы получить новую.",
		"Please try again": "Попробуйте ещё раз",
		"We could not record this just now. Please try again in a moment.": "Сейчас не удалось это сохранить. Попробуйте ещё раз через минуту.",
	},
}

func init() {
	for lang, m := range notifyCatalogue {
		for k, v := range m {
			if _, dup := catalogue[lang][k]; dup {
				panic("web: catalogue string twice: " + k)
			}
			catalogue[lang][k] = v
		}
	}
}
