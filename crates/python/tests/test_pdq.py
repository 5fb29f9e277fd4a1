"""hashwatch.pdq against Meta's reference: the corpus's recorded hashes and,
for arbitrary arrays, the pdqhash package itself."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import hashwatch
from hashwatch import pdq
from conftest import hex_of


def test_every_corpus_array_hashes_as_the_reference(corpus_arrays, reference_pdq, reference_dihedral):
    assert len(corpus_arrays) == len(reference_pdq) > 40
    for name, array in corpus_arrays:
        bits, quality = pdq.compute(array)
        assert (hex_of(bits), quality) == reference_pdq[name], name
        variants, dihedral_quality = pdq.compute_dihedral(array)
        assert [hex_of(v) for v in variants] == reference_dihedral[name], name
        assert dihedral_quality == quality
        assert pdq.hash_image(array) == reference_pdq[name]


def test_a_drop_in_for_pdqhash_on_the_corpus(corpus_arrays):
    """`from hashwatch import pdq as pdqhash`: same types, dtypes, values."""
    pdqhash = pytest.importorskip("pdqhash")
    for name, array in corpus_arrays:
        array = np.ascontiguousarray(array)
        want_bits, want_quality = pdqhash.compute(array)
        got_bits, got_quality = pdq.compute(array)
        assert type(got_quality) is type(want_quality) is int
        assert got_bits.dtype == want_bits.dtype and got_bits.shape == want_bits.shape
        assert np.array_equal(got_bits, want_bits), name
        assert got_quality == want_quality, name
        want_variants, want_q = pdqhash.compute_dihedral(array)
        got_variants, got_q = pdq.compute_dihedral(array)
        assert isinstance(got_variants, list) and len(got_variants) == 8
        for got, want in zip(got_variants, want_variants):
            assert np.array_equal(got, want), name
        assert got_q == want_q


def _image(kind: str, height: int, width: int, channels: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "noise":
        return rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
    if kind == "gradient":
        y, x = np.mgrid[0:height, 0:width]
        base = (x * rng.integers(1, 9) + y * rng.integers(1, 9)) % 256
        return np.dstack([(base + 40 * c) % 256 for c in range(channels)]).astype(np.uint8)
    if kind == "blocks":
        small = rng.integers(0, 256, (max(1, height // 7), max(1, width // 7), channels), dtype=np.uint8)
        big = np.repeat(np.repeat(small, 7, axis=0), 7, axis=1)
        return np.ascontiguousarray(big[:height, :width])
    flat = rng.integers(0, 256, channels, dtype=np.uint8)
    return np.broadcast_to(flat, (height, width, channels)).copy()


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["noise", "gradient", "blocks", "flat"]),
    height=st.one_of(st.integers(1, 80), st.integers(60, 700), st.just(64)),
    width=st.one_of(st.integers(1, 80), st.integers(60, 700), st.just(64)),
    channels=st.sampled_from([3, 4]),
    seed=st.integers(0, 2**32 - 1),
    layout=st.sampled_from(["contiguous", "strided", "fortran"]),
)
def test_any_array_hashes_as_pdqhash_does(kind, height, width, channels, seed, layout):
    pdqhash = pytest.importorskip("pdqhash")
    array = _image(kind, height, width, channels, seed)
    if layout == "strided" and height > 2 and width > 2:
        array = array[::2, 1:]
    elif layout == "fortran":
        array = np.asfortranarray(array)
    # pdqhash hands the C++ the memory of its grey array as if it were in
    # row order, which a Fortran-ordered array's is not: it hashes a
    # scrambled picture. hashwatch hashes the picture, as pdqhash does the
    # same picture in row order.
    picture = np.ascontiguousarray(array) if layout == "fortran" else array
    want_bits, want_quality = pdqhash.compute(picture)
    got_bits, got_quality = pdq.compute(array)
    assert np.array_equal(got_bits, want_bits)
    assert got_quality == want_quality
    want_variants, _ = pdqhash.compute_dihedral(picture)
    got_variants, _ = pdq.compute_dihedral(array)
    assert all(np.array_equal(g, w) for g, w in zip(got_variants, want_variants))


def test_grey_arrays_hash_as_their_rgb_stack():
    pdqhash = pytest.importorskip("pdqhash")
    grey = _image("blocks", 123, 97, 1, 7)[:, :, 0]
    want_bits, want_quality = pdqhash.compute(np.dstack([grey] * 3))
    for form in (grey, grey[:, :, np.newaxis]):
        got_bits, got_quality = pdq.compute(form)
        assert np.array_equal(got_bits, want_bits) and got_quality == want_quality


def test_conversions_round_trip():
    bits, _ = pdq.compute(_image("noise", 50, 60, 3, 1))
    hex_hash = pdq.to_hex(bits)
    assert hex_hash == hex_of(bits)
    assert np.array_equal(pdq.to_bits(hex_hash), bits)
    assert pdq.to_hex(bytes.fromhex(hex_hash)) == hex_hash
    assert pdq.to_hex(np.frombuffer(bytes.fromhex(hex_hash), dtype=np.uint8)) == hex_hash
    assert pdq.to_hex(bits.astype(bool)) == hex_hash
    assert pdq.to_hex(bits.tolist()) == hex_hash
    other = "f" * 64
    assert hashwatch.distance(hex_hash, other) == 256 - int(bits.sum())
    assert hashwatch.distance(bits, hex_hash) == 0


@pytest.mark.parametrize(
    "bad, error",
    [
        (np.zeros((10, 10, 3), dtype=np.float32), TypeError),
        (np.zeros((10, 10, 3), dtype=np.int8), TypeError),
        ([[1, 2], [3, 4]], TypeError),
        (np.zeros((10,), dtype=np.uint8), ValueError),
        (np.zeros((10, 10, 2), dtype=np.uint8), ValueError),
        (np.zeros((0, 10, 3), dtype=np.uint8), ValueError),
    ],
)
def test_bad_arrays_are_refused_clearly(bad, error):
    with pytest.raises(error) as raised:
        pdq.compute(bad)
    assert "array" in str(raised.value) or "empty" in str(raised.value)


@pytest.mark.parametrize(
    "bad, error",
    [
        ("abc", hashwatch.InvalidHash),
        ("g" * 64, hashwatch.InvalidHash),
        ("0" * 63, hashwatch.InvalidHash),
        (b"\x00" * 31, hashwatch.InvalidHash),
        (np.full(256, 2), hashwatch.InvalidHash),
        (np.zeros(255, dtype=np.int64), hashwatch.InvalidHash),
        (5, TypeError),
    ],
)
def test_malformed_hashes_are_refused(bad, error):
    with pytest.raises(error):
        hashwatch.distance(bad, "0" * 64)
    # In a batch, the same hash gives the same error.
    with pytest.raises(error):
        hashwatch.Index().add(bad)
    if error is hashwatch.InvalidHash:
        assert isinstance(hashwatch.InvalidHash("x"), ValueError)


def test_hashing_lets_other_threads_run():
    """The GIL is released while hashing: a Python thread counting in the
    background keeps counting during one long compute. (Were the GIL held,
    the count could not move during the call.)"""
    image = _image("noise", 3000, 3000, 3, 3)
    count = 0
    stop = threading.Event()
    started = threading.Event()

    def counter():
        nonlocal count
        started.set()
        while not stop.is_set():
            count += 1

    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    thread = threading.Thread(target=counter)
    thread.start()
    started.wait()
    try:
        moved = []
        for _ in range(3):
            before = count
            pdq.compute(image)
            moved.append(count - before)
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(previous)
    # Thousands of increments happen per millisecond the counter runs; a
    # held GIL allows at most the few before the call takes it.
    assert max(moved) > 10_000, moved
