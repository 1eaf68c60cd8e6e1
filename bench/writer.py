#!/usr/bin/env python3
"""Officers' writes at a steady rate through one replica, and how long each
takes to be served by another: PATCH (rename and a 10 m move) with If-Match,
then GET the item from the reading replica until its ETag is the new one.

    bench/writer.py WRITE_URL READ_URL TOKEN RATE_PER_S DURATION_S
Prints one JSON line: writes, errors, ack and write-to-visible p50/p99 (ms).
"""
import http.client, json, sys, time, urllib.parse

write_url, read_url, token, rate, duration = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])

def conn(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=10)

w, r = conn(write_url), conn(read_url)

def call(c, method, path, body=None, headers=None):
    c.request(method, path, body=body, headers=headers or {})
    resp = c.getresponse()
    data = resp.read()
    return resp.status, resp.getheader("ETag"), data

status, _, data = call(r, "GET", "/collections/assets/items?limit=200&category=gp")
# Assets inside a ward, so that a small move keeps them inside the coverage.
ids = [f["id"] for f in json.loads(data)["features"] if f["properties"].get("ward_code")]
etags, coords = {}, {}
for i in ids:
    s, e, body = call(r, "GET", "/collections/assets/items/" + urllib.parse.quote(i, safe=":"))
    etags[i] = e
    coords[i] = json.loads(body)["geometry"]["coordinates"]

acks, visible, errors, n = [], [], 0, 0
refused = {}
start = time.monotonic()
while time.monotonic() - start < duration:
    due = start + n / rate
    now = time.monotonic()
    if due > now:
        time.sleep(due - now)
    i = ids[n % len(ids)]
    n += 1
    lon, lat = coords[i]
    lon += 0.00003 if n % 2 else -0.00003
    coords[i] = [lon, lat]
    body = json.dumps({"geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": {"name": "Bench practice %d" % n}})
    t0 = time.monotonic()
    try:
        s, e, data = call(w, "PATCH", "/collections/assets/items/" + urllib.parse.quote(i, safe=":"), body,
                          {"Authorization": "Bearer " + token, "Content-Type": "application/merge-patch+json", "If-Match": etags[i]})
    except Exception:
        errors += 1; w = conn(write_url); continue
    t1 = time.monotonic()
    if s != 200:
        errors += 1
        refused[s] = refused.get(s, 0) + 1
        if len(refused) == 1 and refused[s] == 1:
            sys.stderr.write("first refusal: %d %s\n" % (s, data[:300]))
        continue
    etags[i] = e
    acks.append((t1 - t0) * 1000)
    while True:
        s, got, _ = call(r, "HEAD" if False else "GET", "/collections/assets/items/" + urllib.parse.quote(i, safe=":"))
        if got == e:
            break
        if time.monotonic() - t1 > 5:
            errors += 1
            break
    visible.append((time.monotonic() - t0) * 1000)

def pct(v, p):
    v = sorted(v)
    return round(v[min(len(v) - 1, int(len(v) * p))], 1) if v else None

print(json.dumps({"writes": len(acks), "errors": errors, "refused_by_status": refused, "ack_p50_ms": pct(acks, .5), "ack_p99_ms": pct(acks, .99),
                  "visible_p50_ms": pct(visible, .5), "visible_p99_ms": pct(visible, .99)}))
