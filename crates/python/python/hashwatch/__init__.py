"""hashwatch for Python: detect known child sexual abuse material by hash.

- :mod:`hashwatch.pdq` — a drop-in for the ``pdqhash`` package:
  ``from hashwatch import pdq as pdqhash`` gives the same bits and quality
  from the same NumPy arrays.
- :func:`hash_file`, :func:`hash_bytes` — every signal of an image or video
  file (PDQ, vPDQ, MD5, SHA-1, SHA-256) in HMA's forms.
- :class:`Index` — exact Hamming search over PDQ hashes, in place of
  faiss's ``IndexBinaryFlat`` / ``IndexBinaryMultiHash``.
- :class:`Client` — the HTTP API of ``hashwatch serve``.
- :mod:`hashwatch.threatexchange` — a python-threatexchange extension.

Only hashes leave the caller: nothing here stores or sends media, except
:meth:`Client.hash` and :meth:`Client.lookup_file`, which upload the file
given to the service named.
"""

from __future__ import annotations

import os
import typing as t

from . import errors, pdq
from ._native import Index, __version__
from ._native import distance, to_bits, to_hex
from ._native import hash_bytes as _hash_bytes
from ._native import hash_file as _hash_file
from .client import Client
from .errors import (
    ApiError,
    HashwatchError,
    InvalidHash,
    MediaError,
    SignatureError,
    SnapshotError,
)

__all__ = [
    "ApiError",
    "Client",
    "HashwatchError",
    "Index",
    "InvalidHash",
    "MediaError",
    "SignatureError",
    "SnapshotError",
    "__version__",
    "distance",
    "errors",
    "hash_bytes",
    "hash_file",
    "pdq",
    "to_bits",
    "to_hex",
]


def hash_file(
    path: t.Union[str, "os.PathLike[str]"],
    *,
    dihedral: bool = False,
    max_pixels: t.Optional[int] = None,
    max_file_bytes: t.Optional[int] = None,
    exif_orientation: bool = False,
) -> t.Dict[str, t.Any]:
    """Hashes the image or video at ``path``.

    Returns a dict: ``md5``, ``sha1``, ``sha256`` (hex) and ``media``
    (``"image"`` or ``"video"``) always; for an image ``pdq`` (64 hex
    digits), ``quality`` (0–100; HMA ignores hashes under 50), ``width``,
    ``height``, ``format``, and with ``dihedral=True`` also ``pdq_rot90`` …
    ``pdq_flipminus1``; for a video ``video_md5`` and ``vpdq`` (the frames
    in python-threatexchange's form), ``frames``, ``duration``. Decoding
    follows the reference pipeline, so ``pdq`` equals what
    python-threatexchange computes for the file.

    ``max_pixels`` and ``max_file_bytes`` refuse larger images and files
    (``None``: the defaults of ``hashwatch hash``, 256 MiB and the media
    crate's pixel limit). ``exif_orientation=True`` turns the picture as
    its EXIF tag says before hashing; by default, as python-threatexchange
    and HMA do, it is hashed as stored.

    Raises :class:`MediaError` for what is not media (with a stable
    ``code``), and ``OSError`` (``FileNotFoundError`` …) for a file that
    cannot be read. Other Python threads run while the file is hashed.
    """
    return _hash_file(
        os.fsdecode(path),
        dihedral=dihedral,
        max_pixels=max_pixels,
        max_file_bytes=max_file_bytes,
        exif_orientation=exif_orientation,
    )


def hash_bytes(
    data: t.Union[bytes, bytearray, memoryview],
    *,
    dihedral: bool = False,
    max_pixels: t.Optional[int] = None,
    max_file_bytes: t.Optional[int] = None,
    exif_orientation: bool = False,
) -> t.Dict[str, t.Any]:
    """:func:`hash_file` for a file's bytes held in memory (an upload).
    For pixels already decoded into an array, use :func:`pdq.compute`."""
    if type(data).__module__ == "numpy":
        raise TypeError(
            "hash_bytes takes a file's bytes; for a decoded picture (an array) use hashwatch.pdq.compute"
        )
    if not isinstance(data, bytes):
        data = bytes(data)
    return _hash_bytes(
        data,
        dihedral=dihedral,
        max_pixels=max_pixels,
        max_file_bytes=max_file_bytes,
        exif_orientation=exif_orientation,
    )
