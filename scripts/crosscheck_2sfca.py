#!/usr/bin/env python3
"""Independent check of assetmap's access figures with PySAL `access`.

Reads the five councils' derived small areas (demand: Census 2021 population at
the area-weighted centroid, BNG metres) and assets (supply: 1 per asset, BNG
metres), builds the Euclidean cost table itself with numpy, and runs
`access.fca.two_stage_fca` with max_cost = d0 (PySAL's catchment is inclusive).
Nearest distance and coverage within D are computed with numpy.

Writes one row per small area and category:
    lsoa21_code,category,access_per_1000,nearest_m,covered
Usage: crosscheck_2sfca.py DATA_DIR OUT_CSV [--coverage 800] [--catchment 1600] [--timing]
"""
import argparse
import sys
import time

import numpy as np
import pandas as pd
from access import fca


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("out")
    parser.add_argument("--coverage", type=float, default=800.0)
    parser.add_argument("--catchment", type=float, default=1600.0)
    parser.add_argument("--small-areas", default="derived/small_areas_five_councils.csv")
    parser.add_argument("--assets", default="derived/assets_five_councils.csv")
    args = parser.parse_args()

    areas = pd.read_csv(f"{args.data}/{args.small_areas}")
    assets = pd.read_csv(f"{args.data}/{args.assets}")
    demand_xy = areas[["centroid_easting", "centroid_northing"]].to_numpy()
    demand = pd.DataFrame({"geoid": areas["lsoa21_code"], "pop": areas["population"].astype(float)}).set_index("geoid")

    rows = []
    started = time.perf_counter()
    for category, group in assets.groupby("category"):
        supply_xy = group[["easting", "northing"]].to_numpy()
        ids = group["id"].to_numpy()
        # Distances from every demand point to every supply point, in metres.
        dist = np.sqrt(((demand_xy[:, None, :] - supply_xy[None, :, :]) ** 2).sum(axis=2))
        origin, dest = np.nonzero(dist <= args.catchment)
        cost = pd.DataFrame({
            "origin": areas["lsoa21_code"].to_numpy()[origin],
            "dest": ids[dest],
            "cost": dist[origin, dest],
        })
        supply = pd.DataFrame({"geoid": ids, "supply": 1.0}).set_index("geoid")
        result = fca.two_stage_fca(
            demand, supply, cost, max_cost=args.catchment,
            demand_index="geoid", demand_name="pop", supply_name="supply",
            cost_origin="origin", cost_dest="dest", cost_name="cost",
        )
        result = result.reindex(areas["lsoa21_code"]).fillna(0.0)
        nearest = dist.min(axis=1)
        for code, a, d in zip(areas["lsoa21_code"], result.to_numpy(), nearest):
            rows.append((code, category, 1000.0 * a, d, int(d <= args.coverage)))
    elapsed = time.perf_counter() - started
    pd.DataFrame(rows, columns=["lsoa21_code", "category", "access_per_1000", "nearest_m", "covered"]).to_csv(
        args.out, index=False, float_format="%.17g"
    )
    print(f"pysal access two_stage_fca: {len(rows)} rows in {elapsed:.3f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
