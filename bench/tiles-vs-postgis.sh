#!/usr/bin/env bash
# Vector tiles side by side with the PostGIS peer, in one run, on England's
# data and the peer's fixed list of 500 tiles at z6-16 (../shared/peers):
#   - PostGIS: the two-layer ST_AsMVT (assets + wards) under pgbench, 2 clients;
#   - assetmap cold (tile cache off), wrk -t2 -c32, and at z >= 10 with 8 connections;
#   - assetmap warm, raw and gzip, and /health through the same wrk script.
# Prints each figure and the ratios the tile aims are stated in.
# Needs Debian's postgresql-15-postgis-3 and gdal-bin (the peer loads the data
# with ogr2ogr), wrk, and root (the peer runs as the postgres user).
# Bounded: every run lasts DURATION seconds (default 10); the peer is stopped at the end.
#   bench/tiles-vs-postgis.sh [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
duration="${1:-10}"
peers=../shared/peers
scratch="$(mktemp -d)"
cleanup() {
  kill ${server:-} 2>/dev/null || true
  "$peers/postgis.sh" stop > /dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT

"$peers/postgis.sh" start > "$scratch/postgis.log" 2>&1 || { cat "$scratch/postgis.log" >&2; exit 1; }
pg_line="$(CLIENTS=2 DURATION="$duration" "$peers/bench_pgbench.sh" 1 | grep '^mvt')"
pg_tps="$(echo "$pg_line" | sed -n 's/.*tps=\([0-9.]*\).*/\1/p')"
pg_p99="$(echo "$pg_line" | sed -n 's/.*p99=\([0-9.]*\).*/\1/p')"
"$peers/postgis.sh" stop > /dev/null 2>&1 || true

cargo build --release --quiet
awk -F/ '$1 >= 10' "$peers/tiles.txt" > "$scratch/tiles_z10.txt"
awk -F/ '$1 < 10' "$peers/tiles.txt" > "$scratch/tiles_low.txt"
result() { grep '^RESULT' | sed 's/^RESULT //'; }
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
wrk_run() { # connections tiles-file [extra env...]
  local c="$1" tiles="$2"; shift 2
  env TILES="$tiles" SOURCE=tiles/all SUFFIX=.mvt "$@" \
    wrk -t2 -c"$c" -d"${duration}s" -s "$peers/wrk_tiles.lua" "http://127.0.0.1:$port" | result
}
# The server's peak resident memory so far (the aim is under 1 GB).
peak_kb() { awk '/^VmHWM/ {print $2}' "/proc/$server/status"; }
start() { # port cache-mb
  port="$1"
  ./target/release/assetmap serve --manifest manifests/england.toml --listen "127.0.0.1:$port" \
    --tile-cache-mb "$2" --costly-per-minute 0 --store "$scratch/store-$port.sqlite" > "$scratch/serve-$port.log" 2>&1 &
  server=$!
  wait_up "$port"
  # Work done ahead (the tile polygons encoded at start-up) is not a cache hit.
  for _ in $(seq 1 600); do grep -q "encoded ahead" "$scratch/serve-$port.log" && break; sleep 0.1; done
}

start 18291 0
cold="$(wrk_run 32 "$peers/tiles.txt")"
cold10="$(wrk_run 8 "$scratch/tiles_z10.txt")"
# A burst of cold low-zoom tiles: the case that once took a thread each.
cold_low="$(wrk_run 32 "$scratch/tiles_low.txt")"
cold_peak_kb="$(peak_kb)"
kill "$server"; wait "$server" 2>/dev/null || true

start 18292 1024
wrk_run 32 "$peers/tiles.txt" > /dev/null            # fills the cache with the list
wrk_run 32 "$peers/tiles.txt" ACCEPT_ENCODING=gzip > /dev/null  # and gzips each tile once
warm="$(wrk_run 32 "$peers/tiles.txt")"
warm_gz="$(wrk_run 32 "$peers/tiles.txt" ACCEPT_ENCODING=gzip)"
health="$(wrk_run 32 "$peers/tiles.txt" FIXED_PATH=/health)"
warm_peak_kb="$(peak_kb)"
kill "$server"; wait "$server" 2>/dev/null || true

python3 - "$pg_tps" "$pg_p99" "$cold" "$cold10" "$warm" "$warm_gz" "$health" "$cold_peak_kb" "$warm_peak_kb" "$cold_low" <<'EOF'
import json, sys
pg_tps, pg_p99 = float(sys.argv[1]), float(sys.argv[2])
cold, cold10, warm, warm_gz, health = (json.loads(a) for a in sys.argv[3:8])
cold_peak_kb, warm_peak_kb = int(sys.argv[8]), int(sys.argv[9])
cold_low = json.loads(sys.argv[10])
row = lambda name, r, note: print(f"{name:<40} {r['req_per_s']:>9.0f}/s  p99 {r['p99_ms']:>7.2f} ms  {note}")
print(f"{'PostGIS ST_AsMVT, two layers (pgbench -c2)':<40} {pg_tps:>9.0f}/s  p99 {pg_p99:>7.2f} ms")
row("assetmap cold, -c32", cold, f"{cold['req_per_s'] / pg_tps:.2f}x PostGIS (aim >= 10)")
row("assetmap cold, z>=10, -c8", cold10, f"(aim p99 <= 5 ms)")
row("assetmap cold, z<10 only, -c32", cold_low, "")
row("assetmap warm, raw", warm, f"{warm['req_per_s'] / health['req_per_s']:.2f}x /health (aim >= 0.8)")
row("assetmap warm, gzip", warm_gz, f"{warm_gz['req_per_s'] / health['req_per_s']:.2f}x /health (aim >= 0.8)")
row("assetmap /health", health, "")
bad = sum(r["non2xx3xx"] + r["socket_errors"] for r in (cold, cold10, cold_low, warm, warm_gz, health))
print(f"errors: {bad}")
print(f"peak RSS: cold server {cold_peak_kb / 1024:.0f} MiB, warm server (1 GiB tile cache) {warm_peak_kb / 1024:.0f} MiB (aim < 1 GB)")
EOF
