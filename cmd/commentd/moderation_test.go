package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/newsroom/commentd/internal/poll"
)

const testAdminToken = "5f0e8c2b9a7d4e61c3b8f1a2d9e7c4b60a3f5d8e2c1b7a94f6e3d2c8b1a5f7e9" // openssl rand -hex 32

// api calls commentd's JSON API with a bearer token (none when empty)
// through client (the default client when nil).
func api(t *testing.T, client *http.Client, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// readerAt is a client whose connections come from another loopback
// address, so the server sees another reader.
func readerAt(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

func waitStatus(t *testing.T, url, id, want string) {
	t.Helper()
	poll.True(t, 30*time.Second, id+" "+want, func() bool { return status(url, id) == want })
}

// Reports from readers hold a comment, a moderator puts it back, a ban
// rejects what the author has waiting and the rules reject what comes
// next: the whole pipeline, through run().
func TestReportsAndBansThroughThePipeline(t *testing.T) {
	c := start(t, t.TempDir(), "--admin-token", testAdminToken, "--reports-to-hold", "2")
	const article = "pipeline"

	_, id, err := postComment(c.url, article, "Anna", "A perfectly fine remark.")
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c.url, id, "approved")

	// Two readers at other addresses report it (one of them twice, which
	// is stored once): it is held by reports@2.
	for i, ip := range []string{"127.0.0.2", "127.0.0.2", "127.0.0.3"} {
		if st, body := api(t, readerAt(ip), "POST", c.url+"/api/comments/"+id+"/reports", "", `{"reason":"abusive"}`); st != 202 {
			t.Fatalf("report %d: %d %v", i, st, body)
		}
	}
	waitStatus(t, c.url, id, "held")
	if l := list(t, c.url, article); l.Total != 0 {
		t.Fatalf("a held comment is listed: %+v", l)
	}
	// The queues are a view of their own: a moment behind the status.
	var st int
	var body map[string]any
	poll.True(t, 10*time.Second, "held in the queue", func() bool {
		st, body = api(t, nil, "GET", c.url+"/api/moderation/queue?queue=held&article="+article, testAdminToken, "")
		return st == 200 && len(body["items"].([]any)) == 1
	})
	item := body["items"].([]any)[0].(map[string]any)
	if item["decided_by"] != "reports@2" || item["reports"].(map[string]any)["open"].(float64) != 2 {
		t.Fatalf("item: %v", item)
	}
	// A moderator approves it with the seq they saw; it is visible again.
	st, body = api(t, nil, "POST", c.url+"/api/moderation/comments/"+id+"/decision", testAdminToken,
		fmt.Sprintf(`{"action":"approve","expected_seq":%v}`, item["seq"]))
	if st != 200 {
		t.Fatalf("approve: %d %v", st, body)
	}
	poll.True(t, 30*time.Second, "visible again", func() bool { return list(t, c.url, article).Total == 1 })

	// Bans: a spammer's held comment is rejected with the ban; the next
	// one is rejected by the rules at once.
	_, spam, _ := postComment(c.url, article, "Spammer", "Cheap watches at https://spam.example/")
	waitStatus(t, c.url, spam, "held")
	st, body = api(t, nil, "POST", c.url+"/api/moderation/authors/name:spammer/ban", testAdminToken, `{"reason":"spam","message":"No advertising.","reject_pending":true}`)
	if st != 200 || len(body["rejected"].([]any)) != 1 {
		t.Fatalf("ban: %d %v", st, body)
	}
	waitStatus(t, c.url, spam, "rejected")
	st, body = api(t, nil, "GET", c.url+"/api/comments/"+spam, "", "")
	if body["message"] != "No advertising." || body["reason"] != "spam" {
		t.Fatalf("the author sees %d %v", st, body)
	}
	poll.True(t, 30*time.Second, "the ban in the views", func() bool {
		_, body := api(t, nil, "GET", c.url+"/api/moderation/authors/name:spammer", testAdminToken, "")
		stats, _ := body["stats"].(map[string]any)
		return stats["banned"] == true
	})
	_, next, _ := postComment(c.url, article, "Spammer", "A harmless sentence now.")
	waitStatus(t, c.url, next, "rejected")

	// The history of the first comment tells the whole story.
	st, body = api(t, nil, "GET", c.url+"/api/moderation/comments/"+id+"/history", testAdminToken, "")
	if st != 200 {
		t.Fatalf("history: %d", st)
	}
	var story []string
	for _, e := range body["events"].([]any) {
		m := e.(map[string]any)
		story = append(story, fmt.Sprintf("%s by %s", m["type"], m["actor"]))
	}
	want := []string{"CommentSubmitted by reader", "CommentApproved by rules@", "CommentReported by reader",
		"CommentReported by reader", "CommentHeld by reports@2", "CommentApproved by moderator:admin-token"}
	if len(story) != len(want) {
		t.Fatalf("history:\n%s", strings.Join(story, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(story[i], want[i]) {
			t.Errorf("event %d: %s, want %s…", i, story[i], want[i])
		}
	}
}

// The admin token bootstraps accounts, and a moderator's account and
// session survive a restart (they live in a bucket, not in memory).
func TestAccountsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	c := start(t, dir, "--admin-token", testAdminToken)
	if st, body := api(t, nil, "POST", c.url+"/api/moderation/accounts", testAdminToken, `{"name":"mia","password":"mia's password"}`); st != 201 {
		t.Fatalf("add: %d %v", st, body)
	}
	st, body := api(t, nil, "POST", c.url+"/api/moderation/login", "", `{"name":"mia","password":"mia's password"}`)
	if st != 200 {
		t.Fatalf("login: %d %v", st, body)
	}
	c.stop()

	c = start(t, dir) // no admin token now
	if st, _ := api(t, nil, "GET", c.url+"/api/moderation/accounts", testAdminToken, ""); st != 401 {
		t.Fatalf("the admin token without --admin-token: %d", st)
	}
	if st, _ := api(t, nil, "POST", c.url+"/api/moderation/login", "", `{"name":"mia","password":"mia's password"}`); st != 200 {
		t.Fatalf("login after restart: %d", st)
	}
}
