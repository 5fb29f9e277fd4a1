#!/usr/bin/env python3
"""The reference peer for `cargo bench --bench hashing`: Meta's PDQ C++
through the `pdqhash` package, driven as HMA and python-threatexchange drive
it. Prints one JSON object with the timings.

  peer.py pixels DIR   raw RGB dumps (NAME.WxH.rgb): pdqhash.compute only
  peer.py scan DIR     every file: read, MD5/SHA-1/SHA-256, Pillow decode, pdqhash
"""
import hashlib, io, json, os, sys, time

import numpy as np
import pdqhash
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../scripts"))
from pytx_pipeline import to_array  # noqa: E402


def pixels(directory, min_seconds):
    arrays = []
    for name in sorted(os.listdir(directory)):
        w, h = map(int, name.rsplit(".", 2)[1].split("x"))
        arrays.append(np.fromfile(os.path.join(directory, name), dtype=np.uint8).reshape(h, w, 3))
    megapixels = sum(a.shape[0] * a.shape[1] for a in arrays) / 1e6
    rounds, start = 0, time.perf_counter()
    while True:
        for a in arrays:
            pdqhash.compute(a)
        rounds += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            break
    return {"megapixels_per_s": megapixels * rounds / elapsed, "rounds": rounds, "images": len(arrays)}


def scan(directory, rounds):
    paths = []
    for root, _, files in os.walk(directory):
        paths.extend(os.path.join(root, f) for f in sorted(files))
    best = None
    for _ in range(rounds):
        start = time.perf_counter()
        for p in paths:
            with open(p, "rb") as f:
                data = f.read()
            hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(), hashlib.sha256(data).hexdigest()
            pdqhash.compute(to_array(Image.open(io.BytesIO(data))))
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return {"seconds": best, "files": len(paths)}


if __name__ == "__main__":
    mode, directory = sys.argv[1], sys.argv[2]
    if mode == "pixels":
        result = pixels(directory, float(sys.argv[3]) if len(sys.argv) > 3 else 3.0)
    else:
        result = scan(directory, int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    print(json.dumps(result))
