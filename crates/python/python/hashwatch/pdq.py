"""PDQ, as the ``pdqhash`` package has it, bit-exact with Meta's C++.

``from hashwatch import pdq as pdqhash`` replaces ``import pdqhash``:

- :func:`compute` ``(image) -> (bits, quality)``: ``image`` is a NumPy
  ``uint8`` array, H×W×3 (further channels are ignored, as ``pdqhash``
  ignores them) or H×W grey; ``bits`` is an int64 array of 256 zeros and
  ones, most significant first, and ``quality`` an int from 0 to 100.
- :func:`compute_dihedral` ``(image) -> ([bits] * 8, quality)``: the
  hashes of the original, rot90, rot180, rot270, flipx, flipy, flipplus1
  and flipminus1, from one pass.

Beyond ``pdqhash``: :func:`hash_image` gives the hex form HMA uses,
:func:`to_hex` and :func:`to_bits` convert, :func:`distance` counts
differing bits. The GIL is released while hashing, so threads scale.
Unlike ``pdqhash``, signed ``int8`` arrays are refused rather than read as
negative pixels, and grey H×W arrays are accepted. An H×W array is read as
grey: convert a palette image (Pillow's mode ``P``) to RGB first, or its
palette numbers are hashed as if they were grey levels.
"""

from ._native import DIHEDRAL as _DIHEDRAL
from ._native import compute, compute_dihedral, distance, hash_image, to_bits, to_hex

#: The variant names, in the order :func:`compute_dihedral` returns them.
DIHEDRAL = tuple(_DIHEDRAL)

#: Hashes at or under this distance are matches (Meta's recommendation).
MATCH_THRESHOLD = 31

#: HMA ignores hashes of images with quality under this.
QUALITY_THRESHOLD = 50

__all__ = [
    "DIHEDRAL",
    "MATCH_THRESHOLD",
    "QUALITY_THRESHOLD",
    "compute",
    "compute_dihedral",
    "distance",
    "hash_image",
    "to_bits",
    "to_hex",
]
