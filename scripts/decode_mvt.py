#!/usr/bin/env python3
"""Decodes Mapbox Vector Tiles with the independent `mapbox-vector-tile`
package, for assetmap's tests. Prints one JSON object per file:
{"file": ..., "layers": {name: {"extent": n, "features": [{id, type, properties, geometry}]}}}
with geometry in tile coordinates (y down), as encoded.
Usage: decode_mvt.py FILE...
"""
import gzip
import json
import sys

import mapbox_vector_tile


def main() -> int:
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            data = f.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        layers = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True}) if data else {}
        out = {}
        for name, layer in layers.items():
            out[name] = {
                "extent": layer.get("extent"),
                "features": [
                    {"id": feat.get("id"), "type": feat["geometry"]["type"], "properties": feat["properties"], "geometry": feat["geometry"]["coordinates"]}
                    for feat in layer["features"]
                ],
            }
        print(json.dumps({"file": path, "layers": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
