package web

import (
	"encoding/json"
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
		"Link to this comment":     "Ссылка на этот комментарий",
		"edited":                   "изменён",
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
		// Editing from the page without JavaScript (pageedits.go).
		"Edit":                      "Изменить",
		" your comment":             " ваш комментарий",
		"Edit your comment":         "Измените комментарий",
		"Save edit":                 "Сохранить правку",
		"You can edit it until %s.": "Изменить его можно до %s.",
		"An edit is checked again, as a new comment is, before readers see it.":                                      "Правка проходит проверку, как новый комментарий, прежде чем её увидят читатели.",
		"Only its author can edit this comment, from the browser it was posted from.":                                "Изменить комментарий может только его автор, из того браузера, откуда он отправлен.",
		"The time to edit this comment has passed.":                                                                  "Время, когда комментарий можно было изменить, прошло.",
		"This comment cannot be edited now: it was not published, or a moderator is reviewing it or your last edit.": "Этот комментарий сейчас нельзя изменить: он не опубликован или модератор проверяет его или вашу прошлую правку.",
		"The comment is empty.":                                                    "Комментарий пуст.",
		"We could not save your edit just now. Please try again.":                  "Сейчас не удалось сохранить правку. Попробуйте ещё раз.",
		"Your edit is published.":                                                  "Правка опубликована.",
		"Your edit was not published; readers see the earlier text.":               "Правка не опубликована; читатели видят прежний текст.",
		"Your edit is awaiting review; readers see the published text until then.": "Правка ждёт проверки; до тех пор читатели видят опубликованный текст.",
		"Your edit is awaiting review.":                                            "Правка ждёт проверки.",
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

// The moderation UI speaks the same two languages, from the same
// catalogue: the moderator's choice (the language switch, kept in a
// cookie) or else their Accept-Language. Its script gets the catalogue of
// the page's language in the page (data-i18n on <body>), so there is one
// catalogue, here.

// langCookie keeps the language a moderator chose with the switch.
const langCookie = "commentd_lang"

// modLang is the moderation UI's language for this request.
func modLang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "en" || c.Value == "ru") {
		return c.Value
	}
	return readerLang(r)
}

// i18n is what every moderation page needs to speak its language; the
// page structs embed it, so templates call {{.T "…"}} and {{$.T "…"}}.
type i18n struct {
	Lang string
	Here string // the page's own address, where the language switch returns
}

func pageI18n(r *http.Request) i18n { return i18n{Lang: modLang(r), Here: r.URL.RequestURI()} }

func (l i18n) lang() string { return l.Lang }

// T translates a catalogue string and fills in its %s and %d.
func (l i18n) T(en string, args ...any) string { return tr(l.Lang, en, args...) }

// N is a counted string ("%d comments") in the language's plural form.
func (l i18n) N(key string, n int) string { return plural(l.Lang, key, n) }

// Date writes a time as the language writes dates (in UTC; the script
// rewrites it in the moderator's own locale and time zone).
func (l i18n) Date(t time.Time) string { return dateIn(l.Lang, t.UTC()) }

// Switch is the other language, which the language switch offers.
func (l i18n) Switch() struct{ Code, Name string } {
	if l.Lang == "ru" {
		return struct{ Code, Name string }{"en", "English"}
	}
	return struct{ Code, Name string }{"ru", "Русский"}
}

// Script is the catalogue the page's script needs, as JSON: the strings
// and the plural forms of the page's language.
func (l i18n) Script() string {
	b, _ := json.Marshal(struct {
		Lang    string                       `json:"lang"`
		Strings map[string]string            `json:"strings"`
		Plurals map[string]map[string]string `json:"plurals"`
	}{l.Lang, catalogue[l.Lang], pluralCatalogue[l.Lang]})
	return string(b)
}

// pluralForm is the CLDR plural category of n in lang: "one", "few",
// "many" or "other" (what the browser's Intl.PluralRules says too).
func pluralForm(lang string, n int) string {
	if n < 0 {
		n = -n
	}
	if lang == "ru" {
		d, h := n%10, n%100
		switch {
		case d == 1 && h != 11:
			return "one"
		case d >= 2 && d <= 4 && (h < 12 || h > 14):
			return "few"
		}
		return "many"
	}
	if n == 1 {
		return "one"
	}
	return "other"
}

// plural picks the form of a counted string for n and fills in n. The key
// is the English "other" form ("%d comments").
func plural(lang, key string, n int) string {
	f := key
	if forms, ok := pluralCatalogue[lang][key]; ok {
		if s, ok := forms[pluralForm(lang, n)]; ok {
			f = s
		} else if s, ok := forms["other"]; ok {
			f = s
		}
	}
	return fmt.Sprintf(f, n)
}

// Reason is a reason code as people read it, in the page's language.
func (l i18n) Reason(code string) string {
	for _, r := range reportReasons {
		if r.Code == code {
			return l.T(r.Label)
		}
	}
	return code
}

// Day writes a date without the time.
func (l i18n) Day(t time.Time) string {
	t = t.UTC()
	if l.Lang == "ru" {
		return fmt.Sprintf("%d %s %d", t.Day(), ruMonths[t.Month()-1], t.Year())
	}
	return t.Format("2 Jan 2006")
}

// modCatalogue is the moderation UI's part of the catalogue (its pages
// and its script), merged into catalogue at start.
var modCatalogue = map[string]map[string]string{
	"ru": {
		"Moderation":                       "Модерация",
		"Language":                         "Язык",
		"Back to the queue":                "Назад к очереди",
		"No moderator account exists yet.": "Ещё нет ни одной учётной записи модератора.",
		"To make the first admin, open the one-time setup link that commentd wrote to its log at start (the line “no moderator account exists yet”), or, with commentd stopped, run:": "Чтобы создать первого администратора, откройте одноразовую ссылку, которую commentd записал в журнал при запуске (строка «no moderator account exists yet»), или, остановив commentd, выполните:",
		"with the password as the first line of its input.": "передав пароль первой строкой ввода.",
		"Account":              "Учётная запись",
		"Password":             "Пароль",
		"Sign in":              "Войти",
		"Sign out":             "Выйти",
		"Held":                 "Задержанные",
		"Reported":             "С жалобами",
		"? Shortcuts":          "? Клавиши",
		"Make the first admin": "Первый администратор",
		"No moderator account exists yet. This account will be an admin: it can add the other moderators.": "Учётных записей модераторов ещё нет. Эта запись будет администратором: она сможет добавить остальных модераторов.",
		"Account name": "Имя учётной записи",
		"Letters a–z, digits, “-” and “_”.":                                              "Латинские буквы a–z, цифры, «-» и «_».",
		"At least %d characters and not easy to guess: a few unrelated words work well.": "Не меньше %d символов, и такой, чтобы его нельзя было угадать: хорошо подходят несколько не связанных слов.",
		"The password again":         "Пароль ещё раз",
		"Make the admin and sign in": "Создать администратора и войти",
		"Held comments":              "Задержанные комментарии",
		"Reported comments":          "Комментарии с жалобами",
		"Article":                    "Статья",
		"all articles":               "все статьи",
		"Filter":                     "Показать",
		"Choose all":                 "Выбрать все",
		"None chosen":                "Ничего не выбрано",
		"Approve chosen":             "Одобрить выбранные",
		"Reject chosen…":             "Отклонить выбранные…",
		"History":                    "История",
		"Close":                      "Закрыть",
		"Keyboard":                   "Клавиатура",
		"Single-letter shortcuts":    "Однобуквенные сочетания клавиш",
		"Turn them off if they get in the way of speech input or another tool; every action also has a button.": "Выключите их, если они мешают голосовому вводу или другой программе; у каждого действия есть и кнопка.",
		"next / previous comment":                "следующий / предыдущий комментарий",
		"choose the comment for a bulk decision": "выбрать комментарий для общего решения",
		"approve":                                "одобрить",
		"then":                                   "затем",
		"reject with a reason":                   "отклонить с причиной",
		"history of the comment":                 "история комментария",
		"open the author's record":               "открыть карточку автора",
		"this help; Esc closes":                  "эта подсказка; Esc закрывает",
		"Reject for which reason?":               "По какой причине отклонить?",
		"Reason":                                 "Причина",
		"Message to the author":                  "Сообщение автору",
		"(optional, shown to them)":              "(необязательно, автор его увидит)",
		"also reject their waiting comments":     "также отклонить его ожидающие комментарии",
		"Reject":                                 "Отклонить",
		"Cancel":                                 "Отмена",
		"With shortcuts on, 1–6 choose a reason and send; Esc cancels.": "Когда сочетания включены, 1–6 выбирают причину и отправляют; Esc отменяет.",
		"Choose the comment by %s":                                      "Выбрать комментарий автора %s",
		"approved / rejected / recent rejection rate":                   "одобрено / отклонено / доля отклонённых недавно",
		"%s rejected recently":                                          "%s отклонено недавно",
		"since %s":                                                      "с %s",
		"banned":                                                        "заблокирован",
		"on":                                                            "к статье",
		"in reply to %s:":                                               "в ответ %s:",
		"by":                                                            "—",
		"reason":                                                        "причина",
		"Decide on the comment by %s":                                   "Решение по комментарию автора %s",
		"Approve":                                                       "Одобрить",
		"Reject…":                                                       "Отклонить…",
		"Remove…":                                                       "Снять…",
		"Remove":                                                        "Снять",
		"Ban author…":                                                   "Заблокировать автора…",
		"Nothing waiting here.":                                         "Здесь ничего не ждёт.",
		"Next page →":                                                   "Следующая страница →",
		"%s of recent comments rejected":                                "%s недавних комментариев отклонено",
		"first seen":                                                    "впервые",
		"Unban":                                                         "Разблокировать",
		"Not banned.":                                                   "Не заблокирован.",
		"Ban for":                                                       "Причина блокировки",
		"Ban":                                                           "Заблокировать",
		"failed (%d)":                                                   "ошибка (%d)",
		"Single-letter shortcuts on":                                    "Однобуквенные сочетания включены",
		"Single-letter shortcuts off":                                   "Однобуквенные сочетания выключены",
		"Comment %d of %d, by %s":                                       "Комментарий %d из %d, автор %s",
		"No comment chosen":                                             "Ни один комментарий не выбран",
		"Someone else was first: %s by %s":                              "Кто-то успел раньше: %s, %s",
		"Someone else was first: it changed":                            "Кто-то успел раньше: комментарий изменился",
		"Approved the comment by %s":                                    "Одобрен комментарий автора %s",
		"Rejected the comment by %s: %s":                                "Отклонён комментарий автора %s: %s",
		"%d a second":                                                   "%d в секунду",
		"Banned %s until %s":                                            "%s заблокирован до %s",
		"Banned %s permanently":                                         "%s заблокирован навсегда",
		"Banned permanently":                                            "Заблокирован навсегда",
		"Banned until":                                                  "Заблокирован до",
		"by %s for %s":                                                  "модератор %s, причина: %s",
		"The ban ended:":                                                "Блокировка истекла:",
		"For how long":                                                  "На какой срок",
		"1 day":                                                         "1 день",
		"7 days":                                                        "7 дней",
		"30 days":                                                       "30 дней",
		"Permanently":                                                   "Навсегда",
		"until %s":                                                      "до %s",
		"ban the author: Tab to the length (permanent unless chosen), then a reason": "заблокировать автора: Tab — к сроку (если не выбран, навсегда), затем причина",
		"Ban %s for which reason?":                             "По какой причине заблокировать %s?",
		"Remove the published comment by %s for which reason?": "По какой причине снять опубликованный комментарий автора %s?",
		"Reject the comment by %s for which reason?":           "По какой причине отклонить комментарий автора %s?",
		"Choose a reason.":                                     "Выберите причину.",
		"Comment by %s":                                        "Комментарий автора %s",
		"reason %s":                                            "причина: %s",
		"rules %s":                                             "правила: %s",
		"matched %s":                                           "совпало: %s",
		"Taken by %s: now %s":                                  "Решил %s: теперь %s",
		// Comments, articles, undo.
		"An article's page has its settings and its published comments, each of which can be removed.": "На странице статьи — её настройки и опубликованные комментарии; любой из них можно снять.",
		"Article id":                     "Идентификатор статьи",
		"Articles":                       "Статьи",
		"As readers see it":              "Как видят читатели",
		"Closed: readers cannot comment": "Закрыта: читатели не могут комментировать",
		"More comments":                  "Ещё комментарии",
		"Newest first, as the reader API gives them.":        "Сначала новые, как их отдаёт API для читателей.",
		"Not undone: the comment changed meanwhile":          "Не отменено: комментарий за это время изменился",
		"Nothing published here.":                            "Здесь ничего не опубликовано.",
		"Nothing to undo":                                    "Отменять нечего",
		"Open":                                               "Открыть",
		"Pre-moderated: every comment waits for a moderator": "Премодерация: каждый комментарий ждёт модератора",
		"Published comments":                                 "Опубликованные комментарии",
		"Removed the comment by %s":                          "Снят комментарий автора %s",
		"Save settings":                                      "Сохранить настройки",
		"Settings":                                           "Настройки",
		"Settings saved":                                     "Настройки сохранены",
		"Undo":                                               "Отменить",
		"Undo the last decision":                             "Отменить последнее решение",
		"Undone: the comment by %s is %s again":              "Отменено: комментарий автора %s снова %s",
		"undo the last decision":                             "отменить последнее решение",
		"undoes the decision of":                             "отменяет решение от",
		"undoes the decision of %s":                          "отменяет решение от %s",
		"No such comment.":                                   "Такого комментария нет.",
		"An article id is 1 to 128 of A–Z, a–z, 0–9, “-” and “_”.": "Идентификатор статьи — от 1 до 128 символов A–Z, a–z, 0–9, «-» и «_».",
		// Accounts and tokens.
		"Accounts":          "Учётные записи",
		"My account":        "Моя учётная запись",
		"The new API token": "Новый токен API",
		"(shown this once: copy it now; scripts send it as Authorization: Bearer)": "(показан один раз: скопируйте его сейчас; скрипты передают его как Authorization: Bearer)",
		"Done":                  "Готово",
		"Add a moderator":       "Добавить модератора",
		"Role":                  "Роль",
		"Add":                   "Добавить",
		"you":                   "вы",
		"added":                 "добавлен",
		"API tokens":            "Токены API",
		"Revoke":                "Отозвать",
		"None.":                 "Нет.",
		"Label":                 "Метка",
		"what the token is for": "для чего токен",
		"Make a token":          "Создать токен",
		"New password":          "Новый пароль",
		"Reset the password":    "Сменить пароль",
		"Remove the account":    "Удалить учётную запись",
		"The password of %s is reset; their sessions ended": "Пароль %s сменён; его сеансы завершены",
		"Press again to remove %s":                          "Нажмите ещё раз, чтобы удалить %s",
		"an admin cannot remove their own account":          "администратор не может удалить свою учётную запись",
		"an account with this name exists":                  "учётная запись с таким именем уже есть",
		// The search screens.
		"All":                         "Все",
		"All comments":                "Все комментарии",
		"Approved":                    "Одобренные",
		"Approved comments":           "Одобренные комментарии",
		"Awaiting the rules":          "Ждут правил",
		"By the author %s":            "Автор: %s",
		"Comments":                    "Комментарии",
		"Comments awaiting the rules": "Комментарии, ждущие правил",
		"Comments by status":          "Комментарии по статусу",
		"Every comment the article ever had was searched.": "Просмотрены все комментарии статьи.",
		"No comment matches.":                              "Ничего не найдено.",
		"Rejected":                                         "Отклонённые",
		"Rejected comments":                                "Отклонённые комментарии",
		"Search":                                           "Найти",
		"Searched the %d comments changed most recently (since %s); choose an article to search all of its comments.": "Просмотрены %d комментариев, изменённых последними (с %s); выберите статью, чтобы искать среди всех её комментариев.",
		"Words":                            "Слова",
		"an id, or a section: politics-*":  "id или раздел: politics-*",
		"any author":                       "любой автор",
		"in the text or the author's name": "в тексте или имени автора",
		// Rules.
		"%d decisions of the rules, %d of them decided by a moderator too (%d rejected)": "Решений правил: %d, из них %d решил и модератор (%d отклонены)",
		"30 days ago":            "30 дней назад",
		"Action":                 "Действие",
		"Backtest this rule set": "Проверить набор на истории",
		"Changed decisions":      "Изменённые решения",
		"Changes":                "Изменений",
		"Comments since":         "Комментарии начиная с",
		"Examples":               "Примеры",
		"Fired then":             "Срабатывало тогда",
		"Fires":                  "Срабатывает",
		"No shadow rule fired in this part of the log.": "Ни одно теневое правило не сработало в этой части журнала.",
		"On one article (optional)":                     "Только одна статья (необязательно)",
		"On the history of the log":                     "На истории журнала",
		"Per rule":                                      "По правилам",
		"Precision":                                     "Точность",
		"Recall":                                        "Полнота",
		"Rule":                                          "Правило",
		"Shadow rules on live traffic":                  "Теневые правила на живом потоке",
		"Would fire":                                    "Сработало бы",
		"a day ago":                                     "день назад",
		"a moderator decided: %s":                       "решение модератора: %s",
		"a week ago":                                    "неделю назад",
		"approved by a moderator, rejected by this set":      "одобрены модератором, этот набор отклонил бы",
		"decided by a moderator (the labels)":                "решены модератором (эталон)",
		"not in this set":                                    "нет в этом наборе",
		"rejected by a moderator, approved by this set":      "отклонены модератором, этот набор одобрил бы",
		"saved from the queue":                               "не попали бы в очередь",
		"sent to the queue that were not held":               "попали бы в очередь, хотя не задерживались",
		"the first comment":                                  "самого первого",
		"Check":                                              "Проверить",
		"Dry run on history":                                 "Прогнать по истории",
		"In force":                                           "Действует",
		"In force: the built-in rule set":                    "Действует встроенный набор правил",
		"None published: the built-in rule set is in force.": "Ничего не опубликовано: действует встроенный набор правил.",
		"Publish": "Опубликовать",
		"Published version %s: every worker applies it now": "Опубликована версия %s: все обработчики применяют её сейчас",
		"Published versions":             "Опубликованные версии",
		"Roll back to this":              "Вернуть эту версию",
		"Rule file (YAML)":               "Файл правил (YAML)",
		"Rules":                          "Правила",
		"Running on history…":            "Прогон по истории…",
		"Try the rules on a text":        "Проверить правила на тексте",
		"Upload a file…":                 "Загрузить файл…",
		"Valid: version %s, %s":          "Без ошибок: версия %s, %s",
		"Validate":                       "Проверить файл",
		"Verdict: %s":                    "Решение: %s",
		"Version %s is in force already": "Версия %s уже действует",
		"in force":                       "действует",
		"languages %s":                   "языки: %s",
		"line %d":                        "строка %d",
		"rule %s":                        "правило %s",
		"hold":                           "задержать",
		"reject":                         "отклонить",
		// Statuses, roles and event types, as the API names them.
		"pending":                             "ждёт правил",
		"held":                                "задержан",
		"approved":                            "одобрен",
		"rejected":                            "отклонён",
		"moderator":                           "модератор",
		"admin":                               "администратор",
		"CommentSubmitted":                    "Отправлен",
		"CommentApproved":                     "Одобрен",
		"CommentRejected":                     "Отклонён",
		"CommentHeld":                         "Задержан",
		"CommentReported":                     "Жалоба",
		"CommentEdited":                       "Изменён автором",
		"The author's edit, awaiting review:": "Правка автора ждёт проверки:",
		"The decision is on the edit: approving shows the new text; rejecting keeps the published one.": "Решение — о правке: одобрение покажет новый текст, отклонение оставит опубликованный.",
		"edited %s":              "изменён %s",
		"AuthorBanned":           "Автор заблокирован",
		"AuthorUnbanned":         "Автор разблокирован",
		"ArticleSettingsChanged": "Настройки статьи изменены",
		// Pages that say one thing, and errors the UI shows.
		"Not found":                           "Не найдено",
		"There is no such page.":              "Такой страницы нет.",
		"Not allowed":                         "Нельзя",
		"Something went wrong":                "Что-то пошло не так",
		"Bad request":                         "Неверный запрос",
		"The form could not be read.":         "Форму не удалось прочитать.",
		"No such author":                      "Нет такого автора",
		"No comment by this author is known.": "Комментариев этого автора нет.",
		"No setup here":                       "Ссылка не действует",
		setupGone:                             "Эта ссылка для настройки недействительна: ею уже воспользовались, сервер перезапустился (в его журнале новая) или учётная запись уже есть. Войдите.",
		"The two passwords differ.":           "Пароли не совпадают.",
		"wrong name or password":              "неверное имя или пароль",
		"your role may not do this":           "вашей роли это не разрешено",
	},
}

// pluralCatalogue has the counted strings, keyed by the English "other"
// form, with each language's forms (CLDR categories).
var pluralCatalogue = map[string]map[string]map[string]string{
	"en": {
		"%d approved":                                 {"one": "%d approved"},
		"%d rejected":                                 {"one": "%d rejected"},
		"%d comments":                                 {"one": "%d comment"},
		"%d comments replayed":                        {"one": "%d comment replayed"},
		"On %d comments of the log":                   {"one": "On %d comment of the log"},
		"%d would be decided differently":             {"one": "%d would be decided differently"},
		"%d reports":                                  {"one": "%d report"},
		"%d chosen":                                   {"one": "%d chosen"},
		"%d comments chosen":                          {"one": "%d comment chosen"},
		"%d changed meanwhile and were left":          {"one": "%d changed meanwhile and was left"},
		"%d waiting comments rejected":                {"one": "%d waiting comment rejected"},
		"Approved %d comments":                        {"one": "Approved %d comment"},
		"Rejected %d comments":                        {"one": "Rejected %d comment"},
		"Reject %d chosen comments for which reason?": {"one": "Reject %d chosen comment for which reason?"},
		"Undone: %d comments are back":                {"one": "Undone: %d comment is back"},
		"%d problems in the rule file":                {"one": "%d problem in the rule file"},
		"%d rules":                                    {"one": "%d rule"},
	},
	"ru": {
		"%d approved":                                 {"one": "%d одобрен", "few": "%d одобрено", "many": "%d одобрено"},
		"%d rejected":                                 {"one": "%d отклонён", "few": "%d отклонено", "many": "%d отклонено"},
		"%d comments":                                 {"one": "%d комментарий", "few": "%d комментария", "many": "%d комментариев"},
		"%d comments replayed":                        {"one": "Прогнан %d комментарий", "few": "Прогнано %d комментария", "many": "Прогнано %d комментариев"},
		"On %d comments of the log":                   {"one": "Из %d комментария журнала", "few": "Из %d комментариев журнала", "many": "Из %d комментариев журнала"},
		"%d would be decided differently":             {"one": "%d был бы решён иначе", "few": "%d были бы решены иначе", "many": "%d были бы решены иначе"},
		"%d reports":                                  {"one": "%d жалоба", "few": "%d жалобы", "many": "%d жалоб"},
		"%d chosen":                                   {"one": "Выбран %d", "few": "Выбрано %d", "many": "Выбрано %d"},
		"%d comments chosen":                          {"one": "Выбран %d комментарий", "few": "Выбрано %d комментария", "many": "Выбрано %d комментариев"},
		"%d changed meanwhile and were left":          {"one": "%d изменился за это время и оставлен", "few": "%d изменились за это время и оставлены", "many": "%d изменились за это время и оставлены"},
		"%d waiting comments rejected":                {"one": "отклонён %d ожидающий комментарий", "few": "отклонено %d ожидающих комментария", "many": "отклонено %d ожидающих комментариев"},
		"Approved %d comments":                        {"one": "Одобрен %d комментарий", "few": "Одобрено %d комментария", "many": "Одобрено %d комментариев"},
		"Rejected %d comments":                        {"one": "Отклонён %d комментарий", "few": "Отклонено %d комментария", "many": "Отклонено %d комментариев"},
		"Reject %d chosen comments for which reason?": {"one": "По какой причине отклонить %d выбранный комментарий?", "few": "По какой причине отклонить %d выбранных комментария?", "many": "По какой причине отклонить %d выбранных комментариев?"},
		"Undone: %d comments are back":                {"one": "Отменено: %d комментарий вернулся", "few": "Отменено: %d комментария вернулись", "many": "Отменено: %d комментариев вернулись"},
		"%d problems in the rule file":                {"one": "В файле правил %d ошибка", "few": "В файле правил %d ошибки", "many": "В файле правил %d ошибок"},
		"%d rules":                                    {"one": "%d правило", "few": "%d правила", "many": "%d правил"},
	},
}

func init() {
	for lang, m := range modCatalogue {
		if catalogue[lang] == nil {
			catalogue[lang] = map[string]string{}
		}
		for k, v := range m {
			if _, dup := catalogue[lang][k]; dup {
				panic("web: catalogue string twice: " + k)
			}
			catalogue[lang][k] = v
		}
	}
}
