"""hashwatch's Python package against its peers, measured in one run.

    python crates/python/bench/bench.py [--hashes 1000000] [--queries 1000] [--json]

- PDQ: ``hashwatch.pdq.compute`` against ``pdqhash.compute`` on the same
  NumPy arrays (the repository's corpus and generated photos of several
  sizes), one thread each; then hashwatch on two threads.
- Index: ``hashwatch.Index.range_search`` against faiss's
  ``IndexBinaryFlat.range_search`` and ``IndexBinaryMultiHash`` (as
  python-threatexchange configures it) at radius 31, on the same hashes
  and queries; faiss on one thread, then on its default threads.

Needs ``pip install pdqhash faiss-cpu numpy pillow`` beside hashwatch.
Prints a table, or JSON with ``--json``; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.util
import json
import os
import pathlib
import sys
import time

import faiss
import numpy as np
import pdqhash

import hashwatch

ROOT = pathlib.Path(__file__).resolve().parents[3]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def best_of(runs: int, fn) -> float:
    """The fastest of several timed runs, in seconds: the least disturbed
    by whatever else the machine does."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def corpus_arrays():
    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "scripts" / "make-corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    images = ROOT / "tests" / "corpus" / "images"
    return [np.ascontiguousarray(module.reference_array(str(images / name))) for name in sorted(os.listdir(images))]


def photo(height: int, width: int, seed: int) -> np.ndarray:
    """A smooth picture with edges: gradients, blocks and a little noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    blocks = np.kron(rng.integers(0, 256, (8, 8, 3)), np.ones((height // 8 + 1, width // 8 + 1, 1)))[:height, :width]
    smooth = (np.sin(x / 37.0) + np.cos(y / 23.0))[..., None] * 60 + 128
    noise = rng.normal(0, 8, (height, width, 3))
    return np.clip(0.5 * blocks + 0.5 * smooth + noise, 0, 255).astype(np.uint8)


def bench_pdq(runs: int):
    sets = {"corpus (27 images)": corpus_arrays()}
    for h, w in [(480, 640), (1080, 1920), (3000, 4000)]:
        sets[f"{w}x{h} photos"] = [photo(h, w, s) for s in range(3)]
    rows = []
    for label, arrays in sets.items():
        for a in arrays:
            assert np.array_equal(pdqhash.compute(a)[0], hashwatch.pdq.compute(a)[0])
        log(f"pdq: {label}")
        theirs = best_of(runs, lambda: [pdqhash.compute(a) for a in arrays])
        ours = best_of(runs, lambda: [hashwatch.pdq.compute(a) for a in arrays])
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            two = best_of(runs, lambda: list(pool.map(hashwatch.pdq.compute, arrays * 2))) / 2
        rows.append({
            "set": label,
            "images": len(arrays),
            "pdqhash_ms_per_image": 1000 * theirs / len(arrays),
            "hashwatch_ms_per_image": 1000 * ours / len(arrays),
            "ratio": theirs / ours,
            "hashwatch_2_threads_ratio": theirs / two,
        })
    return rows


def hashes(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 32), dtype=np.uint8)


def near_copies(stored: np.ndarray, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picked = stored[rng.choice(len(stored), count, replace=False)].copy()
    for row in picked:
        bits = np.unpackbits(row)
        bits[rng.choice(256, int(rng.integers(0, 32)), replace=False)] ^= 1
        row[:] = np.packbits(bits)
    return picked


def bench_index(n: int, q: int, runs: int):
    log(f"index: {n:,} hashes, {q:,} queries (half near copies)")
    stored = hashes(n, 1)
    queries = np.concatenate([near_copies(stored, q // 2, 2), hashes(q - q // 2, 3)])
    radius = 31
    start = time.perf_counter()
    ours = hashwatch.Index(stored)
    ours_build = time.perf_counter() - start
    flat = faiss.IndexBinaryFlat(256)
    flat.add(stored)
    multi = faiss.IndexBinaryMultiHash(256, 16, 16)
    start = time.perf_counter()
    multi.add(stored)
    multi_build = time.perf_counter() - start
    multi.nflip = radius // 16

    lims, _, ids = ours.range_search(queries, radius + 1)
    want_lims, _, want_ids = flat.range_search(queries, radius + 1)
    assert np.array_equal(lims, want_lims), "hashwatch and faiss disagree"
    found = int(lims[-1])

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    log("index: faiss IndexBinaryFlat, one thread")
    flat_1 = best_of(runs, lambda: flat.range_search(queries, radius + 1))
    log("index: faiss IndexBinaryMultiHash, one thread")
    multi_1 = best_of(runs, lambda: multi.range_search(queries, radius + 1))
    faiss.omp_set_num_threads(threads)
    log(f"index: faiss IndexBinaryFlat, {threads} threads")
    flat_n = best_of(runs, lambda: flat.range_search(queries, radius + 1))
    log("index: hashwatch, one thread")
    ours_1 = best_of(runs, lambda: ours.range_search(queries, radius + 1))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        halves = np.array_split(queries, 2)
        ours_2 = best_of(runs, lambda: list(pool.map(lambda part: ours.range_search(part, radius + 1), halves)))
    per_query = lambda s: 1e6 * s / len(queries)  # noqa: E731
    return {
        "hashes": n,
        "queries": len(queries),
        "radius": radius,
        "matches": found,
        "faiss_threads": threads,
        "hashwatch_build_s": ours_build,
        "faiss_multihash_build_s": multi_build,
        "us_per_query": {
            "faiss_flat_1_thread": per_query(flat_1),
            f"faiss_flat_{threads}_threads": per_query(flat_n),
            "faiss_multihash_1_thread": per_query(multi_1),
            "hashwatch_1_thread": per_query(ours_1),
            "hashwatch_2_threads": per_query(ours_2),
        },
        "ratio_vs_faiss_flat_1_thread": flat_1 / ours_1,
        "ratio_vs_faiss_flat_all_threads": flat_n / ours_1,
        "ratio_vs_faiss_multihash_1_thread": multi_1 / ours_1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    result = {
        "hashwatch": hashwatch.__version__,
        "pdqhash": getattr(pdqhash, "__version__", "?"),
        "faiss": faiss.__version__,
        "pdq": bench_pdq(args.runs),
        "index": bench_index(args.hashes, args.queries, args.runs),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"PDQ from NumPy arrays (hashwatch {result['hashwatch']}, pdqhash {result['pdqhash']})")
    print(f"{'set':<22} {'pdqhash ms':>11} {'hashwatch ms':>13} {'ratio':>7} {'2 threads':>10}")
    for r in result["pdq"]:
        print(
            f"{r['set']:<22} {r['pdqhash_ms_per_image']:>11.2f} {r['hashwatch_ms_per_image']:>13.2f} "
            f"{r['ratio']:>6.1f}x {r['hashwatch_2_threads_ratio']:>9.1f}x"
        )
    ix = result["index"]
    print(f"\nrange search at radius {ix['radius']}: {ix['hashes']:,} hashes, {ix['queries']:,} queries, "
          f"{ix['matches']:,} matches (faiss {result['faiss']})")
    for name, us in ix["us_per_query"].items():
        print(f"  {name:<28} {us:>10.1f} µs/query")
    print(f"  hashwatch vs faiss IndexBinaryFlat, one thread each: {ix['ratio_vs_faiss_flat_1_thread']:.1f}x")
    print(f"  hashwatch (1 thread) vs faiss IndexBinaryFlat ({ix['faiss_threads']} threads): "
          f"{ix['ratio_vs_faiss_flat_all_threads']:.1f}x")
    print(f"  hashwatch vs faiss IndexBinaryMultiHash, one thread each: {ix['ratio_vs_faiss_multihash_1_thread']:.1f}x")


if __name__ == "__main__":
    main()
