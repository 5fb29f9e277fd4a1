#!/usr/bin/env python3
"""The reference peer for `cargo bench --bench video`: Meta's vpdq (PyPI,
built against this machine's libav*) and python-threatexchange's vPDQ
index (faiss). Prints one JSON object.

  vpdq_peer.py hash DIR SECONDS      every frame of each file, one thread
  vpdq_peer.py index BANK QUERIES    BANK and QUERIES hold one video a line,
                                     frames as hex separated by spaces
"""
import json, os, sys, time


def hash_dir(directory, min_seconds):
    import vpdq

    paths = [os.path.join(directory, n) for n in sorted(os.listdir(directory))]
    frames, rounds, start = 0, 0, time.perf_counter()
    while True:
        for p in paths:
            try:
                features = vpdq.computeHash(p, seconds_per_hash=0, num_threads=1)
            except TypeError:  # older bindings without num_threads
                features = vpdq.computeHash(p, seconds_per_hash=0)
            frames += len(features)
        rounds += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            break
    return {"frames_per_s": frames / elapsed, "frames": frames, "rounds": rounds}


def signal(line):
    from threatexchange.extensions.vpdq.vpdq_util import VpdqCompactFeature, vpdq_to_json

    hexes = line.split()
    return vpdq_to_json([VpdqCompactFeature(h, 100, float(i)) for i, h in enumerate(hexes)])


def index(bank_path, queries_path):
    from threatexchange.extensions.vpdq.vpdq_index import VPDQIndex

    start = time.perf_counter()
    with open(bank_path) as f:
        entries = [(signal(line), i) for i, line in enumerate(f)]
    idx = VPDQIndex.build(entries)
    built = time.perf_counter() - start
    with open(queries_path) as f:
        queries = [signal(line) for line in f]
    results = []
    start = time.perf_counter()
    for q in queries:
        found = idx.query(q)
        results.append(sorted(
            [m.metadata, m.similarity_info.query_match_percent, m.similarity_info.compared_match_percent]
            for m in found
        ))
    elapsed = time.perf_counter() - start
    return {
        "lookups_per_s": len(queries) / elapsed,
        "build_s": built,
        "matches": results,
    }


if __name__ == "__main__":
    if sys.argv[1] == "hash":
        out = hash_dir(sys.argv[2], float(sys.argv[3]))
    else:
        out = index(sys.argv[2], sys.argv[3])
    print(json.dumps(out))
