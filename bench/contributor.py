#!/usr/bin/env python3
"""Sends contributions at a steady rate for a bounded time, to 127.0.0.1 only,
and decides every other one as an officer. Prints a JSON summary: sent,
accepted, decided, errors, and latency percentiles (ms).
Usage: contributor.py BASE_URL TOKEN PER_SECOND SECONDS POSTCODE"""
import json
import sys
import time
import urllib.error
import urllib.request


def call(url, body, token=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read()), (time.perf_counter() - started) * 1000
    except urllib.error.HTTPError as e:
        return e.code, None, (time.perf_counter() - started) * 1000
    except OSError:
        return 0, None, (time.perf_counter() - started) * 1000


def main():
    base, token, rate, seconds, postcode = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    assert base.startswith("http://127.0.0.1:"), "loopback only"
    interval = 1.0 / rate
    end = time.monotonic() + seconds
    sent = accepted = decided = errors = 0
    latencies = []
    n = 0
    next_at = time.monotonic()
    while time.monotonic() < end:
        n += 1
        status, body, ms = call(f"{base}/api/contributions", {"kind": "new", "name": f"Load test club {n}", "category": "food_bank", "postcode": postcode})
        sent += 1
        latencies.append(ms)
        if status == 201:
            accepted += 1
            if n % 2 == 0:
                s2, _, ms2 = call(f"{base}/api/contributions/{body['reference']}/decision", {"decision": "approve"}, token)
                latencies.append(ms2)
                if s2 == 200:
                    decided += 1
                else:
                    errors += 1
        else:
            errors += 1
        next_at += interval
        pause = next_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    latencies.sort()
    pct = lambda p: round(latencies[min(len(latencies) - 1, int(len(latencies) * p))], 1) if latencies else None
    print(json.dumps({"sent": sent, "accepted": accepted, "decided": decided, "errors": errors,
                      "p50_ms": pct(0.5), "p99_ms": pct(0.99), "seconds": seconds}))


main()
