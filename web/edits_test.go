package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/web"
)

// postWithToken posts a comment and returns its id and edit token.
func (f *fixture) postWithToken(article, author, text string, header map[string]string) (id, token string) {
	f.t.Helper()
	body, _ := json.Marshal(map[string]string{"author": author, "text": text})
	resp, out := f.post("/api/articles/"+article+"/comments", "application/json", string(body), header)
	if resp.StatusCode != 202 {
		f.t.Fatalf("post %q: %d %v", text, resp.StatusCode, out)
	}
	token, _ = out["edit_token"].(string)
	if token == "" {
		f.t.Fatalf("no edit_token in %v", out)
	}
	return out["id"].(string), token
}

func (f *fixture) edit(id, token, text string, header map[string]string) (int, map[string]any) {
	f.t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text, "edit_token": token})
	resp, out := f.post("/api/comments/"+id+"/edit", "application/json", string(body), header)
	return resp.StatusCode, out
}

// decideEdit appends the rules' decision on the comment's newest edit, as
// the worker would.
func (f *fixture) decideEdit(typ events.Type, article, id string) {
	f.t.Helper()
	ctx := context.Background()
	hist, err := f.log.CommentEvents(ctx, article, id)
	if err != nil {
		f.t.Fatal(err)
	}
	var edit events.Envelope
	for _, e := range hist {
		if e.Type == events.CommentEdited {
			edit = e
		}
	}
	if edit.ID == "" {
		f.t.Fatal("no edit to decide")
	}
	e, _ := events.New(uuid.NewString(), typ, article, id, events.RulesActor("test"), edit.ID, time.Now(),
		events.Decision{Reason: "test", Message: "Edits are checked too.", Edit: edit.ID})
	if _, err := f.log.AppendAfter(ctx, e, hist[len(hist)-1].Seq); err != nil {
		f.t.Fatal(err)
	}
	f.applyAll()
}

func TestEditOwnComment(t *testing.T) {
	f := newFixture(t, web.Config{})
	id, token := f.postWithToken("ed", "Anna", "Teh first version.", nil)
	f.approve("ed", id)

	code, st := f.edit(id, token, "The first version, fixed.", nil)
	edit, _ := st["edit"].(map[string]any)
	if code != 202 || st["status"] != "approved" || edit["status"] != "pending" {
		t.Fatalf("edit: %d %v", code, st)
	}
	f.applyAll()
	// Readers keep the published text while the edit waits.
	if p := f.list("/api/articles/ed/comments"); len(p.Comments) != 1 || p.Comments[0].Text != "Teh first version." {
		t.Fatalf("while the edit waits: %+v", p)
	}
	// The edit is sealed in the log like the submission.
	hist, err := f.log.CommentEvents(context.Background(), "ed", id)
	if err != nil {
		t.Fatal(err)
	}
	last := hist[len(hist)-1]
	raw, err := f.log.Stream().GetMsg(context.Background(), last.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if last.Type != events.CommentEdited || bytes.Contains(raw.Data, []byte("fixed")) {
		t.Fatalf("the edit as stored: %s", raw.Data)
	}
	var p events.Edited
	if err := last.Payload(&p); err != nil || p.Text != "The first version, fixed." {
		t.Fatalf("the edit as read: %+v %v", p, err)
	}
	// The same text again is a retry: nothing new.
	if code, _ := f.edit(id, token, "The first version, fixed.", nil); code != 200 {
		t.Fatalf("the same edit again: %d", code)
	}

	f.decideEdit(events.CommentApproved, "ed", id)
	var shown map[string]any
	_, list := f.get("/api/articles/ed/comments")
	if cs, _ := list["comments"].([]any); len(cs) == 1 {
		shown, _ = cs[0].(map[string]any)
	}
	if shown["text"] != "The first version, fixed." || shown["edited_at"] == nil {
		t.Fatalf("after the edit is approved: %v", list)
	}
	if _, st := f.get("/api/comments/" + id); st["edited_at"] == nil || st["edit"] != nil {
		t.Fatalf("status after the approved edit: %v", st)
	}

	// A second edit the rules reject: the published text stays, and the
	// author is told.
	if code, _ := f.edit(id, token, "Now something worse.", nil); code != 202 {
		t.Fatalf("second edit: %d", code)
	}
	f.applyAll()
	f.decideEdit(events.CommentRejected, "ed", id)
	if p := f.list("/api/articles/ed/comments"); p.Comments[0].Text != "The first version, fixed." {
		t.Fatalf("after a rejected edit: %+v", p)
	}
	_, st = f.get("/api/comments/" + id)
	edit, _ = st["edit"].(map[string]any)
	if st["status"] != "approved" || edit["status"] != "rejected" || edit["message"] != "Edits are checked too." {
		t.Fatalf("status after a rejected edit: %v", st)
	}
}

func TestEditRefusals(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	f := newFixture(t, web.Config{SSOSecret: secret})
	id, token := f.postWithToken("ed", "Anna", "Mine.", nil)
	other, otherToken := f.postWithToken("ed", "Anna", "Also mine.", nil)
	rejected, rejectedToken := f.postWithToken("ed", "Bob", "Rejected.", nil)
	f.applyAll()
	f.decide(events.CommentRejected, "ed", rejected, "moderator:test", "")

	sign := func(sub string) map[string]string {
		tok := web.SignSSO(web.SSOClaims{Subject: sub, Name: "Sam", Expires: time.Now().Add(time.Hour).Unix()}, secret)
		return map[string]string{"Authorization": "Bearer " + tok}
	}
	signed, _ := f.postWithToken("ed", "", "Signed in.", sign("u-1"))
	f.applyAll()

	tests := []struct {
		name, id, token, text string
		header                map[string]string
		status                int
		code                  string
	}{
		{"no token", id, "", "x", nil, 403, "not_your_comment"},
		{"another comment's token", id, otherToken, "x", nil, 403, "not_your_comment"},
		{"a made-up token", id, "00" + token[2:], "x", nil, 403, "not_your_comment"},
		{"the same name is no proof", other, "", "x", nil, 403, "not_your_comment"},
		{"another signed-in reader", signed, "", "x", sign("u-2"), 403, "not_your_comment"},
		{"a bad sign-in token", signed, "", "x", map[string]string{"Authorization": "Bearer nope"}, 401, "invalid_token"},
		{"rejected", rejected, rejectedToken, "x", nil, 409, "not_editable"},
		{"unknown comment", uuid.NewString(), token, "x", nil, 404, "not_found"},
		{"empty text", id, token, "  ", nil, 400, "missing_field"},
		{"too long", id, token, string(bytes.Repeat([]byte("a"), web.MaxTextRunes+1)), nil, 400, "too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := f.edit(tt.id, tt.token, tt.text, tt.header)
			if c, _ := errorOf(out); code != tt.status || c != tt.code {
				t.Fatalf("%d %v, want %d %s", code, out, tt.status, tt.code)
			}
		})
	}
	// The signed-in author needs no edit token.
	if code, out := f.edit(signed, "", "Signed in, edited.", sign("u-1")); code != 202 {
		t.Fatalf("the signed-in author: %d %v", code, out)
	}
	// A pending comment takes the new text at once.
	if code, out := f.edit(id, token, "Mine, edited before review.", nil); code != 202 || out["status"] != "pending" {
		t.Fatalf("pending: %d %v", code, out)
	}

	// Past the window: 410.
	g := newFixture(t, web.Config{EditWindow: time.Millisecond})
	late, lateToken := g.postWithToken("ed", "Anna", "Too late.", nil)
	time.Sleep(5 * time.Millisecond) // the window is a wall-clock rule
	g.applyAll()
	if code, out := g.edit(late, lateToken, "x", nil); code != 410 || errorCode(out) != "edit_window_passed" {
		t.Fatalf("past the window: %d %v", code, out)
	}
}

// A permalink finds its comment on a later page of threads, and the page
// shows links as links and an approved edit as edited.
func TestPermalinkAndLinks(t *testing.T) {
	f := newFixture(t, web.Config{})
	var ids []string
	for i := range 45 {
		ids = append(ids, f.comment("pl", "Anna", "thread "+string(rune('a'+i%26)), "", nil))
	}
	f.applyAll()
	deep := f.comment("pl", "Bob", "see https://example.com/x?a=1&b=2.", ids[44], nil)
	f.applyAll()
	f.approve("pl", append(ids, deep)...)

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(f.srv.URL + "/articles/pl/comments/" + deep)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 302 || !strings.Contains(loc, "cursor=") || !strings.HasSuffix(loc, "#c-"+deep) {
		t.Fatalf("permalink: %d %q", resp.StatusCode, loc)
	}
	page := f.getPage(strings.TrimPrefix(loc[:strings.Index(loc, "#")], f.srv.URL))
	if !strings.Contains(page, `id="c-`+deep+`"`) {
		t.Fatalf("the permalink's page does not hold the comment")
	}
	if !strings.Contains(page, `see <a href="https://example.com/x?a=1&amp;b=2" rel="nofollow ugc noopener" target="_blank">https://example.com/x?a=1&amp;b=2</a>.`) {
		t.Fatalf("no link in the page")
	}
	if !strings.Contains(page, `href="/articles/pl/comments/`+deep+`"`) {
		t.Fatalf("no permalink on the comment")
	}
	// An unknown comment goes to the article.
	resp, err = client.Get(f.srv.URL + "/articles/pl/comments/" + uuid.NewString())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != 302 || loc != "/articles/pl#comments-h" {
		t.Fatalf("unknown: %d %q", resp.StatusCode, loc)
	}
}
