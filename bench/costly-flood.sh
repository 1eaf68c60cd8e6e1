#!/usr/bin/env bash
# Load shedding: N concurrent costly requests (gap analyses with distances
# that all differ, so none is cached) against the five councils, while wrk
# measures /health. Prints how the costly requests were answered (200, 503
# with Retry-After, 429) and /health's p50/p99 during the flood.
# Usage: bench/costly-flood.sh [N] [PER_MINUTE]   (defaults 300 and 0: no
# per-client limit, so the bound on concurrent work is what is measured)
# Needs wrk, curl and ../shared/data. Bounded; loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
n="${1:-300}"
per_minute="${2:-0}"
port=18191
cargo build --release --quiet
scratch="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$scratch"; }
trap cleanup EXIT
ASSETMAP_DATA_DIR="$scratch" ./target/release/assetmap serve --manifest manifests/five-councils.toml \
  --listen "127.0.0.1:$port" --costly-per-minute "$per_minute" > "$scratch/server.log" 2>&1 &
pid=$!
wait_up "$port"
rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
for i in $(seq 1 "$n"); do
  echo "http://127.0.0.1:$port/api/gaps?category=gp&coverage_m=$((200 + i))&catchment_m=$((1000 + i))"
done > "$scratch/urls"
wrk -t1 -c8 -d12s --latency "http://127.0.0.1:$port/health" > "$scratch/health.txt" &
wrk_pid=$!
sleep 1
start=$(date +%s.%N)
xargs -P "$n" -n 1 curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 < "$scratch/urls" > "$scratch/codes"
end=$(date +%s.%N)
wait "$wrk_pid"
rss_after=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "$n costly requests in $(echo "$end - $start" | bc) s: $(sort "$scratch/codes" | uniq -c | awk '{printf "%s×%s ", $1, $2}')"
echo "/health meanwhile: $(grep 'Requests/sec' "$scratch/health.txt" | awk '{print $2}') req/s, p50 $(grep ' 50%' "$scratch/health.txt" | awk '{print $2}'), p99 $(grep ' 99%' "$scratch/health.txt" | awk '{print $2}'), errors: $(grep -E 'Non-2xx|Socket errors|Timeout' "$scratch/health.txt" || echo none)"
echo "server memory: ${rss_before} KB before, ${rss_after} KB after"
