//! Test support shared by the workspace's tests and benchmarks: the location
//! of the shared reference corpus (benign images with Meta's reference PDQ
//! hashes) and a reader for its TSV files.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

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
