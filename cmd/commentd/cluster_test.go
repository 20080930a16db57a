package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natsperm"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
)

// TestClusterSurvivesLosingTheStreamLeader is docker-compose.yml in one
// test: three JetStream servers, the COMMENTS stream on all three, two api
// processes, a worker and a projector, each with its own connection. Readers
// post comments (retrying with their Idempotency-Key, as the HTTP contract
// lets them) while the node that leads the stream is killed and, later,
// restarted. Every comment that got a 202 must reach a final status exactly
// once, and the pipeline must resume without help.
func TestClusterSurvivesLosingTheStreamLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-node cluster with a failover takes ~20s")
	}
	cl := natstest.NewClusterWith(t, 3, natsperm.Identities())
	setupNATS(t, cl.ClientURLs(), cl.Password(natsperm.Operator), "--replicas", "3")
	common := []string{"--nats-url", cl.ClientURLs(), "--replicas", "3", "--rate-limit-per-ip", "0", "--rate-limit-per-author", "0"}
	// Each role signs in as itself, so the pipeline runs on the
	// permissions of internal/natsperm.
	role := func(r string) []string {
		return append([]string{"--roles", r, "--nats-user", r, "--nats-password", cl.Password(r)}, common...)
	}
	apis := []*process{launchCommentd(t, role("api")...), launchCommentd(t, role("api")...)}
	worker := launchCommentd(t, role("worker")...)
	launchCommentd(t, role("projector")...)
	for _, p := range apis {
		p.waitReady(t)
	}
	cl.WaitStreamCurrent(events.StreamName)

	const (
		comments = 240
		clients  = 12
	)
	var (
		accepted  sync.Map // idempotency key -> comment id
		nAccepted atomic.Int64
		retries   atomic.Int64
		killAt    = comments / 3
		restartAt = 2 * comments / 3
		restarted = make(chan struct{})
	)
	loadCtx, cancelLoad := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancelLoad()
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := c; i < comments; i += clients {
				key := fmt.Sprintf("reader-%d", i)
				text := fmt.Sprintf("Comment %d on the cluster story.", i)
				if i%7 == 0 {
					text = "shit take, " + text
				}
				for attempt := 0; ; attempt++ {
					if loadCtx.Err() != nil {
						t.Errorf("comment %d not accepted before the deadline", i)
						return
					}
					id, err := postWithKey(client, apis[(i+attempt)%len(apis)].URL, "cluster", key, text)
					if err == nil {
						accepted.Store(key, id)
						nAccepted.Add(1)
						break
					}
					retries.Add(1)
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}

	// Kill the stream leader a third into the load; restart it at two
	// thirds.
	var leader int
	var killedAt time.Time
	go func() {
		defer close(restarted)
		for nAccepted.Load() < int64(killAt) && loadCtx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		leader = cl.StreamLeader(events.StreamName)
		killedAt = time.Now()
		cl.Stop(leader)
		for nAccepted.Load() < int64(restartAt) && loadCtx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		cl.Restart(leader)
	}()
	wg.Wait()
	<-restarted
	t.Logf("killed stream leader n%d after %d comments; %d accepted in %v since, %d retried requests",
		leader, killAt, nAccepted.Load()-int64(killAt), time.Since(killedAt).Round(time.Millisecond), retries.Load())
	if t.Failed() {
		return
	}

	// Every accepted comment reaches a final status on both api processes.
	ids := map[string]bool{}
	accepted.Range(func(_, v any) bool { ids[v.(string)] = true; return true })
	if len(ids) != comments {
		t.Fatalf("%d distinct comment ids for %d readers' keys", len(ids), comments)
	}
	began := time.Now()
	// On failure, say where the pipeline stood.
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		nc, err := nats.Connect(cl.ClientURLs(), nats.UserInfo(natsperm.Operator, cl.Password(natsperm.Operator)))
		if err != nil {
			return
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := js.Consumer(ctx, events.StreamName, "moderation"); err == nil {
			ci, _ := c.Info(ctx)
			t.Logf("moderation consumer: pending %d ack pending %d redelivered %d waiting %d leader %v delivered %+v ackfloor %+v", ci.NumPending, ci.NumAckPending, ci.NumRedelivered, ci.NumWaiting, ci.Cluster, ci.Delivered, ci.AckFloor)
		}
		if st, err := js.Stream(ctx, events.StreamName); err == nil {
			si, _ := st.Info(ctx)
			t.Logf("stream: %+v %+v", si.State.LastSeq, si.Cluster)
		}
		for _, p := range apis {
			fams := scrape(t, p.URL)
			lag, _ := value(fams, "comments_projection_lag_events")
			held, _ := value(fams, "comments_queue_depth", "queue", "held")
			t.Logf("%s lag %v held %v", p.URL, lag, held)
		}
		t.Logf("worker logs:\n%s", worker.logs)
	})
	for _, p := range apis {
		poll.Until(t, 30*time.Second, func() error {
			for id := range ids {
				st, err := commentStatus(p.URL, id)
				if err != nil {
					return err
				}
				if st == "pending" || st == "" {
					return fmt.Errorf("%s: comment %s is %q", p.URL, id, st)
				}
			}
			return nil
		})
	}
	t.Logf("all %d comments final %v after the load; worker retried %d decisions, %d of them refused by a new stream leader",
		comments, time.Since(began).Round(time.Millisecond),
		strings.Count(worker.logs.String(), "will retry"), strings.Count(worker.logs.String(), "conflict without a newer event"))

	// Exactly once, read from the log itself: one submission and one
	// decision per comment, no comment the readers did not post.
	cl.WaitStreamCurrent(events.StreamName)
	nc, err := nats.Connect(cl.ClientURLs(), nats.UserInfo(natsperm.Operator, cl.Password(natsperm.Operator)))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log, err := events.Open(ctx, js, events.Config{Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	submitted, decided := map[string]int{}, map[string]int{}
	if err := log.Replay(ctx, 1, nil, func(e events.Envelope) error {
		switch {
		case e.Type == events.CommentSubmitted:
			submitted[e.Comment]++
		case e.Type.IsDecision():
			decided[e.Comment]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for id := range ids {
		if submitted[id] != 1 || decided[id] != 1 {
			t.Errorf("comment %s: %d submissions, %d decisions in the log; want 1 and 1", id, submitted[id], decided[id])
		}
	}
	for id := range submitted {
		if !ids[id] {
			t.Errorf("comment %s in the log was never acknowledged to a reader", id)
		}
	}

	// The pipeline resumed: a comment posted now is decided, and the
	// restarted node is a current replica again.
	id, err := postWithKey(client, apis[0].URL, "cluster", "after-the-storm", "All good again.")
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, func() error {
		// Any final status: the flood rules may hold a reader's 241st comment.
		if st, err := commentStatus(apis[1].URL, id); err != nil || st == "pending" || st == "" {
			return fmt.Errorf("comment after recovery: %q %v", st, err)
		}
		return nil
	})
	cl.WaitStreamCurrent(events.StreamName)
}

// postWithKey posts one comment and returns its id, or an error for any
// answer but 202.
func postWithKey(client *http.Client, base, article, key, text string) (string, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/api/articles/"+article+"/comments",
		strings.NewReader(fmt.Sprintf(`{"author":"Reader","text":%q}`, text)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("POST: %s", resp.Status)
	}
	var out struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.ID == "" {
		return "", fmt.Errorf("POST: 202 without id: %v", err)
	}
	return out.ID, nil
}
