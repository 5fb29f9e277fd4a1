//! A matcher follows changes made through another connection (another node
//! sharing the database) without reloading: on SQLite and on PostgreSQL.

use hashwatch_matcher::{MatchOptions, Matcher, Query};
use hashwatch_pdq::Hash256;
use hashwatch_store::{
    BankKind, EntryRef, NewEntry, PostgresStore, SignalType, SqliteStore, Store,
};
use hashwatch_testdata::{Rng, TestPostgres};

fn pdq(h: Hash256) -> NewEntry {
    NewEntry::new(SignalType::Pdq, h.to_be_bytes().to_vec())
}

fn found(matcher: &Matcher, h: Hash256) -> Vec<(String, u64)> {
    let query = Query {
        pdq: Some((h, None)),
        ..Query::default()
    };
    matcher
        .lookup(&query, &MatchOptions::default())
        .matches
        .into_iter()
        .map(|m| (m.bank, m.entry_id))
        .collect()
}

/// `reader` serves matches; `writer` is another node changing the banks.
fn story(reader: &dyn Store, writer: &dyn Store) {
    let mut rng = Rng::new(9);
    let (a, b, c) = (rng.hash(), rng.hash(), rng.hash());
    writer
        .create_bank("known", BankKind::Positive, None)
        .expect("creates");
    writer
        .import("known", &[pdq(a)], None, &mut |_| {})
        .expect("imports");
    let mut matcher = Matcher::load(reader, &[], &mut |_| {}).expect("loads");
    assert_eq!(found(&matcher, a).len(), 1);
    // Changes already loaded are harmless to apply again.
    let before = matcher.follow(reader).expect("follows");
    assert!(before <= 2);
    assert_eq!(found(&matcher, a).len(), 1);

    // An import on the other node: live after one follow.
    writer
        .import(
            "known",
            &[pdq(b), NewEntry::new(SignalType::Md5, vec![5; 16])],
            None,
            &mut |_| {},
        )
        .expect("imports");
    assert!(found(&matcher, b).is_empty());
    assert_eq!(matcher.follow(reader).expect("follows"), 1);
    assert_eq!(found(&matcher, rng.near(&b, 9)).len(), 1);
    let md5 = Query {
        exact: vec![(SignalType::Md5, vec![5; 16])],
        ..Query::default()
    };
    assert_eq!(
        matcher.lookup(&md5, &MatchOptions::default()).matches.len(),
        1
    );

    // A revocation: gone after one follow.
    writer
        .revoke(
            "known",
            &EntryRef::Value(SignalType::Md5, vec![5; 16]),
            "test",
        )
        .expect("revokes");
    writer
        .revoke(
            "known",
            &EntryRef::Value(SignalType::Pdq, a.to_be_bytes().to_vec()),
            "test",
        )
        .expect("revokes");
    assert_eq!(matcher.follow(reader).expect("follows"), 2);
    assert!(found(&matcher, a).is_empty());
    assert!(matcher
        .lookup(&md5, &MatchOptions::default())
        .matches
        .is_empty());
    assert_eq!(found(&matcher, b).len(), 1);

    // New banks join a matcher that follows every bank; deleted ones leave.
    writer
        .create_bank("fresh", BankKind::Positive, None)
        .expect("creates");
    writer
        .import("fresh", &[pdq(c)], None, &mut |_| {})
        .expect("imports");
    writer
        .create_bank("allow", BankKind::Negative, None)
        .expect("creates");
    writer
        .import("allow", &[pdq(b)], None, &mut |_| {})
        .expect("imports");
    matcher.follow(reader).expect("follows");
    assert_eq!(
        found(&matcher, c),
        [("fresh".to_string(), found(&matcher, c)[0].1)]
    );
    assert!(
        found(&matcher, b).is_empty(),
        "suppressed by the new negative bank"
    );
    writer.delete_bank("allow").expect("deletes");
    writer.delete_bank("fresh").expect("deletes");
    matcher.follow(reader).expect("follows");
    assert!(found(&matcher, c).is_empty());
    assert_eq!(found(&matcher, b).len(), 1);
    assert_eq!(matcher.cursor(), writer.last_change().expect("seq"));

    // A matcher of named banks ignores the others.
    let mut only_known = Matcher::load(reader, &["known".to_string()], &mut |_| {}).expect("loads");
    writer
        .create_bank("other", BankKind::Positive, None)
        .expect("creates");
    writer
        .import("other", &[pdq(c)], None, &mut |_| {})
        .expect("imports");
    only_known.follow(reader).expect("follows");
    assert!(found(&only_known, c).is_empty());
}

#[test]
fn follows_another_sqlite_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("banks.db");
    let reader = SqliteStore::open(&path).expect("opens");
    let writer = SqliteStore::open(&path).expect("opens");
    story(&reader, &writer);
}

#[test]
fn follows_another_postgres_node() {
    let pg = TestPostgres::new();
    let reader = PostgresStore::connect(&pg.url).expect("connects");
    let writer = PostgresStore::connect(&pg.url).expect("connects");
    story(&reader, &writer);
}

#[test]
fn the_change_log_is_in_commit_order_without_gaps() {
    let pg = TestPostgres::new();
    let stores: Vec<PostgresStore> = (0..4)
        .map(|_| PostgresStore::connect(&pg.url).expect("connects"))
        .collect();
    stores[0]
        .create_bank("b", BankKind::Positive, None)
        .expect("creates");
    // Four writers at once.
    std::thread::scope(|s| {
        for (t, store) in stores.iter().enumerate() {
            s.spawn(move || {
                let mut rng = Rng::new(100 + t as u64);
                for _ in 0..10 {
                    let batch: Vec<NewEntry> = (0..50).map(|_| pdq(rng.hash())).collect();
                    store
                        .import("b", &batch, None, &mut |_| {})
                        .expect("imports");
                }
            });
        }
    });
    let changes = stores[1].changes_since(0, 1000).expect("changes");
    assert_eq!(changes.len(), 41);
    assert!(changes.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    // Import ranges do not interleave, and together they are every entry.
    let mut covered = 0;
    let mut last_end = 0;
    for c in &changes[1..] {
        let hashwatch_store::ChangeKind::Imported { first, last } = c.kind else {
            panic!("{c:?}");
        };
        assert!(first > last_end && last >= first);
        last_end = last;
        let mut n = 0;
        stores[2]
            .entries_in(first, last, true, &mut |_| n += 1)
            .expect("entries");
        covered += n;
    }
    assert_eq!(covered, 4 * 10 * 50);
}
