#!/usr/bin/env bash
# Open Referral UK: import and sync time for the largest staged feed (Bristol,
# 819 records, 2.3 MB), and /oruk/services throughput against /health in the
# same run, with wrk on loopback. Bounded: each wrk run lasts DURATION seconds.
# Usage: bench/oruk.sh [DURATION]   (needs wrk and ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
duration="${1:-10}"
data="$(cd ../shared/data && pwd)"
port=18081
work="$(mktemp -d)"
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --release --quiet

# The five councils' areas (as manifests/five-councils.toml has them) with
# and without the Bristol and North Lincolnshire feeds: the difference is
# the feeds' import.
areas=$(sed -n '/^\[dataset\]/,/^\[\[assets\]\]/p' manifests/five-councils.toml | sed '$d' | sed "s#../../shared/data#$data#g")
printf '%s\n' "$areas" > "$work/areas.toml"
{
  printf '%s\n' "$areas"
  for f in bristol_openplace_services_list_oruk1 north_lincolnshire_openplace_services_list_oruk1; do
    printf '\n[[assets]]\nsource = "%s"\nformat = "oruk"\npath = "%s/directories/oruk_feeds/%s.json"\ncategory = "community_service"\n' "${f%%_*}" "$data" "$f"
  done
} > "$work/feeds.toml"
best() { # best of 3 wall-clock seconds of a command
  local b=999
  for _ in 1 2 3; do
    local s e
    s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N)
    b=$(awk -v b="$b" -v t="$(echo "$e - $s" | bc)" 'BEGIN { print (t < b ? t : b) }')
  done
  echo "$b"
}
base=$(best ./target/release/assetmap check "$work/areas.toml")
with=$(best ./target/release/assetmap check "$work/feeds.toml")
echo "check, areas only: ${base} s; with both feeds (1,557 records): ${with} s"
awk -v a="$base" -v b="$with" 'BEGIN { printf "the two feeds read, cleaned and reported in %.0f ms\n", (b - a) * 1000 }'
rm -f "$work/store.sqlite"
first=$(best ./target/release/assetmap sync "$work/feeds.toml" --store "$work/store.sqlite")
echo "sync into a store (first run creates 1,555 listings, later runs find them unchanged): best ${first} s"

./target/release/assetmap serve --manifest "$work/feeds.toml" --store "$work/store.sqlite" --listen "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
server=$!
wait_up "$port"
rate() { grep 'Requests/sec' | awk '{print $2}'; }
echo "warming up"; wrk -t2 -c32 -d2s "http://127.0.0.1:$port/health" > /dev/null
health=$(wrk -t2 -c32 -d"${duration}s" --latency "http://127.0.0.1:$port/health" | tee "$work/health.txt" | rate)
services=$(wrk -t2 -c32 -d"${duration}s" --latency "http://127.0.0.1:$port/oruk/services?per_page=50&page=3" | tee "$work/services.txt" | rate)
search=$(wrk -t2 -c32 -d"${duration}s" --latency "http://127.0.0.1:$port/oruk/services?search=yoga" | tee "$work/search.txt" | rate)
for f in health services search; do grep -E '50%|99%' "$work/$f.txt" | sed "s/^/$f latency /"; grep -E 'Non-2xx' "$work/$f.txt" || true; done
echo "health: $health req/s; /oruk/services (50 a page): $services req/s; search: $search req/s"
awk -v h="$health" -v s="$services" -v q="$search" 'BEGIN { printf "services / health = %.2f; search / health = %.2f\n", s / h, q / h }'
