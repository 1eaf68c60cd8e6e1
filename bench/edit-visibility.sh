#!/usr/bin/env bash
# How soon an edit shows in the map, on England's data: starts the national
# server (tile cache on, a fresh SQLite store), times its start-up (to
# /health, and to the tile polygons encoded ahead) and its memory, then
# bench/edit-to-tile.py makes N edits one at a time, each moving an asset
# into a z16 tile the cache holds, and polls that tile until it shows it.
#   bench/edit-visibility.sh [N]   (default 50; bounded: each edit gives up after 5 s)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
count="${1:-50}"
scratch="$(mktemp -d)"
cleanup() { kill ${server:-} 2>/dev/null || true; rm -rf "$scratch"; }
trap cleanup EXIT
cargo build --release --quiet
store="$scratch/store.sqlite"
token="$(./target/release/assetmap token add bench --role editor --store "$store" | tail -1)"
started="$(date +%s.%N)"
./target/release/assetmap serve --manifest manifests/england.toml --listen 127.0.0.1:18295 \
  --store "$store" --costly-per-minute 0 > "$scratch/serve.log" 2>&1 &
server=$!
wait_up 18295
up="$(date +%s.%N)"
for _ in $(seq 1 600); do grep -q "encoded ahead" "$scratch/serve.log" && break; sleep 0.1; done
ready="$(date +%s.%N)"
rss_kb="$(ps -o rss= -p "$server")"
python3 - "$started" "$up" "$ready" "$rss_kb" "$(grep 'encoded ahead' "$scratch/serve.log" | tail -1)" <<'PY'
import sys
s, up, ready, rss = (float(a) for a in sys.argv[1:5])
print(f"start-up to /health: {up - s:.1f} s; to tile polygons encoded ahead: {ready - s:.1f} s; RSS then {rss / 1024:.0f} MiB")
print(sys.argv[5].strip()[-200:])
PY
python3 bench/edit-to-tile.py http://127.0.0.1:18295 "$token" "$count"
