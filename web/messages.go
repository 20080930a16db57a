package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/text/language"
)

// The readers' page speaks English or Russian: a message catalogue keyed
// by the English (the strings in the code and templates are the source),
// chosen from the reader's Accept-Language. The widget has the same
// catalogue in static/embed.js.

var (
	pageLangs   = []language.Tag{language.English, language.Russian}
	langMatcher = language.NewMatcher(pageLangs)
)

// readerLang is the page's language for this request: "en" or "ru".
func readerLang(r *http.Request) string {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return "en"
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return "en"
	}
	base, _ := pageLangs[i].Base()
	return base.String()
}

var catalogue = map[string]map[string]string{
	"ru": {
		"Comments on %s":           "Комментарии к %s",
		"Sort:":                    "Порядок:",
		"oldest first":             "сначала старые",
		"newest first":             "сначала новые",
		"Reply":                    "Ответить",
		" to %s":                   " пользователю %s",
		"Signed in with this site": "Вход через этот сайт",
		" signed in":               " вход выполнен",
		"Name":                     "Имя",
		"Your reply":               "Ваш ответ",
		"Post reply":               "Отправить ответ",
		"Report":                   "Пожаловаться",
		" the comment by %s":       " на комментарий %s",
		"Why should a moderator look at this comment?": "Почему модератору стоит посмотреть этот комментарий?",
		"Choose a reason":                      "Выберите причину",
		"Send report":                          "Отправить жалобу",
		"No comments yet.":                     "Комментариев пока нет.",
		" Be the first.":                       " Будьте первым.",
		"More comments →":                      "Ещё комментарии →",
		"Leave a comment":                      "Оставьте комментарий",
		"Comments on this article are closed.": "Комментарии к этой статье закрыты.",
		"Comments on this article are reviewed by a moderator before they appear.": "Комментарии к этой статье появляются после проверки модератором.",
		"Comment":                               "Комментарий",
		"Post comment":                          "Отправить комментарий",
		"Offensive":                             "Оскорбительно",
		"Abusive or harassing":                  "Грубость или травля",
		"Spam or advertising":                   "Спам или реклама",
		"Off topic":                             "Не по теме",
		"Shares personal information":           "Раскрывает личные данные",
		"Something else":                        "Другое",
		"Thank you. Your comment is published.": "Спасибо. Ваш комментарий опубликован.",
		"Thank you. Your comment is awaiting review.": "Спасибо. Ваш комментарий ждёт проверки.",
		"Thank you. %s": "Спасибо. %s",
		"Your comment is awaiting review by a moderator.":                           "Ваш комментарий ждёт проверки модератором.",
		"Your comment was not published.":                                           "Ваш комментарий не опубликован.",
		"Your comment was not published. %s":                                        "Ваш комментарий не опубликован. %s",
		"Your comment was not published because it was found offensive.":            "Ваш комментарий не опубликован: он признан оскорбительным.",
		"Your comment was not published because it was found abusive.":              "Ваш комментарий не опубликован: он признан грубым или травлей.",
		"Your comment was not published because it looks like spam or advertising.": "Ваш комментарий не опубликован: он похож на спам или рекламу.",
		"Your comment was not published because it is off topic.":                   "Ваш комментарий не опубликован: он не по теме.",
		"Your comment was not published because it shares personal information.":    "Ваш комментарий не опубликован: в нём личные данные.",
		"Thank you. A moderator will look at the comment.":                          "Спасибо. Модератор посмотрит этот комментарий.",
		"Please choose a reason for the report.":                                    "Выберите причину жалобы.",
		"This comment is no longer shown.":                                          "Этот комментарий больше не показывается.",
		"Too many reports from here just now; please try again later.":              "Слишком много жалоб отсюда; попробуйте позже.",
		"The report could not be read.":                                             "Жалобу не удалось прочитать.",
		"The comment is too long.":                                                  "Комментарий слишком длинный.",
	},
}

// tr translates a catalogue string into lang and fills in its %s.
func tr(lang, en string, args ...any) string {
	if t, ok := catalogue[lang][en]; ok {
		en = t
	}
	if len(args) == 0 {
		return en
	}
	return fmt.Sprintf(en, args...)
}

// commentsCount is "N comments" with the language's plural.
func commentsCount(lang string, n int) string {
	if lang == "ru" {
		d, h := n%10, n%100
		w := "комментариев"
		switch {
		case d == 1 && h != 11:
			w = "комментарий"
		case d >= 2 && d <= 4 && (h < 12 || h > 14):
			w = "комментария"
		}
		return strconv.Itoa(n) + " " + w
	}
	if n == 1 {
		return "1 comment"
	}
	return strconv.Itoa(n) + " comments"
}

var ruMonths = [...]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"}

// dateIn writes a comment's time as the language writes dates.
func dateIn(lang string, t time.Time) string {
	if lang == "ru" {
		return fmt.Sprintf("%d %s %d, %s", t.Day(), ruMonths[t.Month()-1], t.Year(), t.Format("15:04 MST"))
	}
	return t.Format("2 Jan 2006 15:04 MST")
}
