package notify

import (
	"strings"
	"unicode/utf8"
)

// Kind is what a mail is for: a label of the metrics and of the sent
// marks, never personal data.
type Kind string

const (
	KindVerify   Kind = "verify"
	KindDecision Kind = "decision"
	KindReply    Kind = "reply"
)

// Kinds are every kind, for metrics made up front.
var Kinds = []Kind{KindVerify, KindDecision, KindReply}

// The mails' words, by language: English is the source, the others
// translate it; a language without a translation gets English. Each text
// is plain, with {name} placeholders that fill.
var texts = map[string]map[string]string{
	"en": {
		"verify.subject": "Confirm your address to be told of replies",
		"verify.body": "You left this address with a comment on {article}.\n\n" +
			"To be told by e-mail of replies to your comments, and of a moderator's decision on a comment that waits for review, confirm the address:\n\n{verify}\n\n" +
			"If it was not you, ignore this mail: nothing more is sent unless the address is confirmed. " +
			"To never get mail from us at this address, open:\n\n{unsubscribe}\n",
		"approved.subject": "Your comment is published",
		"approved.body":    "A moderator reviewed your comment on {article} and published it:\n\n{text}\n\nSee it here:\n{link}\n",
		"rejected.subject": "Your comment was not published",
		"rejected.body":    "A moderator reviewed your comment on {article} and did not publish it.\n\n{why}\n\nYour comment:\n\n{text}\n",
		"reply.subject":    "{author} replied to your comment",
		"reply.body":       "{author} replied to your comment on {article}:\n\n{text}\n\nRead it and answer:\n{link}\n",
		"footer": "You get this mail because you left this address with a comment and confirmed it. " +
			"To get no more mail from us, open:\n{unsubscribe}\n",
		"why.none":                 "No reason was given.",
		"why.message":              "The moderator's words: {message}",
		"why.offensive":            "It was found offensive.",
		"why.abusive":              "It was found abusive.",
		"why.spam":                 "It looks like spam or advertising.",
		"why.off-topic":            "It is off topic.",
		"why.personal-information": "It shares personal information.",
	},
	"ru": {
		"verify.subject": "Подтвердите адрес, чтобы получать уведомления об ответах",
		"verify.body": "Этот адрес указали вместе с комментарием к статье {article}.\n\n" +
			"Чтобы получать письма об ответах на ваши комментарии и о решении модератора по комментарию, который ждёт проверки, подтвердите адрес:\n\n{verify}\n\n" +
			"Если это были не вы, просто не обращайте внимания на это письмо: без подтверждения писем больше не будет. " +
			"Чтобы никогда не получать от нас писем на этот адрес, откройте:\n\n{unsubscribe}\n",
		"approved.subject": "Ваш комментарий опубликован",
		"approved.body":    "Модератор проверил ваш комментарий к статье {article} и опубликовал его:\n\n{text}\n\nОн здесь:\n{link}\n",
		"rejected.subject": "Ваш комментарий не опубликован",
		"rejected.body":    "Модератор проверил ваш комментарий к статье {article} и не опубликовал его.\n\n{why}\n\nВаш комментарий:\n\n{text}\n",
		"reply.subject":    "{author} ответил(а) на ваш комментарий",
		"reply.body":       "{author} ответил(а) на ваш комментарий к статье {article}:\n\n{text}\n\nПрочитать и ответить:\n{link}\n",
		"footer": "Вы получили это письмо, потому что указали и подтвердили этот адрес, оставляя комментарий. " +
			"Чтобы больше не получать от нас писем, откройте:\n{unsubscribe}\n",
		"why.none":                 "Причина не указана.",
		"why.message":              "Слова модератора: {message}",
		"why.offensive":            "Он признан оскорбительным.",
		"why.abusive":              "Он признан грубым или травлей.",
		"why.spam":                 "Он похож на спам или рекламу.",
		"why.off-topic":            "Он не по теме.",
		"why.personal-information": "В нём личные данные.",
	},
}

// text is the named text in lang, its placeholders filled from kv
// (pairs of name, value).
func text(lang, name string, kv ...string) string {
	t, ok := texts[lang][name]
	if !ok {
		t = texts["en"][name]
	}
	if len(kv) == 0 {
		return t
	}
	pairs := make([]string, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, "{"+kv[i]+"}", kv[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(t)
}

// mailLang is the language a mail is written in: the one the author read
// when they left the address, if the mails speak it.
func mailLang(lang string) string {
	if _, ok := texts[lang]; ok {
		return lang
	}
	return "en"
}

// why says why a comment was not published: the moderator's own words,
// else the reason code in words.
func why(lang, reason, message string) string {
	if message != "" {
		return text(lang, "why.message", "message", message)
	}
	if _, ok := texts["en"]["why."+reason]; ok && reason != "none" && reason != "message" {
		return text(lang, "why."+reason)
	}
	return text(lang, "why.none")
}

// excerpt is at most maxExcerpt characters of a comment, each line
// quoted.
func excerpt(s string) string {
	const maxExcerpt = 600
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxExcerpt {
		s = string([]rune(s)[:maxExcerpt]) + "…"
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "> " + strings.TrimRight(l, "\r")
	}
	return strings.Join(lines, "\n")
}
