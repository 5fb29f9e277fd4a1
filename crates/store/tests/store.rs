//! The store's behaviour, told once and checked against both backends: a
//! SQLite file and a real PostgreSQL database.

use hashwatch_store::{
    BankKind, Entry, EntryRef, ErrorKind, NewEntry, PostgresStore, SignalType, SqliteStore, Store,
};
use hashwatch_testdata::TestPostgres;

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
            // Tabs, newlines and backslashes must survive both backends.
            e.content_id = Some(format!("tab\there\nnew line \\ {i}"));
            e
        })
        .collect()
}

fn all(store: &dyn Store, bank: &str, include_revoked: bool) -> Vec<Entry> {
    let mut out = Vec::new();
    store
        .entries(bank, include_revoked, &mut |e| out.push(e))
        .expect("entries");
    out
}

/// A store to test, and a way to open it again (a new connection to the
/// same data).
trait Backend {
    fn open(&self) -> Box<dyn Store>;
}

struct Sqlite(tempfile::TempDir);

impl Backend for Sqlite {
    fn open(&self) -> Box<dyn Store> {
        Box::new(SqliteStore::open(&self.0.path().join("sub/banks.db")).expect("opens sqlite"))
    }
}

struct Postgres(TestPostgres);

impl Backend for Postgres {
    fn open(&self) -> Box<dyn Store> {
        Box::new(PostgresStore::connect(&self.0.url).expect("connects to postgres"))
    }
}

fn backends() -> Vec<(&'static str, Box<dyn Backend>)> {
    vec![
        (
            "sqlite",
            Box::new(Sqlite(tempfile::tempdir().expect("temp dir"))),
        ),
        ("postgres", Box::new(Postgres(TestPostgres::new()))),
    ]
}

fn banks_are_created_listed_and_deleted(store: &dyn Store) {
    store
        .create_bank("b-one", BankKind::Positive, Some("first"))
        .expect("creates");
    store
        .create_bank("allow", BankKind::Negative, None)
        .expect("creates");
    store
        .create_bank("B-upper", BankKind::Positive, None)
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
    assert_eq!(
        names,
        ["B-upper", "allow", "b-one"],
        "byte order on both backends"
    );
    assert_eq!(
        store.bank("allow").expect("exists").kind,
        BankKind::Negative
    );
    assert_eq!(
        store.bank("b-one").expect("exists").description.as_deref(),
        Some("first")
    );
    store
        .import("b-one", &entries(0..10), None, &mut |_| {})
        .expect("imports");
    store.delete_bank("b-one").expect("deletes");
    assert!(matches!(
        store.bank("b-one").expect_err("gone").kind(),
        ErrorKind::NoSuchBank(_)
    ));
    store
        .create_bank("b-one", BankKind::Positive, None)
        .expect("creates again");
    assert_eq!(store.bank("b-one").expect("exists").active, 0);
}

fn imports_skip_values_already_active_and_bump_the_version(store: &dyn Store) {
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
    // Repeats inside one import are added once.
    let mut repeated = entries(30_000..30_002);
    repeated.extend(entries(30_000..30_001));
    assert_eq!(
        store
            .import("known", &repeated, None, &mut |_| {})
            .expect("imports")
            .added,
        2
    );
    let bank = store.bank("known").expect("exists");
    assert_eq!((bank.active, bank.revoked, bank.version), (20_012, 0, 3));
    let err = store
        .import("missing", &entries(0..1), None, &mut |_| {})
        .expect_err("no bank");
    assert!(matches!(err.kind(), ErrorKind::NoSuchBank(_)));
    // Entries come back in import order with every field intact.
    let back = all(store, "known", false);
    assert_eq!(back[0].signal, entries(0..1)[0]);
    assert_eq!(back[19_999].signal, entries(19_999..20_000)[0]);
    assert!(back.windows(2).all(|w| w[0].id < w[1].id));
    let mut pdq = NewEntry::new(SignalType::Pdq, vec![0xab; 32]);
    pdq.quality = Some(87);
    pdq.source = Some("src".to_string());
    store
        .import("known", &[pdq.clone()], None, &mut |_| {})
        .expect("imports");
    assert_eq!(
        all(store, "known", false).last().map(|e| e.signal.clone()),
        Some(pdq)
    );
}

/// Two files with one picture are two items with one value: each keeps its
/// entry, while the same item (or a value without an item) is added once.
fn one_value_belongs_to_each_item_that_has_it(store: &dyn Store) {
    store
        .create_bank("items", BankKind::Positive, None)
        .expect("creates");
    let for_item = |item: Option<&str>| {
        let mut e = NewEntry::new(SignalType::Pdq, vec![0x5a; 32]);
        e.content_id = item.map(str::to_string);
        e
    };
    let first = store
        .import(
            "items",
            &[for_item(Some("big.png")), for_item(Some("small.png"))],
            None,
            &mut |_| {},
        )
        .expect("imports");
    assert_eq!((first.added, first.already_present), (2, 0));
    let again = store
        .import(
            "items",
            &[for_item(Some("small.png")), for_item(None), for_item(None)],
            None,
            &mut |_| {},
        )
        .expect("imports");
    assert_eq!((again.added, again.already_present), (1, 2));
    let items: Vec<Option<String>> = all(store, "items", false)
        .into_iter()
        .map(|e| e.signal.content_id)
        .collect();
    assert_eq!(items.len(), 3);
    for item in [Some("big.png"), Some("small.png"), None] {
        assert!(items.contains(&item.map(str::to_string)), "{item:?}");
    }
    // Revoking the value revokes it for every item.
    let revoked = store
        .revoke(
            "items",
            &EntryRef::Value(SignalType::Pdq, vec![0x5a; 32]),
            "test",
        )
        .expect("revokes");
    assert_eq!(revoked.len(), 3);
    assert!(all(store, "items", false).is_empty());
}

/// Derived hashes keep their view through an import and a read, on every
/// backend, beside the item's own hash; matching and exports tell them
/// apart by it.
fn derived_hashes_keep_their_view(store: &dyn Store) {
    store
        .create_bank("derived", BankKind::Positive, None)
        .expect("creates");
    let mut own = NewEntry::new(SignalType::Pdq, vec![0x11; 32]);
    own.content_id = Some("photo.jpg".to_string());
    own.quality = Some(90);
    let mut crop = NewEntry::new(SignalType::Pdq, vec![0x22; 32]);
    crop.content_id = Some("photo.jpg".to_string());
    crop.quality = Some(88);
    crop.derived = Some("crop90".to_string());
    let summary = store
        .import("derived", &[own.clone(), crop.clone()], None, &mut |_| {})
        .expect("imports");
    assert_eq!(summary.added, 2);
    let mut read: Vec<NewEntry> = all(store, "derived", false)
        .into_iter()
        .map(|e| e.signal)
        .collect();
    read.sort_by(|a, b| a.value.cmp(&b.value));
    assert_eq!(read, vec![own, crop]);
    // Revoking the picture's own hash revokes its derived hashes too.
    let own_id = all(store, "derived", false)
        .into_iter()
        .find(|e| e.signal.derived.is_none())
        .expect("own entry")
        .id;
    let revoked = store
        .revoke("derived", &EntryRef::Id(own_id), "withdrawn")
        .expect("revokes");
    assert_eq!(revoked.len(), 2, "{revoked:?}");
    assert!(all(store, "derived", false).is_empty());
}

fn revoked_entries_stay_in_history(backend: &dyn Backend) {
    {
        let store = backend.open();
        store
            .create_bank("known", BankKind::Positive, None)
            .expect("creates");
        store
            .import("known", &entries(0..5), None, &mut |_| {})
            .expect("imports");
        let ids: Vec<u64> = all(&*store, "known", false).iter().map(|e| e.id).collect();
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
        assert_eq!(
            store
                .import("known", &entries(3..4), None, &mut |_| {})
                .expect("imports")
                .added,
            1
        );
    }
    // A new connection sees everything.
    let store = backend.open();
    let active = all(&*store, "known", false);
    let history = all(&*store, "known", true);
    assert_eq!((active.len(), history.len()), (4, 6));
    let revoked: Vec<_> = history.iter().filter(|e| e.revoked_at.is_some()).collect();
    assert_eq!(revoked.len(), 2);
    assert_eq!(revoked[0].revoke_reason.as_deref(), Some("false positive"));
    assert_eq!(
        revoked[1].revoke_reason.as_deref(),
        Some("withdrawn by source")
    );
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
    assert!(all(&*store, "known", false)[0].id > max);
}

#[test]
fn the_store_story_holds_on_both_backends() {
    for (name, backend) in backends() {
        eprintln!("backend: {name}");
        banks_are_created_listed_and_deleted(&*backend.open());
    }
    for (name, backend) in backends() {
        eprintln!("backend: {name}");
        imports_skip_values_already_active_and_bump_the_version(&*backend.open());
    }
    for (name, backend) in backends() {
        eprintln!("backend: {name}");
        one_value_belongs_to_each_item_that_has_it(&*backend.open());
    }
    for (name, backend) in backends() {
        eprintln!("backend: {name}");
        derived_hashes_keep_their_view(&*backend.open());
    }
    for (name, backend) in backends() {
        eprintln!("backend: {name}");
        revoked_entries_stay_in_history(&*backend);
    }
}

#[test]
fn open_picks_the_backend_from_the_spec() {
    let pg = TestPostgres::new();
    let store = hashwatch_store::open(&pg.url).expect("connects");
    store
        .create_bank("x", BankKind::Positive, None)
        .expect("creates");
    // A second node sees the first's bank.
    let other = hashwatch_store::open(&pg.url.replacen("postgres://", "postgresql://", 1))
        .expect("connects");
    assert_eq!(other.bank("x").expect("shared").name, "x");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("f.db");
    let sqlite = hashwatch_store::open(path.to_str().expect("utf-8")).expect("opens");
    assert!(sqlite.banks().expect("lists").is_empty());
    assert!(path.exists());
}

#[test]
fn a_sqlite_file_from_a_newer_hashwatch_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("banks.db");
    drop(SqliteStore::open(&path).expect("opens"));
    let conn = rusqlite::Connection::open(&path).expect("opens raw");
    conn.pragma_update(None, "user_version", 999)
        .expect("sets version");
    drop(conn);
    let err = SqliteStore::open(&path).err().expect("too new");
    assert!(
        matches!(err.kind(), ErrorKind::TooNew { found: 999, .. }),
        "{err}"
    );
}

/// Before: the file holding keys' hashes and webhook secrets was created
/// readable by everyone (umask 022), and so were its WAL and SHM files.
#[cfg(unix)]
#[test]
fn a_sqlite_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("secrets.db");
    let store = SqliteStore::open(&path).expect("opens");
    store
        .create_bank("x", BankKind::Positive, None)
        .expect("writes, so the WAL exists");
    for name in ["secrets.db", "secrets.db-wal", "secrets.db-shm"] {
        let file = dir.path().join(name);
        let mode = std::fs::metadata(&file)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{name} is {mode:o}");
    }
    drop(store);
    // An existing file others may read is made private when opened.
    let loose = dir.path().join("loose.db");
    std::fs::write(&loose, b"").expect("writes");
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    drop(SqliteStore::open(&loose).expect("opens"));
    let mode = std::fs::metadata(&loose)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
}
