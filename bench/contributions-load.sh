#!/usr/bin/env bash
# Residents' contributions under load: the five councils on SQLite, 64
# connections of mixed reads (tiles, nearby, gaps) for DURATION seconds while
# 5 contributions a second arrive and every other one is approved (each
# approval re-renders what it touches). Prints read throughput, p99 and
# errors, and the contributions' own figures. Bounded; loopback only. wrk
# and the contributor are one address each, so the per-client limits are off.
# Usage: bench/contributions-load.sh [DURATION] [PER_SECOND]   (needs wrk, ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
duration="${1:-60}"
rate="${2:-5}"
port=18191
cargo build --release --quiet
scratch="$(mktemp -d)"
trap 'kill $server 2>/dev/null || true; rm -rf "$scratch"' EXIT
store="$scratch/store.sqlite"
token="$(./target/release/assetmap token add bench --role editor --store "$store" | tail -1)"
./target/release/assetmap serve --manifest manifests/five-councils.toml --store "$store" --listen "127.0.0.1:$port" \
  --costly-per-minute 0 --contributions-per-hour 0 > "$scratch/serve.log" 2>&1 &
server=$!
wait_up "$port"
echo "warming up"; wrk -t2 -c16 -d3s -s bench/mixed.lua "http://127.0.0.1:$port" > /dev/null
python3 bench/contributor.py "http://127.0.0.1:$port" "$token" "$rate" "$duration" "SW1A 1AA" > "$scratch/contrib.json" &
writer=$!
wrk -t2 -c64 -d"${duration}s" --latency -s bench/mixed.lua "http://127.0.0.1:$port" > "$scratch/reads.txt"
wait "$writer"
grep -E 'Requests/sec|50%|99%|Non-2xx|Socket errors' "$scratch/reads.txt" | sed 's/^/reads: /'
echo "contributions: $(cat "$scratch/contrib.json")"
