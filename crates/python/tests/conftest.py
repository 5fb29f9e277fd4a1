"""Shared fixtures: the repository's corpus and Meta's reference hashes."""

from __future__ import annotations

import csv
import importlib.util
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus"


def read_tsv(name: str):
    with open(CORPUS / name, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


@pytest.fixture(scope="session")
def reference_pdq():
    """file -> (pdq hex, quality), from Meta's C++ via pdqhash."""
    return {r["file"]: (r["pdq_hex"], int(r["quality"])) for r in read_tsv("pdq.tsv")}


@pytest.fixture(scope="session")
def reference_dihedral():
    """file -> the eight dihedral hashes, from Meta's C++ via pdqhash."""
    return {r["file"]: [v for k, v in r.items() if k != "file"] for r in read_tsv("dihedral.tsv")}


@pytest.fixture(scope="session")
def corpus_script():
    """scripts/make-corpus.py as a module: the arrays the reference hashed.
    It imports pdqhash, so tests that use it need pdqhash installed."""
    pytest.importorskip("pdqhash")
    pytest.importorskip("PIL")
    path = ROOT / "scripts" / "make-corpus.py"
    spec = importlib.util.spec_from_file_location("make_corpus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def corpus_arrays(corpus_script):
    """(file, array) for every corpus image and synthetic row, as the
    reference hashed them."""
    arrays = []
    for name in sorted(os.listdir(CORPUS / "images")):
        arrays.append((name, corpus_script.reference_array(str(CORPUS / "images" / name))))
    for name, kind, width, height in corpus_script.read_synthetic():
        arrays.append((name, corpus_script.synthetic_pixels(kind, width, height)))
    return arrays


def hex_of(bits) -> str:
    return "%064x" % int("".join(str(int(b)) for b in bits), 2)
