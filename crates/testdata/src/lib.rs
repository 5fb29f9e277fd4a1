//! Test support shared by the workspace's tests and benchmarks: the
//! repository's conformance corpus (benign images with Meta's reference PDQ
//! hashes, [`corpus`]), a reader for its TSV files, seeded random hashes,
//! and fresh PostgreSQL databases.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::Path;

mod corpus;

pub use crate::corpus::{corpus, corpus_images, synthetic_pixels, video_corpus};

use hashwatch_pdq::Hash256;

/// A seeded generator of random hashes (splitmix64): the same seed gives
/// the same hashes on every machine.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniformly random hash.
    pub fn hash(&mut self) -> Hash256 {
        Hash256::from_limbs([
            self.next_u64(),
            self.next_u64(),
            self.next_u64(),
            self.next_u64(),
        ])
    }

    /// `base` with exactly `bits` distinct bits flipped.
    pub fn near(&mut self, base: &Hash256, bits: u32) -> Hash256 {
        let mut out = *base;
        while out.distance(base) < bits {
            let k = (self.next_u64() % 256) as usize;
            if out.bit(k) == base.bit(k) {
                let mut limbs = out.limbs();
                limbs[k / 64] ^= 1 << (k % 64);
                out = Hash256::from_limbs(limbs);
            }
        }
        out
    }
}

/// A TSV row keyed by column name.
pub type Row = HashMap<String, String>;

/// Parses TSV text with a header line. Panics on a row with the wrong
/// number of cells.
pub fn parse_tsv(text: &str) -> Vec<Row> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header line").split('\t').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            assert_eq!(cells.len(), header.len(), "row {l:?}");
            header
                .iter()
                .zip(cells)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// As [`read_tsv`], or `None` when the file cannot be read.
pub fn read_tsv_if_present(path: &Path) -> Option<Vec<Row>> {
    std::fs::read_to_string(path).ok().map(|t| parse_tsv(&t))
}

/// Reads and parses a TSV file with a header line.
pub fn read_tsv(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_tsv(&text)
}

/// The PostgreSQL server tests use: `$HASHWATCH_TEST_POSTGRES` (an admin
/// URL; `scripts/test.sh` sets it when it starts a throwaway server), else
/// the local server on 127.0.0.1:5432.
pub fn postgres_admin_url() -> String {
    std::env::var("HASHWATCH_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A fresh, empty PostgreSQL database for one test, dropped when this is.
pub struct TestPostgres {
    admin_url: String,
    name: String,
    /// Its URL.
    pub url: String,
}

impl TestPostgres {
    /// Creates the database. Panics, saying how to fix it, when no server
    /// answers: a test that claims PostgreSQL must not pass without one.
    pub fn new() -> TestPostgres {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let admin_url = postgres_admin_url();
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("hashwatch_test_{}_{n}_{nanos}", std::process::id());
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).unwrap_or_else(|e| {
            panic!("no PostgreSQL at {admin_url} ({e}); run scripts/test.sh, or set HASHWATCH_TEST_POSTGRES")
        });
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("cannot create test database: {e}"));
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(&admin_url);
        let url = format!("{base}/{name}");
        TestPostgres {
            admin_url,
            name,
            url,
        }
    }
}

impl Default for TestPostgres {
    fn default() -> TestPostgres {
        TestPostgres::new()
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
