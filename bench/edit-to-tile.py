#!/usr/bin/env python3
"""How long an officer's edit takes to show in the map's tiles: for each of
N assets, warm the z16 asset tile it is moving into (so the cache holds the
old one), PATCH a new name and a 10 m move with If-Match, and GET that tile
until its bytes carry the new name. One edit at a time.

    bench/edit-to-tile.py URL TOKEN N
Prints one JSON line: edits, errors, and p50/p99/max of the edit's
acknowledgement and of edit-to-visible-in-the-tile (ms, from sending the PATCH).
"""
import http.client, json, math, sys, time, urllib.parse

url, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(url)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)


def call(method, path, body=None, headers=None):
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    return r.status, r.getheader("ETag"), r.read()


def tile(lon, lat, z=16):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/assets/{z}/{x}/{y}.mvt"


status, _, data = call("GET", f"/collections/assets/items?limit={count * 3}&category=pharmacy")
features = [f for f in json.loads(data)["features"] if f["properties"].get("ward_code")][:count]
acks, visible, errors = [], [], 0
deadline_s = 5.0
for i, f in enumerate(features):
    path = "/collections/assets/items/" + urllib.parse.quote(f["id"], safe=":")
    s, etag, body = call("GET", path)
    lon, lat = json.loads(body)["geometry"]["coordinates"]
    lon2 = lon + 10 / (111_320 * math.cos(math.radians(lat)))
    t = tile(lon2, lat)
    call("GET", t)  # the old tile, cached
    name = f"Edited pharmacy {i} {int(time.time() * 1000) % 100000}"
    patch = json.dumps({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon2, lat]}, "properties": {"name": name}})
    t0 = time.monotonic()
    s, _, body = call("PATCH", path, patch, {"Authorization": f"Bearer {token}", "If-Match": etag, "Content-Type": "application/merge-patch+json"})
    t_ack = time.monotonic()
    if s != 200:
        errors += 1
        print(f"PATCH {f['id']}: {s} {body[:200]!r}", file=sys.stderr)
        continue
    acks.append((t_ack - t0) * 1000)
    while True:
        s, _, b = call("GET", t)
        if s == 200 and name.encode() in b:
            visible.append((time.monotonic() - t0) * 1000)
            break
        if time.monotonic() - t0 > deadline_s:
            errors += 1
            print(f"{f['id']}: not in {t} after {deadline_s} s", file=sys.stderr)
            break


def q(v, p):
    v = sorted(v)
    return round(v[min(len(v) - 1, int(p * len(v)))], 2) if v else None


print(json.dumps({"edits": len(acks), "errors": errors,
                  "ack_p50_ms": q(acks, 0.5), "ack_p99_ms": q(acks, 0.99), "ack_max_ms": q(acks, 1.0),
                  "visible_p50_ms": q(visible, 0.5), "visible_p99_ms": q(visible, 0.99), "visible_max_ms": q(visible, 1.0)}))
