#!/usr/bin/env bash
# Scale figures of BENCHMARKS.md ("A read side that holds a publisher's
# history"): fills a fresh install's log with COMMENTS comments
# (commentctl load), then runs NATS with the projector, a worker and an api
# as separate processes on this machine and measures from outside (the
# bench/scale tool): start-up to /readyz, RSS, GET latencies of the hottest
# article, POST throughput, submission → visible, disk per comment, and a
# rebuild of every view (commentctl rebuild --all) beside a raw replay.
#
#   COMMENTS=100000 bench/scale.sh          # about 3 minutes here
#   COMMENTS=1000000 ARTICLES=10000 bench/scale.sh
#
# Loads are light (16 clients for GETs, 32 for POSTs) because the machine is
# shared; only figures measured in the same run compare.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${COMMENTS:-100000}
A=${ARTICLES:-10000}
GETS=${GETS:-4000}
POSTS=${POSTS:-10000}
RATE=${RATE:-500}
SETTLE=${SETTLE:-15}
tmp=$(mktemp -d)
B=$tmp/bin D=$tmp/data
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -z "${KEEP:-}" ]; then rm -rf "$tmp"; else echo "kept $tmp" >&2; fi
}
trap cleanup EXIT
mkdir -p "$B"
nice go build -o "$B/" ./cmd/commentd ./cmd/commentctl ./bench/scale ./bench/bare
now() { date +%s%N; }
rss() { awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$1/status"; }
say() { printf '%-44s %s\n' "$1" "$2"; }
base=127.0.0.1
nats=nats://$base:18722
off=(--log-level warn --nats-monitor "" --rate-limit-per-ip 0 --rate-limit-per-author 0)

say "load average at start" "$(cut -d' ' -f1-3 /proc/loadavg)"

# 1. A fresh install: the all-in-one provisions, publishes the rule set
# and makes the workers' consumer; then it stops.
"$B/commentd" --data-dir "$D" --http-addr $base:18700 "${off[@]}" >"$tmp/first.log" 2>&1 & p=$!
"$B/scale" ready -since "$(now)" http://$base:18700/readyz >/dev/null
kill -INT $p; wait $p || true

# 2. The history, written into the stopped install.
t0=$(now)
"$B/commentctl" load --data-dir "$D" --comments "$N" --articles "$A" | tee "$tmp/load.txt"
say "load" "$(( ($(now) - t0) / 1000000 )) ms"
hot=$(awk '/the hottest/ {sub(",", "", $7); print $7}' "$tmp/load.txt")
say "hottest article" "$hot ($(awk '/the hottest/ {print $9}' "$tmp/load.txt") comments)"
stream=$(find "$D/jetstream" -type d -name COMMENTS -path '*streams*' | head -1)
say "COMMENTS on disk" "$(du -sb "$stream" | awk -v n="$N" '{printf "%.0f MB, %.0f bytes a comment", $1/1e6, $1/n}')"

# 3. NATS (embedded) with the projector, then a worker and an api.
t0=$(now)
"$B/commentd" --roles projector --data-dir "$D" --nats-listen $base:18722 --http-addr $base:18701 "${off[@]}" >"$tmp/projector.log" 2>&1 &
proj=$!; pids+=($proj)
say "projector (+NATS) start to /readyz" "$("$B/scale" ready -since "$t0" http://$base:18701/readyz) s"
sleep "$SETTLE" # a snapshot, where the projector takes them
say "projector (+NATS) RSS" "$(rss $proj)"
role() { # role port
  "$B/commentd" --roles "$1" --nats-url $nats --nats-user "$1" --nats-password "$(cat "$D/credentials/$1")" \
    --http-addr $base:"$2" "${off[@]}" >"$tmp/$1.log" 2>&1 &
}
t0=$(now); role worker 18702; worker=$!; pids+=($worker)
say "worker start to /readyz" "$("$B/scale" ready -since "$t0" http://$base:18702/readyz) s"
t0=$(now); role api 18703; api=$!; pids+=($api)
say "api start to /readyz" "$("$B/scale" ready -since "$t0" http://$base:18703/readyz) s"
say "api RSS at ready" "$(rss $api)"
say "worker RSS" "$(rss $worker)"
u=http://$base:18703
for d in "$D"/jetstream/*/streams/KV_VIEW*; do
  [ -d "$d" ] && say "$(basename "$d") on disk" "$(du -sb "$d" | awk -v n="$N" '{printf "%.1f MB, %.0f bytes a comment", $1/1e6, $1/n}')"
done

# 4. Reads of the hottest article, its deep page and one comment.
read -r deep page < <("$B/scale" cursor -page "${PAGE:-100}" $u "$hot")
id=$(curl -sf "$u/api/articles/$hot/comments?limit=1" | jq -r '.comments[0].id')
say "GET first page (50) of $hot" "$("$B/scale" get -c 16 -n "$GETS" "$u/api/articles/$hot/comments?limit=50")"
say "GET page $page of $hot" "$("$B/scale" get -c 16 -n "$GETS" "$deep")"
say "GET /articles/$hot (HTML)" "$("$B/scale" get -c 16 -n "$GETS" "$u/articles/$hot")"
say "GET /api/comments/{known id}" "$("$B/scale" get -c 16 -n "$GETS" "$u/api/comments/$id")"
say "GET /api/comments/{unknown id}" "$("$B/scale" get -status 404 -c 16 -n "$GETS" "$u/api/comments/0193a0b4-0000-7000-8000-000000000000")"

# The reference in the same run: a bare net/http server answering the
# first page's bytes.
curl -sf "$u/api/articles/$hot/comments?limit=50" >"$tmp/page.json"
"$B/bare" --addr $base:18704 --body "$tmp/page.json" 2>/dev/null & pids+=($!)
"$B/scale" ready -since "$(now)" http://$base:18704/ >/dev/null
say "bare GET, same bytes as the first page" "$("$B/scale" get -c 16 -n "$GETS" http://$base:18704/)"

# 5. The write path: POST → 202, then submission → visible at RATE/s.
"$B/bare" --addr $base:18705 2>/dev/null & pids+=($!)
"$B/scale" ready -since "$(now)" http://$base:18705/ >/dev/null
say "bare POST, 1 KB answer (32 clients)" "$("$B/scale" post -c 32 -n "$POSTS" -status 200 http://$base:18705)"
say "POST -> 202 (32 clients)" "$("$B/scale" post -c 32 -n "$POSTS" $u)"
# The worker and projector finish the burst before the latency is taken.
say "then the burst decided and in the views" "$("$B/scale" settled -since "$(now)" $u/metrics http://$base:18701/metrics) s"
say "submission -> visible at $RATE/s" "$("$B/scale" visible -rate "$RATE" -n $((RATE * 10)) $u)"
say "api RSS after" "$(rss $api)"
say "worker RSS after" "$(rss $worker)"
say "projector (+NATS) RSS after" "$(rss $proj)"

# 6. Rebuild the views into their spares while the api keeps serving; the
# tool replays the stream raw right after, in the same run.
if [ -z "${NO_REBUILD:-}" ]; then
  "$B/commentctl" rebuild --nats-url $nats --data-dir "$D" --grace 5s ${REBUILD_VIEWS:---all} 2>&1 | sed 's/^/  /'
  say "GET first page after the rebuild" "$("$B/scale" get -c 16 -n "$GETS" "$u/api/articles/$hot/comments?limit=50")"
  say "GET /api/comments/{known id} after" "$("$B/scale" get -c 16 -n "$GETS" "$u/api/comments/$id")"
fi
say "load average at end" "$(cut -d' ' -f1-3 /proc/loadavg)"
