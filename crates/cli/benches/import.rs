//! `cargo bench -p hashwatch --bench import`: `hashwatch bank import` of a
//! plain list of random PDQ hashes into a fresh SQLite bank, against a
//! same-run peer: Python's `sqlite3` inserting the same hashes with
//! `executemany` into a table with the same unique index (what a hash-list
//! owner's own script would do).
//!
//! `HASHWATCH_IMPORT_HASHES` sets the list size (default 1,000,000) and
//! `HASHWATCH_IMPORT_RUNS` the runs of each (default 5; the median counts,
//! since this machine's timings wander). The whole command is timed: reading
//! and validating the file, the sorted insert and the commit. Results go to
//! stdout and, as JSON, to `target/import-bench.json`.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use hashwatch_testdata::Rng;
use serde_json::json;

use common::{env_number, hashwatch};

mod common;

fn median(mut seconds: Vec<f64>) -> f64 {
    seconds.sort_by(f64::total_cmp);
    seconds[seconds.len() / 2]
}

fn remove_db(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

fn hashwatch_import(db: &Path, list: &Path) -> f64 {
    remove_db(db);
    let run = |args: &[&str]| {
        hashwatch(db, args);
    };
    run(&["bank", "create", "bench"]);
    let list = list.to_string_lossy();
    let start = Instant::now();
    run(&["bank", "import", "bench", &list, "--no-progress"]);
    start.elapsed().as_secs_f64()
}

/// The peer: reads the list, checks each line is 64 hex digits, inserts
/// into the same schema's entries table with the same unique index, in one
/// transaction; prints its own elapsed seconds.
const PEER: &str = r#"
import sqlite3, sys, time
db, path = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL"); conn.execute("PRAGMA synchronous=FULL")
conn.execute("PRAGMA cache_size=-65536")
conn.execute("""CREATE TABLE entries (id INTEGER PRIMARY KEY AUTOINCREMENT, bank_id INTEGER NOT NULL,
  signal_type TEXT NOT NULL, value BLOB NOT NULL, source TEXT, origin TEXT, added_at TEXT NOT NULL,
  added_version INTEGER NOT NULL, revoked_at TEXT)""")
conn.execute("CREATE UNIQUE INDEX active ON entries (bank_id, signal_type, value) WHERE revoked_at IS NULL")
conn.execute("CREATE INDEX by_bank ON entries (bank_id, id)")
start = time.perf_counter()
rows = []
with open(path) as f:
    for line in f:
        line = line.strip()
        if len(line) != 64: raise SystemExit("bad line")
        rows.append((1, "pdq", bytes.fromhex(line), "list.txt", path, "2026-01-01T00:00:00Z", 1))
conn.execute("BEGIN IMMEDIATE")
conn.executemany("INSERT OR IGNORE INTO entries (bank_id, signal_type, value, source, origin, added_at, added_version) VALUES (?,?,?,?,?,?,?)", rows)
conn.execute("COMMIT")
print(time.perf_counter() - start)
"#;

fn peer_import(db: &Path, list: &Path) -> Option<f64> {
    remove_db(db);
    let out = Command::new("python3")
        .arg("-c")
        .arg(PEER)
        .arg(db)
        .arg(list)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("peer failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn main() {
    // `cargo bench` passes --bench; a `cargo test` of benches passes nothing
    // useful either way, so a tiny run keeps that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let hashes = if quick {
        1_000
    } else {
        env_number("HASHWATCH_IMPORT_HASHES", 1_000_000)
    };
    let runs = if quick {
        1
    } else {
        env_number("HASHWATCH_IMPORT_RUNS", 5).max(1)
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let list = dir.path().join("list.txt");
    let mut rng = Rng::new(6);
    let mut file = std::io::BufWriter::new(std::fs::File::create(&list).expect("list"));
    for _ in 0..hashes {
        writeln!(file, "{}", rng.hash()).expect("write list");
    }
    drop(file);
    let db = dir.path().join("bench.db");

    let ours: Vec<f64> = (0..runs).map(|_| hashwatch_import(&db, &list)).collect();
    let peer: Vec<f64> = (0..runs).filter_map(|_| peer_import(&db, &list)).collect();
    let ours_median = median(ours.clone());
    let rate = hashes as f64 / ours_median;
    println!(
        "hashwatch bank import: {hashes} PDQ hashes, median {ours_median:.2} s of {runs} \
         ({rate:.0} records/s); runs {ours:.2?}"
    );
    let peer_json = if peer.is_empty() {
        println!("peer (python3 sqlite3): not available");
        serde_json::Value::Null
    } else {
        let peer_median = median(peer.clone());
        println!(
            "peer (python3 sqlite3 executemany): median {peer_median:.2} s ({:.0} records/s); \
             hashwatch is {:.2}x its speed",
            hashes as f64 / peer_median,
            peer_median / ours_median
        );
        json!({"median_seconds": peer_median, "runs": peer})
    };
    let report = json!({
        "hashes": hashes,
        "hashwatch": {"median_seconds": ours_median, "records_per_second": rate, "runs": ours},
        "peer_python_sqlite3": peer_json,
    });
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/import-bench.json");
    if !quick {
        let _ = std::fs::write(
            target,
            serde_json::to_string_pretty(&report).unwrap_or_default(),
        );
    }
}
