#!/usr/bin/env bash
# The residents' page on an emulated cheap phone (4x slower CPU, slow 4G, cold
# cache): time to the results list and to the drawn map, median of RUNS runs.
# Usage: bench/page-load.sh [RUNS]   (needs /usr/bin/chromium and `npm ci` in web/)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
port=18081
cargo build --release --quiet
./target/release/assetmap serve --listen "127.0.0.1:$port" > /tmp/assetmap-page.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
wait_up "$port"
cd web
RUNS="${1:-5}" ASSETMAP_URL="http://127.0.0.1:$port" timeout 900 node e2e/page-load.mjs
