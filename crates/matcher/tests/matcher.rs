//! Matching semantics: thresholds, the quality floor, negative banks,
//! revocation and dihedral variants.

use hashwatch_matcher::{MatchOptions, Matcher, Query};
use hashwatch_pdq::{Dihedral, Hash256};
use hashwatch_store::{BankKind, EntryRef, NewEntry, SignalType, SqliteStore, Store};

fn hash(seed: u64) -> Hash256 {
    let mut s = seed;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s
    };
    Hash256::from_limbs([next(), next(), next(), next()])
}

fn flip(h: Hash256, bits: usize) -> Hash256 {
    let mut out = h;
    for k in 0..bits {
        let mut limbs = out.limbs();
        limbs[(k * 7 % 256) / 64] ^= 1 << ((k * 7 % 256) % 64);
        out = Hash256::from_limbs(limbs);
    }
    out
}

fn pdq_entry(h: Hash256) -> NewEntry {
    NewEntry::new(SignalType::Pdq, h.to_be_bytes().to_vec())
}

fn store_with(banks: &[(&str, BankKind, Vec<NewEntry>)]) -> SqliteStore {
    let store = SqliteStore::open_in_memory().expect("opens");
    for (name, kind, entries) in banks {
        store.create_bank(name, *kind, None).expect("creates");
        store
            .import(name, entries, None, &mut |_| {})
            .expect("imports");
    }
    store
}

fn pdq_query(h: Hash256, quality: Option<u8>) -> Query {
    Query {
        pdq: Some((h, quality)),
        ..Query::default()
    }
}

#[test]
fn the_threshold_is_inclusive() {
    let known = hash(1);
    let store = store_with(&[("known", BankKind::Positive, vec![pdq_entry(known)])]);
    let matcher = Matcher::load(&store, &[], &mut |_| {}).expect("loads");
    let options = MatchOptions::default();
    assert_eq!(
        matcher
            .lookup(&pdq_query(flip(known, 31), Some(100)), &options)
            .matches
            .len(),
        1
    );
    assert!(matcher
        .lookup(&pdq_query(flip(known, 32), Some(100)), &options)
        .matches
        .is_empty());
    let strict = MatchOptions {
        threshold: 10,
        ..options
    };
    assert!(matcher
        .lookup(&pdq_query(flip(known, 11), None), &strict)
        .matches
        .is_empty());
    let m = &matcher
        .lookup(&pdq_query(flip(known, 10), None), &strict)
        .matches[0];
    assert_eq!(
        (m.bank.as_str(), m.distance, m.hash.clone()),
        ("known", 10, known.to_string())
    );
}

#[test]
fn low_quality_hashes_are_reported_not_matched() {
    let known = hash(2);
    let mut md5 = NewEntry::new(SignalType::Md5, vec![7; 16]);
    md5.category = None;
    let store = store_with(&[("known", BankKind::Positive, vec![pdq_entry(known), md5])]);
    let matcher = Matcher::load(&store, &[], &mut |_| {}).expect("loads");
    let query = Query {
        pdq: Some((known, Some(49))),
        dihedral: None,
        exact: vec![(SignalType::Md5, vec![7; 16])],
        vpdq: None,
        views: None,
        frame_views: Vec::new(),
    };
    let outcome = matcher.lookup(&query, &MatchOptions::default());
    assert_eq!(outcome.low_quality, Some(49));
    // The digest still matches; the PDQ hash does not.
    assert_eq!(outcome.matches.len(), 1);
    assert_eq!(outcome.matches[0].signal_type, SignalType::Md5);
    let at_floor = matcher.lookup(&pdq_query(known, Some(50)), &MatchOptions::default());
    assert_eq!((at_floor.low_quality, at_floor.matches.len()), (None, 1));
    let no_floor = MatchOptions {
        quality_floor: 0,
        ..MatchOptions::default()
    };
    assert_eq!(
        matcher
            .lookup(&pdq_query(known, Some(3)), &no_floor)
            .matches
            .len(),
        1
    );
}

#[test]
fn negative_banks_suppress_positive_matches_of_the_same_type() {
    let meme = hash(3);
    let store = store_with(&[
        (
            "known",
            BankKind::Positive,
            vec![
                pdq_entry(flip(meme, 20)),
                NewEntry::new(SignalType::Sha1, vec![1; 20]),
            ],
        ),
        ("false-positives", BankKind::Negative, vec![pdq_entry(meme)]),
    ]);
    let matcher = Matcher::load(&store, &[], &mut |_| {}).expect("loads");
    let query = Query {
        pdq: Some((flip(meme, 2), None)),
        dihedral: None,
        exact: vec![(SignalType::Sha1, vec![1; 20])],
        vpdq: None,
        views: None,
        frame_views: Vec::new(),
    };
    let outcome = matcher.lookup(&query, &MatchOptions::default());
    assert_eq!(outcome.suppressed, 1);
    assert_eq!(outcome.suppressed_by.len(), 1);
    assert_eq!(outcome.suppressed_by[0].bank, "false-positives");
    // The exact match is of another type and stands.
    assert_eq!(outcome.matches.len(), 1);
    assert_eq!(outcome.matches[0].signal_type, SignalType::Sha1);
    // Without the negative bank in scope, the PDQ match stands.
    let only_known = Matcher::load(&store, &["known".to_string()], &mut |_| {}).expect("loads");
    assert_eq!(
        only_known
            .lookup(&query, &MatchOptions::default())
            .matches
            .len(),
        2
    );
}

#[test]
fn revoked_entries_are_not_loaded() {
    let known = hash(4);
    let store = store_with(&[(
        "known",
        BankKind::Positive,
        vec![pdq_entry(known), pdq_entry(hash(5))],
    )]);
    store
        .revoke(
            "known",
            &EntryRef::Value(SignalType::Pdq, known.to_be_bytes().to_vec()),
            "mistake",
        )
        .expect("revokes");
    let matcher = Matcher::load(&store, &[], &mut |_| {}).expect("loads");
    assert!(matcher
        .lookup(&pdq_query(known, None), &MatchOptions::default())
        .matches
        .is_empty());
    assert_eq!(
        matcher
            .lookup(&pdq_query(hash(5), None), &MatchOptions::default())
            .matches
            .len(),
        1
    );
}

#[test]
fn dihedral_queries_say_which_variant_matched() {
    let variants: [Hash256; 8] = std::array::from_fn(|i| hash(100 + i as u64));
    let store = store_with(&[(
        "known",
        BankKind::Positive,
        vec![pdq_entry(flip(variants[2], 3))],
    )]);
    let matcher = Matcher::load(&store, &[], &mut |_| {}).expect("loads");
    let query = Query {
        pdq: Some((variants[0], Some(100))),
        dihedral: Some(Dihedral {
            hashes: variants,
            quality: 100,
        }),
        exact: Vec::new(),
        vpdq: None,
        views: None,
        frame_views: Vec::new(),
    };
    let outcome = matcher.lookup(&query, &MatchOptions::default());
    assert_eq!(outcome.matches.len(), 1);
    assert_eq!(outcome.matches[0].variant, Some("rot180"));
    assert_eq!(outcome.matches[0].distance, 3);
}

#[test]
fn unknown_banks_are_an_error() {
    let store = store_with(&[]);
    assert!(Matcher::load(&store, &["nope".to_string()], &mut |_| {}).is_err());
}
