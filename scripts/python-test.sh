#!/usr/bin/env bash
# The Python package (crates/python): built as a wheel by maturin, checked
# to be one abi3 wheel, installed into a virtual environment of its own
# with what its tests compare against (Meta's pdqhash, faiss,
# python-threatexchange; pinned in crates/python/tests/requirements.txt),
# then tested with pytest, against a real `hashwatch serve` for the client.
# Usage: scripts/python-test.sh [PYTEST ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/python-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r crates/python/tests/requirements.txt
# As a user would: `pip wheel`/`pip install` on the folder, maturin fetched
# by pip as the build backend.
wheels=target/python-wheels
rm -rf "$wheels"
"$venv/bin/pip" wheel -q --disable-pip-version-check --no-deps -w "$wheels" crates/python
wheel=$(ls "$wheels"/hashwatch-*.whl)
case "$wheel" in
    *-cp39-abi3-*) ;;
    *) echo "error: $wheel is not an abi3 wheel for CPython 3.9+" >&2; exit 1 ;;
esac
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
cargo build --release -q -p hashwatch
# Run from outside the source tree, so the installed package is tested.
HASHWATCH_BIN="$PWD/target/release/hashwatch" \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider --rootdir crates/python/tests crates/python/tests "$@"
