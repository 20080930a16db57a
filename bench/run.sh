#!/usr/bin/env bash
# Load-tests commentd from outside the process with wrk, beside the bare
# net/http reference measured in the same run (only ratios mean something on
# a shared machine). Needs wrk (apt-get install wrk). Prints requests/s and
# latency for: bare POST 1 KB, commentd POST, commentd GET of 100 comments,
# bare GET of the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${DURATION:-8s}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
go build -o "$tmp/commentd" ./cmd/commentd
go build -o "$tmp/bare" ./bench/bare
"$tmp/commentd" --data-dir "$tmp/data" --http-addr 127.0.0.1:18181 --rate-limit-per-ip 0 --rate-limit-per-author 0 --log-level warn >/dev/null 2>&1 &
"$tmp/bare" --addr 127.0.0.1:18182 >/dev/null 2>&1 &
bare_post=$!
until curl -sf 127.0.0.1:18181/readyz >/dev/null; do sleep 0.2; done
run() { echo "== $1"; wrk -t1 -c64 -d"$dur" ${3:+-s "$3"} "$2" | grep -E 'Requests/sec|p50|non-2xx'; }
run "bare POST (1 KB answer)" http://127.0.0.1:18182/ bench/post.lua
run "commentd POST -> 202" http://127.0.0.1:18181/api/articles/bench/comments bench/post.lua
# The worker and projector finish the backlog before anything else is
# measured (they would take CPU from it).
published() { curl -sf 127.0.0.1:18181/metrics | awk '/^comments_events_published_total/ {n += $2} END {print n}'; }
prev=-1; now=$(published)
while [ "$now" != "$prev" ]; do sleep 2; prev=$now; now=$(published); done
echo "(backlog decided: $now events in the log)"
# An article with 100 approved comments, then its first page.
for i in $(seq 1 100); do
  curl -sf -o /dev/null -X POST 127.0.0.1:18181/api/articles/read/comments -H 'Content-Type: application/json' \
    -d "{\"author\":\"Reader $i\",\"text\":\"A typical comment of a sentence or two, about the talks in Berlin ($i).\"}"
done
until curl -sf '127.0.0.1:18181/api/articles/read/comments?limit=1' | grep -q '"total":100'; do sleep 0.2; done
curl -sf '127.0.0.1:18181/api/articles/read/comments?limit=100' > "$tmp/page.json"
kill $bare_post
"$tmp/bare" --addr 127.0.0.1:18183 --body "$tmp/page.json" >/dev/null 2>&1 &
sleep 0.5
run "commentd GET 100 comments" 'http://127.0.0.1:18181/api/articles/read/comments?limit=100'
run "bare GET, same bytes" http://127.0.0.1:18183/
