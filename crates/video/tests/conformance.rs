//! vPDQ conformance: every frame number, hash, quality and timestamp
//! equals what Meta's vpdq (PyPI, built against the same libav*) wrote in
//! `tests/corpus/vpdq.tsv` for the corpus's videos, at one and at two
//! hashes a second.

use std::collections::BTreeMap;

use hashwatch_video::{hash_file, Options};

#[test]
fn every_corpus_video_hashes_as_the_reference_does() {
    let corpus = hashwatch_testdata::video_corpus();
    let rows = hashwatch_testdata::read_tsv(&corpus.join("vpdq.tsv"));
    let mut expected: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for row in &rows {
        expected
            .entry((row["file"].clone(), row["seconds_per_hash"].clone()))
            .or_default()
            .push(format!(
                "{} {} {} {}",
                row["frame"], row["pdq"], row["quality"], row["timestamp"]
            ));
    }
    assert!(expected.len() >= 20, "the reference covers the corpus");
    let mut mismatches = Vec::new();
    for ((file, seconds), reference) in &expected {
        let options = Options {
            seconds_per_hash: seconds.parse().expect("seconds"),
            ..Options::default()
        };
        let path = corpus.join("videos").join(file);
        let video = hash_file(&path, &options).unwrap_or_else(|e| panic!("{file}: {e}"));
        // From memory as from the file.
        let bytes = std::fs::read(&path).expect("reads");
        let from_memory = hashwatch_video::hash_bytes(&bytes, &options).expect("hashes");
        assert_eq!(from_memory, video, "{file} from memory");
        let ours: Vec<String> = video
            .features
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {}",
                    f.frame,
                    f.pdq,
                    f.quality,
                    python_repr(f64::from(f.timestamp))
                )
            })
            .collect();
        if &ours != reference {
            mismatches.push(format!(
                "{file} at {seconds} s: ours {ours:#?}\nreference {reference:#?}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Python's `repr` of a float: the shortest text that reads back the same,
/// with `.0` on whole numbers.
fn python_repr(x: f64) -> String {
    let text = format!("{x:?}");
    if text.contains(['.', 'e', 'i', 'N']) {
        text
    } else {
        format!("{text}.0")
    }
}
