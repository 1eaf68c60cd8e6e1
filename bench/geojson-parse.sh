#!/usr/bin/env bash
# The GeoJSON reader on England's two national boundary files (8.7 MB of
# wards, 21 MB of LSOAs): `assetmap check manifests/england-boundaries.toml`
# (read, convert, validate), five runs each, wall time and peak memory, for
# another build and this one, alternating in one run.
# Usage: bench/geojson-parse.sh OTHER_BINARY   (needs ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
other="${1:?path to the other assetmap binary}"
cargo build --release --quiet
for run in 1 2 3 4 5; do
  for b in "$other" ./target/release/assetmap; do
    label=$([ "$b" = "$other" ] && echo other || echo this)
    /usr/bin/time -f "$label run $run: %e s wall, %M KB peak RSS" "$b" check manifests/england-boundaries.toml > /dev/null
  done
done 2>&1 | sort
