//! Conformance with Meta's reference: every image of the repository's
//! corpus (`tests/corpus/`), and the generated fixtures, hash bit-exactly
//! with the same quality as Meta's C++ through the `pdqhash` binding.
//!
//! `HASHWATCH_EXTRA_CORPUS=DIR` checks another folder laid out the same way
//! (`pdq.tsv`, `dihedral.tsv`, `images/`) as well, for a developer who has
//! one; the suite never needs it.

use std::path::{Path, PathBuf};

use hashwatch_pdq::{Dihedral, Hash256, Hasher};
use hashwatch_signals::SignalHasherBuilder;
use hashwatch_testdata::{corpus, read_tsv};

fn parse(hex: &str) -> Hash256 {
    hex.parse().expect("reference hash is valid hex")
}

/// The repository's corpus, then the extra one if given.
fn corpora() -> Vec<PathBuf> {
    let mut dirs = vec![corpus()];
    dirs.extend(std::env::var_os("HASHWATCH_EXTRA_CORPUS").map(PathBuf::from));
    dirs
}

#[test]
fn corpus_hashes_and_qualities_are_bit_exact() {
    for dir in corpora() {
        check_plain(&dir);
    }
}

fn check_plain(dir: &Path) {
    let references = read_tsv(&dir.join("pdq.tsv"));
    assert!(
        references.len() >= 40,
        "{} has {} images",
        dir.display(),
        references.len()
    );
    let hasher = SignalHasherBuilder::new().build();
    let mut pdq = Hasher::new();
    let mut mismatches = Vec::new();
    for r in &references {
        let path = dir.join("images").join(&r["file"]);
        let got = hasher
            .hash_file(&mut pdq, &path)
            .unwrap_or_else(|e| panic!("{e}"));
        let want = parse(&r["pdq_hex"]);
        let want_quality: u8 = r["quality"].parse().expect("quality");
        if got.pdq.hash != want || got.pdq.quality != want_quality {
            mismatches.push(format!(
                "{}: got {} q{}, want {} q{} ({} bits apart)",
                r["file"],
                got.pdq.hash,
                got.pdq.quality,
                want,
                want_quality,
                got.pdq.hash.distance(&want)
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn corpus_dihedral_hashes_are_bit_exact() {
    for dir in corpora() {
        check_dihedral(&dir);
    }
}

fn check_dihedral(dir: &Path) {
    let references = read_tsv(&dir.join("dihedral.tsv"));
    let hasher = SignalHasherBuilder::new().dihedral(true).build();
    let mut pdq = Hasher::new();
    let mut checked = 0;
    for r in &references {
        let path = dir.join("images").join(&r["file"]);
        let got = hasher
            .hash_file(&mut pdq, &path)
            .unwrap_or_else(|e| panic!("{e}"));
        let dihedral = got.dihedral.expect("dihedral hashes were asked for");
        for (k, name) in Dihedral::NAMES.iter().enumerate() {
            assert_eq!(
                dihedral.hashes[k],
                parse(&r[*name]),
                "{} variant {name}",
                r["file"]
            );
            checked += 1;
        }
    }
    assert_eq!(checked, references.len() * 8);
}

/// Formats and layouts the corpus lacks; `scripts/make-fixtures.py` made
/// them and their reference hashes (see its notes on palette and 16-bit grey).
#[test]
fn fixture_formats_match_reference() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let references = read_tsv(&dir.join("reference.tsv"));
    assert_eq!(references.len(), 11);
    let hasher = SignalHasherBuilder::new().build();
    let mut pdq = Hasher::new();
    for r in &references {
        let got = hasher
            .hash_file(&mut pdq, &dir.join(&r["file"]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.pdq.hash, parse(&r["pdq_hex"]), "{}", r["file"]);
        assert_eq!(got.pdq.quality.to_string(), r["quality"], "{}", r["file"]);
        assert_eq!((got.width, got.height), (211, 157), "{}", r["file"]);
    }
}
