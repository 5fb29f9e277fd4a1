//! The service's records, on a SQLite file and on a real PostgreSQL
//! database: keys, audit, matches, holds and the retention purge, reviews,
//! webhook deliveries, bank settings and content.

use hashwatch_model::{DeliveryState, ReviewReason, ReviewState};
use hashwatch_store::{
    records, unix_now, BankKind, BankSettings, HoldKind, NewAudit, NewEntry, NewMatch, RecordQuery,
    Role, SignalType, SqliteStore, Store, Webhook,
};
use hashwatch_testdata::TestPostgres;

mod aging;

const DAY: i64 = 86_400;

fn a_match(bank: &str, content: u64) -> NewMatch {
    NewMatch {
        tenant: "t1".into(),
        key_id: Some(1),
        bank: bank.into(),
        content_id: content,
        entry_id: content,
        signal_type: "pdq".into(),
        query: "00".repeat(32),
        distance: 3,
    }
}

fn audit(bank: Option<&str>, target: Option<&str>) -> NewAudit {
    NewAudit {
        tenant: "t1".into(),
        key_id: Some(1),
        actor: "tester".into(),
        action: "test".into(),
        bank: bank.map(str::to_string),
        target: target.map(str::to_string),
        detail: Some("{}".into()),
    }
}

fn story(store: &dyn Store) {
    let records = records(store);

    // Keys: the secret works until revoked, and is not what is stored.
    let (key, secret) = records
        .create_key("t1", "ops", Role::Curator.into())
        .expect("key");
    assert!(secret.starts_with("hw_") && secret.len() > 40);
    assert_eq!(
        records.key_for_secret(&secret).expect("reads"),
        Some(key.clone())
    );
    assert_eq!(records.key_for_secret("hw_wrong").expect("reads"), None);
    assert!(records
        .create_key("bad tenant", "x", Role::Admin.into())
        .is_err());
    records.revoke_key(key.id).expect("revokes");
    assert_eq!(records.key_for_secret(&secret).expect("reads"), None);
    assert!(records.revoke_key(key.id).is_err(), "revoked twice");

    // Bank settings and renames, seen through the change log.
    store
        .create_bank("B1", BankKind::Positive, None)
        .expect("bank");
    store
        .create_bank("B2", BankKind::Positive, None)
        .expect("bank");
    assert_eq!(
        records.settings_of("B1").expect("settings"),
        BankSettings::default()
    );
    let settings = BankSettings {
        tenant: "t1".into(),
        enabled_ratio: 0.25,
        threshold: Some(12),
        video_query_percent: Some(90.0),
        video_compared_percent: Some(12.5),
        robust: true,
        view_threshold: Some(18),
        webhook: Some(Webhook {
            url: "http://127.0.0.1:9/h".into(),
            secret: "s".repeat(16),
        }),
        review: true,
        shared_with: vec!["t2".into(), "t4".into()],
        shared_read: vec!["t4".into()],
    };
    let before = store.last_change().expect("seq");
    records
        .update_bank("B1", &settings, Some("B1_RENAMED"))
        .expect("updates");
    assert!(store.last_change().expect("seq") > before);
    assert_eq!(
        records.settings_of("B1_RENAMED").expect("settings"),
        settings
    );
    assert!(records.settings_of("B1").is_err());
    assert!(
        records
            .update_bank("B2", &settings, Some("B1_RENAMED"))
            .is_err(),
        "name taken"
    );
    assert!(settings.visible_to("t2") && !settings.visible_to("t3"));
    assert!(
        !settings.readable_by("t2") && settings.readable_by("t4") && settings.readable_by("t1")
    );

    // Content: grouped entries, notes and disabling.
    let pdq = NewEntry::new(SignalType::Pdq, vec![7; 32]);
    let md5 = NewEntry::new(SignalType::Md5, vec![8; 16]);
    store
        .import("B2", &[pdq, md5], None, &mut |_| {})
        .expect("imports");
    let first = records
        .active_entry("B2", SignalType::Pdq, &[7; 32])
        .expect("reads")
        .expect("there");
    let second = records
        .active_entry("B2", SignalType::Md5, &[8; 16])
        .expect("reads")
        .expect("there");
    records
        .create_content("B2", first, &[second], Some("note"), Some("{\"a\":1}"))
        .expect("content");
    let content = records.content("B2", first).expect("content");
    assert_eq!(
        (content.linked.as_slice(), content.note.as_deref()),
        (&[second][..], Some("note"))
    );
    assert_eq!(
        records.entry_bank(first).expect("reads").as_deref(),
        Some("B2")
    );
    let updated = records
        .update_content(
            "B2",
            first,
            Some(hashwatch_model::Availability::Disabled),
            None,
        )
        .expect("disables");
    assert_eq!(
        updated.availability,
        hashwatch_model::Availability::Disabled
    );
    let state = records.content_state().expect("state");
    assert_eq!(
        state.disabled,
        vec![(first, hashwatch_model::Availability::Disabled)]
    );
    assert_eq!(state.links, vec![(second, first)]);

    // Audit and matches, queried by bank and time.
    records
        .audit(&[
            audit(Some("B2"), None),
            audit(Some("HELD"), None),
            audit(None, Some("77")),
        ])
        .expect("audits");
    let ids = records
        .record_matches(&[
            a_match("B2", 1),
            a_match("HELD", 2),
            a_match("B2", 77),
            a_match("B2", 4),
        ])
        .expect("records");
    assert_eq!(ids.len(), 4);
    let query = |bank: Option<&str>| RecordQuery {
        tenant: Some("t1".into()),
        bank: bank.map(str::to_string),
        ..RecordQuery::default()
    };
    assert_eq!(
        records
            .audit_events(&query(Some("B2")))
            .expect("reads")
            .len(),
        1
    );
    assert_eq!(records.matches(&query(Some("B2"))).expect("reads").len(), 3);
    let later = RecordQuery {
        from: Some(unix_now() + 100),
        ..query(None)
    };
    assert!(records.matches(&later).expect("reads").is_empty());
    let other_tenant = RecordQuery {
        tenant: Some("t9".into()),
        ..RecordQuery::default()
    };
    assert!(records.matches(&other_tenant).expect("reads").is_empty());

    // Holds keep records past the purge: a bank's, a content item's and
    // one match; a released hold keeps nothing.
    records
        .place_hold("t1", HoldKind::Bank, "HELD", "case 1", "ops")
        .expect("holds");
    records
        .place_hold("t1", HoldKind::Content, "77", "case 2", "ops")
        .expect("holds");
    records
        .place_hold("t1", HoldKind::Match, &ids[3].to_string(), "case 3", "ops")
        .expect("holds");
    let released = records
        .place_hold("t1", HoldKind::Bank, "B2", "case 4", "ops")
        .expect("holds");
    records.release_hold("t1", released.id).expect("releases");
    assert!(records.release_hold("t1", released.id).is_err());
    assert!(
        records.release_hold("t2", 1).is_err(),
        "another tenant's hold"
    );
    assert_eq!(records.holds(Some("t1"), true).expect("reads").len(), 3);

    let nothing = records.purge(unix_now() - 86_400, 0).expect("purges");
    assert_eq!((nothing.audit, nothing.matches), (0, 0));
    assert_eq!(
        records
            .verify_audit(None)
            .expect("reads")
            .map(|v| v.entries),
        Ok(4),
        "three entries and the purge's own"
    );
    aging::age_records(store, 100 * DAY);
    let purged = records.purge(unix_now() - 91 * DAY, 0).expect("purges");
    assert_eq!(purged.matches, 1, "only B2's unheld match 1 goes");
    // The purge cut the audit chain where it removed entries, and its own
    // entry names each cut.
    assert!(!purged.cuts.is_empty());
    let checked = records.verify_audit(None).expect("reads").expect("holds");
    assert_eq!(checked.cuts as usize, purged.cuts.len());
    let kept: Vec<u64> = records
        .matches(&query(None))
        .expect("reads")
        .iter()
        .map(|m| m.record.content_id)
        .collect();
    assert_eq!(kept, vec![2, 77, 4]);
    let kept: Vec<(Option<String>, Option<String>)> = records
        .audit_events(&query(None))
        .expect("reads")
        .into_iter()
        .map(|e| (e.event.bank, e.event.target))
        .collect();
    assert_eq!(
        kept,
        vec![(Some("HELD".into()), None), (None, Some("77".into()))]
    );
    records
        .audit(&[NewAudit {
            tenant: "t1".into(),
            actor: "ops".into(),
            action: "after.purge".into(),
            ..NewAudit::default()
        }])
        .expect("audits");
    assert!(records.verify_audit(None).expect("reads").is_ok());

    // Reviews land in the queue of the bank's owner, not of the tenant
    // that looked up.
    let looked_up_by_t2 = NewMatch {
        tenant: "t2".into(),
        ..a_match("B2", 5)
    };
    let review = records
        .open_review(&looked_up_by_t2, ReviewReason::Match, "t1")
        .expect("queues");
    assert_eq!(
        records
            .reviews("t1", Some(ReviewState::Open))
            .expect("reads")
            .len(),
        1
    );
    assert!(records.reviews("t2", None).expect("reads").is_empty());
    let decided = records
        .decide_review("t1", review, ReviewState::Rejected, "ops")
        .expect("decides");
    assert_eq!(
        (decided.state, decided.decided_by.as_deref()),
        (ReviewState::Rejected, Some("ops"))
    );
    assert!(
        records
            .decide_review("t1", review, ReviewState::Confirmed, "ops")
            .is_err(),
        "decided once"
    );

    // Deliveries: claimed once, retried, dead, replayed.
    let hook = Webhook {
        url: "http://127.0.0.1:9/h".into(),
        secret: "s".repeat(16),
    };
    let id = records.enqueue_delivery("B2", &hook, "{}").expect("queues");
    let claimed = records.claim_deliveries(10, 60).expect("claims");
    assert_eq!(claimed.iter().map(|d| d.id).collect::<Vec<_>>(), vec![id]);
    assert!(
        records.claim_deliveries(10, 60).expect("claims").is_empty(),
        "leased"
    );
    records
        .delivery_attempted(id, Some("refused"), None)
        .expect("records");
    let dead = records
        .deliveries(DeliveryState::Dead, &["B2".to_string()])
        .expect("reads");
    assert_eq!((dead.len(), dead[0].attempts), (1, 1));
    assert!(records
        .deliveries(DeliveryState::Dead, &["OTHER".to_string()])
        .expect("reads")
        .is_empty());
    records.replay_delivery(id).expect("replays");
    assert_eq!(records.claim_deliveries(10, 60).expect("claims").len(), 1);
    records.delivery_attempted(id, None, None).expect("records");
    assert_eq!(
        records
            .deliveries(DeliveryState::Delivered, &["B2".to_string()])
            .expect("reads")
            .len(),
        1
    );

    // A delivery keeps no copy of the webhook's secret: it is the bank's
    // current one when sent, and none once the bank has no webhook.
    assert_eq!(claimed[0].secret, "", "B2 has no webhook");
    let signed = records
        .enqueue_delivery("B1_RENAMED", &hook, "{}")
        .expect("queues");
    let due = records.claim_deliveries(10, 60).expect("claims");
    let due = due.iter().find(|d| d.id == signed).expect("claimed");
    assert_eq!(due.secret, "s".repeat(16));
    let copies = hashwatch_store::sql::read(store, |tx| {
        tx.query("SELECT count(*) FROM deliveries WHERE secret <> ''", &[])?[0].req_int(0)
    })
    .expect("counts");
    assert_eq!(copies, 0, "a secret was copied into a delivery");

    // Retention: sent deliveries go; pending ones stay until sent.
    let purged = records.purge(unix_now() + 10, 0).expect("purges");
    assert_eq!((purged.deliveries, purged.reviews), (1, 1), "{purged:?}");
}

#[test]
fn records_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("records.db")).expect("opens");
    story(&store);
}

#[test]
fn records_on_postgres() {
    let db = TestPostgres::new();
    let store = hashwatch_store::PostgresStore::connect(&db.url).expect("connects");
    story(&store);
}

/// Holds, dead letters, subscriptions and opinions belong to a bank, not to
/// its name: a rename carries them, and a new bank under a deleted bank's
/// name inherits none of them.
fn records_follow_the_bank(store: &dyn Store) {
    let records = records(store);
    let feeds = hashwatch_store::feeds(store);
    let settings = BankSettings {
        tenant: hashwatch_store::DEFAULT_TENANT.into(),
        ..BankSettings::default()
    };
    records
        .create_bank("held", BankKind::Positive, &settings, None)
        .expect("creates");
    let hold = records
        .place_hold("t1", HoldKind::Bank, "held", "case 17", "tester")
        .expect("holds");
    let hook = Webhook {
        url: "http://127.0.0.1:9/hook".into(),
        secret: "s".into(),
    };
    let delivery = records
        .enqueue_delivery("held", &hook, "{}")
        .expect("queues");
    records
        .delivery_attempted(delivery, Some("refused"), None)
        .expect("dead");
    feeds
        .subscribe(
            "https://partner.example/feeds/x",
            "held",
            &"0".repeat(64),
            None,
        )
        .expect("subscribes");
    feeds
        .add_opinion(
            "held",
            "t1",
            None,
            "tester",
            SignalType::Md5,
            &"0".repeat(32),
            "false_positive",
            None,
        )
        .expect("opinion");

    // Renamed: everything comes along, and the hold still stops a delete.
    records
        .update_bank("held", &settings, Some("renamed"))
        .expect("renames");
    let holds = records.holds(Some("t1"), true).expect("holds");
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0].target, "renamed");
    let held = records
        .delete_bank_unless_held("renamed")
        .expect_err("held");
    assert_eq!(held.class(), hashwatch_store::ErrorClass::Conflict);
    assert!(store.bank("renamed").is_ok());
    let dead = records
        .deliveries(DeliveryState::Dead, &["renamed".to_string()])
        .expect("dead letters");
    assert_eq!(dead.iter().map(|d| d.id).collect::<Vec<_>>(), [delivery]);
    assert_eq!(dead[0].bank, "renamed");
    let subs = feeds.subscriptions().expect("subscriptions");
    assert_eq!(subs[0].bank, "renamed");
    assert_eq!(feeds.opinions("renamed").expect("opinions").len(), 1);

    // Released and deleted: a new bank named "held" (or "renamed") starts
    // with nothing of the old one's.
    records.release_hold("t1", hold.id).expect("released");
    records.delete_bank_unless_held("renamed").expect("deletes");
    for name in ["held", "renamed"] {
        records
            .create_bank(name, BankKind::Positive, &settings, None)
            .expect("creates");
        assert!(records
            .deliveries(DeliveryState::Dead, &[name.to_string()])
            .expect("dead letters")
            .is_empty());
        assert!(feeds.opinions(name).expect("opinions").is_empty());
        records
            .delete_bank_unless_held(name)
            .expect("nothing holds it");
    }
    let subs = feeds.subscriptions().expect("subscriptions");
    assert_eq!(subs[0].bank, "", "the subscription's bank is gone");

    // A hold on a name no bank has keeps that name's old records; a bank
    // made later under the name is another bank and is not held.
    records
        .place_hold("t1", HoldKind::Bank, "gone", "case 18", "tester")
        .expect("holds the records of a deleted bank");
    records
        .create_bank("gone", BankKind::Positive, &settings, None)
        .expect("creates");
    records
        .delete_bank_unless_held("gone")
        .expect("the new bank is not the held one");
}

#[test]
fn records_follow_the_bank_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("records.db")).expect("opens");
    records_follow_the_bank(&store);
}

#[test]
fn records_follow_the_bank_on_postgres() {
    let db = TestPostgres::new();
    let store = hashwatch_store::PostgresStore::connect(&db.url).expect("connects");
    records_follow_the_bank(&store);
}

/// A stored value that does not decode is an error, never a default: a key
/// with a role this build does not know is not read as a matcher key.
fn undecodable_rows_are_errors(store: &dyn Store) {
    let records = records(store);
    let (key, secret) = records
        .create_key("t1", "ops", Role::Admin.into())
        .expect("key");
    hashwatch_store::sql::write(store, |tx| {
        tx.exec(
            "UPDATE api_keys SET role = 'owner' WHERE id = ?",
            &[key.id.into()],
        )
        .map(|_| ())
    })
    .expect("writes");
    let read = records
        .key_for_secret(&secret)
        .expect_err("does not decode");
    assert_eq!(read.class(), hashwatch_store::ErrorClass::Backend);
    assert!(read.to_string().contains("owner"), "{read}");
    assert!(records.keys(None).is_err());
}

#[test]
fn undecodable_rows_are_errors_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("records.db")).expect("opens");
    undecodable_rows_are_errors(&store);
}

#[test]
fn undecodable_rows_are_errors_on_postgres() {
    let db = TestPostgres::new();
    let store = hashwatch_store::PostgresStore::connect(&db.url).expect("connects");
    undecodable_rows_are_errors(&store);
}

/// A purge records only the links it cut: an entry removed underneath the
/// service before the purge still shows after it.
fn a_purge_does_not_hide_tampering(store: &dyn Store) {
    let records = records(store);
    for n in 1..=5 {
        records
            .audit(&[NewAudit {
                tenant: "t1".into(),
                actor: "ops".into(),
                action: format!("change.{n}"),
                ..NewAudit::default()
            }])
            .expect("audits");
    }
    let edit = |sql: &str| {
        hashwatch_store::sql::write(store, |tx| tx.exec(sql, &[]).map(|_| ())).expect("edits")
    };
    // The first two are old (and go in the purge); the fourth is removed
    // by someone with access to the database.
    edit("UPDATE audit SET at = 1 WHERE id IN (1, 2)");
    edit("DELETE FROM audit WHERE id = 4");
    let purged = records.purge(100, 0).expect("purges");
    assert_eq!(purged.audit, 2);
    let checked = records.verify_audit(None).expect("reads");
    assert_eq!(
        checked,
        Err(hashwatch_store::audit::Broken::Unlinked(5)),
        "{checked:?}"
    );
}

#[test]
fn a_purge_does_not_hide_tampering_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("tamper.db")).expect("opens");
    a_purge_does_not_hide_tampering(&store);
}

#[test]
fn a_purge_does_not_hide_tampering_on_postgres() {
    let db = TestPostgres::new();
    let store = hashwatch_store::PostgresStore::connect(&db.url).expect("connects");
    a_purge_does_not_hide_tampering(&store);
}

/// Web interface sessions: a secret works until it expires, is ended, or
/// its key is revoked; only its hash is stored; the preview count and the
/// key's preference travel with it; the audit log is searched by target,
/// action prefix and actor, newest first.
fn sessions_and_audit_search(store: &dyn Store) {
    let records = records(store);
    let (key, _) = records
        .create_key("t1", "analyst", Role::Analyst.into())
        .expect("key");
    let (session, secret) = records.create_session(key.id, 3600).expect("session");
    assert!(secret.starts_with("hws_") && secret.len() == 68);
    assert_eq!(session.key, key);
    assert_eq!(session.csrf.len(), 64);
    assert_eq!(session.expires_at - session.created_at, 3600);
    let found = records
        .session_for_secret(&secret)
        .expect("reads")
        .expect("works");
    assert_eq!(
        (found.id, found.viewed, found.reveal_previews),
        (session.id, 0, false)
    );
    let stored: Vec<String> = {
        let mut hashes = Vec::new();
        hashwatch_store::sql::read(store, |tx| {
            for r in tx.query("SELECT secret_hash FROM ui_sessions", &[])? {
                hashes.push(r.req_text(0)?);
            }
            Ok(())
        })
        .expect("reads");
        hashes
    };
    assert!(
        !stored.iter().any(|h| h.contains(&secret[4..])),
        "{stored:?}"
    );
    assert_eq!(records.count_view(session.id).expect("counts"), 1);
    assert_eq!(records.count_view(session.id).expect("counts"), 2);
    records.set_reveal_previews(key.id, true).expect("sets");
    records
        .set_reveal_previews(key.id, true)
        .expect("sets again");
    let found = records
        .session_for_secret(&secret)
        .expect("reads")
        .expect("works");
    assert_eq!((found.viewed, found.reveal_previews), (2, true));
    assert_eq!(
        records.session_for_secret("hws_wrong").expect("reads"),
        None
    );

    // Expired sessions do not work; ended ones neither, and ending twice
    // is no error.
    let (_, expired) = records.create_session(key.id, -1).expect("session");
    assert_eq!(records.session_for_secret(&expired).expect("reads"), None);
    records.end_session(session.id).expect("ends");
    records.end_session(session.id).expect("ends again");
    assert_eq!(records.session_for_secret(&secret).expect("reads"), None);
    // A revoked key's sessions stop, and it gets no new one.
    let (_, live) = records.create_session(key.id, 3600).expect("session");
    records.revoke_key(key.id).expect("revokes");
    assert_eq!(records.session_for_secret(&live).expect("reads"), None);
    assert!(records.create_session(key.id, 3600).is_err());
    assert!(records.purge_sessions(unix_now() + 10).expect("purges") >= 2);

    // The audit log searched as the interface does.
    let mut events = vec![audit(None, Some("case:1")), audit(None, Some("case:2"))];
    events[0].action = "hotline.assess".into();
    events[1].action = "hotline_x".into();
    events[1].actor = "other".into();
    records.audit(&events).expect("audits");
    let search = |q: RecordQuery| -> Vec<String> {
        records
            .audit_events(&q)
            .expect("reads")
            .into_iter()
            .map(|e| e.event.target.unwrap_or_default())
            .collect()
    };
    let all = RecordQuery {
        tenant: Some("t1".into()),
        ..RecordQuery::default()
    };
    assert_eq!(
        search(RecordQuery {
            target: Some("case:2".into()),
            ..all.clone()
        }),
        ["case:2"]
    );
    // A prefix is a prefix: `_` and `%` are not wildcards.
    assert_eq!(
        search(RecordQuery {
            action: Some("hotline.".into()),
            ..all.clone()
        }),
        ["case:1"]
    );
    assert_eq!(
        search(RecordQuery {
            action: Some("hotline_".into()),
            ..all.clone()
        }),
        ["case:2"]
    );
    assert!(search(RecordQuery {
        action: Some("%".into()),
        ..all.clone()
    })
    .is_empty());
    assert_eq!(
        search(RecordQuery {
            actor: Some("other".into()),
            ..all.clone()
        }),
        ["case:2"]
    );
    let newest = search(RecordQuery {
        newest_first: true,
        limit: Some(2),
        ..all.clone()
    });
    assert_eq!(newest, ["case:2", "case:1"]);
    let ids: Vec<i64> = records
        .audit_events(&RecordQuery {
            newest_first: true,
            ..all.clone()
        })
        .expect("reads")
        .iter()
        .map(|e| e.id)
        .collect();
    let older = records
        .audit_events(&RecordQuery {
            newest_first: true,
            before: Some(ids[0]),
            ..all
        })
        .expect("reads");
    assert_eq!(older.first().map(|e| e.id), ids.get(1).copied());
}

#[test]
fn sessions_and_audit_search_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("records.db")).expect("opens");
    sessions_and_audit_search(&store);
}

#[test]
fn sessions_and_audit_search_on_postgres() {
    let db = TestPostgres::new();
    let store = hashwatch_store::PostgresStore::connect(&db.url).expect("connects");
    sessions_and_audit_search(&store);
}
