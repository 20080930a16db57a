package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// silentAfter is how long a replica may go unheard before status calls it
// down even though its group has not marked it offline yet (a killed
// server is marked offline only after a while; one shut down cleanly, at
// once).
const silentAfter = 10 * time.Second

// clusterStatus is the NATS servers as their monitoring endpoints
// (/varz, /jsz) tell them: the JetStream meta group, its leader, and how
// the leader sees every other server.
type clusterStatus struct {
	// Name is the cluster's name; empty for a server outside any cluster
	// (the all-in-one's embedded one).
	Name       string `json:"name"`
	MetaLeader string `json:"meta_leader"`
	// Size is the meta group's size as the servers know it.
	Size    int            `json:"size"`
	Servers []serverStatus `json:"servers"`
	// Unreachable are the monitoring endpoints that did not answer.
	Unreachable []endpointError `json:"unreachable,omitempty"`
}

type serverStatus struct {
	Name string `json:"name"`
	// Monitor is the endpoint that answered for it; empty when only the
	// meta leader's view of it is known ("in-process" for a data dir).
	Monitor string `json:"monitor,omitempty"`
	// State is leader, current, behind, silent (not heard from for
	// longer than silentAfter), offline, or unknown (no leader to ask).
	State string        `json:"state"`
	Lag   uint64        `json:"lag,omitempty"`
	Seen  time.Duration `json:"seen_ago_ns,omitempty"`
	// JetStream is false when the server runs with JetStream disabled.
	JetStream bool `json:"jetstream"`
}

type endpointError struct {
	URL   string `json:"url"`
	Error string `json:"error"`
}

// monitorReport is what one server's monitoring endpoint said.
type monitorReport struct {
	url  string
	name string
	jsz  *server.JSInfo
}

// monitorURLs turns --nats-monitor's list (host:port or URLs) into URLs.
// A listen address (:8222, 0.0.0.0:8222, as commentd's --nats-monitor
// takes) is reached on loopback.
func monitorURLs(list string) ([]string, error) {
	var out []string
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "://") {
			item = "http://" + item
		}
		u, err := url.Parse(item)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("--nats-monitor %q: want host:port or an http(s) URL", item)
		}
		if host, port, err := net.SplitHostPort(u.Host); err == nil {
			if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
				u.Host = net.JoinHostPort("127.0.0.1", port)
			}
		}
		out = append(out, strings.TrimSuffix(u.String(), "/"))
	}
	return out, nil
}

// readMonitors asks every endpoint for /varz and /jsz.
func readMonitors(ctx context.Context, urls []string) ([]monitorReport, []endpointError) {
	client := &http.Client{Timeout: 3 * time.Second}
	var reports []monitorReport
	var failed []endpointError
	for _, u := range urls {
		var varz server.Varz
		var jsz server.JSInfo
		err := getJSON(ctx, client, u+"/varz", &varz)
		if err == nil {
			err = getJSON(ctx, client, u+"/jsz", &jsz)
		}
		if err != nil {
			failed = append(failed, endpointError{URL: u, Error: err.Error()})
			continue
		}
		reports = append(reports, monitorReport{url: u, name: varz.Name, jsz: &jsz})
	}
	return reports, failed
}

func getJSON(ctx context.Context, client *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// inProcessReport is the report of the server commentctl runs on a data
// dir: it has no monitoring listener, so it is asked directly.
func inProcessReport(ns *server.Server) ([]monitorReport, []endpointError) {
	jsz, err := ns.Jsz(nil)
	if err != nil {
		return nil, []endpointError{{URL: "in-process", Error: err.Error()}}
	}
	return []monitorReport{{url: "in-process", name: ns.Name(), jsz: jsz}}, nil
}

// assembleCluster builds the servers' table from the reports, the meta
// leader's view first: only the leader knows how current the others are.
func assembleCluster(reports []monitorReport, failed []endpointError, explicit bool, h *health) *clusterStatus {
	cs := &clusterStatus{Unreachable: failed}
	for _, f := range failed {
		if explicit {
			h.problem("NATS monitoring endpoint %s does not answer (%s): is that server down?", f.URL, f.Error)
		} else {
			h.warn("no NATS monitoring endpoint at %s (%s); give --nats-monitor to see the servers", f.URL, f.Error)
		}
	}
	if len(reports) == 0 {
		if len(failed) == 0 {
			return nil
		}
		return cs
	}
	byName := map[string]*serverStatus{}
	get := func(name string) *serverStatus {
		s, ok := byName[name]
		if !ok {
			s = &serverStatus{Name: name, State: "unknown", JetStream: true}
			byName[name] = s
		}
		return s
	}
	var leader *monitorReport
	clustered := false
	for i, r := range reports {
		s := get(r.name)
		s.Monitor = r.url
		s.JetStream = !r.jsz.Disabled
		if r.jsz.Disabled {
			h.problem("NATS server %s runs without JetStream", r.name)
		}
		if m := r.jsz.Meta; m != nil {
			clustered = true
			cs.Name, cs.Size = m.Name, max(cs.Size, m.Size)
			if m.Leader != "" && m.Leader == r.name {
				leader = &reports[i]
			}
		} else if !clustered {
			// A server outside any cluster is its own leader.
			s.State = "leader"
			cs.MetaLeader = r.name
		}
	}
	if clustered {
		cs.MetaLeader = ""
		switch {
		case leader != nil:
			cs.MetaLeader = leader.name
			get(leader.name).State = "leader"
			for _, p := range leader.jsz.Meta.Replicas {
				s := get(p.Name)
				s.State, s.Lag, s.Seen = peerState(p.Current, p.Offline, p.Active), p.Lag, p.Active
			}
		default:
			// The leader did not answer: the others' word on who leads,
			// if any; their view of the peers is not the leader's.
			for _, r := range reports {
				if m := r.jsz.Meta; m != nil && m.Leader != "" {
					cs.MetaLeader = m.Leader
					get(m.Leader)
				}
				if m := r.jsz.Meta; m != nil {
					for _, p := range m.Replicas {
						if s := get(p.Name); s.State == "unknown" && p.Offline {
							s.State, s.Seen = "offline", p.Active
						}
					}
				}
			}
			if cs.MetaLeader == "" {
				h.problem("the NATS cluster %s has no JetStream meta leader: no stream or consumer can be created, changed or listed (a majority of its servers is down)", cs.Name)
			}
		}
	}
	for _, s := range byName {
		switch s.State {
		case "offline", "silent":
			h.problem("NATS server %s is %s (last heard from %s ago)", s.Name, s.State, s.Seen.Round(time.Second))
		case "behind":
			h.warn("NATS server %s is catching up with the meta leader (%d operations behind)", s.Name, s.Lag)
		}
		cs.Servers = append(cs.Servers, *s)
	}
	slices.SortFunc(cs.Servers, func(a, b serverStatus) int { return strings.Compare(a.Name, b.Name) })
	return cs
}

// peerState names a replica's state as its group's leader sees it.
func peerState(current, offline bool, seen time.Duration) string {
	switch {
	case offline:
		return "offline"
	case !current && seen > silentAfter:
		return "silent"
	case !current:
		return "behind"
	}
	return "current"
}

// replicaStatus is a stream's or a consumer's Raft group: its leader and
// the other replicas as the leader sees them.
type replicaStatus struct {
	Leader string        `json:"leader"`
	Peers  []peerStatus  `json:"peers"`
	Since  time.Duration `json:"leader_for_ns,omitempty"`
}

type peerStatus struct {
	Name  string        `json:"name"`
	State string        `json:"state"` // current, behind, silent, offline
	Lag   uint64        `json:"lag,omitempty"`
	Seen  time.Duration `json:"seen_ago_ns,omitempty"`
}

func replicasOf(ci *jetstream.ClusterInfo, now time.Time) replicaStatus {
	if ci == nil {
		return replicaStatus{}
	}
	rs := replicaStatus{Leader: ci.Leader}
	if ci.LeaderSince != nil {
		rs.Since = now.Sub(*ci.LeaderSince)
	}
	for _, p := range ci.Replicas {
		rs.Peers = append(rs.Peers, peerStatus{Name: p.Name, State: peerState(p.Current, p.Offline, p.Active), Lag: p.Lag, Seen: p.Active})
	}
	slices.SortFunc(rs.Peers, func(a, b peerStatus) int { return strings.Compare(a.Name, b.Name) })
	return rs
}

// String is the group in one line: "n1 leader, n2 current, n3 OFFLINE".
func (rs replicaStatus) String() string {
	if rs.Leader == "" && len(rs.Peers) == 0 {
		return "-"
	}
	parts := []string{orDash(rs.Leader) + " leader"}
	if rs.Leader == "" {
		parts = []string{"NO LEADER"}
	}
	for _, p := range rs.Peers {
		st := p.State
		switch st {
		case "offline", "silent":
			st = strings.ToUpper(st)
		case "behind":
			st = fmt.Sprintf("behind by %d", p.Lag)
		}
		parts = append(parts, p.Name+" "+st)
	}
	return strings.Join(parts, ", ")
}
