#!/usr/bin/env python3
"""The faiss peer for `cargo bench -p hashwatch-index`: the same hashes and
queries through faiss IndexBinaryFlat and IndexBinaryMultiHash (16 x 16-bit
slots, like hashwatch and Meta's mih.h), single-threaded. Prints JSON.

  faiss_peer.py HASHES.bin QUERIES.bin RADIUS FLAT_QUERIES
"""
import json, resource, sys, time

import numpy as np
import faiss


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024


def run(index, queries, radius):
    counts, times = [], []
    for q in queries:
        t = time.perf_counter()
        # faiss range search on binary indexes returns distances < radius.
        lims, _, _ = index.range_search(q[None, :], radius + 1)
        times.append(time.perf_counter() - t)
        counts.append(int(lims[1]))
    times = np.array(times) * 1000
    return counts, float(np.percentile(times, 50)), float(np.percentile(times, 99))


def main():
    hashes_path, queries_path, radius, flat_queries = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    faiss.omp_set_num_threads(1)
    hashes = np.fromfile(hashes_path, dtype=np.uint8).reshape(-1, 32)
    queries = np.fromfile(queries_path, dtype=np.uint8).reshape(-1, 32)
    out = {}
    base = rss_mb()
    t = time.perf_counter()
    mih = faiss.IndexBinaryMultiHash(256, 16, 16)
    mih.add(hashes)
    out["multihash_build_s"] = time.perf_counter() - t
    out["multihash_rss_mb"] = rss_mb() - base
    # faiss's default probes only the query's own bucket in each slot
    # (nflip 0), which misses matches; nflip 1 makes radius 31 exact.
    counts, p50, p99 = run(mih, queries, radius)
    out.update(multihash0_counts=counts, multihash0_p50_ms=p50, multihash0_p99_ms=p99)
    mih.nflip = 1
    counts, p50, p99 = run(mih, queries, radius)
    out.update(multihash_counts=counts, multihash_p50_ms=p50, multihash_p99_ms=p99)
    del mih
    t = time.perf_counter()
    flat = faiss.IndexBinaryFlat(256)
    flat.add(hashes)
    out["flat_build_s"] = time.perf_counter() - t
    counts, p50, p99 = run(flat, queries[:flat_queries], radius)
    out.update(flat_counts=counts, flat_p50_ms=p50, flat_p99_ms=p99)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
