#!/usr/bin/env python3
"""The repository's conformance corpus (tests/corpus/) and where its
reference hashes come from.

    scripts/make-corpus.py             # rewrite pdq.tsv and dihedral.tsv
    scripts/make-corpus.py --check     # compare them instead; exit 1 on a difference
    scripts/make-corpus.py --images    # re-create the committed images from scikit-image

Needs `pip install pdqhash pillow numpy` (and scikit-image for --images),
best in a virtual environment (the README shows how).

The reference is Meta's PDQ C++ through the `pdqhash` binding, fed as
python-threatexchange feeds it (`pytx_pipeline.py`): Pillow decodes, without
applying EXIF orientation, and the array goes to `pdqhash.compute` at full
resolution. Two kinds of image are converted with Pillow's convert("RGB")
first, because python-threatexchange hands pdqhash something that is not the
picture (the palette indices of a palette image, a boolean array for a 1-bit
image); 16-bit images keep their top byte (Pillow clips them to 255). The
README beside the corpus lists which images those are.

Synthetic images (noise, gradients, flat colours) are not committed: each row
of tests/corpus/synthetic.tsv describes one, and this script and the Rust
test support (crates/testdata) both make its pixels from that row, so a
reference hash here that the tests reproduce also proves the two generators
agree.
"""
import argparse
import csv
import io
import os
import sys

import numpy as np
import pdqhash
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytx_pipeline import to_array as pytx_array  # noqa: E402

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "corpus")
DIHEDRAL = ["original", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1"]

GAMMA = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)


def splitmix64(seed, n):
    """The first n outputs of splitmix64 from seed, as hashwatch_testdata::Rng
    gives them (state += gamma, then the mix), computed all at once."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + GAMMA * np.arange(1, n + 1, dtype=np.uint64)
        z = (z ^ (z >> np.uint64(30))) * MIX1
        z = (z ^ (z >> np.uint64(27))) * MIX2
        return z ^ (z >> np.uint64(31))


def synthetic_pixels(kind, width, height):
    """H×W×3 uint8 pixels of a synthetic image (crates/testdata/src/corpus.rs
    makes the same)."""
    if kind == "black":
        return np.zeros((height, width, 3), np.uint8)
    if kind == "gray":
        return np.full((height, width, 3), 128, np.uint8)
    if kind == "gradient":
        y, x = np.mgrid[0:height, 0:width].astype(np.int64)
        r = x * 255 // max(width - 1, 1)
        g = y * 255 // max(height - 1, 1)
        b = (x + y) * 255 // max(width + height - 2, 1)
        return np.stack([r, g, b], axis=2).astype(np.uint8)
    if kind == "noise":
        count = width * height * 3
        words = splitmix64((width << 32) | height, (count + 7) // 8)
        return words.astype("<u8").view(np.uint8)[:count].reshape(height, width, 3).copy()
    raise SystemExit(f"synthetic.tsv: unknown kind {kind!r}")


def read_synthetic():
    with open(os.path.join(CORPUS, "synthetic.tsv"), newline="") as f:
        return [(r["file"], r["kind"], int(r["width"]), int(r["height"]))
                for r in csv.DictReader(f, delimiter="\t")]


def reference_array(path):
    """What the reference hashes for a committed image."""
    image = Image.open(path)
    if image.mode in ("P", "PA", "1"):
        return np.asarray(image.convert("RGB"))
    if image.mode in ("I;16", "I;16B", "I"):
        top = (np.asarray(image).astype(np.uint32) >> 8).astype(np.uint8)
        return np.dstack([top] * 3)
    return pytx_array(image)


def hex_of(bits):
    return "%064x" % int("".join(str(int(b)) for b in bits), 2)


def references():
    """(file, pdq, quality, eight dihedral hashes) for every corpus image."""
    arrays = []
    for name in sorted(os.listdir(os.path.join(CORPUS, "images"))):
        arrays.append((name, reference_array(os.path.join(CORPUS, "images", name))))
    for name, kind, width, height in read_synthetic():
        arrays.append((name, synthetic_pixels(kind, width, height)))
    rows = []
    for name, array in arrays:
        array = np.ascontiguousarray(array)
        bits, quality = pdqhash.compute(array)
        variants, dihedral_quality = pdqhash.compute_dihedral(array)
        rows.append((name, hex_of(bits), int(quality), [hex_of(v) for v in variants]))
    return rows


def tables(rows):
    pdq = io.StringIO()
    pdq.write("file\tpdq_hex\tquality\n")
    dihedral = io.StringIO()
    dihedral.write("file\t" + "\t".join(DIHEDRAL) + "\n")
    for name, hex_hash, quality, variants in rows:
        pdq.write(f"{name}\t{hex_hash}\t{quality}\n")
        dihedral.write(name + "\t" + "\t".join(variants) + "\n")
    return {"pdq.tsv": pdq.getvalue(), "dihedral.tsv": dihedral.getvalue()}


def make_images():
    """The committed images, from scikit-image's samples (BSD-licensed):
    every PNG colour type and the JPEG encodings the conformance tests
    cover. Pillow's encoders write them; a later Pillow may write other
    bytes, so re-run the reference step after this."""
    from skimage import data

    out = os.path.join(CORPUS, "images")
    os.makedirs(out, exist_ok=True)

    def save(name, image, **options):
        image.save(os.path.join(out, name), **options)

    for name in ["astronaut", "cat", "colorwheel"]:
        save(f"sk_{name}.png", Image.fromarray(getattr(data, name)()))
    for name in ["brick", "camera", "cell", "checkerboard", "clock", "coins",
                 "microaneurysms", "moon", "page", "text"]:
        save(f"sk_{name}.png", Image.fromarray(getattr(data, name)()))  # 8-bit grey
    for name in ["binary_blobs", "horse"]:
        save(f"sk_{name}.png", Image.fromarray(getattr(data, name)()).convert("1"))
    save("sk_logo.png", Image.fromarray(data.logo()))  # RGBA
    page = data.page()
    alpha = (np.mgrid[0:page.shape[0], 0:page.shape[1]][1] * 255 // (page.shape[1] - 1)).astype(np.uint8)
    save("sk_page_grey_alpha.png", Image.fromarray(np.dstack([page, alpha]), "LA"))
    save("sk_colorwheel_palette.png",
         Image.fromarray(data.colorwheel()).quantize(colors=64, dither=Image.Dither.NONE))
    phantom = (data.shepp_logan_phantom() * 65535).round().astype(np.uint16)
    save("sk_shepp_logan_phantom_16bit.png", Image.fromarray(phantom))

    astronaut = Image.fromarray(data.astronaut())
    save("jpg_astronaut_q75_420.jpg", astronaut, quality=75, subsampling=2)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    save("jpg_astronaut_exif_orientation6.jpg", astronaut, quality=90, exif=exif)
    save("jpg_camera_gray_q90.jpg", Image.fromarray(data.camera()), quality=90)
    save("jpg_chelsea_q95_444.jpg", Image.fromarray(data.chelsea()), quality=95, subsampling=0)
    save("jpg_coffee_q85_progressive.jpg", Image.fromarray(data.coffee()), quality=85, progressive=True)
    save("jpg_hubble_q70.jpg", Image.fromarray(data.hubble_deep_field()), quality=70)
    save("jpg_rocket_q60_422.jpg", Image.fromarray(data.rocket()), quality=60, subsampling=1)
    save("jpg_noise_127x129_q80.jpg", Image.fromarray(synthetic_pixels("noise", 127, 129)), quality=80)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files")
    parser.add_argument("--images", action="store_true", help="re-create the committed images first")
    args = parser.parse_args()
    if args.images:
        make_images()
    wanted = tables(references())
    stale = []
    for name, text in wanted.items():
        path = os.path.join(CORPUS, name)
        if args.check:
            with open(path) as f:
                if f.read() != text:
                    stale.append(name)
        else:
            with open(path, "w") as f:
                f.write(text)
    rows = wanted["pdq.tsv"].count("\n") - 1
    if stale:
        print(f"differs from Meta's reference as computed here: {', '.join(stale)}", file=sys.stderr)
        sys.exit(1)
    print(f"{'checked' if args.check else 'wrote'} reference hashes of {rows} images")


if __name__ == "__main__":
    main()
