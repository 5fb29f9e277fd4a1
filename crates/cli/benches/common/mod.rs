//! The Python peer the benchmarks measure against: a script beside them,
//! run by `$PYTHON` (default `python3`), answering one JSON object.

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
