//! The PostgreSQL store: the same schema and behaviour as SQLite, for
//! several stateless nodes sharing one database.

mod sql;

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use postgres::{Client, GenericClient, NoTls};

use crate::changes::ChangeColumns;
use crate::error::{Error, ErrorKind};
use crate::sql::{numbered, Cell, Param, Row, Sql, SqlTx};
use crate::Store;
use hashwatch_model::{
    Bank, BankKind, Change, ChangeKind, Entry, EntryRef, ImportSummary, NewEntry, SignalType,
};

/// Schema migrations (`migrations/postgres/`), in order; `hashwatch_schema` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_banks_and_entries.sql"),
    include_str!("../../migrations/postgres/0002_change_log.sql"),
    include_str!("../../migrations/postgres/0003_service_records.sql"),
    include_str!("../../migrations/postgres/0004_entry_metadata.sql"),
    include_str!("../../migrations/postgres/0005_feeds.sql"),
    include_str!("../../migrations/postgres/0006_hotline.sql"),
    include_str!("../../migrations/postgres/0007_subscription_kinds.sql"),
    include_str!("../../migrations/postgres/0008_one_value_per_item.sql"),
    include_str!("../../migrations/postgres/0009_records_follow_bank_ids.sql"),
    include_str!("../../migrations/postgres/0010_share_access.sql"),
    include_str!("../../migrations/postgres/0011_gone_since.sql"),
    include_str!("../../migrations/postgres/0012_deliveries_without_secrets.sql"),
    include_str!("../../migrations/postgres/0013_audit_chain.sql"),
    include_str!("../../migrations/postgres/0014_feed_freshness.sql"),
    include_str!("../../migrations/postgres/0015_bank_names_per_tenant.sql"),
    include_str!("../../migrations/postgres/0016_long_values.sql"),
    include_str!("../../migrations/postgres/0017_video_thresholds.sql"),
    include_str!("../../migrations/postgres/0018_ui_sessions.sql"),
    include_str!("../../migrations/postgres/0019_robust_matching.sql"),
    include_str!("../../migrations/postgres/0020_chained_cuts.sql"),
];

/// An arbitrary constant: migrations on several nodes take turns.
const MIGRATION_LOCK: i64 = 0x6861_7368_7761_7463;
/// Writers on every node take turns, so the change log's order is the
/// commit order and an import's ids are one unbroken range.
const WRITE_LOCK: i64 = 0x6861_7368_7761_7464;

/// Starts a write: a transaction holding the write lock.
fn begin_write(client: &mut Client) -> Result<postgres::Transaction<'_>, Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
    Ok(tx)
}

/// Appends a change to the log, inside the writer's transaction.
fn record(tx: &mut impl GenericClient, bank: &str, kind: &ChangeKind) -> Result<(), Error> {
    let (bank_kind, first, last) = kind.columns();
    tx.execute(
        "INSERT INTO changes (bank_name, kind, bank_kind, first_entry, last_entry, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[&bank, &kind.name(), &bank_kind, &first, &last, &now()],
    )?;
    if let Some((op, first, count)) = kind.feed_batch() {
        tx.execute(
            crate::sql::numbered(crate::feed::APPEND_SQL).as_str(),
            &[&count, &op, &first, &bank],
        )?;
    }
    Ok(())
}

const ENTRY_COLUMNS: &str = "id, signal_type, value, quality, content_id, category, source,
    added_at, added_version, revoked_at, revoke_reason, metadata, derived";

/// An entry from a row of [`ENTRY_COLUMNS`]; `None` for signal types this
/// build does not know.
fn row_to_entry(r: &postgres::Row) -> Option<Entry> {
    let type_name: String = r.get(1);
    let signal_type = type_name.parse::<SignalType>().ok()?;
    Some(Entry {
        id: r.get::<_, i64>(0) as u64,
        signal: NewEntry {
            signal_type,
            value: r.get(2),
            quality: r.get::<_, Option<i16>>(3).map(|q| q as u8),
            content_id: r.get(4),
            category: r.get(5),
            source: r.get(6),
            metadata: r.get(11),
            derived: r.get(12),
        },
        added_at: r.get(7),
        added_version: r.get(8),
        revoked_at: r.get(9),
        revoke_reason: r.get(10),
    })
}

/// Streams a query's entries through a portal, in batches, instead of
/// holding millions of rows.
fn visit_query(
    client: &mut Client,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
    visit: &mut dyn FnMut(Entry),
) -> Result<(), Error> {
    let mut tx = client.transaction()?;
    let portal = tx.bind(sql, params)?;
    loop {
        let rows = tx.query_portal(&portal, 50_000)?;
        if rows.is_empty() {
            break;
        }
        rows.iter().filter_map(row_to_entry).for_each(&mut *visit);
    }
    tx.commit()?;
    Ok(())
}

/// Banks in a PostgreSQL database.
pub struct PostgresStore {
    /// `None` only while being dropped.
    client: Mutex<Option<Client>>,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        let slot = self.client.get_mut().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = slot.take() {
            // Closing a `postgres::Client` blocks on its own runtime, which
            // panics when the last reference is dropped on an async
            // runtime's thread; a plain thread closes it anywhere.
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}

/// The locked client.
struct ClientGuard<'a>(MutexGuard<'a, Option<Client>>);

impl std::ops::Deref for ClientGuard<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        match self.0.as_ref() {
            Some(client) => client,
            None => unreachable!("the client is taken only when the store is dropped"),
        }
    }
}

impl std::ops::DerefMut for ClientGuard<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        match self.0.as_mut() {
            Some(client) => client,
            None => unreachable!("the client is taken only when the store is dropped"),
        }
    }
}

fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

impl PostgresStore {
    /// Connects (`postgres://user@host:port/database`) and brings the schema
    /// up to date.
    pub fn connect(url: &str) -> Result<PostgresStore, Error> {
        let mut client = Client::connect(url, NoTls)?;
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS hashwatch_schema (version INTEGER NOT NULL)")?;
        let done: i64 = tx
            .query_opt("SELECT version::BIGINT FROM hashwatch_schema", &[])?
            .map(|r| r.get(0))
            .unwrap_or(0);
        let known = MIGRATIONS.len() as i64;
        if done > known {
            return Err(Error::new(ErrorKind::TooNew { found: done, known }));
        }
        for (number, sql) in MIGRATIONS.iter().enumerate().skip(done as usize) {
            crate::sql::before_migration(number + 1, &mut sql::PostgresTx(&mut tx))?;
            tx.batch_execute(sql)?;
        }
        tx.execute("DELETE FROM hashwatch_schema", &[])?;
        tx.execute(
            "INSERT INTO hashwatch_schema (version) VALUES ($1)",
            &[&(known as i32)],
        )?;
        tx.commit()?;
        Ok(PostgresStore {
            client: Mutex::new(Some(client)),
        })
    }

    fn client(&self) -> ClientGuard<'_> {
        // Transactions roll back when dropped, so a panic elsewhere leaves
        // the connection usable.
        ClientGuard(self.client.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn bank_in(client: &mut impl GenericClient, name: &str, lock: bool) -> Result<Bank, Error> {
    let sql = format!(
        "SELECT b.id, b.name, b.kind, b.description, b.created_at, b.version,
                (SELECT count(*) FROM entries e WHERE e.bank_id = b.id AND e.revoked_at IS NULL),
                (SELECT count(*) FROM entries e WHERE e.bank_id = b.id AND e.revoked_at IS NOT NULL)
         FROM banks b WHERE b.name = $1 {}",
        if lock { "FOR UPDATE OF b" } else { "" }
    );
    client
        .query_opt(&sql, &[&name])?
        .map(|r| row_to_bank(&r))
        .ok_or_else(|| Error::new(ErrorKind::NoSuchBank(name.to_string())))
}

fn row_to_bank(r: &postgres::Row) -> Bank {
    let kind: String = r.get(2);
    Bank {
        id: r.get(0),
        name: r.get(1),
        kind: if kind == "negative" {
            BankKind::Negative
        } else {
            BankKind::Positive
        },
        description: r.get(3),
        created_at: r.get(4),
        version: r.get(5),
        active: r.get::<_, i64>(6) as u64,
        revoked: r.get::<_, i64>(7) as u64,
    }
}

/// A text field for `COPY … FROM STDIN` (text format).
fn copy_text(out: &mut String, value: Option<&str>) {
    match value {
        None => out.push_str("\\N"),
        Some(v) => {
            for c in v.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
    }
}

/// Deletes a bank with its entries inside a write.
fn delete_bank_in(tx: &mut postgres::Transaction<'_>, name: &str) -> Result<(), Error> {
    let bank = bank_in(tx, name, true)?;
    tx.execute("DELETE FROM entries WHERE bank_id = $1", &[&bank.id])?;
    tx.execute("DELETE FROM banks WHERE id = $1", &[&bank.id])?;
    record(tx, &bank.name, &ChangeKind::BankDeleted)
}

/// Adds entries inside a write.
fn import_in(
    tx: &mut postgres::Transaction<'_>,
    bank: &str,
    entries: &[NewEntry],
    origin: Option<&str>,
    progress: &mut dyn FnMut(usize),
) -> Result<ImportSummary, Error> {
    let bank = bank_in(tx, bank, true)?;
    // A transaction may import more than once (a content item's signals
    // one by one): the staging table is made once and emptied each time.
    tx.batch_execute(
        "CREATE TEMP TABLE IF NOT EXISTS import_rows (
            ord BIGINT, signal_type TEXT, value BYTEA, quality SMALLINT,
            content_id TEXT, category TEXT, source TEXT, metadata TEXT, derived TEXT
         ) ON COMMIT DROP;
         TRUNCATE import_rows",
    )?;
    // COPY streams the rows in one round trip; row by row would be
    // network-bound.
    let mut writer = tx.copy_in("COPY import_rows FROM STDIN")?;
    let mut line = String::new();
    for (i, e) in entries.iter().enumerate() {
        line.clear();
        let _ = write!(line, "{i}\t{}\t\\\\x", e.signal_type.name());
        for b in &e.value {
            let _ = write!(line, "{b:02x}");
        }
        line.push('\t');
        match e.quality {
            Some(q) => line.push_str(&q.to_string()),
            None => line.push_str("\\N"),
        }
        for field in [
            &e.content_id,
            &e.category,
            &e.source,
            &e.metadata,
            &e.derived,
        ] {
            line.push('\t');
            copy_text(&mut line, field.as_deref());
        }
        line.push('\n');
        writer
            .write_all(line.as_bytes())
            .map_err(|e| Error::new(ErrorKind::Io(e)))?;
        if i % 8192 == 8191 {
            progress(i + 1);
        }
    }
    writer.finish()?;
    let version = bank.version + 1;
    let added = tx.execute(
        "INSERT INTO entries (bank_id, signal_type, value, quality, content_id, category, source,
                              origin, added_at, added_version, metadata, derived)
         SELECT $1, signal_type, value, quality, content_id, category, source, $2, $3, $4, metadata,
                derived
         FROM import_rows ORDER BY ord
         ON CONFLICT DO NOTHING",
        &[&bank.id, &origin, &now(), &version],
    )?;
    let version = if added > 0 {
        tx.execute(
            "UPDATE banks SET version = $1 WHERE id = $2",
            &[&version, &bank.id],
        )?;
        // Writers take turns, so this import's ids are one range.
        let range = tx.query_one(
            "SELECT min(id), max(id) FROM entries WHERE bank_id = $1 AND added_version = $2",
            &[&bank.id, &version],
        )?;
        let range = ChangeKind::Imported {
            first: range.get::<_, i64>(0) as u64,
            last: range.get::<_, i64>(1) as u64,
        };
        record(tx, &bank.name, &range)?;
        version
    } else {
        bank.version
    };
    Ok(ImportSummary {
        added,
        already_present: entries.len() as u64 - added,
        version,
    })
}

/// Revokes entries inside a write.
fn revoke_in(
    tx: &mut postgres::Transaction<'_>,
    bank: &str,
    which: &EntryRef,
    reason: &str,
) -> Result<Vec<u64>, Error> {
    let bank = bank_in(tx, bank, true)?;
    let rows = match which {
        EntryRef::Id(id) => tx.query(
            "SELECT id FROM entries WHERE bank_id = $1 AND id = $2 AND revoked_at IS NULL",
            &[&bank.id, &(*id as i64)],
        )?,
        EntryRef::Value(t, value) => tx.query(
            "SELECT id FROM entries
             WHERE bank_id = $1 AND signal_type = $2 AND value = $3 AND revoked_at IS NULL",
            &[&bank.id, &t.name(), value],
        )?,
    };
    let mut ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    if ids.is_empty() {
        return Err(Error::new(ErrorKind::NoSuchEntry(crate::sqlite::describe(
            which, &bank.name,
        ))));
    }
    // A picture's derived hashes go with its own hash.
    for id in ids.clone() {
        for r in tx.query(crate::sql::DERIVED_OF, &[&bank.id, &id])? {
            let d: i64 = r.get(0);
            if !ids.contains(&d) {
                ids.push(d);
            }
        }
    }
    let version = bank.version + 1;
    tx.execute(
        "UPDATE entries SET revoked_at = $1, revoke_reason = $2, revoked_version = $3
         WHERE id = ANY($4)",
        &[&now(), &reason, &version, &ids],
    )?;
    tx.execute(
        "UPDATE banks SET version = $1 WHERE id = $2",
        &[&version, &bank.id],
    )?;
    for id in &ids {
        record(tx, &bank.name, &ChangeKind::Revoked { entry: *id as u64 })?;
    }
    Ok(ids.into_iter().map(|id| id as u64).collect())
}

impl Store for PostgresStore {
    fn create_bank(
        &self,
        name: &str,
        kind: BankKind,
        description: Option<&str>,
    ) -> Result<Bank, Error> {
        // Banks made here are the default tenant's (see `Bank::name_in`).
        if !hashwatch_model::Bank::valid_name(name)
            || hashwatch_model::Bank::namespace_of(name) != hashwatch_model::DEFAULT_TENANT
        {
            return Err(Error::new(ErrorKind::BadBankName(name.to_string())));
        }
        let mut client = self.client();
        let mut tx = begin_write(&mut client)?;
        let inserted = tx.execute(
            "INSERT INTO banks (name, kind, description, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO NOTHING",
            &[&name, &kind.name(), &description, &now()],
        )?;
        if inserted == 0 {
            return Err(Error::new(ErrorKind::BankExists(name.to_string())));
        }
        record(&mut tx, name, &ChangeKind::BankCreated(kind))?;
        let bank = bank_in(&mut tx, name, false)?;
        tx.commit()?;
        Ok(bank)
    }

    fn banks(&self) -> Result<Vec<Bank>, Error> {
        let rows = self.client().query(
            "SELECT b.id, b.name, b.kind, b.description, b.created_at, b.version,
                    count(e.id) FILTER (WHERE e.revoked_at IS NULL),
                    count(e.id) FILTER (WHERE e.revoked_at IS NOT NULL)
             FROM banks b LEFT JOIN entries e ON e.bank_id = b.id
             GROUP BY b.id ORDER BY b.name COLLATE \"C\"",
            &[],
        )?;
        Ok(rows.iter().map(row_to_bank).collect())
    }

    fn bank(&self, name: &str) -> Result<Bank, Error> {
        bank_in(&mut *self.client(), name, false)
    }

    fn entries(
        &self,
        bank: &str,
        include_revoked: bool,
        visit: &mut dyn FnMut(Entry),
    ) -> Result<(), Error> {
        let mut client = self.client();
        let bank = bank_in(&mut *client, bank, false)?;
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM entries
             WHERE bank_id = $1 AND ($2 OR revoked_at IS NULL) ORDER BY id"
        );
        visit_query(&mut client, &sql, &[&bank.id, &include_revoked], visit)
    }

    fn entries_in(
        &self,
        first: u64,
        last: u64,
        include_revoked: bool,
        visit: &mut dyn FnMut(Entry),
    ) -> Result<(), Error> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM entries
             WHERE id BETWEEN $1 AND $2 AND ($3 OR revoked_at IS NULL) ORDER BY id"
        );
        let (first, last) = (first as i64, last as i64);
        visit_query(
            &mut self.client(),
            &sql,
            &[&first, &last, &include_revoked],
            visit,
        )
    }

    fn last_change(&self) -> Result<u64, Error> {
        let seq: i64 = self
            .client()
            .query_one("SELECT coalesce(max(seq), 0) FROM changes", &[])?
            .get(0);
        Ok(seq as u64)
    }

    fn changes_since(&self, seq: u64, limit: usize) -> Result<Vec<Change>, Error> {
        let rows = self.client().query(
            "SELECT seq, bank_name, kind, bank_kind, first_entry, last_entry
             FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&(seq as i64), &(limit as i64)],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let kind = ChangeKind::from_columns(r.get(2), r.get(3), r.get(4), r.get(5))?;
                Some(Change {
                    seq: r.get::<_, i64>(0) as u64,
                    bank: r.get(1),
                    kind,
                })
            })
            .collect())
    }
}
