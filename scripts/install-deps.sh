#!/usr/bin/env bash
# Installs what building hashwatch needs beyond a Rust toolchain: a C
# compiler, CMake and NASM, which build the bundled libjpeg-turbo (the JPEG
# decoder the PDQ reference pipeline uses); FFmpeg's development libraries
# and libclang for video; Rust's WebAssembly target for the report page.
# Debian/Ubuntu packages; does nothing when everything is already there.
set -euo pipefail

if ! command -v cargo >/dev/null 2>&1; then
    echo "hashwatch needs a Rust toolchain (cargo); install it with rustup: https://rustup.rs" >&2
    exit 1
fi

missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc)
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v nasm >/dev/null 2>&1 || missing+=(nasm)
# The service tests send oversized uploads with curl, which reads an early
# 413 answer where Rust's HTTP clients report the closed connection.
command -v curl >/dev/null 2>&1 || missing+=(curl)
# The OpenAPI fuzzer (scripts/openapi-fuzz.sh) runs from PyPI in a venv.
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
# Video is decoded by FFmpeg's libraries (hashwatch-video, through
# ffmpeg-next, whose bindings bindgen makes with libclang).
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
for lib in libavcodec libavformat libavutil libswscale; do
    pkg-config --exists "$lib" 2>/dev/null || missing+=("$lib-dev")
done
# bindgen loads libclang itself (libclang.so, not libclang-cpp.so, which
# other packages bring).
compgen -G '/usr/lib/llvm-*/lib/libclang.so*' >/dev/null || compgen -G '/usr/lib/*/libclang-[0-9]*.so*' >/dev/null \
    || missing+=(libclang-dev)
# The report page's in-browser hashing is the pdq crate compiled to
# WebAssembly (crates/web/build.rs builds it).
if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo "adding Rust's wasm32-unknown-unknown target ..." >&2
    rustup target add wasm32-unknown-unknown >/dev/null
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "please install: ${missing[*]} (no apt-get here)" >&2
    exit 1
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "installing ${missing[*]} ..." >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get install -y -q "${missing[@]}" >/dev/null \
    || { "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q "${missing[@]}" >/dev/null; }
