#!/usr/bin/env bash
# The living map under load: two replicas of the five councils on one
# PostgreSQL (a throwaway one, started here), 64 connections of mixed reads
# (tiles, nearby, gaps) split over both for DURATION seconds, while a writer
# makes 10 changes a second through replica A and waits for each to be
# served by replica B. Prints read throughput and p99, errors, and the
# write-to-visible latency. Bounded; loopback only. wrk is one address
# standing for many residents, so the per-client limit on costly work is off.
# Usage: bench/live-load.sh [DURATION] [WRITES_PER_S]   (needs wrk, PostgreSQL, ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
duration="${1:-60}"
rate="${2:-10}"
cargo build --release --quiet
scratch="$(mktemp -d)"; chmod 755 "$scratch"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; scripts/test-postgres.sh stop "$scratch/pg" || true; rm -rf "$scratch"; }
trap cleanup EXIT
admin="$(scripts/test-postgres.sh start "$scratch/pg")"
store="${admin%/postgres}/assetmap"
psql "$admin" -qc "CREATE DATABASE assetmap" >/dev/null
token="$(./target/release/assetmap token add bench --role editor --store "$store" | tail -1)"
for port in 18181 18182; do
  ./target/release/assetmap serve --manifest manifests/five-councils.toml --store "$store" --listen "127.0.0.1:$port" --costly-per-minute 0 > "$scratch/$port.log" 2>&1 &
  pids+=($!)
  wait_up "$port"
done
echo "two replicas up on one PostgreSQL; warming up"
wrk -t2 -c16 -d3s -s bench/mixed.lua http://127.0.0.1:18181 > /dev/null
wrk -t2 -c16 -d3s -s bench/mixed.lua http://127.0.0.1:18182 > /dev/null
python3 bench/writer.py http://127.0.0.1:18181 http://127.0.0.1:18182 "$token" "$rate" "$duration" > "$scratch/writer.json" 2> "$scratch/writer.err" &
writer=$!
wrk -t1 -c32 -d"${duration}s" --latency -s bench/mixed.lua http://127.0.0.1:18181 > "$scratch/a.txt" &
wa=$!
wrk -t1 -c2 -d"${duration}s" --latency http://127.0.0.1:18181/health > "$scratch/health.txt" &
wh=$!
wrk -t1 -c32 -d"${duration}s" --latency -s bench/mixed.lua http://127.0.0.1:18182 > "$scratch/b.txt"
wait "$wa"; wait "$wh"; wait "$writer"
for r in a b; do
  echo "replica $r reads: $(grep 'Requests/sec' "$scratch/$r.txt" | awk '{print $2}') req/s, p50 $(grep ' 50%' "$scratch/$r.txt" | awk '{print $2}'), p99 $(grep ' 99%' "$scratch/$r.txt" | awk '{print $2}'), errors: $(grep -E 'Non-2xx|Socket errors' "$scratch/$r.txt" || echo none)"
done
echo "/health on A meanwhile: p50 $(grep ' 50%' "$scratch/health.txt" | awk '{print $2}'), p99 $(grep ' 99%' "$scratch/health.txt" | awk '{print $2}'), errors: $(grep -E 'Non-2xx|Socket errors' "$scratch/health.txt" || echo none)"
echo "writes through A, seen on B: $(cat "$scratch/writer.json")"
cat "$scratch/writer.err"
grep -c ' request ' "$scratch/18181.log" | sed 's/^/access-log lines on A: /'
