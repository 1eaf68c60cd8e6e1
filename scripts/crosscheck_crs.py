#!/usr/bin/env python3
"""Reference coordinates from pyproj (PROJ) for the EPSG codes assetmap
converts in pure Rust: a grid of longitude/latitude points over the region
each CRS is used for, projected from EPSG:4326 by PROJ. Prints JSON lines:
{"code", "lon", "lat", "x", "y", "operation", "accuracy_m"}.

    python3 scripts/crosscheck_crs.py
"""
import json
from pyproj import Transformer

GB = (-6.0, 50.0, 1.8, 58.5)
IRELAND = (-10.4, 51.5, -6.0, 55.3)
CASES = [
    (32630, (-6.0, 50.0, 0.0, 58.5)),   # UTM 30N, inside its zone
    (32631, (0.0, 50.5, 1.8, 53.0)),    # UTM 31N, East Anglia and Kent
    (3035, GB),                          # ETRS89-LAEA Europe
    (2157, IRELAND),                     # Irish Transverse Mercator (ETRS89)
    (29903, IRELAND),                    # TM75 / Irish Grid (datum shift)
]

for code, (x0, y0, x1, y1) in CASES:
    t = Transformer.from_crs(4326, code, always_xy=True)
    n = 9
    for i in range(n):
        for j in range(n):
            lon = x0 + (x1 - x0) * i / (n - 1)
            lat = y0 + (y1 - y0) * j / (n - 1)
            x, y = t.transform(lon, lat)
            print(json.dumps({"code": code, "lon": lon, "lat": lat, "x": x, "y": y,
                              "operation": t.description, "accuracy_m": t.accuracy}))
# OSGB36 longitude/latitude straight onto the National Grid (same datum).
t = Transformer.from_crs(4277, 27700, always_xy=True)
for i in range(9):
    for j in range(9):
        lon = GB[0] + (GB[2] - GB[0]) * i / 8
        lat = GB[1] + (GB[3] - GB[1]) * j / 8
        e, n = t.transform(lon, lat)
        print(json.dumps({"code": 4277, "lon": lon, "lat": lat, "x": e, "y": n,
                          "operation": t.description, "accuracy_m": t.accuracy}))
