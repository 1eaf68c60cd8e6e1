#!/usr/bin/env python3
"""Checks that Cargo.toml's rust-version is true: at least the largest
rust-version of any dependency the package builds with (dev-dependencies
left out, every platform's included). Reads `cargo metadata`.

    python3 scripts/check_rust_version.py      # exit 1 when it is too low
"""
import json, subprocess, sys

meta = json.loads(subprocess.run(["cargo", "metadata", "--format-version", "1", "--locked"],
                                 check=True, capture_output=True, text=True).stdout)
packages = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
root = meta["resolve"]["root"]

def version(text):
    return tuple(int(x) for x in (text or "0").split(".")[:3]) + (0,) * (3 - len((text or "0").split(".")[:3]))

seen, stack = set(), [root]
while stack:
    node = nodes[stack.pop()]
    for dep in node["deps"]:
        kinds = {k["kind"] for k in dep["dep_kinds"]}
        if node["id"] == root and kinds == {"dev"}:
            continue
        if dep["pkg"] not in seen:
            seen.add(dep["pkg"])
            stack.append(dep["pkg"])

needed = max(((version(packages[p].get("rust_version")), packages[p]["name"], packages[p]["version"]) for p in seen),
             default=((0, 0, 0), "", ""))
ours_text = packages[root].get("rust_version")
if not ours_text:
    sys.exit("Cargo.toml declares no rust-version")
ours = version(ours_text)
print(f"rust-version {ours_text}; the dependencies need {'.'.join(map(str, needed[0]))} ({needed[1]} {needed[2]})")
if ours < needed[0]:
    sys.exit(f"rust-version {ours_text} is too low: {needed[1]} {needed[2]} needs {'.'.join(map(str, needed[0]))}")
