#!/usr/bin/env bash
# Recall per edit and false matches of plain, dihedral and robust PDQ
# matching (crates/robust/benches/robust): installs the development data
# (Debian's openclipart-png, lomiri-wallpapers-20.04 and
# plasma-workspace-wallpapers, scikit-image's samples in a venv), writes
# the picture lists to target/robust-data and runs the benchmark.
# Extra arguments go to the benchmark (--json, --others N, --pairs FILE).
#
# Other image packages (ukui-wallpapers, mate-backgrounds,
# gnome-backgrounds, lomiri-wallpapers-16.04) are kept for independent
# checks of this work: they are never read here.
set -euo pipefail
cd "$(dirname "$0")/.."

# The build's own packages (a C compiler, CMake, NASM, ...), as the
# README's commands install them.
scripts/install-deps.sh

packages=(openclipart-png lomiri-wallpapers-20.04 plasma-workspace-wallpapers)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} ..." >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

venv=target/robust-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q 'scikit-image==0.25.2'
fi
skimage_data=$("$venv/bin/python" -c 'import os, skimage; print(os.path.join(os.path.dirname(skimage.__file__), "data"))')

data="$PWD/target/robust-data"
mkdir -p "$data"
SKIMAGE_DATA="$skimage_data" python3 - "$data" <<'PY'
import os, re, subprocess, sys

out = sys.argv[1]

def files(package):
    listed = subprocess.run(["dpkg", "-L", package], check=True, capture_output=True, text=True).stdout
    return sorted(p for p in listed.splitlines() if re.search(r"\.(png|jpe?g)$", p, re.I) and os.path.isfile(p))

originals, others = [], []

# Plasma: one size of each design; a design's sizes and light/dark
# versions are one group.
designs = {}
for path in files("plasma-workspace-wallpapers"):
    m = re.match(r"/usr/share/wallpapers/([^/]+)/", path)
    if not m or "screenshot" in path:
        continue
    size = re.search(r"(\d+)x(\d+)", os.path.basename(path))
    width = int(size.group(1)) if size else 0
    designs.setdefault(m.group(1), []).append((abs(width - 1920), path))
for design, paths in sorted(designs.items()):
    originals.append(("plasma/" + design, min(paths)[1]))

for path in files("lomiri-wallpapers-20.04"):
    originals.append(("lomiri/" + os.path.basename(path), path))

# scikit-image's photographs (not its synthetic test patterns); the two
# halves of a stereo pair are one group.
photos = ["astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "clock_motion.png",
          "coffee.png", "coins.png", "color.png", "grass.png", "gravel.png", "hubble_deep_field.jpg",
          "ihc.png", "microaneurysms.png", "moon.png", "motorcycle_left.png", "page.png", "retina.jpg",
          "rocket.jpg", "text.png", "horse.png", "logo.png"]
data = os.environ["SKIMAGE_DATA"]
for name in photos:
    path = os.path.join(data, name)
    if os.path.isfile(path):
        group = "skimage/" + re.sub(r"_(left|right)$", "", os.path.splitext(name)[0])
        originals.append((group, path))

# Open Clip Art: one drawing is often filed under several categories, and
# numbered variants of one title by one author are versions of one
# drawing, so the group is the file name without its number; every 400th
# drawing is a known picture, the rest are others.
clipart = files("openclipart-png")
for k, path in enumerate(clipart):
    stem = os.path.splitext(os.path.basename(path))[0]
    group = "clipart/" + re.sub(r"[_-]?\d+$", "", stem)
    (originals if k % 400 == 0 else others).append((group, path))

for name, rows in (("originals.tsv", originals), ("others.tsv", others)):
    with open(os.path.join(out, name), "w") as f:
        f.writelines(f"{g}\t{p}\n" for g, p in rows)
print(f"{len(originals)} originals, {len(others)} others", file=sys.stderr)
PY

exec cargo bench -q -p hashwatch-robust --bench robust -- --lists "$data" "$@"
