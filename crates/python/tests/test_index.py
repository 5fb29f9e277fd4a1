"""hashwatch.Index against faiss's exact binary index on the same data."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import hashwatch
from hashwatch import pdq
from conftest import CORPUS

faiss = pytest.importorskip("faiss")


def _hashes(n: int, seed: int) -> np.ndarray:
    """n packed hashes: random ones, and near copies of them (1–40 bits
    flipped) so that every radius has matches."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (n // 2, 32), dtype=np.uint8)
    near = base.copy()
    for row in near:
        bits = np.unpackbits(row)
        flip = rng.choice(256, size=rng.integers(1, 41), replace=False)
        bits[flip] ^= 1
        row[:] = np.packbits(bits)
    return np.concatenate([base, near])


@pytest.fixture(scope="module")
def data():
    stored = _hashes(20_000, 1)
    # Queries: near copies of stored hashes, and unrelated ones.
    queries = np.concatenate([_hashes(400, 2), stored[:200] ^ np.uint8(1), stored[:100]])
    flat = faiss.IndexBinaryFlat(256)
    flat.add(stored)
    return stored, queries, flat, hashwatch.Index(stored)


@pytest.mark.parametrize("radius", [1, 8, 32, 48])
def test_range_search_finds_what_faiss_finds(data, radius):
    stored, queries, flat, index = data
    want_lims, want_d, want_i = flat.range_search(queries, radius)
    got_lims, got_d, got_i = index.range_search(queries, radius)
    assert got_lims.dtype == want_lims.dtype and got_i.dtype == want_i.dtype
    assert np.array_equal(got_lims, want_lims)
    for q in range(len(queries)):
        want = sorted(zip(want_i[want_lims[q]:want_lims[q + 1]], want_d[want_lims[q]:want_lims[q + 1]].astype(int)))
        got = sorted(zip(got_i[got_lims[q]:got_lims[q + 1]], got_d[got_lims[q]:got_lims[q + 1]].astype(int)))
        assert got == want, q
    assert sum(want_lims[1:] - want_lims[:-1]) > 0


def test_knn_search_matches_faiss(data):
    stored, queries, flat, index = data
    k = 5
    want_d, want_i = flat.search(queries, k)
    got_d, got_i = index.search(queries, k)
    assert got_d.shape == want_d.shape == (len(queries), k)
    assert np.array_equal(got_d, want_d)
    # Where several hashes tie at the k-th distance either may be kept;
    # below it the sets agree, and every listed id is at its distance.
    for row in range(len(queries)):
        last = want_d[row][-1]
        assert set(got_i[row][got_d[row] < last]) == set(want_i[row][want_d[row] < last]), row
        for d, i in zip(got_d[row], got_i[row]):
            assert int(np.unpackbits(stored[i] ^ queries[row]).sum()) == d
    small = hashwatch.Index(stored[:3])
    d, i = small.search(queries[:2], 5)
    assert (i[:, 3:] == -1).all() and (d[:, 3:] == 2147483647).all()


def test_single_queries_are_inclusive_and_nearest_first(data):
    stored, queries, _, index = data
    query = stored[7].copy()
    query[:3] ^= np.uint8(0b1011)  # 9 bits from stored[7], which has a near copy too
    found = index.query(query, 31)
    assert len(found) >= 1 and found[0] == (7, 9)
    assert found == sorted(found, key=lambda m: (m[1], m[0]))
    want = sorted(
        (i, d) for i, d in enumerate(int(np.unpackbits(stored[i] ^ query).sum()) for i in range(len(stored))) if d <= 31
    )
    assert sorted(found) == want
    nearest = index.nearest(query, 3)
    assert nearest[: len(found)] == found[:3]
    assert [d for _, d in nearest] == sorted(d for _, d in nearest)


def test_add_remove_and_ids():
    index = hashwatch.Index()
    ids = index.add(["0" * 64, "f" * 64])
    assert ids.tolist() == [0, 1]
    index.add_with_ids(["0" * 63 + "1"], [1000])
    assert index.add(["a" * 64]).tolist() == [1001]
    assert len(index) == index.ntotal == 4 and 1000 in index
    assert index.query("0" * 64, 1) == [(0, 0), (1000, 1)]
    assert index.remove_ids(np.array([1000, 5], dtype=np.int64)) == 1
    assert index.query("0" * 64, 1) == [(0, 0)]
    assert index.get(1) == "f" * 64 and index.get(1000) is None
    index.add_with_ids(["1" * 64], [0])  # replaces
    assert index.get(0) == "1" * 64 and len(index) == 3
    with pytest.raises(ValueError):
        index.add_with_ids(["0" * 64], [1, 2])
    with pytest.raises(hashwatch.InvalidHash):
        index.add(["0" * 64, "not a hash"])
    assert len(index) == 3, "a refused batch adds nothing"


def test_every_hash_form_is_the_same_hash():
    bits, _ = pdq.compute(np.random.default_rng(5).integers(0, 256, (80, 90, 3), dtype=np.uint8))
    hex_hash = pdq.to_hex(bits)
    packed = np.frombuffer(bytes.fromhex(hex_hash), dtype=np.uint8)
    forms = [hex_hash, bytes.fromhex(hex_hash), packed, bits, packed[np.newaxis, :], bits[np.newaxis, :], [hex_hash]]
    for form in forms:
        index = hashwatch.Index(form)
        assert index.get(0) == hex_hash, type(form)


def test_dihedral_query_finds_a_rotated_copy():
    from PIL import Image

    image = np.asarray(Image.open(CORPUS / "images" / "sk_astronaut.png").convert("RGB"))
    known, _ = pdq.compute(image)
    index = hashwatch.Index([known])
    rotated = np.ascontiguousarray(np.rot90(image))
    plain, _ = pdq.compute(rotated)
    assert index.query(plain, 31) == []
    variants, _ = pdq.compute_dihedral(rotated)
    (match,) = index.query_dihedral(variants, 31)
    assert match[0] == 0 and match[1] <= 31 and match[2] == "rot270"


def test_save_load_and_pickle(tmp_path, data):
    stored, queries, _, index = data
    path = tmp_path / "index.hwi"
    index.save(path)
    loaded = hashwatch.Index.load(path)
    assert len(loaded) == len(index)
    assert loaded.range_search(queries, 32)[0].tolist() == index.range_search(queries, 32)[0].tolist()
    assert loaded.add(["0" * 64]).tolist() == [len(stored)]
    unpickled = pickle.loads(pickle.dumps(index))
    assert unpickled.query(queries[0], 40) == index.query(queries[0], 40)
    raw = path.read_bytes()
    for damaged in (raw[:-3], raw[:20], b"HWPDQIX1" + raw[8:-1] + bytes([raw[-1] ^ 1]), b"not an index at all"):
        path.write_bytes(damaged)
        with pytest.raises(hashwatch.SnapshotError):
            hashwatch.Index.load(path)
    with pytest.raises(FileNotFoundError) as missing:
        hashwatch.Index.load(tmp_path / "missing")
    assert missing.value.filename == str(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        index.save(tmp_path / "no such folder" / "index.hwi")


def test_threads_search_and_change_one_index_at_once():
    """Searches release the GIL; additions and removals from other threads
    meanwhile neither deadlock nor lose anything."""
    import threading

    stored = _hashes(20_000, 3)
    index = hashwatch.Index(stored)
    queries = stored[:300]
    failures = []

    def searcher():
        try:
            for _ in range(20):
                lims, _, _ = index.range_search(queries, 32)
                # Every query is a stored hash, found at least as itself.
                assert (lims[1:] - lims[:-1] >= 1).all()
        except Exception as e:  # reported below
            failures.append(e)

    def changer(first):
        try:
            for i in range(300):
                index.add_with_ids(["0" * 63 + format(i % 16, "x")], [first + i])
                index.remove_ids([first + i])
        except Exception as e:
            failures.append(e)

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    threads += [threading.Thread(target=changer, args=(1_000_000 * (k + 1),)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    assert failures == []
    assert len(index) == len(stored)


def test_ids_stay_int64_and_huge_answers_are_refused():
    index = hashwatch.Index()
    with pytest.raises(ValueError):
        index.add_with_ids(["0" * 64], [2**63])
    with pytest.raises((ValueError, OverflowError)):
        index.add_with_ids(["0" * 64], [-1])
    index.add_with_ids(["0" * 64], [2**63 - 1])
    with pytest.raises(OverflowError):
        index.add(["f" * 64])
    assert len(index) == 1 and index.search(["0" * 64], 1)[1].tolist() == [[2**63 - 1]]
    with pytest.raises(ValueError):
        index.search(["0" * 64], 10**12)
    with pytest.raises(ValueError):
        hashwatch.Index(ids=[1, 2])


def test_far_queries_find_their_k_nearest(data):
    stored, _, flat, index = data
    far = np.full((3, 32), 0x0F, dtype=np.uint8)
    want_d, _ = flat.search(far, 4)
    got_d, got_i = index.search(far, 4)
    assert np.array_equal(got_d, want_d)
    for row in range(3):
        for d, i in zip(got_d[row], got_i[row]):
            assert int(np.unpackbits(stored[i] ^ far[row]).sum()) == d


def test_wrong_arguments_say_what_is_wrong():
    index = hashwatch.Index(["0" * 64])
    for call in (lambda: index.query("0" * 64, -1), lambda: index.search(["0" * 64], -1),
                 lambda: index.add_with_ids(["0" * 64], [-5]), lambda: index.nearest("0" * 64, -2)):
        with pytest.raises(ValueError) as raised:
            call()
        assert "not -" in str(raised.value)
    with pytest.raises(TypeError) as raised:
        index.add(np.random.default_rng(1).random((3, 256)))
    assert "(3, 256)" in str(raised.value) and "float64" in str(raised.value)
    with pytest.raises(TypeError) as raised:
        index.add(np.zeros(256, np.float32))
    assert "float32" in str(raised.value)
    for wrong_length in (np.zeros(255, np.uint8), bytes(31)):
        with pytest.raises(hashwatch.InvalidHash):
            hashwatch.to_hex(wrong_length)
    assert len(index) == 1
