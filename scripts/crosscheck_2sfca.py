#!/usr/bin/env python3
"""Independent check of assetmap's access figures with PySAL `access`.

Reads the five councils' derived small areas (demand: Census 2021 population at
the area-weighted centroid, BNG metres) and assets (supply: 1 per asset, BNG
metres), builds the Euclidean cost table itself with numpy, and runs
`access.fca.two_stage_fca` with max_cost = d0 (PySAL's catchment is inclusive).
Nearest distance and coverage within D are computed with numpy.

Writes one row per small area and category:
    lsoa21_code,category,access_per_1000,nearest_m,covered
Usage: crosscheck_2sfca.py DATA_DIR OUT_CSV [--coverage 800] [--catchment 1600]
       crosscheck_2sfca.py DATA_DIR OUT_CSV --national   (all England: 33,755 small areas,
           the national GP, pharmacy and library lists with the derived table's filters)
"""
import argparse
import sys
import time

import numpy as np
import pandas as pd
from access import fca
from scipy.spatial import cKDTree


def national_assets(data: str) -> pd.DataFrame:
    """The national lists with the filters of derived/README.md, rows with coordinates."""
    gp = pd.read_csv(f"{data}/assets/gp_practices_epraccur_england_wales_geocoded.csv", dtype=str)
    gp = gp[(gp.status_code.str.strip() == "A") & (gp.prescribing_setting.str.strip() == "4")]
    ph = pd.read_csv(f"{data}/assets/pharmacies_edispensary_england_geocoded.csv", dtype=str)
    ph = ph[ph.status_code.str.strip() == "A"]
    lib = pd.read_csv(f"{data}/assets/libraries_england_2023_geocoded.csv", dtype=str)
    lib = lib[lib.closed.fillna("").str.strip().eq("") & lib.type.fillna("").str.lower().str.contains("static")]
    frames = []
    for category, frame, key in [("gp", gp, "org_code"), ("pharmacy", ph, "org_code"), ("library", lib, None)]:
        frame = frame[frame.easting.notna() & frame.northing.notna()]
        ids = frame[key] if key else pd.Series(range(len(frame)), index=frame.index).astype(str)
        frames.append(pd.DataFrame({
            "id": category + ":" + ids.to_numpy(),
            "category": category,
            "easting": frame.easting.astype(float).to_numpy(),
            "northing": frame.northing.astype(float).to_numpy(),
        }))
    return pd.concat(frames, ignore_index=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("out")
    parser.add_argument("--coverage", type=float, default=800.0)
    parser.add_argument("--catchment", type=float, default=1600.0)
    parser.add_argument("--small-areas", default="derived/small_areas_five_councils.csv")
    parser.add_argument("--assets", default="derived/assets_five_councils.csv")
    parser.add_argument("--national", action="store_true")
    args = parser.parse_args()

    if args.national:
        areas = pd.read_csv(f"{args.data}/derived/small_areas_england.csv")
        assets = national_assets(args.data)
    else:
        areas = pd.read_csv(f"{args.data}/{args.small_areas}")
        assets = pd.read_csv(f"{args.data}/{args.assets}")
    demand_xy = areas[["centroid_easting", "centroid_northing"]].to_numpy()
    demand = pd.DataFrame({"geoid": areas["lsoa21_code"], "pop": areas["population"].astype(float)}).set_index("geoid")

    rows = []
    started = time.perf_counter()
    for category, group in assets.groupby("category"):
        supply_xy = group[["easting", "northing"]].to_numpy()
        ids = group["id"].to_numpy()
        # Every (demand, supply) pair within d0, by a k-d tree, then exact
        # Euclidean distances in metres filtered inclusively.
        tree = cKDTree(supply_xy)
        near = tree.query_ball_point(demand_xy, r=args.catchment * (1 + 1e-9))
        origin = np.repeat(np.arange(len(near)), [len(n) for n in near])
        dest = np.concatenate([np.asarray(n, dtype=int) for n in near]) if len(origin) else np.zeros(0, dtype=int)
        d = np.sqrt(((demand_xy[origin] - supply_xy[dest]) ** 2).sum(axis=1))
        keep = d <= args.catchment
        origin, dest, d = origin[keep], dest[keep], d[keep]
        cost = pd.DataFrame({
            "origin": areas["lsoa21_code"].to_numpy()[origin],
            "dest": ids[dest],
            "cost": d,
        })
        supply = pd.DataFrame({"geoid": ids, "supply": 1.0}).set_index("geoid")
        result = fca.two_stage_fca(
            demand, supply, cost, max_cost=args.catchment,
            demand_index="geoid", demand_name="pop", supply_name="supply",
            cost_origin="origin", cost_dest="dest", cost_name="cost",
        )
        result = result.reindex(areas["lsoa21_code"]).fillna(0.0)
        nearest = tree.query(demand_xy, k=1)[0]
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
