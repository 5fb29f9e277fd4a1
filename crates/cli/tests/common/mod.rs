//! What the binary's tests share: a temporary folder with a SQLite bank
//! file, and the binary run against it.

// Each test file uses some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("banks.db")
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hashwatch"));
        cmd.env_remove("HASHWATCH_DB").arg("--db").arg(self.db());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("hashwatch runs")
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        self.file_bytes(name, text.as_bytes())
    }

    pub fn file_bytes(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("writes");
        path
    }

    /// `hashwatch hash FOLDER > list; bank import BANK list --create`: the
    /// listing and the import's output.
    pub fn import_folder(&self, bank: &str, folder: &Path) -> (String, Output) {
        let hashes = self.ok(&["hash", "--no-progress", s(folder)]);
        let list = self.file(&format!("{bank}.tsv"), &hashes);
        let args = [
            "bank",
            "import",
            bank,
            s(&list),
            "--create",
            "--no-progress",
        ];
        (hashes, self.run(&args))
    }

    pub fn active(&self, bank: &str) -> u64 {
        let list = self.ok(&["bank", "list", "--format", "json"]);
        list.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
            .find(|b| b["name"] == bank)
            .and_then(|b| b["active"].as_u64())
            .expect("bank listed")
    }
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
