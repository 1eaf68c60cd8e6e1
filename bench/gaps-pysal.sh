#!/usr/bin/env bash
# PySAL `access` two_stage_fca on the national inputs (33,755 small areas; the
# national GP, pharmacy and library lists), for comparison with the criterion
# bench `gaps/national_all_categories`. Needs `pip install access` and ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
for run in 1 2 3; do
  python3 scripts/crosscheck_2sfca.py ../shared/data /tmp/assetmap-pysal-national.csv --national
done
