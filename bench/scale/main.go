// Command scale measures a running commentd from outside for the scale
// figures in BENCHMARKS.md (bench/scale.sh runs it): GET latency of a URL,
// POST → 202 throughput, submission → visible latency through an api's
// live updates, and the time an api takes to answer /readyz.
//
//	scale get -c 16 -n 5000 URL          requests/s, p50, p99
//	scale post -c 32 -n 20000 BASE       POST → 202 to BASE/api/articles/bench-post/comments
//	scale visible -rate 500 -n 5000 BASE POST at a steady rate, time until the api's
//	                                     live stream shows each comment approved
//	scale cursor -page K BASE ARTICLE    the URL of page K (50 a page) of an article
//	scale ready -since UNIXNANO URL      wait for 200, print the seconds since UNIXNANO
//	scale settled -since UNIXNANO URL…   wait until the metrics at each URL show nothing
//	                                     undecided and nothing unprojected, print the seconds
package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var client = &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: scale get|post|visible|cursor|ready|settled [flags] ARGS")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	c := fs.Int("c", 16, "concurrent clients")
	n := fs.Int("n", 5000, "requests")
	rate := fs.Int("rate", 500, "comments a second (visible)")
	page := fs.Int("page", 100, "page number, from 1 (cursor)")
	since := fs.Int64("since", 0, "start time, Unix nanoseconds (ready)")
	status := fs.Int("status", 0, "the status every answer must have (default: 200 for get, 202 for post)")
	fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "get":
		err = get(fs.Arg(0), *c, *n, cmp.Or(*status, 200))
	case "post":
		err = post(fs.Arg(0), *c, *n, cmp.Or(*status, 202))
	case "visible":
		err = visible(fs.Arg(0), *rate, *n)
	case "cursor":
		err = cursor(fs.Arg(0), fs.Arg(1), *page)
	case "ready":
		err = ready(fs.Arg(0), time.Unix(0, *since))
	case "settled":
		err = settled(fs.Args(), time.Unix(0, *since))
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// run sends n requests from c clients and prints requests/s, p50, p99 of
// those that succeeded, and how many failed (with the first reason).
func run(c, n int, do func(i int) error) error {
	var next atomic.Int64
	lat := make([][]time.Duration, c)
	var failed atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	began := time.Now()
	for k := range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				t := time.Now()
				if err := do(i); err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				lat[k] = append(lat[k], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return fmt.Errorf("every request failed: %v", first.Load())
	}
	report(float64(len(all))/elapsed.Seconds(), all, int(failed.Load()), first.Load())
	return nil
}

func report(perSecond float64, all []time.Duration, failed int, why any) {
	slices.Sort(all)
	fmt.Printf("%.0f/s p50 %s p99 %s max %s (%d)", perSecond, ms(pct(all, 50)), ms(pct(all, 99)), ms(all[len(all)-1]), len(all))
	if failed > 0 {
		fmt.Printf(", %d failed (%v)", failed, why)
	}
	fmt.Println()
}

func pct(all []time.Duration, p int) time.Duration { return all[(len(all)-1)*p/100] }

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
}

func drain(resp *http.Response, want int) error {
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s: status %d, want %d", resp.Request.URL, resp.StatusCode, want)
	}
	return nil
}

func get(u string, c, n, status int) error {
	return run(c, n, func(int) error {
		resp, err := client.Get(u)
		if err != nil {
			return err
		}
		return drain(resp, status)
	})
}

func comment(i int) string {
	// One author a comment: the flood rules hold an author's tenth
	// comment in ten minutes.
	return fmt.Sprintf(`{"author":"Bench %d","text":"A typical comment of a sentence or two, about the talks in Berlin and what they mean for the budget (%d)."}`, i, i)
}

// post sends n comments from c clients, each answered with status.
func post(base string, c, n, status int) error {
	return run(c, n, func(i int) error {
		resp, err := client.Post(base+"/api/articles/bench-post/comments", "application/json", strings.NewReader(comment(i)))
		if err != nil {
			return err
		}
		return drain(resp, status)
	})
}

// visible posts n comments at rate a second to a fresh article and reads
// the api's live stream of it: the time from sending each POST to the
// stream's "comment" event with its id is what a reader waits.
func visible(base string, rate, n int) error {
	article := fmt.Sprintf("bench-visible-%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n/rate+60)*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/articles/"+article+"/events", nil)
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("live stream: status %d", resp.StatusCode)
	}
	var mu sync.Mutex
	sent := map[string]time.Time{}
	seen := map[string]time.Time{}
	early := map[string]time.Time{} // seen before the 202 named the id
	done := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "comment":
				var c struct{ ID string }
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &c) == nil {
					now := time.Now()
					mu.Lock()
					if _, ok := sent[c.ID]; ok {
						seen[c.ID] = now
					} else {
						early[c.ID] = now
					}
					k := len(seen) + len(early)
					mu.Unlock()
					if k == n {
						done <- nil
						return
					}
				}
			}
		}
		done <- fmt.Errorf("live stream ended: %v", sc.Err())
	}()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	var wg sync.WaitGroup
	var failed atomic.Int64
	var why atomic.Value
	for i := range n {
		<-tick.C
		wg.Go(func() {
			t := time.Now()
			r, err := client.Post(base+"/api/articles/"+article+"/comments", "application/json", strings.NewReader(comment(i)))
			if err != nil {
				failed.Add(1)
				why.CompareAndSwap(nil, err.Error())
				return
			}
			var a struct{ ID string }
			json.NewDecoder(r.Body).Decode(&a)
			r.Body.Close()
			if r.StatusCode != 202 {
				failed.Add(1)
				why.CompareAndSwap(nil, fmt.Sprintf("POST: status %d", r.StatusCode))
				return
			}
			mu.Lock()
			sent[a.ID] = t
			if at, ok := early[a.ID]; ok {
				delete(early, a.ID)
				seen[a.ID] = at
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	want := n - int(failed.Load())
	select {
	case err := <-done:
		if err != nil {
			return err
		}
	case <-time.After(10 * time.Second):
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < want {
		fmt.Printf("(only %d of %d accepted visible 10 s after the last POST) ", len(seen), want)
	}
	if len(seen) == 0 {
		return nil
	}
	var all []time.Duration
	for id, at := range seen {
		all = append(all, at.Sub(sent[id]))
	}
	report(float64(rate), all, int(failed.Load()), why.Load())
	return nil
}

// cursor prints the URL of the article's page (or of its last page when
// it has fewer) and that page's number.
func cursor(base, article string, page int) error {
	c, n := "", 1
	for ; n < page; n++ {
		resp, err := client.Get(base + "/api/articles/" + article + "/comments?limit=50&cursor=" + url.QueryEscape(c))
		if err != nil {
			return err
		}
		var p struct {
			NextCursor string `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if p.NextCursor == "" {
			break
		}
		c = p.NextCursor
	}
	fmt.Println(base+"/api/articles/"+article+"/comments?limit=50&cursor="+url.QueryEscape(c), n)
	return nil
}

func ready(u string, since time.Time) error {
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := client.Get(u)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				fmt.Printf("%.2f\n", time.Since(since).Seconds())
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready in 10 minutes", u)
}

// backlog are the gauges that say work is waiting: submissions the rules
// have not decided (the api's queues view) and events the projector has
// not applied.
var backlog = []string{"comments_oldest_undecided_seconds", "comments_projection_lag_events"}

// settled waits until every backlog gauge the URLs expose is 0: a burst of
// writes is decided and in the views, so what is measured next does not
// queue behind it.
func settled(urls []string, since time.Time) error {
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		waiting, found := false, map[string]bool{}
		for _, u := range urls {
			resp, err := client.Get(u)
			if err != nil {
				return err
			}
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				name, value, ok := strings.Cut(sc.Text(), " ")
				if !ok || !slices.Contains(backlog, name) {
					continue
				}
				found[name] = true
				if v, err := strconv.ParseFloat(value, 64); err != nil || v != 0 {
					waiting = true
				}
			}
			resp.Body.Close()
		}
		if len(found) < len(backlog) {
			return fmt.Errorf("%v: want the gauges %v", urls, backlog)
		}
		if !waiting {
			fmt.Printf("%.2f\n", time.Since(since).Seconds())
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%v: still busy after 10 minutes", urls)
}
