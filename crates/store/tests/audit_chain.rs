//! The audit chain's cuts, on a SQLite file and on a real PostgreSQL
//! database: a retention purge names the links it cut in its own chained
//! entry, and a check takes no other cut, however it was made: a range
//! deleted underneath the service, a purge entry forged for entries too
//! young, a tail cut off with the head moved back. Databases whose older
//! purges recorded their cuts outside the chain upgrade and still verify.

use hashwatch_model::AuditAction;
use hashwatch_store::audit::{Broken, PurgeRecord, MIN_RETENTION_SECS};
use hashwatch_store::{records, unix_now, NewAudit, SqliteStore, Store};
use hashwatch_testdata::TestPostgres;

mod aging;

const DAY: i64 = 86_400;

fn write(store: &dyn Store, n: usize) {
    for i in 1..=n {
        records(store)
            .audit(&[NewAudit {
                tenant: "t1".into(),
                actor: "ops".into(),
                action: format!("change.{i}"),
                ..NewAudit::default()
            }])
            .expect("audits");
    }
}

fn edit(store: &dyn Store, sql: &str) {
    hashwatch_store::sql::write(store, |tx| tx.exec(sql, &[]).map(|_| ())).expect("edits");
}

fn verify(store: &dyn Store) -> Result<hashwatch_store::audit::Verified, Broken> {
    records(store).verify_audit(None).expect("reads")
}

fn hash_of(store: &dyn Store, id: i64) -> String {
    hashwatch_store::sql::read(store, |tx| {
        tx.query("SELECT hash FROM audit WHERE id = ?", &[id.into()])?[0].req_text(0)
    })
    .expect("reads")
}

/// The service's purge entry, as someone with the database would forge it.
fn forged_purge(cutoff: i64, cuts: Vec<hashwatch_store::audit::Cut>) -> NewAudit {
    let record = PurgeRecord {
        cutoff,
        purged: hashwatch_store::Purged {
            audit: 2,
            cuts,
            ..Default::default()
        },
    };
    hashwatch_model::Actor::Service.audit(
        "*",
        AuditAction::RetentionPurge,
        None,
        None,
        Some(record.detail()),
    )
}

/// A real purge's cuts hold, named in its entry; a range deleted after it
/// does not.
fn a_purge_names_its_cuts(store: &dyn Store) {
    write(store, 6);
    records(store)
        .place_hold(
            "t1",
            hashwatch_store::HoldKind::Content,
            "keep",
            "case",
            "ops",
        )
        .expect("holds");
    edit(store, "UPDATE audit SET target = 'keep' WHERE id = 3");
    aging::age_records(store, 100 * DAY);
    let purged = records(store)
        .purge(unix_now() - 91 * DAY, 0)
        .expect("purges");
    assert_eq!(purged.audit, 5, "all but the held entry 3");
    let cuts: Vec<(i64, i64, i64)> = purged
        .cuts
        .iter()
        .map(|c| (c.after_id, c.first, c.last))
        .collect();
    assert_eq!(cuts, vec![(0, 1, 2), (3, 4, 6)]);
    // The purge's entry says so, in the chain.
    let entry = records(store)
        .audit_events(&hashwatch_store::RecordQuery {
            action: Some("retention.purge".into()),
            ..Default::default()
        })
        .expect("reads")
        .pop()
        .expect("the purge's entry");
    let said: PurgeRecord =
        serde_json::from_str(entry.event.detail.as_deref().expect("detail")).expect("JSON");
    assert_eq!(said.purged.cuts, purged.cuts);
    let checked = verify(store).expect("the chain holds");
    assert_eq!((checked.entries, checked.cuts), (2, 2));
    assert_eq!(checked.head, hash_of(store, checked.newest));

    write(store, 3);
    assert!(verify(store).is_ok());
    let newest = verify(store).expect("holds").newest;
    edit(
        store,
        &format!("DELETE FROM audit WHERE id = {}", newest - 1),
    );
    assert_eq!(verify(store), Err(Broken::Unlinked(newest)));
}

/// Someone with the database removes young entries and forges a purge
/// entry for them: with a cutoff inside the retention minimum, or with
/// one outside it while the entries removed were newer.
fn a_forged_purge_cannot_cut_young_entries(store: &dyn Store) {
    write(store, 5);
    let cut = hashwatch_store::audit::Cut {
        after_id: 1,
        after: hash_of(store, 1),
        first: 2,
        last: 3,
        last_hash: hash_of(store, 3),
    };
    edit(store, "DELETE FROM audit WHERE id IN (2, 3)");
    assert_eq!(verify(store), Err(Broken::Unlinked(4)));
    let now = unix_now();
    aging::forge_entry(store, now, &forged_purge(now - DAY, vec![cut.clone()]));
    assert_eq!(verify(store), Err(Broken::Unlinked(4)), "cutoff too recent");
    aging::forge_entry(
        store,
        now,
        &forged_purge(now - MIN_RETENTION_SECS - DAY, vec![cut]),
    );
    assert_eq!(
        verify(store),
        Err(Broken::Unlinked(4)),
        "entry 1, kept before the cut, is newer than the cutoff"
    );
}

/// The newest entries removed and the head moved back: only a head kept
/// elsewhere shows it.
fn a_cut_off_tail_shows_against_a_kept_head(store: &dyn Store) {
    write(store, 5);
    let kept = verify(store).expect("holds").head;
    edit(store, "DELETE FROM audit WHERE id IN (4, 5)");
    assert_eq!(verify(store), Err(Broken::Truncated { last: 3 }));
    let moved_back = hash_of(store, 3);
    hashwatch_store::sql::write(store, |tx| aging::set_head(tx, &moved_back)).expect("edits");
    assert!(verify(store).is_ok(), "the log alone cannot tell");
    assert_eq!(
        records(store).verify_audit(Some(&kept)).expect("reads"),
        Err(Broken::KeptHeadGone { kept })
    );
}

macro_rules! on_both {
    ($($check:ident),*) => {
        mod sqlite {
            $(#[test]
            fn $check() {
                let dir = tempfile::tempdir().expect("temp dir");
                let store = super::SqliteStore::open(&dir.path().join("chain.db")).expect("opens");
                super::$check(&store);
            })*
        }
        mod postgres {
            $(#[test]
            fn $check() {
                let db = super::TestPostgres::new();
                let store = hashwatch_store::PostgresStore::connect(&db.url).expect("connects");
                super::$check(&store);
            })*
        }
    };
}

on_both!(
    a_purge_names_its_cuts,
    a_forged_purge_cannot_cut_young_entries,
    a_cut_off_tail_shows_against_a_kept_head
);

/// A database as the version before left it: its purges had removed
/// entries 3 and 6 and recorded the cuts outside the chain, in
/// `audit_cuts`.
fn older_cuts(store: &dyn Store, schema_back: &str) {
    write(store, 9);
    let (after_3, after_6) = (hash_of(store, 2), hash_of(store, 5));
    edit(store, "DELETE FROM audit WHERE id IN (3, 6)");
    edit(
        store,
        "CREATE TABLE audit_cuts (entry_id INTEGER PRIMARY KEY, after TEXT NOT NULL)",
    );
    edit(
        store,
        &format!(
            "INSERT INTO audit_cuts (entry_id, after) VALUES (4, '{after_3}'), (7, '{after_6}')"
        ),
    );
    edit(store, schema_back);
}

/// After the upgrade the older cuts hold, named by one chained entry, and
/// a row put where they were recorded is no longer believed.
fn older_cuts_upgraded(store: &dyn Store) {
    let checked = verify(store).expect("the older cuts hold");
    assert_eq!((checked.entries, checked.cuts), (8, 2));
    let taken = records(store)
        .audit_events(&hashwatch_store::RecordQuery {
            action: Some("audit.cuts_chained".into()),
            ..Default::default()
        })
        .expect("reads");
    assert_eq!(taken.len(), 1, "one entry took the older cuts in");
    let table = hashwatch_store::sql::read(store, |tx| tx.query("SELECT 1 FROM audit_cuts", &[]));
    assert!(table.is_err(), "the table of cuts is gone");
    let after_7 = hash_of(store, 7);
    edit(store, "DELETE FROM audit WHERE id = 8");
    edit(
        store,
        "CREATE TABLE audit_cuts (entry_id INTEGER PRIMARY KEY, after TEXT NOT NULL)",
    );
    edit(
        store,
        &format!("INSERT INTO audit_cuts (entry_id, after) VALUES (9, '{after_7}')"),
    );
    assert_eq!(verify(store), Err(Broken::Unlinked(9)));
}

#[test]
fn older_cuts_upgrade_into_the_chain_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.db");
    older_cuts(
        &SqliteStore::open(&path).expect("opens"),
        "PRAGMA user_version = 19",
    );
    older_cuts_upgraded(&SqliteStore::open(&path).expect("upgrades"));
}

#[test]
fn older_cuts_upgrade_into_the_chain_on_postgres() {
    let db = TestPostgres::new();
    older_cuts(
        &hashwatch_store::PostgresStore::connect(&db.url).expect("connects"),
        "UPDATE hashwatch_schema SET version = 19",
    );
    older_cuts_upgraded(&hashwatch_store::PostgresStore::connect(&db.url).expect("upgrades"));
}
