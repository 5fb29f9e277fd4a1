//! `hashwatch serve` over real HTTP on loopback, each test on a real
//! SQLite file and on a real PostgreSQL database.

#![allow(missing_docs)]

mod actions;
mod exchange;
mod feeds;
mod fetch;
mod hma;
mod hotline;
mod memory;
mod nodes;
mod operator;
mod parity;
mod robust;
mod ui;
mod video;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Where a test's banks live.
pub enum Db {
    Sqlite(tempfile::TempDir),
    Postgres(hashwatch_testdata::TestPostgres),
}

impl Db {
    pub fn sqlite() -> Db {
        Db::Sqlite(tempfile::tempdir().expect("temp dir"))
    }

    pub fn postgres() -> Db {
        Db::Postgres(hashwatch_testdata::TestPostgres::new())
    }

    pub fn spec(&self) -> String {
        match self {
            Db::Sqlite(dir) => dir
                .path()
                .join("hashwatch.db")
                .to_string_lossy()
                .into_owned(),
            Db::Postgres(pg) => pg.url.clone(),
        }
    }

    /// `hashwatch --db …`, set up as every test runs it.
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hashwatch"));
        command
            .env_remove("HASHWATCH_DB")
            // The tests' servers, webhooks and feeds are on loopback.
            .env("HASHWATCH_OUTBOUND_ALLOW", "127.0.0.0/8")
            .env("HASHWATCH_SECRETS_KEY_FILE", secrets_key_file())
            .arg("--db")
            .arg(self.spec());
        command
    }

    /// Runs `hashwatch --db … ARGS`; returns stdout.
    pub fn hashwatch(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().expect("hashwatch runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// A new API key's secret.
    pub fn key(&self, role: &str, tenant: &str) -> String {
        self.hashwatch(&[
            "key", "create", "--name", role, "--role", role, "--tenant", tenant,
        ])
        .trim()
        .to_string()
    }
}

/// The secrets key every test's commands and servers share.
fn secrets_key_file() -> &'static std::path::Path {
    static FILE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let path =
            std::env::temp_dir().join(format!("hashwatch-test-secrets-{}.key", std::process::id()));
        std::fs::write(&path, "07".repeat(32)).expect("writes the secrets key");
        path
    })
}

/// A running `hashwatch serve`.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Starts a server on a free port and waits until its index is loaded.
    pub fn start(db: &Db, key: &str, extra: &[&str]) -> Server {
        let mut child = db
            .command()
            .env("RUST_LOG", "warn")
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--follow-interval",
                "100ms",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("reads");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        let server = Server { child, base };
        let api = server.api(key);
        let deadline = Instant::now() + Duration::from_secs(60);
        while api.get("/status").0 != 200 {
            assert!(Instant::now() < deadline, "index never loaded");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn api(&self, key: &str) -> Api {
        Api {
            base: self.base.clone(),
            key: Some(key.to_string()),
            http: reqwest::blocking::Client::new(),
        }
    }

    /// SIGKILL: no chance to flush or finish anything.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, and the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().expect("waits")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client with (or without) a key.
pub struct Api {
    pub base: String,
    pub key: Option<String>,
    http: reqwest::blocking::Client,
}

fn answer(response: reqwest::blocking::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

impl Api {
    pub fn without_key(&self) -> Api {
        Api {
            base: self.base.clone(),
            key: None,
            http: self.http.clone(),
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::blocking::RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.base));
        match &self.key {
            Some(k) => r.bearer_auth(k),
            None => r,
        }
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        answer(
            self.request(reqwest::Method::GET, path)
                .send()
                .expect("sends"),
        )
    }

    pub fn delete(&self, path: &str) -> (u16, Value) {
        answer(
            self.request(reqwest::Method::DELETE, path)
                .send()
                .expect("sends"),
        )
    }

    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        answer(
            self.request(reqwest::Method::POST, path)
                .json(&body)
                .send()
                .expect("sends"),
        )
    }

    /// As `post`, but `None` when the server does not answer.
    pub fn try_post(&self, path: &str, body: Value) -> Option<(u16, Value)> {
        self.request(reqwest::Method::POST, path)
            .json(&body)
            .send()
            .ok()
            .map(answer)
    }

    pub fn put(&self, path: &str, body: Value) -> (u16, Value) {
        answer(
            self.request(reqwest::Method::PUT, path)
                .json(&body)
                .send()
                .expect("sends"),
        )
    }

    pub fn post_text(&self, path: &str, body: &str) -> (u16, Value) {
        answer(
            self.request(reqwest::Method::POST, path)
                .header("content-type", "text/plain")
                .body(body.to_string())
                .send()
                .expect("sends"),
        )
    }

    pub fn upload(&self, path: &str, field: &str, bytes: Vec<u8>) -> (u16, Value) {
        let part = reqwest::blocking::multipart::Part::bytes(bytes).file_name("upload");
        let form = reqwest::blocking::multipart::Form::new().part(field.to_string(), part);
        answer(
            self.request(reqwest::Method::POST, path)
                .multipart(form)
                .send()
                .expect("sends"),
        )
    }

    /// Polls `path` until `done` holds; returns how long it took.
    pub fn until(&self, path: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Duration {
        let started = Instant::now();
        loop {
            let (status, body) = self.get(path);
            if status == 200 && done(&body) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < limit,
                "{path}: still {status} {body} after {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A corpus image and its reference PDQ hash.
pub fn corpus_image(name: &str) -> (Vec<u8>, String) {
    let dir = hashwatch_testdata::corpus();
    let rows = hashwatch_testdata::read_tsv(&dir.join("pdq.tsv"));
    let row = rows.iter().find(|r| r["file"] == name).expect("in pdq.tsv");
    let bytes = std::fs::read(hashwatch_testdata::corpus_images().join(name)).expect("reads");
    (bytes, row["pdq_hex"].clone())
}

/// A PDQ hash `bits` away from `hex` (the low bits of the last digits flipped).
pub fn nearby(hex: &str, bits: u32) -> String {
    let mut value = u128::from_str_radix(&hex[32..], 16).expect("hex");
    for b in 0..bits {
        value ^= 1 << (b * 3);
    }
    format!("{}{value:032x}", &hex[..32])
}

pub fn lookup_path(hex: &str) -> String {
    format!("/m/lookup?signal_type=pdq&signal={hex}")
}

pub fn temp_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("writes");
    path
}
