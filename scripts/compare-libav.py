#!/usr/bin/env python3
"""How much another FFmpeg changes vPDQ: decodes the corpus videos with the
FFmpeg that PyAV bundles (PyPI `av`), converts the frames the reference
hashes to RGB24 with swscale's area filter, hashes them with `pdqhash`, and
prints the bit distance to the reference features in tests/corpus/vpdq.tsv
(made with this machine's libav*).

  python3 -m venv target/av-venv && target/av-venv/bin/pip install av pdqhash numpy
  target/av-venv/bin/python scripts/compare-libav.py
"""
import csv
import os
import sys

import av
import pdqhash

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
reference = {}
for row in csv.DictReader(open("tests/corpus/vpdq.tsv"), delimiter="\t"):
    if row["seconds_per_hash"] == "1.0":
        reference.setdefault(row["file"], {})[int(row["frame"])] = int(row["pdq"], 16)
print(f"PyAV's libavcodec {'.'.join(map(str, av.library_versions['libavcodec']))}")
print("file\tframes\tmax_bits\tmean_bits")
for name, frames in sorted(reference.items()):
    container = av.open(os.path.join("tests/corpus/videos", name))
    distances = []
    for n, frame in enumerate(container.decode(container.streams.video[0])):
        if n in frames:
            rgb = frame.reformat(format="rgb24", interpolation="AREA").to_ndarray()
            bits, _quality = pdqhash.compute(rgb)
            # pdqhash's first bit is the hex form's most significant.
            value = int("".join(str(int(b)) for b in bits), 2)
            distances.append(bin(value ^ frames[n]).count("1"))
    mean = sum(distances) / max(1, len(distances))
    print(f"{name}\t{len(distances)}/{len(frames)}\t{max(distances, default=0)}\t{mean:.1f}")
sys.exit(0)
