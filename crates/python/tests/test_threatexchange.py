"""The python-threatexchange extension, against python-threatexchange's own
PDQ signal type and index, in the library and through its CLI."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("threatexchange")
from threatexchange.signal_type.pdq.pdq_index import PDQIndex  # noqa: E402
from threatexchange.signal_type.pdq.signal import PdqSignal as PytxPdqSignal  # noqa: E402
from threatexchange.interface_validation import SignalTypeMapping  # noqa: E402
from threatexchange.content_type.photo import PhotoContent  # noqa: E402

import hashwatch  # noqa: E402
from hashwatch import threatexchange as hwtx  # noqa: E402
from conftest import CORPUS  # noqa: E402


def _flip(hex_hash: str, bits, rng) -> str:
    value = int(hex_hash, 16)
    for b in rng.choice(256, size=bits, replace=False):
        value ^= 1 << int(b)
    return f"{value:064x}"


@pytest.fixture(scope="module")
def entries(reference_pdq):
    rng = np.random.default_rng(4)
    hashes = sorted({h for h, q in reference_pdq.values() if q >= 50})
    rows = []
    for i, h in enumerate(hashes):
        rows.append((h, f"item{i}"))
        rows.append((_flip(h, int(rng.integers(1, 45)), rng), f"near{i}"))
    rows.append((hashes[0], "second entry, same hash"))
    rows += [(f"{int(rng.integers(0, 2**63)):016x}" * 4, f"random{i}") for i in range(500)]
    return hashes, rows


def test_the_index_matches_pytx_pdq_index(entries):
    hashes, rows = entries
    rng = np.random.default_rng(8)
    theirs = PDQIndex.build(rows)
    ours = hwtx.HashwatchPDQIndex.build(rows)
    assert len(ours) == len(theirs) == len(rows)
    queries = hashes + [_flip(h, int(rng.integers(0, 40)), rng) for h in hashes for _ in range(4)]
    total = 0
    for query in queries:
        want = sorted((m.metadata, m.similarity_info.distance) for m in theirs.query(query))
        got = sorted((m.metadata, m.similarity_info.distance) for m in ours.query(query))
        assert got == want, query
        total += len(got)
    assert total > len(hashes), "the comparison saw matches"


def test_a_batch_with_a_bad_hash_changes_nothing(entries):
    hashes, rows = entries
    index = hwtx.HashwatchPDQIndex.build(rows[:10])
    before = len(index)
    with pytest.raises(hashwatch.InvalidHash):
        index.add_all([(rows[20][0], "new"), ("not a hash", "bad")])
    assert len(index) == before
    assert "new" not in [m.metadata for m in index.query(rows[20][0])]
    index.add_all([(rows[20][0].upper(), "new")])
    assert "new" in [m.metadata for m in index.query(rows[20][0])]


def test_the_index_serializes_as_pytx_indexes_do(tmp_path, entries):
    hashes, rows = entries
    index = hwtx.HashwatchPDQIndex.build(rows)
    path = tmp_path / "pdq.index"
    with path.open("wb") as f:
        index.serialize(f)
    with path.open("rb") as f:
        loaded = hwtx.HashwatchPDQIndex.deserialize(f)
    for query in hashes[:10]:
        assert [(m.metadata, m.similarity_info.distance) for m in loaded.query(query)] == [
            (m.metadata, m.similarity_info.distance) for m in index.query(query)
        ]


# python-threatexchange hands pdqhash the palette indices of a palette
# image, a boolean array for a 1-bit one, and 16-bit values it clips:
# not the picture. hashwatch hashes the picture (tests/corpus/README.md).
NOT_THE_PICTURE_IN_PYTX = ("P", "PA", "1", "I;16", "I;16B", "I")


def test_the_signal_type_hashes_files_as_pytx_does(reference_pdq):
    from PIL import Image

    compared = 0
    for path in sorted((CORPUS / "images").iterdir()):
        ours = hwtx.PdqSignal.hash_from_file(path)
        assert hwtx.PdqSignal.hash_from_bytes(path.read_bytes()) == ours
        reference, quality = reference_pdq[path.name]
        assert ours == (reference if quality >= 50 else ""), path.name
        if Image.open(path).mode in NOT_THE_PICTURE_IN_PYTX:
            continue
        assert ours == PytxPdqSignal.hash_from_file(path), path.name
        compared += 1
    assert compared >= 20


def test_the_signal_type_replaces_pdq_by_name():
    """In configuration, hashwatch's `pdq` takes the built-in's place: same
    name, so stored banks and exchanges keep their signal type."""
    assert hwtx.PdqSignal.get_name() == "pdq"
    assert hwtx.HashwatchPdqSignal.get_name() == "hashwatch_pdq"
    mapping = SignalTypeMapping([PhotoContent], [hwtx.PdqSignal])
    assert mapping.signal_type_by_name["pdq"] is hwtx.PdqSignal
    assert hwtx.PdqSignal.get_index_cls() is hwtx.HashwatchPDQIndex


def _tx(home: pathlib.Path, *args: str) -> str:
    cli = pathlib.Path(sys.executable).with_name("threatexchange")
    env = dict(os.environ, HOME=str(home))
    done = subprocess.run([str(cli), *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"threatexchange {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_cli_matches_with_the_extension_as_with_pdq(tmp_path, reference_pdq):
    """`threatexchange config extensions add hashwatch.threatexchange`, then
    the same list under both signal types: the CLI finds the same photos."""
    home = tmp_path / "home"
    home.mkdir()
    _tx(home, "config", "extensions", "add", "hashwatch.threatexchange")
    known = reference_pdq["jpg_astronaut_q75_420.jpg"][0]
    also_known = reference_pdq["jpg_coffee_q85_progressive.jpg"][0]
    signals = tmp_path / "signals.txt"
    signals.write_text(
        "".join(f"{kind} {h}\n" for h in (known, also_known) for kind in ("pdq", "hashwatch_pdq"))
    )
    _tx(home, "config", "collab", "edit", "local_file", "--create", "--filename", str(signals), "known")
    _tx(home, "fetch")
    hashed = _tx(home, "hash", "photo", str(CORPUS / "images" / "sk_astronaut.png"))
    by_type = dict(line.split(" ", 1) for line in hashed.splitlines() if line)
    assert by_type["hashwatch_pdq"] == by_type["pdq"]
    outcomes = {}
    for name in ("sk_astronaut.png", "jpg_coffee_q85_progressive.jpg", "sk_camera.png"):
        out = _tx(home, "match", "photo", str(CORPUS / "images" / name))
        lines = [line for line in out.splitlines() if line.strip()]
        ours = sorted(line.split(" ", 1)[1] for line in lines if line.startswith("hashwatch_pdq "))
        theirs = sorted(line.split(" ", 1)[1] for line in lines if line.startswith("pdq "))
        assert ours == theirs, (name, out)
        outcomes[name] = bool(ours)
    assert outcomes == {
        "sk_astronaut.png": True,
        "jpg_coffee_q85_progressive.jpg": True,
        "sk_camera.png": False,
    }
