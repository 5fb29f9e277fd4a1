#!/usr/bin/env bash
# Makes the benign test videos in tests/corpus/videos/ from the corpus's own
# images (Debian's ffmpeg), and their reference vPDQ features with Meta's
# vpdq (PyPI, built against this machine's libav*) in tests/corpus/vpdq.tsv.
# The videos are committed; run this only to change them.
set -euo pipefail
cd "$(dirname "$0")/.."
images=tests/corpus/images
out=tests/corpus/videos
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# slideshow NAME SECONDS IMAGE...: the images, 256x192, 10 frames a
# second, SECONDS each, with a slow pan so that neighbouring frames
# differ, losslessly in $work/NAME.mkv.
slideshow() {
    local name=$1 seconds=$2 i=0
    shift 2
    : > "$work/$name.txt"
    for image in "$@"; do
        [ -f "$images/$image" ] || { echo "missing $images/$image" >&2; exit 1; }
        ffmpeg -loglevel error -y -loop 1 -i "$images/$image" -t "$seconds" -r 10 \
            -vf "scale=288:216,crop=256:192:'t*20':'t*15',format=yuv420p" -c:v ffv1 \
            "$work/$name$i.mkv"
        echo "file '$work/$name$i.mkv'" >> "$work/$name.txt"
        i=$((i + 1))
    done
    ffmpeg -loglevel error -y -f concat -safe 0 -i "$work/$name.txt" -c copy "$work/$name.mkv"
}
slideshow slideshow 1.2 sk_astronaut.png jpg_coffee_q85_progressive.jpg sk_camera.png jpg_chelsea_q95_444.jpg
make() { ffmpeg -loglevel error -y -i "$work/slideshow.mkv" -an "$@"; }
make -c:v libx264 -preset veryfast -crf 30 -pix_fmt yuv420p "$out/h264.mp4"
make -c:v libx264 -preset veryfast -crf 30 -pix_fmt yuv420p "$out/h264.mov"
make -c:v libx264 -preset veryfast -crf 30 -pix_fmt yuv420p -f mpegts "$out/h264.ts"
make -c:v libx265 -preset veryfast -crf 32 -x265-params log-level=error "$out/hevc.mkv"
make -c:v libvpx-vp9 -b:v 150k -deadline realtime -cpu-used 8 "$out/vp9.webm"
make -c:v libvpx -b:v 150k -deadline realtime -cpu-used 8 "$out/vp8.webm"
make -c:v libsvtav1 -preset 12 -crf 45 "$out/av1.mkv"
make -c:v mpeg4 -q:v 8 "$out/mpeg4.avi"
make -c:v mjpeg -q:v 10 -pix_fmt yuvj420p "$out/mjpeg.avi"
make -vf "fps=5,scale=128:96" -loop 0 "$out/animated.gif"
# Copies for matching: a clip from the middle cut on a whole second (its
# sampled frames are the original's), one cut half a second later (its
# frames fall between the original's: vPDQ at one frame a second misses
# it), a smaller re-encode, and an unrelated slideshow of two other images.
make -ss 1 -t 2.5 -c:v libx264 -preset veryfast -crf 30 -pix_fmt yuv420p "$out/clip.mp4"
make -ss 1.5 -t 2 -c:v libx264 -preset veryfast -crf 30 -pix_fmt yuv420p "$out/clip_offset.mp4"
make -vf scale=128:96 -c:v libx264 -preset veryfast -crf 34 -pix_fmt yuv420p "$out/small.mp4"
slideshow other 1.5 jpg_rocket_q60_422.jpg sk_coins.png
ffmpeg -loglevel error -y -i "$work/other.mkv" -an \
    -c:v libx264 -preset veryfast -crf 30 -pix_fmt yuv420p "$out/other.mp4"
# For robust matching (crates/cli/tests/robust.rs): three stills shown
# still and letterboxed (black bars above and below), 1.5 s each; no
# reference features, the tests match it against the stills themselves.
mkdir -p tests/corpus/robust
: > "$work/letterboxed.txt"
for image in sk_astronaut.png jpg_chelsea_q95_444.jpg sk_coins.png; do
    ffmpeg -loglevel error -y -loop 1 -i "$images/$image" -t 1.5 -r 10 \
        -vf "scale=256:192,pad=256:320:0:64:black,format=yuv420p" -c:v ffv1 "$work/$image.mkv"
    echo "file '$work/$image.mkv'" >> "$work/letterboxed.txt"
done
ffmpeg -loglevel error -y -f concat -safe 0 -i "$work/letterboxed.txt" -an \
    -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p tests/corpus/robust/letterboxed.mp4
# Reference features: Meta's vpdq, in its virtual environment.
venv=target/vpdq-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q vpdq
fi
"$venv/bin/python" - "$out" > tests/corpus/vpdq.tsv <<'PY'
import os, sys, vpdq
out = sys.argv[1]
print("file\tseconds_per_hash\tframe\tpdq\tquality\ttimestamp")
for name in sorted(os.listdir(out)):
    for seconds in (1.0, 0.5):
        for f in vpdq.computeHash(os.path.join(out, name), seconds_per_hash=seconds):
            print(f"{name}\t{seconds}\t{f.frame_number}\t{f.hex}\t{f.quality}\t{f.timestamp!r}")
PY
# Reference match percentages: python-threatexchange's brute matcher
# (quality floor 50, distance 31) on every ordered pair of corpus videos.
"$venv/bin/pip" show -q threatexchange >/dev/null 2>&1 || "$venv/bin/pip" install -q threatexchange
"$venv/bin/python" - "$out" > tests/corpus/vpdq_matches.tsv <<'PY'
import os, sys
from threatexchange.extensions.vpdq.vpdq_util import hash_file_compact
from threatexchange.extensions.vpdq.vpdq_brute_matcher import match_VPDQ_hash_brute
out = sys.argv[1]
names = sorted(os.listdir(out))
features = {n: hash_file_compact(os.path.join(out, n)) for n in names}
print("query\tcompared\tquery_match_percent\tcompared_match_percent")
for q in names:
    for c in names:
        r = match_VPDQ_hash_brute(features[q], features[c], 50, 31)
        print(f"{q}\t{c}\t{r.query_match_percent!r}\t{r.compared_match_percent!r}")
PY
ls -l "$out"
