package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/internal/smtptest"
)

// The links in mails name the public URL; the test's server is on a port
// of its own.
const testPublicURL = "http://comments.test"

// postWithEmail posts a comment with an e-mail address in lang.
func postWithEmail(t *testing.T, base, article, author, text, email, parent, lang string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"author": author, "text": text, "email": email, "parent_id": parent})
	req, _ := http.NewRequest("POST", base+"/api/articles/"+article+"/comments", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", lang)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

var linkRE = regexp.MustCompile(`http://comments\.test/notify/(verify|unsubscribe)\?t=[A-Za-z0-9_.-]+`)

// linkOf is the mail's link to route, pointed at the test's server.
func linkOf(t *testing.T, m smtptest.Message, route, base string) string {
	t.Helper()
	for _, l := range linkRE.FindAllString(m.Body, -1) {
		if strings.Contains(l, "/notify/"+route+"?") {
			return base + strings.TrimPrefix(l, testPublicURL)
		}
	}
	t.Fatalf("no %s link in:\n%s", route, m.Body)
	return ""
}

func getPage(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// confirm follows a verification mail as a reader does: opens the link,
// then presses the page's button.
func confirm(t *testing.T, m smtptest.Message, base string) {
	t.Helper()
	link := linkOf(t, m, "verify", base)
	code, page := getPage(t, link)
	if code != 200 || !strings.Contains(page, `<form method="post">`) {
		t.Fatalf("verify page: %d\n%s", code, page)
	}
	u, _ := url.Parse(link)
	resp, err := http.PostForm(link, url.Values{"t": {u.Query().Get("t")}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Address confirmed") {
		t.Fatalf("confirm: %d\n%s", resp.StatusCode, b)
	}
}

// Readers' notifications through run(): a real SMTP server, the links
// followed over HTTP, a one-click unsubscribe, a decision, an erasure.
func TestNotificationsEndToEnd(t *testing.T) {
	const password = "smtp-secret-9f3a"
	mails := smtptest.Start(t, smtptest.Options{User: "commentd", Password: password})
	c := start(t, t.TempDir(), "--admin-token", testAdminToken, "--log-level", "debug",
		"--smtp-addr", mails.Addr, "--smtp-tls", "none", "--smtp-user", "commentd", "--smtp-password", password,
		"--smtp-from", "Comments <comments@example.com>", "--public-url", testPublicURL)
	const article = "notify-e2e"
	wait := func(n int) smtptest.Message { return mails.Wait(t, n, 30*time.Second) }

	if _, page := getPage(t, c.url+"/articles/"+article); !strings.Contains(page, `name="email"`) || !strings.Contains(page, "Never shown") {
		t.Fatal("the article page offers no e-mail field with notifications on")
	}
	if code, body := postWithEmail(t, c.url, article, "Anna", "Hello", "not an address", "", "en"); code != 400 {
		t.Fatalf("a bad address: %d %v", code, body)
	}

	code, body := postWithEmail(t, c.url, article, "Anna", "A first thought.", "anna@example.com", "", "en")
	if code != 202 {
		t.Fatalf("post: %d %v", code, body)
	}
	parent := body["id"].(string)
	waitStatus(t, c.url, parent, "approved")
	v := wait(1)
	if v.To[0] != "anna@example.com" || !strings.Contains(v.Header.Get("Subject"), "Confirm") {
		t.Fatalf("verification: to %v, subject %q", v.To, v.Header.Get("Subject"))
	}
	// A forged link is a clear 400 page.
	if code, page := getPage(t, c.url+"/notify/verify?t=forged.token"); code != 400 || !strings.Contains(page, "not valid") {
		t.Fatalf("forged link: %d\n%s", code, page)
	}
	confirm(t, v, c.url)

	// A reply is approved: Anna is told, with working unsubscribe headers.
	code, body = postWithEmail(t, c.url, article, "Boris", "A reply to Anna.", "", parent, "en")
	if code != 202 {
		t.Fatalf("reply: %d %v", code, body)
	}
	r := wait(2)
	if !strings.Contains(r.Header.Get("Subject"), "Boris replied") || !strings.Contains(r.Body, "A reply to Anna.") {
		t.Fatalf("reply mail: %q\n%s", r.Header.Get("Subject"), r.Body)
	}
	if r.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe-Post %q", r.Header.Get("List-Unsubscribe-Post"))
	}
	unsub := strings.Trim(r.Header.Get("List-Unsubscribe"), "<>")
	if !strings.HasPrefix(unsub, testPublicURL+"/notify/unsubscribe?t=") {
		t.Fatalf("List-Unsubscribe %q", unsub)
	}
	// The one-click POST a mail program sends (RFC 8058).
	resp, err := http.Post(c.url+strings.TrimPrefix(unsub, testPublicURL), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe: %d", resp.StatusCode)
	}
	code, body = postWithEmail(t, c.url, article, "Vera", "Another reply.", "", parent, "en")
	if code != 202 {
		t.Fatalf("reply: %d %v", code, body)
	}
	waitStatus(t, c.url, body["id"].(string), "approved")

	// A held comment decided: its author is told, in Russian.
	const held = "notify-held"
	st, _ := api(t, nil, "PUT", c.url+"/api/moderation/articles/"+held+"/settings", testAdminToken, `{"closed":false,"premoderated":true}`)
	if st != 200 {
		t.Fatalf("settings: %d", st)
	}
	poll.True(t, 10*time.Second, "pre-moderated", func() bool {
		return strings.Contains(page(c.url+"/articles/"+held), "reviewed by a moderator")
	})
	code, body = postWithEmail(t, c.url, held, "Ivan", "Моё мнение.", "ivan@example.com", "", "ru")
	if code != 202 {
		t.Fatalf("post: %d %v", code, body)
	}
	ivan := body["id"].(string)
	waitStatus(t, c.url, ivan, "held")
	// The next mail is Ivan's verification: nothing came of Vera's reply.
	iv := wait(3)
	if iv.To[0] != "ivan@example.com" {
		t.Fatalf("mail 3 went to %v (a reply was told after unsubscribing?)", iv.To)
	}
	confirm(t, iv, c.url)
	if st, b := api(t, nil, "POST", c.url+"/api/moderation/comments/"+ivan+"/decision", testAdminToken, `{"action":"reject","reason":"off-topic","message":"Не по теме статьи."}`); st != 200 {
		t.Fatalf("reject: %d %v", st, b)
	}
	d := wait(4)
	if d.To[0] != "ivan@example.com" || !strings.Contains(d.Body, "Не по теме статьи.") || d.Header.Get("Content-Language") != "ru" {
		t.Fatalf("decision mail to %v:\n%s", d.To, d.Body)
	}

	// Erasure: Ivan's address becomes unreadable, nothing more is sent to
	// him, not the decision on his other held comment, not a reply.
	code, body = postWithEmail(t, c.url, held, "Ivan", "Ещё одно.", "ivan@example.com", "", "ru")
	if code != 202 {
		t.Fatalf("post: %d %v", code, body)
	}
	second := body["id"].(string)
	waitStatus(t, c.url, second, "held")
	if st, b := api(t, nil, "POST", c.url+"/api/moderation/authors/name:ivan/erase", testAdminToken, `{"reason":"request"}`); st != 202 {
		t.Fatalf("erase: %d %v", st, b)
	}
	if st, b := api(t, nil, "POST", c.url+"/api/moderation/comments/"+second+"/decision", testAdminToken, `{"action":"approve"}`); st != 200 {
		t.Fatalf("approve: %d %v", st, b)
	}
	waitStatus(t, c.url, second, "approved")
	code, body = postWithEmail(t, c.url, held, "Zoe", "A reply to Ivan.", "zoe@example.com", second, "en")
	if code != 202 {
		t.Fatalf("post: %d %v", code, body)
	}
	// Zoe's reply waits for a moderator (pre-moderated); approve it.
	zoe := body["id"].(string)
	waitStatus(t, c.url, zoe, "held")
	if st, b := api(t, nil, "POST", c.url+"/api/moderation/comments/"+zoe+"/decision", testAdminToken, `{"action":"approve"}`); st != 200 {
		t.Fatalf("approve: %d %v", st, b)
	}
	// The next mail is Zoe's verification, sent for her submission (before
	// the approval): wait for one more event after it, a new reader's.
	z := wait(5)
	if z.To[0] != "zoe@example.com" {
		t.Fatalf("mail 5 went to %v: an erased author was written to?", z.To)
	}
	waitStatus(t, c.url, zoe, "approved")
	code, _ = postWithEmail(t, c.url, article, "Yan", "Last.", "yan@example.com", "", "en")
	if code != 202 {
		t.Fatalf("post: %d", code)
	}
	if y := wait(6); y.To[0] != "yan@example.com" {
		t.Fatalf("mail 6 went to %v: an erased author was written to?", y.To)
	}
	if n := len(mails.Messages()); n != 6 {
		t.Fatalf("%d mails, want 6", n)
	}
	for _, secret := range []string{password, "anna@example.com", "ivan@example.com"} {
		if strings.Contains(c.logs.String(), secret) {
			t.Errorf("the logs hold %q", secret)
		}
	}
}

func TestNotificationFlags(t *testing.T) {
	env := map[string]string{"COMMENTD_SMTP_PASSWORD": "from-env"}
	getenv := func(k string) string { return env[k] }
	ok := []string{"--smtp-addr", "smtp.example.com:587", "--smtp-user", "u", "--smtp-from", "Comments <c@example.com>", "--public-url", "https://comments.example.com"}
	cfg, err := parseConfig(ok, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.notifications() || cfg.SMTP.Password != "from-env" || cfg.SMTP.TLS != "starttls" {
		t.Fatalf("config %+v", cfg.SMTP)
	}
	if cfg, err := parseConfig(nil, getenv, io.Discard); err == nil && cfg.notifications() {
		t.Fatal("notifications on without --smtp-addr")
	}
	for _, bad := range [][]string{
		{"--smtp-addr", "smtp.example.com:587", "--smtp-from", "c@example.com"},                                                           // no --public-url
		{"--smtp-addr", "smtp.example.com:587", "--public-url", "https://comments.example.com"},                                           // no --smtp-from
		{"--smtp-addr", "smtp.example.com:25", "--smtp-tls", "none", "--smtp-from", "c@example.com", "--public-url", "https://x.example"}, // plain text off this machine
		{"--smtp-addr", "smtp.example.com:587", "--smtp-tls", "ssl", "--smtp-from", "c@example.com", "--public-url", "https://x.example"},
		{"--smtp-addr", "smtp.example.com", "--smtp-from", "c@example.com", "--public-url", "https://x.example"},
		{"--smtp-addr", "smtp.example.com:587", "--smtp-from", "not an address", "--public-url", "https://x.example"},
		{"--smtp-addr", "smtp.example.com:587", "--smtp-from", "c@example.com", "--public-url", "comments.example.com"},
		{"--smtp-from", "c@example.com"}, // a sender for no server
	} {
		if _, err := parseConfig(bad, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// Without --smtp-addr no form offers the field, and an address sent
// anyway is refused, not dropped: the reader must not wait for a mail.
func TestNotificationsOff(t *testing.T) {
	c := start(t, t.TempDir())
	if _, page := getPage(t, c.url+"/articles/a1"); strings.Contains(page, `name="email"`) {
		t.Fatal("an e-mail field with notifications off")
	}
	code, body := postWithEmail(t, c.url, "a1", "Anna", "Hello", "anna@example.com", "", "en")
	if e, _ := body["error"].(map[string]any); code != 400 || e["code"] != "notifications_off" || e["field"] != "email" {
		t.Fatalf("an address with notifications off: %d %v", code, body)
	}
	if code, _ := getPage(t, c.url+"/notify/verify?t=x"); code != 404 {
		t.Fatalf("/notify/verify with notifications off: %d", code)
	}
}
