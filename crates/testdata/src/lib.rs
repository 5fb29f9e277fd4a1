//! Test support shared by the workspace's tests and benchmarks: the location
//! of the shared reference corpus (benign images with Meta's reference PDQ
//! hashes) and a reader for its TSV files.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

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

/// `images-v1` of the shared corpus: `$HASHWATCH_CORPUS`, or
/// `../shared/corpus/images-v1` beside the checkout. Panics with a clear
/// message when it is missing: conformance cannot be checked without it.
pub fn corpus() -> PathBuf {
    let dir = std::env::var_os("HASHWATCH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/images-v1")
        });
    assert!(
        dir.join("pdq.tsv").is_file(),
        "reference corpus not found at {} (set HASHWATCH_CORPUS to its images-v1 folder)",
        dir.display()
    );
    dir
}

/// The corpus's image folder.
pub fn corpus_images() -> PathBuf {
    corpus().join("images")
}

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

/// Reads and parses a TSV file with a header line.
pub fn read_tsv(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_tsv(&text)
}
