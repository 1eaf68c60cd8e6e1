#!/usr/bin/env bash
# Reads do not get slower with the living catalog: nearby search and warm
# tiles on England's data, each against its own /health through the same
# wrk script, for another build (e.g. the commit before the catalog) and
# this one, one after the other in one run. Bounded; loopback only.
# Usage: bench/reads-before-after.sh OTHER_BINARY [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
other="${1:?path to the other assetmap binary}"
duration="${2:-10}"
cargo build --release --quiet
export TILE_PATHS=/tmp/assetmap-tile-paths.txt
python3 bench/tile-paths.py ../shared/data "$TILE_PATHS" 20000
echo /health > /tmp/assetmap-health-path.txt
scratch="$(mktemp -d)"
trap 'kill ${server:-} 2>/dev/null || true; rm -rf "$scratch"' EXIT
rate() { grep 'Requests/sec' | awk '{print $2}'; }
p99() { grep -E '^ +99%' | awk '{print $2}'; }
measure() { # label binary port extra-args...
  local label=$1 binary=$2 port=$3; shift 3
  "$binary" serve --manifest manifests/england.toml --listen "127.0.0.1:$port" --tile-cache-mb 1024 "$@" > "$scratch/$label.log" 2>&1 &
  server=$!
  wait_up "$port"
  wrk -t2 -c32 -d"${duration}s" -s bench/tiles.lua "http://127.0.0.1:$port" > /dev/null   # warm the tile cache
  TILE_PATHS=/tmp/assetmap-health-path.txt wrk -t2 -c32 -d"${duration}s" --latency -s bench/tiles.lua "http://127.0.0.1:$port" > "$scratch/$label-health.txt"
  wrk -t2 -c32 -d"${duration}s" --latency -s bench/tiles.lua "http://127.0.0.1:$port" > "$scratch/$label-tiles.txt"
  POINTS=../shared/peers/points_england.csv wrk -t2 -c32 -d"${duration}s" --latency -s ../shared/peers/wrk_nearby.lua "http://127.0.0.1:$port" > "$scratch/$label-nearby.txt"
  kill "$server"; wait "$server" 2>/dev/null || true; server=
  local h t n
  h=$(rate < "$scratch/$label-health.txt"); t=$(rate < "$scratch/$label-tiles.txt"); n=$(rate < "$scratch/$label-nearby.txt")
  awk -v l="$label" -v h="$h" -v t="$t" -v n="$n" -v hp="$(p99 < "$scratch/$label-health.txt")" -v tp="$(p99 < "$scratch/$label-tiles.txt")" -v np="$(p99 < "$scratch/$label-nearby.txt")" \
    'BEGIN { printf "%-7s health %8.0f req/s (p99 %s)  warm tiles %8.0f (p99 %s, %.2f x health)  nearby %8.0f (p99 %s, %.2f x health)\n", l, h, hp, t, tp, t / h, n, np, n / h }'
  grep -h 'Non-2xx' "$scratch/$label"-*.txt || true
}
measure before "$other" 18301
measure after ./target/release/assetmap 18302 --store "$scratch/after.sqlite"
