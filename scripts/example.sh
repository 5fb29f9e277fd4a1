#!/usr/bin/env bash
# Builds hashwatch and hashes the bundled example images (all benign).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo build --release --quiet
target/release/hashwatch hash --dihedral examples/images
