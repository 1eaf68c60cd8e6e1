#!/usr/bin/env bash
# Throughput of /api/nearby against /health in the same run, on the five
# councils' data, with wrk on loopback. Bounded: each run lasts DURATION seconds.
# Usage: bench/load-nearby.sh [DURATION]   (needs wrk and ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
duration="${1:-10}"
port=18080
cargo build --release --quiet
./target/release/assetmap serve --manifest manifests/five-councils.toml --listen "127.0.0.1:$port" > /tmp/assetmap-load.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
wait_up "$port"
rate() { grep 'Requests/sec' | awk '{print $2}'; }
echo "warming up"; wrk -t2 -c32 -d2s "http://127.0.0.1:$port/health" > /dev/null
health=$(wrk -t2 -c32 -d"${duration}s" --latency "http://127.0.0.1:$port/health" | tee /tmp/wrk-health.txt | rate)
nearby=$(wrk -t2 -c32 -d"${duration}s" --latency -s bench/nearby.lua "http://127.0.0.1:$port" | tee /tmp/wrk-nearby.txt | rate)
grep -E '50%|99%' /tmp/wrk-health.txt | sed 's/^/health latency /'
grep -E '50%|99%' /tmp/wrk-nearby.txt | sed 's/^/nearby latency /'
grep -E 'Non-2xx' /tmp/wrk-nearby.txt || true
echo "health: $health req/s"
echo "nearby: $nearby req/s"
awk -v h="$health" -v n="$nearby" 'BEGIN { printf "nearby / health = %.2f (target >= 0.50)\n", n / h }'
