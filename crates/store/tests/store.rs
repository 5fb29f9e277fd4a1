//! The store's behaviour on a real SQLite file.

use hashwatch_store::{BankKind, EntryRef, ErrorKind, NewEntry, SignalType, SqliteStore, Store};

fn md5(i: u32) -> Vec<u8> {
    let mut v = vec![0u8; 16];
    v[..4].copy_from_slice(&i.to_be_bytes());
    v
}

fn entries(range: std::ops::Range<u32>) -> Vec<NewEntry> {
    range
        .map(|i| {
            let mut e = NewEntry::new(SignalType::Md5, md5(i));
            e.category = Some("test".to_string());
            e
        })
        .collect()
}

fn all(store: &SqliteStore, bank: &str, include_revoked: bool) -> Vec<hashwatch_store::Entry> {
    let mut out = Vec::new();
    store
        .entries(bank, include_revoked, &mut |e| out.push(e))
        .expect("entries");
    out
}

#[test]
fn banks_are_created_listed_and_deleted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        SqliteStore::open(&dir.path().join("sub/dir/banks.db")).expect("opens, creating dirs");
    store
        .create_bank("b-one", BankKind::Positive, Some("first"))
        .expect("creates");
    store
        .create_bank("allow", BankKind::Negative, None)
        .expect("creates");
    let err = store
        .create_bank("b-one", BankKind::Positive, None)
        .expect_err("duplicate");
    assert!(matches!(err.kind(), ErrorKind::BankExists(_)));
    for bad in ["", "has space", "slash/name", &"x".repeat(65)] {
        let err = store
            .create_bank(bad, BankKind::Positive, None)
            .expect_err("bad name");
        assert!(matches!(err.kind(), ErrorKind::BadBankName(_)), "{bad:?}");
    }
    let names: Vec<String> = store
        .banks()
        .expect("lists")
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["allow", "b-one"]);
    assert_eq!(
        store.bank("allow").expect("exists").kind,
        BankKind::Negative
    );
    store
        .import("b-one", &entries(0..10), None, &mut |_| {})
        .expect("imports");
    store.delete_bank("b-one").expect("deletes");
    assert!(matches!(
        store.bank("b-one").expect_err("gone").kind(),
        ErrorKind::NoSuchBank(_)
    ));
    // A bank of the same name starts empty.
    store
        .create_bank("b-one", BankKind::Positive, None)
        .expect("creates again");
    assert_eq!(store.bank("b-one").expect("exists").active, 0);
}

#[test]
fn imports_skip_values_already_active_and_bump_the_version() {
    let store = SqliteStore::open_in_memory().expect("opens");
    store
        .create_bank("known", BankKind::Positive, None)
        .expect("creates");
    let mut seen = Vec::new();
    let first = store
        .import("known", &entries(0..20_000), Some("a.txt"), &mut |n| {
            seen.push(n)
        })
        .expect("imports");
    assert_eq!(
        (first.added, first.already_present, first.version),
        (20_000, 0, 1)
    );
    assert_eq!(seen.last(), Some(&20_000));
    let second = store
        .import("known", &entries(19_990..20_010), None, &mut |_| {})
        .expect("imports");
    assert_eq!(
        (second.added, second.already_present, second.version),
        (10, 10, 2)
    );
    let nothing_new = store
        .import("known", &entries(0..5), None, &mut |_| {})
        .expect("imports");
    assert_eq!((nothing_new.added, nothing_new.version), (0, 2));
    let bank = store.bank("known").expect("exists");
    assert_eq!((bank.active, bank.revoked, bank.version), (20_010, 0, 2));
    let err = store
        .import("missing", &entries(0..1), None, &mut |_| {})
        .expect_err("no bank");
    assert!(matches!(err.kind(), ErrorKind::NoSuchBank(_)));
}

#[test]
fn revoked_entries_stop_being_active_but_stay_in_history() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("banks.db");
    {
        let store = SqliteStore::open(&path).expect("opens");
        store
            .create_bank("known", BankKind::Positive, None)
            .expect("creates");
        store
            .import("known", &entries(0..5), None, &mut |_| {})
            .expect("imports");
        let ids: Vec<u64> = all(&store, "known", false).iter().map(|e| e.id).collect();
        assert_eq!(
            store
                .revoke("known", &EntryRef::Id(ids[1]), "false positive")
                .expect("revokes"),
            [ids[1]]
        );
        let by_value = store
            .revoke(
                "known",
                &EntryRef::Value(SignalType::Md5, md5(3)),
                "withdrawn by source",
            )
            .expect("revokes");
        assert_eq!(by_value, [ids[3]]);
        let err = store
            .revoke("known", &EntryRef::Id(ids[1]), "again")
            .expect_err("already revoked");
        assert!(matches!(err.kind(), ErrorKind::NoSuchEntry(_)));
        // Re-adding a revoked value creates a new entry; the old one stays.
        let again = store
            .import("known", &entries(3..4), None, &mut |_| {})
            .expect("imports");
        assert_eq!(again.added, 1);
    }
    // Everything survives reopening the file.
    let store = SqliteStore::open(&path).expect("reopens");
    let active = all(&store, "known", false);
    let history = all(&store, "known", true);
    assert_eq!(active.len(), 4);
    assert_eq!(history.len(), 6);
    let revoked: Vec<_> = history.iter().filter(|e| e.revoked_at.is_some()).collect();
    assert_eq!(revoked.len(), 2);
    assert_eq!(revoked[0].revoke_reason.as_deref(), Some("false positive"));
    assert_eq!(
        revoked[1].revoke_reason.as_deref(),
        Some("withdrawn by source")
    );
    assert_eq!(history[0].signal.category.as_deref(), Some("test"));
    let bank = store.bank("known").expect("exists");
    assert_eq!((bank.active, bank.revoked, bank.version), (4, 2, 4));
    // Ids are never reused, even after a bank is deleted.
    let max = history.iter().map(|e| e.id).max().unwrap_or(0);
    store.delete_bank("known").expect("deletes");
    store
        .create_bank("known", BankKind::Positive, None)
        .expect("creates");
    store
        .import("known", &entries(0..1), None, &mut |_| {})
        .expect("imports");
    assert!(all(&store, "known", false)[0].id > max);
}

#[test]
fn a_database_from_a_newer_hashwatch_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("banks.db");
    drop(SqliteStore::open(&path).expect("opens"));
    let conn = rusqlite_conn(&path);
    conn.pragma_update(None, "user_version", 999)
        .expect("sets version");
    drop(conn);
    let err = SqliteStore::open(&path).err().expect("too new");
    assert!(
        matches!(err.kind(), ErrorKind::TooNew { found: 999, .. }),
        "{err}"
    );
}

fn rusqlite_conn(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("opens raw")
}
