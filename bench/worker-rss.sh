#!/usr/bin/env bash
# Worker RSS against the log's length (BENCHMARKS.md, "Worker memory"):
# for each size in SIZES, a fresh install is filled with that many comments
# by the same AUTHORS authors over the same ARTICLES articles (commentctl
# load), NATS runs embedded with the projector, and a worker-only process
# starts; its RSS is read once it is ready (the facts view loaded) and after
# SETTLE seconds more.
#
#   bench/worker-rss.sh                     # SIZES="10000 200000"
#   SIZES="10000 1000000" bench/worker-rss.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"10000 200000"}
AUTHORS=${AUTHORS:-2000}
ARTICLES=${ARTICLES:-1000}
SETTLE=${SETTLE:-5}
tmp=$(mktemp -d)
B=$tmp/bin
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$B"
nice go build -o "$B/" ./cmd/commentd ./cmd/commentctl ./bench/scale
now() { date +%s%N; }
rss() { awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$1/status"; }
base=127.0.0.1
off=(--log-level warn --nats-monitor "" --rate-limit-per-ip 0 --rate-limit-per-author 0)
for n in $SIZES; do
  D=$tmp/data-$n
  "$B/commentd" --data-dir "$D" --http-addr $base:18800 "${off[@]}" >"$tmp/first.log" 2>&1 & p=$!
  "$B/scale" ready -since "$(now)" http://$base:18800/readyz >/dev/null
  kill -INT $p; wait $p || true
  "$B/commentctl" load --data-dir "$D" --comments "$n" --articles "$ARTICLES" --authors "$AUTHORS" >/dev/null
  t0=$(now)
  "$B/commentd" --roles projector --data-dir "$D" --nats-listen $base:18822 --http-addr $base:18801 "${off[@]}" >"$tmp/projector.log" 2>&1 &
  proj=$!; pids+=($proj)
  "$B/scale" ready -since "$t0" http://$base:18801/readyz >/dev/null
  t0=$(now)
  "$B/commentd" --roles worker --nats-url nats://$base:18822 --nats-user worker --nats-password "$(cat "$D/credentials/worker")" \
    --http-addr $base:18802 "${off[@]}" >"$tmp/worker.log" 2>&1 &
  worker=$!; pids+=($worker)
  up=$("$B/scale" ready -since "$t0" http://$base:18802/readyz)
  at_ready=$(rss $worker)
  sleep "$SETTLE"
  printf '%8d comments, %d authors, %d articles: worker ready in %s s, RSS %s at ready, %s after %ss; projector RSS %s\n' \
    "$n" "$AUTHORS" "$ARTICLES" "$up" "$at_ready" "$(rss $worker)" "$SETTLE" "$(rss $proj)"
  kill -INT $worker $proj; wait $worker $proj 2>/dev/null || true
  pids=()
done
