"""hash_file and hash_bytes: every signal of a file, as the CLI and the
service compute them, and clear errors for anything that is not media."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

import hashwatch
from conftest import CORPUS, read_tsv


def test_images_hash_as_the_reference(reference_pdq, reference_dihedral):
    images = sorted((CORPUS / "images").iterdir())
    assert len(images) > 20
    for path in images:
        got = hashwatch.hash_file(path, dihedral=True)
        data = path.read_bytes()
        assert (got["pdq"], got["quality"]) == reference_pdq[path.name], path.name
        others = [got[f"pdq_{name}"] for name in hashwatch.pdq.DIHEDRAL[1:]]
        assert [got["pdq"], *others] == reference_dihedral[path.name], path.name
        assert got["media"] == "image"
        assert got["md5"] == hashlib.md5(data).hexdigest()
        assert got["sha1"] == hashlib.sha1(data).hexdigest()
        assert got["sha256"] == hashlib.sha256(data).hexdigest()
        from_memory = hashwatch.hash_bytes(bytearray(data), dihedral=True)
        assert from_memory == got


def test_videos_hash_as_metas_vpdq():
    rows = [r for r in read_tsv("vpdq.tsv") if r["file"] == "h264.mp4" and r["seconds_per_hash"] == "1.0"]
    assert rows
    path = CORPUS / "videos" / "h264.mp4"
    got = hashwatch.hash_file(path)
    assert got["media"] == "video"
    assert got["video_md5"] == got["md5"] == hashlib.md5(path.read_bytes()).hexdigest()
    frames = [item.split(",") for item in json.loads(got["vpdq"])]
    assert [(h, int(q)) for h, q, _ in frames] == [(r["pdq"], int(r["quality"])) for r in rows]
    assert got["frames"] == len(rows)
    assert hashwatch.hash_bytes(path.read_bytes())["vpdq"] == got["vpdq"]


def test_bad_files_raise_media_errors_with_stable_codes(tmp_path):
    jpeg = (CORPUS / "images" / "jpg_hubble_q70.jpg").read_bytes()
    cases = {
        "text.jpg": (b"this is not a picture", "unknown_format"),
        "empty.png": (b"", "empty_file"),
        "truncated.jpg": (jpeg[: len(jpeg) // 3], None),
    }
    for name, (data, code) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(hashwatch.MediaError) as raised:
            hashwatch.hash_file(path)
        assert raised.value.path == str(path)
        if code:
            assert raised.value.code == code, raised.value
        with pytest.raises(hashwatch.MediaError):
            hashwatch.hash_bytes(data)
    # A file that cannot be read is an OSError, as open() raises.
    with pytest.raises(FileNotFoundError) as missing:
        hashwatch.hash_file(tmp_path / "missing.png")
    assert missing.value.filename == str(tmp_path / "missing.png")
    with pytest.raises(FileNotFoundError):
        hashwatch.hash_file(str(tmp_path / "missing.png").encode())
    with pytest.raises(TypeError):
        hashwatch.hash_bytes(np.zeros((10, 10, 3), dtype=np.uint8))


def test_limits_refuse_oversized_input():
    path = CORPUS / "images" / "sk_astronaut.png"
    with pytest.raises(hashwatch.MediaError) as raised:
        hashwatch.hash_file(path, max_pixels=1000)
    assert raised.value.code == "too_many_pixels"
    with pytest.raises(hashwatch.MediaError) as raised:
        hashwatch.hash_file(path, max_file_bytes=100)
    assert raised.value.code == "too_many_bytes"


def test_errors_survive_pickling_across_processes():
    import pickle

    from hashwatch import errors

    for error in (
        errors.MediaError("not an image", "unknown_format", "/tmp/x"),
        errors.NotFound(404, "bank_not_found", "no bank X"),
        errors.RateLimited(429, "rate_limited", "slow down", 2.0),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)
        assert vars(copy) == vars(error)
