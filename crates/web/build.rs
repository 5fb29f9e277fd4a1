//! Builds the report page's WebAssembly (`crates/wasm`, the `pdq` crate
//! for the browser) for embedding in the service.
//!
//! It needs Rust's `wasm32-unknown-unknown` target (`rustup target add
//! wasm32-unknown-unknown`; `scripts/install-deps.sh` adds it). Without
//! it the service builds with a warning and its report page says that
//! hashing in the browser is not available; URL reports work either way.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let here = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let crates = here.parent().expect("crates/").to_path_buf();
    for watched in ["wasm/src", "wasm/Cargo.toml", "pdq/src", "pdq/Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", crates.join(watched).display());
    }
    let dest = out.join("hashwatch.wasm");
    let target_dir = out.join("wasm-target");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = Command::new(cargo)
        .args(["build", "--release", "--offline", "--quiet"])
        .arg("--manifest-path")
        .arg(crates.join("wasm/Cargo.toml"))
        .args(["--target", "wasm32-unknown-unknown", "--target-dir"])
        .arg(&target_dir)
        // The host build's flags and target do not apply to WebAssembly.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "true")
        .status();
    let wasm = target_dir.join("wasm32-unknown-unknown/release/hashwatch_wasm.wasm");
    match built {
        Ok(status) if status.success() && wasm.exists() => {
            std::fs::copy(&wasm, &dest).expect("copies the WebAssembly");
        }
        outcome => {
            println!(
                "cargo:warning=the report page's WebAssembly was not built ({}): \
                 run `rustup target add wasm32-unknown-unknown`; until then the page \
                 takes URL reports only",
                match outcome {
                    Ok(status) => format!("cargo {status}"),
                    Err(e) => e.to_string(),
                }
            );
            std::fs::write(&dest, b"").expect("writes the empty placeholder");
        }
    }
}
