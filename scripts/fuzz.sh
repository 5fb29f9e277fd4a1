#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo fuzz, libFuzzer) of what reads outside
# input: image decoding, hash lists, feed pages, URL canonicalisation and
# multipart uploads, SECONDS each (default 30). A crash fails the run and
# leaves its input in fuzz/artifacts/TARGET/; keep it in
# fuzz/regressions/TARGET/ with a test that replays it.
# Runs on the stable toolchain: no sanitizer (Rust's own checks catch
# out-of-bounds access; the code has no unsafe), and RUSTC_BOOTSTRAP for
# the one unstable flag cargo fuzz passes.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --version 0.13.2
export RUSTC_BOOTSTRAP=1
targets=(decode_image read_list feed_pages canonical_url multipart_upload)
(cd fuzz && cargo fuzz build -s none -O)
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
for target in "${targets[@]}"; do
    mkdir -p "$seeds/$target"
    [ -d "fuzz/regressions/$target" ] && cp fuzz/regressions/"$target"/* "$seeds/$target/" 2>/dev/null || true
done
# Real files to start from: the corpus images, the example lists.
cp tests/corpus/images/* "$seeds/decode_image/" 2>/dev/null || true
cp tests/corpus/*.tsv "$seeds/read_list/"
for target in "${targets[@]}"; do
    echo "fuzzing $target for ${seconds}s" >&2
    (cd fuzz && cargo fuzz run -s none -O "$target" "$seeds/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1) \
        2>&1 | grep -E "^(stat::number_of_executed_units|==|SUMMARY|thread)|panicked" >&2
done
