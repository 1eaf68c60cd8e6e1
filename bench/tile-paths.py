#!/usr/bin/env python3
"""Writes a shuffled list of tile paths at zooms 6..16 over England for the
tile load test: tiles under real asset positions (where maps are looked at)
and under uniformly random points. Seeded, so every run asks for the same tiles.
Usage: tile-paths.py DATA_DIR OUT [N]"""
import csv
import math
import random
import sys

data, out = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
rng = random.Random(20261128)
points = []
with open(f"{data}/assets/pharmacies_edispensary_england_geocoded.csv", newline="") as f:
    for row in csv.DictReader(f):
        if row["lon"] and row["lat"]:
            points.append((float(row["lon"]), float(row["lat"])))


def tile(lon, lat, z):
    k = 2 ** z
    x = int((lon + 180) / 360 * k)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * k)
    return z, x, y


paths = []
for _ in range(n):
    if rng.random() < 0.7:
        lon, lat = rng.choice(points)
    else:
        lon, lat = rng.uniform(-5.7, 1.7), rng.uniform(50.0, 55.8)
    z = rng.randint(6, 16)
    layer = rng.choice(["all", "all", "assets", "wards"])
    paths.append("/tiles/%s/%d/%d/%d.mvt" % ((layer,) + tile(lon, lat, z)))
rng.shuffle(paths)
with open(out, "w") as f:
    f.write("\n".join(paths) + "\n")
