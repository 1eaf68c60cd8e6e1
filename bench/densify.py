#!/usr/bin/env python3
"""Densifies a GeoJSON file of polygons: each segment becomes FACTOR segments
(points inserted along it), so the national BSC boundaries reach the vertex
counts of ONS's full-resolution (BFC) files. Used by dense-boundaries.sh.

    densify.py IN OUT FACTOR
"""
import json
import sys


def densify_ring(ring, factor):
    out = []
    for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
        for k in range(factor):
            t = k / factor
            out.append([round(x0 + (x1 - x0) * t, 7), round(y0 + (y1 - y0) * t, 7)])
    out.append(ring[-1])
    return out


def main():
    src, dst, factor = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(src) as f:
        data = json.load(f)
    vertices = 0
    for feature in data["features"]:
        g = feature["geometry"]
        polygons = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        for polygon in polygons:
            for i, ring in enumerate(polygon):
                polygon[i] = densify_ring(ring, factor)
                vertices += len(polygon[i])
    with open(dst, "w") as f:
        json.dump(data, f, separators=(",", ":"))
    print(f"{dst}: {len(data['features'])} features, {vertices} vertices", file=sys.stderr)


if __name__ == "__main__":
    main()
