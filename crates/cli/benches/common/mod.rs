//! What the benchmarks share: the Python peer they measure against (a
//! script beside them, run by `$PYTHON`, default `python3`, answering one
//! JSON object), settings from the environment, and the binary itself.

// Each bench compiles this module and uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Peer {
    python: String,
    script: PathBuf,
}

impl Peer {
    /// The peer, when `$PYTHON` can run `imports` (a Python statement).
    pub fn find(imports: &str, script: &str) -> Option<Peer> {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
        let ok = Command::new(&python)
            .args(["-c", imports])
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| Peer {
            python,
            script: Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("benches")
                .join(script),
        })
    }

    pub fn run(&self, args: &[&str]) -> serde_json::Value {
        let out = Command::new(&self.python)
            .arg(&self.script)
            .args(args)
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("peer prints JSON")
    }
}

/// A setting from the environment variable `name`, or `default`.
pub fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Runs `hashwatch --db DB ARGS…` and returns its output; a failure stops
/// the bench with the command's error.
pub fn hashwatch(db: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_hashwatch"))
        .env_remove("HASHWATCH_DB")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("hashwatch runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}
