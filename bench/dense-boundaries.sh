#!/usr/bin/env bash
# Loads England's wards and small areas densified to full-resolution (BFC)
# vertex counts, and prints the time and peak memory of `assetmap check`.
# Every polygon is validated (and repaired if need be) on the way in.
#
#   bench/dense-boundaries.sh [WARD_FACTOR] [LSOA_FACTOR]   (defaults 50 and 10)
#
# Needs ASSETMAP_REAL_DATA (the shared data folder) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${ASSETMAP_REAL_DATA:?point ASSETMAP_REAL_DATA at the shared data folder}"
data="$(cd "$data" && pwd)"
ward_factor="${1:-50}"
lsoa_factor="${2:-10}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
python3 bench/densify.py "$data/boundaries/wards_dec2023_uk_bsc.geojson" "$work/wards.geojson" "$ward_factor"
python3 bench/densify.py "$data/boundaries/lsoa21_bsc_ew.geojson" "$work/lsoa.geojson" "$lsoa_factor"
ls -l "$work"/*.geojson | awk '{printf "%s %.0f MB\n", $NF, $5/1e6}'
cat >"$work/manifest.toml" <<TOML
[dataset]
name = "England, densified to full-resolution vertex counts"
[wards]
path = "wards.geojson"
code = "WD23CD"
name = "WD23NM"
council_code = "LAD23CD"
filter = [{ field = "WD23CD", starts_with = "E" }]
[small_areas]
path = "lsoa.geojson"
code = "lsoa21_code"
council_code = "ltla24_code"
filter = [{ field = "lsoa21_code", starts_with = "E" }]
TOML
/usr/bin/time -f "check: %e s elapsed, %M KB peak" target/release/assetmap check "$work/manifest.toml" | tail -n 15
