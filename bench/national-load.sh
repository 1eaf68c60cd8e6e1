#!/usr/bin/env bash
# Load + validate + join + index the national dataset with the release binary,
# three times, reporting wall time and peak memory (GNU time's maximum RSS).
# Needs ../shared/data beside the repository. Usage: bench/national-load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s wall, %M KB peak RSS" \
    ./target/release/assetmap check manifests/england.toml > /dev/null
done
