#!/usr/bin/env bash
# The OpenAPI-driven fuzzer: schemathesis (from PyPI, in a virtual
# environment of its own) against a live `hashwatch serve` on loopback,
# with a key that holds every role, for a bounded number of examples per
# operation. Fails on any 5xx and on any answer that breaks the document.
# Usage: scripts/openapi-fuzz.sh [EXAMPLES]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-60}"
venv=target/openapi-fuzz-venv
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q 'schemathesis==4.32.5'
fi
cargo build --release -q -p hashwatch
bin=target/release/hashwatch
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
roles=(--role admin --role curator --role matcher --role analyst --role supervisor
       --role blocklist-urls --role partner)
key=$("$bin" --db "$work/h.db" key create --name openapi-fuzz "${roles[@]}" 2>/dev/null)
"$bin" feed keygen --out "$work/feed.key" >/dev/null 2>&1
"$bin" --db "$work/h.db" serve --listen 127.0.0.1:0 --feed-key "$work/feed.key" \
    --secrets-key-file "$work/secrets.key" \
    --rate-limit 0 --report-rate 0 --auth-failure-rate 0 >"$work/serve.out" 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do
    base=$(sed -n 's/^listening on //p' "$work/serve.out")
    [ -n "$base" ] && curl -sf -H "Authorization: Bearer $key" "$base/status" >/dev/null && break
    sleep 0.1
done
[ -n "${base:-}" ] || { echo "the service did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
# Run from the scratch folder: schemathesis keeps a cache where it runs.
venv_bin="$PWD/$venv/bin"
cd "$work"
"$venv_bin/schemathesis" run "$base/openapi.json" \
    -H "Authorization: Bearer $key" \
    --checks not_a_server_error,response_schema_conformance \
    --max-examples "$examples" --workers 2 --seed 1 \
    --no-color
