//! Video matching semantics against python-threatexchange: every ordered
//! pair of corpus videos, banked in a real SQLite store and matched
//! through the frame index, gives the percentages pytx's brute matcher
//! gave (`tests/corpus/vpdq_matches.tsv`); stills are found inside videos
//! and videos' frames among banked images.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hashwatch_matcher::{MatchOptions, Matcher, Query};
use hashwatch_pdq::vpdq::{to_pytx, VpdqFeature};
use hashwatch_store::{BankKind, NewEntry, SignalType, SqliteStore, Store};

fn videos() -> PathBuf {
    hashwatch_testdata::video_corpus().join("videos")
}

fn features(name: &str) -> Vec<VpdqFeature> {
    hashwatch_video::hash_file(&videos().join(name), &hashwatch_video::Options::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .compact()
}

fn video_entry(name: &str) -> NewEntry {
    let mut entry = NewEntry::new(
        SignalType::Vpdq,
        SignalType::Vpdq
            .parse_value(&to_pytx(&features(name)))
            .expect("parses"),
    );
    entry.content_id = Some(name.to_string());
    entry
}

/// The reference: (query, compared) → (query %, compared %).
fn reference() -> BTreeMap<(String, String), (f64, f64)> {
    let rows =
        hashwatch_testdata::read_tsv(&hashwatch_testdata::video_corpus().join("vpdq_matches.tsv"));
    rows.iter()
        .map(|r| {
            let percent = |k: &str| r[k].parse::<f64>().expect("a number");
            (
                (r["query"].clone(), r["compared"].clone()),
                (
                    percent("query_match_percent"),
                    percent("compared_match_percent"),
                ),
            )
        })
        .collect()
}

/// Banks every corpus video; entry ids map back to file names.
fn bank_all() -> (SqliteStore, Matcher, BTreeMap<u64, String>) {
    let store = SqliteStore::open_in_memory().expect("opens");
    store
        .create_bank("videos", BankKind::Positive, None)
        .expect("creates");
    let mut names: Vec<String> = std::fs::read_dir(videos())
        .expect("lists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let entries: Vec<NewEntry> = names.iter().map(|n| video_entry(n)).collect();
    store
        .import("videos", &entries, None, &mut |_| {})
        .expect("imports");
    let mut ids = BTreeMap::new();
    store
        .entries("videos", false, &mut |e| {
            ids.insert(e.id, e.signal.content_id.clone().expect("named"));
        })
        .expect("reads");
    let matcher = Matcher::load(&store, &[], &mut |_| {}).expect("loads");
    (store, matcher, ids)
}

fn video_query(name: &str) -> Query {
    Query {
        vpdq: Some(features(name)),
        ..Query::default()
    }
}

#[test]
fn every_pair_scores_as_pytx_brute_matcher_does() {
    let reference = reference();
    let (_store, matcher, ids) = bank_all();
    assert_eq!(
        ids.len() * ids.len(),
        reference.len(),
        "the reference covers every pair"
    );
    let everything = MatchOptions {
        video_query_percent: 0.0,
        video_compared_percent: 0.0,
        ..MatchOptions::default()
    };
    let mut mismatches = Vec::new();
    for query in ids.values() {
        let outcome = matcher.lookup(&video_query(query), &everything);
        let found: BTreeMap<&str, (f64, f64)> = outcome
            .matches
            .iter()
            .filter(|m| m.signal_type == SignalType::Vpdq)
            .map(|m| {
                let v = m.video.expect("scores");
                (
                    ids[&m.entry_id].as_str(),
                    (v.query_match_percent, v.compared_match_percent),
                )
            })
            .collect();
        for compared in ids.values() {
            let expected = reference[&(query.clone(), compared.clone())];
            // The index reports a video when any frame matched; pytx's
            // brute matcher says 0 % both ways otherwise.
            let ours = found.get(compared.as_str()).copied().unwrap_or((0.0, 0.0));
            if ours != expected {
                mismatches.push(format!(
                    "{query} vs {compared}: ours {ours:?}, pytx {expected:?}"
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn default_thresholds_are_pytx_index_thresholds() {
    let reference = reference();
    let (_store, matcher, ids) = bank_all();
    let mut partial = 0;
    for query in ids.values() {
        let outcome = matcher.lookup(&video_query(query), &MatchOptions::default());
        let matched: Vec<&str> = outcome
            .matches
            .iter()
            .filter(|m| m.signal_type == SignalType::Vpdq)
            .map(|m| ids[&m.entry_id].as_str())
            .collect();
        for compared in ids.values() {
            let (q, _) = reference[&(query.clone(), compared.clone())];
            assert_eq!(
                matched.contains(&compared.as_str()),
                q >= 80.0,
                "{query} vs {compared} ({q} %)"
            );
            partial += usize::from(q > 0.0 && q < 80.0);
        }
    }
    // The corpus holds pairs on both sides of the threshold: the clip's
    // share of a whole video's frames is below it.
    assert!(partial > 0, "no pair below the threshold");
    // A bank asking more of the banked video's side turns the clip away.
    let strict = MatchOptions {
        video_compared_percent: 80.0,
        ..MatchOptions::default()
    };
    let clip = matcher.lookup(&video_query("clip.mp4"), &strict);
    let names: Vec<&str> = clip
        .matches
        .iter()
        .filter(|m| m.signal_type == SignalType::Vpdq)
        .map(|m| ids[&m.entry_id].as_str())
        .collect();
    assert_eq!(names, ["clip.mp4"]);
}

#[test]
fn stills_are_found_in_videos_and_frames_among_images() {
    let (store, matcher, ids) = bank_all();
    // A still of the clip's first hashed frame (frame 0) is found in the
    // banked videos that hold it, at the frame's timestamp.
    let clip = features("clip.mp4");
    let still = Query {
        pdq: Some((clip[0].pdq, Some(clip[0].quality))),
        ..Query::default()
    };
    let outcome = matcher.lookup(&still, &MatchOptions::default());
    let h264 = outcome
        .matches
        .iter()
        .find(|m| ids.get(&m.entry_id).map(String::as_str) == Some("h264.mp4"))
        .expect("the still is found in h264.mp4");
    assert_eq!(h264.signal_type, SignalType::Vpdq);
    assert!(h264.distance <= 31);
    // The clip starts one second in.
    assert_eq!(h264.frames.and_then(|f| f.bank_timestamp), Some(1.0));
    assert!(h264.video.is_none());
    assert!(
        !outcome
            .matches
            .iter()
            .any(|m| ids.get(&m.entry_id).map(String::as_str) == Some("other.mp4")),
        "an unrelated video is not found"
    );

    // The same frame banked as an image is found from a video query, with
    // the query frame that matched it.
    store
        .create_bank("images", BankKind::Positive, None)
        .expect("creates");
    let image = NewEntry::new(SignalType::Pdq, clip[0].pdq.to_be_bytes().to_vec());
    store
        .import("images", &[image], None, &mut |_| {})
        .expect("imports");
    let matcher = Matcher::load(&store, &["images".to_string()], &mut |_| {}).expect("loads");
    let outcome = matcher.lookup(&video_query("h264.mp4"), &MatchOptions::default());
    assert_eq!(outcome.matches.len(), 1, "{:?}", outcome.matches);
    let m = &outcome.matches[0];
    assert_eq!(
        (m.signal_type, m.bank.as_str()),
        (SignalType::Pdq, "images")
    );
    assert_eq!(m.frames.and_then(|f| f.query_timestamp), Some(1.0));
    let outcome = matcher.lookup(&video_query("other.mp4"), &MatchOptions::default());
    assert!(outcome.matches.is_empty(), "{:?}", outcome.matches);
}
