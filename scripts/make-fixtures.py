#!/usr/bin/env python3
"""Generates benign test images in the formats and layouts the shared corpus
lacks (alpha, grey+alpha, palette, 16-bit, GIF, BMP, WebP, TIFF, CMYK JPEG)
and their reference PDQ hashes from Meta's C++ through the `pdqhash` package.

Usage: scripts/make-fixtures.py OUT_DIR   (needs: pip install pdqhash pillow numpy)

The reference pipeline is python-threatexchange's (`pdq_hasher.py`): Pillow
decodes, the array's first three channels go to `pdqhash.compute`. Where that
pipeline is wrong, the `converted_by` column says what the reference was
computed from instead:
  - palette images: python-threatexchange hashes the palette *indices*; the
    reference here is Pillow's convert("RGB"), i.e. the colours;
  - 16-bit grey: Pillow clips I;16 to 255 on convert("RGB") (almost every
    pixel turns white); the reference here keeps the top byte (v >> 8), which
    is what Pillow itself does for 16-bit RGB PNGs.
"""
import os, struct, sys, zlib

import numpy as np
import pdqhash
from PIL import Image

from pytx_pipeline import to_array as pytx_array


def hex_of(bits):
    return "%064x" % int("".join(str(int(b)) for b in bits), 2)


def png16(path, array):
    """Writes a 16-bit PNG (grey if 2-D, RGB if 3-D) without Pillow, which
    cannot write 16-bit RGB."""
    h, w = array.shape[:2]
    colour = 0 if array.ndim == 2 else 2
    raw = b"".join(b"\x00" + array[y].astype(">u2").tobytes() for y in range(h))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261124)
    # Smooth structure plus noise, so hashes have quality and are not flat.
    yy, xx = np.mgrid[0:157, 0:211]
    base = (127 + 60 * np.sin(xx / 13.0) * np.cos(yy / 9.0) + rng.normal(0, 25, (157, 211))).clip(0, 255)
    rgb = np.stack([base, np.roll(base, 17, axis=1), 255 - base], axis=2).astype(np.uint8)
    alpha = (xx * 255 // 210).astype(np.uint8)
    rows = []

    def add(name, reference_array, converted_by):
        bits, quality = pdqhash.compute(np.ascontiguousarray(reference_array))
        rows.append((name, hex_of(bits), quality, converted_by))

    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(f"{out}/rgba_211x157.png")
    add("rgba_211x157.png", pytx_array(Image.open(f"{out}/rgba_211x157.png")), "pytx")

    Image.fromarray(np.dstack([rgb[:, :, 0], alpha]), "LA").save(f"{out}/grey_alpha_211x157.png")
    add("grey_alpha_211x157.png", pytx_array(Image.open(f"{out}/grey_alpha_211x157.png")), "pytx")

    Image.fromarray(rgb[:, :, 0], "L").save(f"{out}/grey_211x157.png")
    add("grey_211x157.png", pytx_array(Image.open(f"{out}/grey_211x157.png")), "pytx")

    palette = Image.fromarray(rgb, "RGB").quantize(colors=64, dither=Image.Dither.NONE)
    palette.save(f"{out}/palette_211x157.png")
    add("palette_211x157.png", np.asarray(Image.open(f"{out}/palette_211x157.png").convert("RGB")), "pillow-rgb")

    palette.save(f"{out}/palette_211x157.gif")
    add("palette_211x157.gif", np.asarray(Image.open(f"{out}/palette_211x157.gif").convert("RGB")), "pillow-rgb")

    rgb16 = rgb.astype(np.uint16) * 257 + rng.integers(0, 256, rgb.shape, dtype=np.uint16)
    png16(f"{out}/rgb16_211x157.png", rgb16)
    add("rgb16_211x157.png", pytx_array(Image.open(f"{out}/rgb16_211x157.png")), "pytx")

    grey16 = rgb16[:, :, 0]
    png16(f"{out}/grey16_211x157.png", grey16)
    add("grey16_211x157.png", np.dstack([(grey16 >> 8).astype(np.uint8)] * 3), "top-byte")

    Image.fromarray(rgb, "RGB").save(f"{out}/rgb_211x157.bmp")
    add("rgb_211x157.bmp", pytx_array(Image.open(f"{out}/rgb_211x157.bmp")), "pytx")

    Image.fromarray(rgb, "RGB").save(f"{out}/rgb_211x157.tiff")
    add("rgb_211x157.tiff", pytx_array(Image.open(f"{out}/rgb_211x157.tiff")), "pytx")

    Image.fromarray(rgb, "RGB").save(f"{out}/lossless_211x157.webp", lossless=True)
    add("lossless_211x157.webp", pytx_array(Image.open(f"{out}/lossless_211x157.webp")), "pytx")

    Image.fromarray(rgb, "RGB").convert("CMYK").save(f"{out}/cmyk_211x157.jpg", quality=92)
    add("cmyk_211x157.jpg", np.asarray(Image.open(f"{out}/cmyk_211x157.jpg").convert("RGB")), "pillow-rgb")

    with open(f"{out}/reference.tsv", "w") as f:
        f.write("file\tpdq_hex\tquality\tconverted_by\n")
        for r in rows:
            f.write("\t".join(map(str, r)) + "\n")


if __name__ == "__main__":
    main()
