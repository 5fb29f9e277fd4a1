#!/usr/bin/env bash
# The whole test suite, as CI runs it. Installs build dependencies first,
# and makes sure a PostgreSQL server answers (starting a throwaway one from
# Debian's packages when none does). Everything the tests read is in the
# repository: Meta's reference hashes are in tests/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
# The web interface's tests drive Debian's Chromium through chromedriver.
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
    echo "installing chromium chromium-driver for the browser tests ..." >&2
    "${sudo[@]}" apt-get install -y -q chromium chromium-driver >/dev/null \
        || { "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q chromium chromium-driver >/dev/null; }
fi
# ... and check pages against WCAG 2.1 AA with axe-core, from npm at the
# version tests/browser/package-lock.json pins.
if ! command -v npm >/dev/null 2>&1; then
    echo "installing nodejs npm for the accessibility checks ..." >&2
    "${sudo[@]}" apt-get install -y -q nodejs npm >/dev/null \
        || { "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q nodejs npm >/dev/null; }
fi
npm ci --prefix tests/browser --no-audit --no-fund --silent
. scripts/ensure-postgres.sh
cargo fmt --all -- --check
if cargo clippy --version >/dev/null 2>&1; then
    cargo clippy --workspace --all-targets --release --quiet -- -D warnings
else
    echo "clippy not installed: lints skipped" >&2
fi
cargo test --workspace --release
# The Python package, as a wheel in a venv, against pdqhash, faiss and
# python-threatexchange from PyPI.
scripts/python-test.sh
# No 5xx and no answer outside the OpenAPI document, for generated requests
# to every operation of a live service.
scripts/openapi-fuzz.sh 60
# Coverage-guided fuzzing of every parser of outside input, bounded.
scripts/fuzz.sh 30
