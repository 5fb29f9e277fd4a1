#!/usr/bin/env python3
"""Re-creates examples/known and examples/uploads from scikit-image's
samples (BSD-licensed, benign): the pictures that stand for known material,
a byte-different copy of one (a comment added, the same pixels), and
uploads that are edited copies of them or unrelated pictures.

Usage: scripts/make-examples.py   (needs: pip install pillow numpy scikit-image)

The edits are small enough for PDQ at distance 31 (a 1 % border, a 1.5 %
crop); larger ones defeat plain PDQ.
"""
import os

from PIL import Image, ImageOps
from skimage import data

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")


def sample(name, width=480):
    image = Image.fromarray(getattr(data, name)()).convert("RGB")
    return image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)


def crop(image, fraction):
    w, h = image.size
    dx, dy = round(w * fraction), round(h * fraction)
    return image.crop((dx, dy, w - dx, h - dy))


def main():
    known_dir, uploads_dir = os.path.join(ROOT, "known"), os.path.join(ROOT, "uploads")
    os.makedirs(known_dir, exist_ok=True)
    os.makedirs(uploads_dir, exist_ok=True)
    known = {n: sample(n) for n in ["astronaut", "chelsea", "coffee", "rocket", "camera"]}
    for name, image in known.items():
        image.save(os.path.join(known_dir, f"{name}.jpg"), quality=90)
    # The same file with a JPEG comment inserted after the start marker.
    original = open(os.path.join(known_dir, "coffee.jpg"), "rb").read()
    comment = b"copied with another tool"
    with open(os.path.join(known_dir, "coffee-copy.jpg"), "wb") as f:
        f.write(original[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + original[2:])

    astronaut = known["astronaut"]
    uploads = {
        "astronaut-recompressed.jpg": (astronaut, 40),
        "astronaut-border.jpg": (ImageOps.expand(astronaut, border=round(min(astronaut.size) * 0.01), fill=(0, 0, 0)), 85),
        "chelsea-resized.jpg": (known["chelsea"].resize((240, 160), Image.LANCZOS), 85),
        "coffee-rotated.jpg": (known["coffee"].rotate(90, expand=True), 85),
        "rocket-mirrored.jpg": (ImageOps.mirror(known["rocket"]), 85),
        "camera-cropped.jpg": (crop(known["camera"], 0.015), 85),
        "coins.jpg": (sample("coins"), 85),
        "brick.jpg": (sample("brick"), 85),
        "moon.jpg": (sample("moon"), 85),
        "horse.jpg": (sample("horse"), 85),
    }
    for name, (image, quality) in uploads.items():
        image.save(os.path.join(uploads_dir, name), quality=quality)


if __name__ == "__main__":
    main()
