package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The benchmarks measure the product next to a reference measured in the
// same run (a bare net/http handler), as BENCHMARKS.md reports them: on a
// shared 2-core machine only such ratios mean something.
//
//	go test -run '^$' -bench . -benchtime 20000x ./cmd/commentd/

const clients = 64

// benchClient keeps a connection per concurrent client.
var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients}}

// benchApp runs a whole commentd (embedded NATS, worker, projector, HTTP)
// on a free port with the rate limits off.
func benchApp(b *testing.B, setup func(*app)) string {
	b.Helper()
	cfg, err := parseConfig([]string{"--http-addr", "127.0.0.1:0", "--data-dir", b.TempDir(), "--rate-limit-per-ip", "0", "--rate-limit-per-author", "0"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	if setup != nil {
		setup(a)
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
		if err != nil {
			b.Error(err)
			return
		}
		a.serve(ctx, ln, pw)
		pw.Close()
	}()
	url := readURLB(b, pr)
	go io.Copy(io.Discard, pr)
	b.Cleanup(func() {
		cancel()
		<-done
		a.close()
	})
	for {
		resp, err := benchClient.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readURLB(b *testing.B, r io.Reader) string {
	buf := make([]byte, 256)
	var line []byte
	for !bytes.Contains(line, []byte("\n")) {
		n, err := r.Read(buf)
		if err != nil {
			b.Fatal(err)
		}
		line = append(line, buf[:n]...)
	}
	m := servingLine.FindSubmatch(line)
	if m == nil {
		b.Fatalf("no URL in %q", line)
	}
	return string(m[1])
}

// load sends b.N requests from 64 concurrent clients and reports
// requests/s and latency percentiles.
func load(b *testing.B, do func(i int) error) {
	b.Helper()
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	began := time.Now()
	for c := range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > b.N {
					return
				}
				t := time.Now()
				if err := do(i); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}

func drain(resp *http.Response, want int) error {
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("status %d, want %d", resp.StatusCode, want)
	}
	return nil
}

// BenchmarkBareHandler is the reference for POST: net/http answering 1 KB.
func BenchmarkBareHandler(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1024)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write(body)
	}))
	defer srv.Close()
	payload := `{"author":"Anna","text":"A typical comment of a sentence or two, about the talks in Berlin."}`
	load(b, func(int) error {
		resp, err := benchClient.Post(srv.URL+"/", "application/json", strings.NewReader(payload))
		if err != nil {
			return err
		}
		return drain(resp, 200)
	})
}

// BenchmarkPostComment: POST a comment -> 202 after the JetStream ack, with
// the worker and the projector running as in production.
func BenchmarkPostComment(b *testing.B) {
	url := benchApp(b, nil)
	load(b, func(i int) error {
		payload := fmt.Sprintf(`{"author":"Reader %d","text":"A typical comment of a sentence or two, about the talks in Berlin (%d)."}`, i, i)
		resp, err := benchClient.Post(url+"/api/articles/bench/comments", "application/json", strings.NewReader(payload))
		if err != nil {
			return err
		}
		return drain(resp, 202)
	})
}

// approvedArticle posts n clean comments and waits until all are approved.
func approvedArticle(b *testing.B, url string, n int) {
	b.Helper()
	for i := range n {
		payload := fmt.Sprintf(`{"author":"Reader %d","text":"A typical comment of a sentence or two, about the talks in Berlin (%d)."}`, i, i)
		resp, err := benchClient.Post(url+"/api/articles/bench/comments", "application/json", strings.NewReader(payload))
		if err != nil {
			b.Fatal(err)
		}
		if err := drain(resp, 202); err != nil {
			b.Fatal(err)
		}
	}
	for {
		resp, err := benchClient.Get(url + "/api/articles/bench/comments?limit=1")
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(body, fmt.Appendf(nil, `"total":%d`, n)) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkGetComments: GET 100 approved comments of an article.
func BenchmarkGetComments(b *testing.B) {
	url := benchApp(b, nil)
	approvedArticle(b, url, 100)
	load(b, func(int) error {
		resp, err := benchClient.Get(url + "/api/articles/bench/comments?limit=100")
		if err != nil {
			return err
		}
		return drain(resp, 200)
	})
}

// BenchmarkBareGet is the reference for GET: net/http returning the same
// bytes as BenchmarkGetComments.
func BenchmarkBareGet(b *testing.B) {
	url := benchApp(b, nil)
	approvedArticle(b, url, 100)
	resp, err := benchClient.Get(url + "/api/articles/bench/comments?limit=100")
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(body)
	}))
	defer srv.Close()
	b.ReportMetric(float64(len(body)), "body-bytes")
	load(b, func(int) error {
		resp, err := benchClient.Get(srv.URL + "/")
		if err != nil {
			return err
		}
		return drain(resp, 200)
	})
}

// BenchmarkSubmitToVisible posts comments at a steady 1,000 a second and
// measures, for each, the time from sending the POST until a reader
// following the article's live stream is sent it: the rules approved it,
// the projector wrote it to the approved view, and the api's watcher of
// that view delivered it.
func BenchmarkSubmitToVisible(b *testing.B) {
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var visible []time.Duration
	seen := make(chan struct{}, b.N)
	url := benchApp(b, nil)
	stream, err := benchClient.Get(url + "/api/articles/bench/events")
	if err != nil || stream.StatusCode != 200 {
		b.Fatalf("live stream: %v %v", err, stream)
	}
	defer stream.Body.Close()
	lines := bufio.NewScanner(stream.Body)
	lines.Buffer(nil, 1<<20)
	if !lines.Scan() { // ": connected"
		b.Fatal("live stream ended")
	}
	go func() {
		for lines.Scan() {
			data, ok := strings.CutPrefix(lines.Text(), "data: ")
			if !ok {
				continue
			}
			var c struct{ Text string }
			if json.Unmarshal([]byte(data), &c) != nil || c.Text == "" {
				continue
			}
			now := time.Now()
			mu.Lock()
			if t, ok := sent[c.Text]; ok {
				visible = append(visible, now.Sub(t))
				delete(sent, c.Text)
				seen <- struct{}{}
			}
			mu.Unlock()
		}
	}()
	const rate = 1000
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	var wg sync.WaitGroup
	b.ResetTimer()
	for i := range b.N {
		<-tick.C
		text := fmt.Sprintf("A typical comment about the talks in Berlin, number %d.", i)
		wg.Go(func() {
			mu.Lock()
			sent[text] = time.Now()
			mu.Unlock()
			resp, err := benchClient.Post(url+"/api/articles/bench/comments", "application/json",
				strings.NewReader(fmt.Sprintf(`{"author":"Reader %d","text":%q}`, i, text)))
			if err != nil {
				b.Error(err)
				return
			}
			if err := drain(resp, 202); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	for range b.N {
		select {
		case <-seen:
		case <-time.After(30 * time.Second):
			b.Fatal("comments did not become visible")
		}
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(visible)
	b.ReportMetric(float64(visible[len(visible)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(visible[len(visible)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(visible[len(visible)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkGetCommentStatus: GET /api/comments/{id} of a known (approved)
// comment and of an unknown id, the second being what anyone can send
// without limit.
func BenchmarkGetCommentStatus(b *testing.B) {
	url := benchApp(b, nil)
	approvedArticle(b, url, 1)
	resp, err := benchClient.Get(url + "/api/articles/bench/comments?limit=1")
	if err != nil {
		b.Fatal(err)
	}
	var page struct{ Comments []struct{ ID string } }
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || len(page.Comments) != 1 {
		b.Fatalf("first page: %v %+v", err, page)
	}
	resp.Body.Close()
	ids := []string{page.Comments[0].ID}
	for _, tc := range []struct {
		name string
		id   func() string
		want int
	}{
		{"known", func() string { return ids[0] }, 200},
		{"unknown", uuid.NewString, 404},
	} {
		b.Run(tc.name, func(b *testing.B) {
			load(b, func(int) error {
				resp, err := benchClient.Get(url + "/api/comments/" + tc.id())
				if err != nil {
					return err
				}
				return drain(resp, tc.want)
			})
		})
	}
}
