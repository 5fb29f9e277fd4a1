#![allow(dead_code)] // each test file uses part of it
//! Records made to look written long ago, for tests of the retention
//! purge: the purge removes only what is past the retention minimum, and
//! the audit chain takes only such cuts.

use hashwatch_store::audit::chain_hash;
use hashwatch_store::sql::{Param, SqlTx};
use hashwatch_store::{NewAudit, RecordQuery, Store};

/// Moves every record `seconds` into the past, chaining the audit log
/// anew as if its entries had been written then.
pub fn age_records(store: &dyn Store, seconds: i64) {
    let entries = hashwatch_store::records(store)
        .audit_events(&RecordQuery {
            limit: Some(100_000),
            ..RecordQuery::default()
        })
        .expect("reads the log");
    hashwatch_store::sql::write(store, |tx| {
        for table in [
            "match_records",
            "reviews",
            "deliveries",
            "feed_opinions",
            "hotline_reports",
        ] {
            tx.exec(
                &format!("UPDATE {table} SET at = at - ?"),
                &[seconds.into()],
            )?;
        }
        let mut head = String::new();
        for entry in &entries {
            let at = entry.at - seconds;
            let hash = chain_hash(&head, at, &entry.event);
            tx.exec(
                "UPDATE audit SET at = ?, prev_hash = ?, hash = ? WHERE id = ?",
                &[
                    at.into(),
                    head.as_str().into(),
                    hash.as_str().into(),
                    entry.id.into(),
                ],
            )?;
            head = hash;
        }
        set_head(tx, &head)
    })
    .expect("records aged");
}

/// Appends an entry the way someone with the database (and the chain's
/// published rule) could: hashed and linked, written past the service.
pub fn forge_entry(store: &dyn Store, at: i64, event: &NewAudit) {
    hashwatch_store::sql::write(store, |tx| {
        let head = tx.query("SELECT head FROM audit_chain WHERE id = 1", &[])?[0].req_text(0)?;
        let hash = chain_hash(&head, at, event);
        let params: Vec<Param> = vec![
            at.into(),
            event.tenant.as_str().into(),
            event.actor.as_str().into(),
            event.action.as_str().into(),
            event.detail.clone().into(),
            head.as_str().into(),
            hash.as_str().into(),
        ];
        tx.exec(
            "INSERT INTO audit (at, tenant, key_id, actor, action, bank, target, detail, prev_hash, hash)
             VALUES (?, ?, NULL, ?, ?, NULL, NULL, ?, ?, ?)",
            &params,
        )?;
        set_head(tx, &hash)
    })
    .expect("entry forged");
}

/// Sets the chain's recorded head.
pub fn set_head(tx: &mut dyn SqlTx, head: &str) -> Result<(), hashwatch_store::Error> {
    tx.exec(
        "UPDATE audit_chain SET head = ? WHERE id = 1",
        &[head.into()],
    )
    .map(|_| ())
}
