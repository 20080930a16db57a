package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/web"
)

// Names that look the same are one author: one limit, one ban, one name
// shown. Before, "An\u200bna" and "\u202eannA" were authors of their own.
func TestLookalikeNamesAreOneAuthor(t *testing.T) {
	f := newFixture(t, web.Config{RateLimitPerAuthor: 2})
	const a = "lookalike"
	post := func(author string) (*http.Response, map[string]any) {
		b, _ := json.Marshal(map[string]string{"author": author, "text": "x"})
		return f.post("/api/articles/"+a+"/comments", "application/json", string(b), nil)
	}
	var ids []string
	for _, name := range []string{"Anna", "An\u200bna"} {
		resp, body := post(name)
		if resp.StatusCode != 202 {
			t.Fatalf("%q: %d %v", name, resp.StatusCode, body)
		}
		ids = append(ids, body["id"].(string))
	}
	for _, name := range []string{"\u2067Anna\u2069", "Ａｎｎａ", "An\u00adna\u200d"} {
		if resp, _ := post(name); resp.StatusCode != 429 {
			t.Errorf("%q past the author's limit: %d", name, resp.StatusCode)
		}
	}
	for _, id := range ids {
		hist, err := f.log.History(context.Background(), a, id)
		if err != nil {
			t.Fatal(err)
		}
		var sub events.Submitted
		if err := hist[0].Payload(&sub); err != nil {
			t.Fatal(err)
		}
		if sub.Author != "Anna" || sub.AuthorID != "name:anna" {
			t.Errorf("kept as %q %q, want \"Anna\" \"name:anna\"", sub.Author, sub.AuthorID)
		}
	}
	resp, body := post("\u200b\u202e\u3164")
	if code, field := errorOf(body); resp.StatusCode != 400 || code != "missing_field" || field != "author" {
		t.Errorf("a name of invisible characters: %d %v", resp.StatusCode, body)
	}
}

func TestBanCoversEverySpellingOfAName(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	f.held("a1", "Spammy", "buy buy")
	st, body := f.call("POST", "/api/moderation/authors/"+url.PathEscape("name:Spam\u200bmy")+"/ban", `{"reason":"spam"}`, bearer(f.modTok))
	if st != 200 || body["author_id"] != "name:spammy" {
		t.Fatalf("ban by a lookalike spelling: %d %v", st, body)
	}
	f.caughtUp()
	if !f.views.Author(events.AnonymousAuthorID("ＳＰＡＭＭＹ")).Banned {
		t.Error("the ban does not cover a full-width spelling")
	}
}

// A signed-in reader is marked in JSON, on the page and in live updates;
// an anonymous reader under the same name is not.
func TestSignedInReadersAreMarked(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	f := newFixture(t, web.Config{SSOSecret: secret})
	const a = "marked"
	tok := web.SignSSO(web.SSOClaims{Subject: "u-7", Name: "Anna", Expires: time.Now().Add(time.Hour).Unix()}, secret)
	real := f.comment(a, "", "signed in", "", map[string]string{"Authorization": "Bearer " + tok})
	fake := f.comment(a, "Anna", "anonymous", "", nil)
	f.approve(a, real, fake)

	resp, err := http.Get(f.srv.URL + "/api/articles/" + a + "/comments")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Comments []struct {
			ID       string `json:"id"`
			Author   string `json:"author"`
			SignedIn bool   `json:"signed_in"`
		} `json:"comments"`
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || len(list.Comments) != 2 {
		t.Fatalf("list: %v %+v", err, list)
	}
	for _, c := range list.Comments {
		if c.Author != "Anna" || c.SignedIn != (c.ID == real) {
			t.Errorf("%s: author %q signed_in %v", c.ID, c.Author, c.SignedIn)
		}
	}

	page := f.getPage("/articles/" + a)
	realAt, fakeAt := strings.Index(page, `id="c-`+real+`"`), strings.Index(page, `id="c-`+fake+`"`)
	if realAt < 0 || fakeAt < 0 {
		t.Fatal("the page lacks a comment")
	}
	if n := strings.Count(page, `class="signed-in"`); n != 1 || !strings.Contains(page[realAt:fakeAt], `class="signed-in"`) {
		t.Errorf("the page marks %d comments, want the signed-in one", n)
	}

	js, err := http.Get(f.srv.URL + "/embed.js")
	if err != nil {
		t.Fatal(err)
	}
	src, _ := io.ReadAll(js.Body)
	js.Body.Close()
	if !strings.Contains(string(src), "c.signed_in") {
		t.Error("the widget does not show signed_in")
	}
}

func TestSSOClaimsBounded(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Now()
	hour := now.Add(time.Hour).Unix()
	for name, tc := range map[string]struct {
		c  web.SSOClaims
		ok bool
	}{
		"an hour":               {web.SSOClaims{Subject: "u", Name: "A", Expires: hour}, true},
		"a day":                 {web.SSOClaims{Subject: "u", Name: "A", Expires: now.Add(web.MaxSSOLifetime).Unix()}, true},
		"a year":                {web.SSOClaims{Subject: "u", Name: "A", Expires: now.Add(365 * 24 * time.Hour).Unix()}, false}, // was accepted
		"issued two days ahead": {web.SSOClaims{Subject: "u", Name: "A", Expires: hour, Issued: now.Add(-47 * time.Hour).Unix()}, false},
		"nbf two days ahead":    {web.SSOClaims{Subject: "u", Name: "A", Expires: hour, NotBef: now.Add(-47 * time.Hour).Unix()}, false},
		"control in sub":        {web.SSOClaims{Subject: "u\n1", Name: "A", Expires: hour}, false},
		"escape in sub":         {web.SSOClaims{Subject: "u\x1b[31m", Name: "A", Expires: hour}, false},
		"bidi in sub":           {web.SSOClaims{Subject: "u\u202e1", Name: "A", Expires: hour}, false},
		"control in name":       {web.SSOClaims{Subject: "u", Name: "A\x07", Expires: hour}, false},
		"invisible name":        {web.SSOClaims{Subject: "u", Name: "\u200b\u2066", Expires: hour}, false},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := web.VerifySSO(web.SignSSO(tc.c, secret), secret, now)
			if (err == nil) != tc.ok {
				t.Errorf("VerifySSO: %v, want ok=%v", err, tc.ok)
			}
		})
	}
	c, err := web.VerifySSO(web.SignSSO(web.SSOClaims{Subject: "u", Name: "\u202eAnna\u200b", Expires: hour}, secret), secret, now)
	if err != nil || c.Name != "Anna" {
		t.Errorf("a bidi-wrapped name: %q %v, want \"Anna\"", c.Name, err)
	}
}
