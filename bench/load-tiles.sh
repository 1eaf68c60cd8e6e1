#!/usr/bin/env bash
# Vector tiles on the national dataset (manifests/england.toml: 8,440 wards,
# 33,755 small areas, ~21k assets) with wrk on loopback: a shuffled list of
# tile paths at zooms 6..16, cold (tile cache off) and warm (cache on, list
# requested once first), with /health in the same run for comparison.
# Bounded: each wrk run lasts DURATION seconds. Usage: bench/load-tiles.sh [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
duration="${1:-10}"
export TILE_PATHS=/tmp/assetmap-tile-paths.txt
python3 bench/tile-paths.py ../shared/data "$TILE_PATHS" 20000
cargo build --release --quiet
rate() { grep 'Requests/sec' | awk '{print $2}'; }
latency() { grep -E '^ +(50|99)%' | awk '{printf "%s %s  ", $1, $2}'; }
run_server() {
  ./target/release/assetmap serve --manifest manifests/england.toml --listen "127.0.0.1:$1" --tile-cache-mb "$2" > "/tmp/assetmap-tiles-$1.log" 2>&1 &
  echo $!
}
cold=$(run_server 18181 0)
trap 'kill $cold ${warm:-} 2>/dev/null || true' EXIT
wait_up 18181
wrk -t2 -c8 -d"${duration}s" --latency -s bench/tiles.lua http://127.0.0.1:18181 > /tmp/wrk-tiles-cold.txt
kill $cold; sleep 0.5
warm=$(run_server 18182 1024)
wait_up 18182
# Warm the cache with the whole list once.
wrk -t2 -c8 -d"${duration}s" -s bench/tiles.lua http://127.0.0.1:18182 > /dev/null
wrk -t2 -c8 -d"${duration}s" --latency -s bench/tiles.lua http://127.0.0.1:18182 > /tmp/wrk-tiles-warm.txt
# /health through the same Lua request function and headers as the tiles, so
# that wrk's own per-request cost (it shares the two cores) is the same on
# both sides of the ratio.
echo /health > /tmp/assetmap-health-path.txt
TILE_PATHS=/tmp/assetmap-health-path.txt wrk -t2 -c8 -d"${duration}s" --latency -s bench/tiles.lua http://127.0.0.1:18182 > /tmp/wrk-tiles-health.txt
echo "cold tiles:  $(rate < /tmp/wrk-tiles-cold.txt) tiles/s   $(latency < /tmp/wrk-tiles-cold.txt)"
echo "warm tiles:  $(rate < /tmp/wrk-tiles-warm.txt) tiles/s   $(latency < /tmp/wrk-tiles-warm.txt)"
echo "health:      $(rate < /tmp/wrk-tiles-health.txt) req/s    $(latency < /tmp/wrk-tiles-health.txt)"
grep -h 'Non-2xx' /tmp/wrk-tiles-*.txt || true
awk -v w="$(rate < /tmp/wrk-tiles-warm.txt)" -v h="$(rate < /tmp/wrk-tiles-health.txt)" 'BEGIN { printf "warm / health = %.2f (aim >= 0.80)\n", w / h }'
