#!/usr/bin/env python3
"""Reads a PMTiles archive with the protomaps `pmtiles` package (an
independent reader) and prints, as JSON, its header, its metadata and every
tile's z, x, y, size and SHA-256 of the uncompressed bytes.

    python3 scripts/pmtiles_read.py FILE.pmtiles
"""
import gzip, hashlib, json, sys

from pmtiles.reader import MmapSource, Reader, all_tiles

with open(sys.argv[1], "r+b") as f:
    source = MmapSource(f)
    reader = Reader(source)
    header = reader.header()
    tiles = []
    for (z, x, y), data in all_tiles(source):
        raw = gzip.decompress(data) if header["tile_compression"].value == 2 else data
        tiles.append({"z": z, "x": x, "y": y, "bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest()})
    print(json.dumps({
        "header": {k: (v.value if hasattr(v, "value") else v) for k, v in header.items()},
        "metadata": reader.metadata(),
        "tiles": tiles,
    }))
