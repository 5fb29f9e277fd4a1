//! The SQLite store: one file, WAL journal, every change in a transaction.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::error::{Error, ErrorKind};
use crate::model::{Bank, BankKind, Entry, EntryRef, ImportSummary, NewEntry, SignalType};
use crate::Store;

/// Schema migrations, in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE banks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('positive', 'negative')),
    description TEXT,
    created_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE entries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    bank_id         INTEGER NOT NULL REFERENCES banks(id) ON DELETE CASCADE,
    signal_type     TEXT NOT NULL,
    value           BLOB NOT NULL,
    quality         INTEGER,
    content_id      TEXT,
    category        TEXT,
    source          TEXT,
    origin          TEXT,
    added_at        TEXT NOT NULL,
    added_version   INTEGER NOT NULL,
    revoked_at      TEXT,
    revoke_reason   TEXT,
    revoked_version INTEGER
);
CREATE UNIQUE INDEX entries_active_value
    ON entries (bank_id, signal_type, value) WHERE revoked_at IS NULL;
CREATE INDEX entries_by_bank ON entries (bank_id, id);
"#];

/// Banks in one SQLite file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

pub(crate) fn valid_bank_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn kind_from(text: &str) -> BankKind {
    if text == "negative" {
        BankKind::Negative
    } else {
        BankKind::Positive
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::new(ErrorKind::Io(e)))?;
        }
        SqliteStore::setup(Connection::open(path)?)
    }

    /// A private database in memory, for tests and one-off use.
    pub fn open_in_memory() -> Result<SqliteStore, Error> {
        SqliteStore::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<SqliteStore, Error> {
        // WAL: readers do not block the writer, and a crash mid-transaction
        // leaves the last committed state. FULL: a committed import survives
        // power loss too (one sync per transaction, so imports stay fast).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // Imports insert into a unique index in random order; a 64 MiB page
        // cache keeps those inserts off the disk until commit (1M-entry
        // import: 6.1 s with the 2 MiB default).
        conn.pragma_update(None, "cache_size", -65536)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let store = SqliteStore {
            conn: Mutex::new(conn),
        };
        store.migrate()?;
        Ok(store)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction open
        // (rusqlite rolls back on drop), so the connection is still sound.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn migrate(&self) -> Result<(), Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let done: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if done > known {
            return Err(Error::new(ErrorKind::TooNew { found: done, known }));
        }
        for sql in &MIGRATIONS[done as usize..] {
            tx.execute_batch(sql)?;
        }
        tx.pragma_update(None, "user_version", known)?;
        tx.commit()?;
        Ok(())
    }

    fn bank_in(conn: &Connection, name: &str) -> Result<Bank, Error> {
        conn.query_row(
            "SELECT b.id, b.name, b.kind, b.description, b.created_at, b.version,
                    (SELECT count(*) FROM entries e WHERE e.bank_id = b.id AND e.revoked_at IS NULL),
                    (SELECT count(*) FROM entries e WHERE e.bank_id = b.id AND e.revoked_at IS NOT NULL)
             FROM banks b WHERE b.name = ?1",
            [name],
            row_to_bank,
        )
        .optional()?
        .ok_or_else(|| Error::new(ErrorKind::NoSuchBank(name.to_string())))
    }
}

/// How an entry reference reads in an error.
pub(crate) fn describe(which: &EntryRef, bank: &str) -> String {
    match which {
        EntryRef::Id(id) => format!("with id {id} in bank {bank:?}"),
        EntryRef::Value(t, v) => format!("{t} {} in bank {bank:?}", t.format_value(v)),
    }
}

fn row_to_bank(r: &rusqlite::Row<'_>) -> rusqlite::Result<Bank> {
    Ok(Bank {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: kind_from(&r.get::<_, String>(2)?),
        description: r.get(3)?,
        created_at: r.get(4)?,
        version: r.get(5)?,
        active: r.get::<_, i64>(6)? as u64,
        revoked: r.get::<_, i64>(7)? as u64,
    })
}

impl Store for SqliteStore {
    fn create_bank(
        &self,
        name: &str,
        kind: BankKind,
        description: Option<&str>,
    ) -> Result<Bank, Error> {
        if !valid_bank_name(name) {
            return Err(Error::new(ErrorKind::BadBankName(name.to_string())));
        }
        let conn = self.conn();
        let inserted = conn.execute(
            "INSERT OR IGNORE INTO banks (name, kind, description, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![name, kind.name(), description, now()],
        )?;
        if inserted == 0 {
            return Err(Error::new(ErrorKind::BankExists(name.to_string())));
        }
        SqliteStore::bank_in(&conn, name)
    }

    fn banks(&self) -> Result<Vec<Bank>, Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT b.id, b.name, b.kind, b.description, b.created_at, b.version,
                    count(e.id) FILTER (WHERE e.revoked_at IS NULL),
                    count(e.id) FILTER (WHERE e.revoked_at IS NOT NULL)
             FROM banks b LEFT JOIN entries e ON e.bank_id = b.id
             GROUP BY b.id ORDER BY b.name COLLATE BINARY",
        )?;
        let banks = stmt
            .query_map([], row_to_bank)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(banks)
    }

    fn bank(&self, name: &str) -> Result<Bank, Error> {
        SqliteStore::bank_in(&self.conn(), name)
    }

    fn delete_bank(&self, name: &str) -> Result<(), Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let bank = SqliteStore::bank_in(&tx, name)?;
        tx.execute("DELETE FROM entries WHERE bank_id = ?1", [bank.id])?;
        tx.execute("DELETE FROM banks WHERE id = ?1", [bank.id])?;
        tx.commit()?;
        Ok(())
    }

    fn import(
        &self,
        bank: &str,
        entries: &[NewEntry],
        origin: Option<&str>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let bank = SqliteStore::bank_in(&tx, bank)?;
        let version = bank.version + 1;
        let added_at = now();
        let mut added = 0u64;
        {
            let mut insert = tx.prepare(
                "INSERT OR IGNORE INTO entries
                    (bank_id, signal_type, value, quality, content_id, category, source, origin, added_at, added_version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for (i, e) in entries.iter().enumerate() {
                added += insert.execute(params![
                    bank.id,
                    e.signal_type.name(),
                    e.value,
                    e.quality,
                    e.content_id,
                    e.category,
                    e.source,
                    origin,
                    added_at,
                    version,
                ])? as u64;
                if i % 8192 == 8191 {
                    progress(i + 1);
                }
            }
        }
        let version = if added > 0 {
            tx.execute(
                "UPDATE banks SET version = ?1 WHERE id = ?2",
                params![version, bank.id],
            )?;
            version
        } else {
            bank.version
        };
        tx.commit()?;
        progress(entries.len());
        Ok(ImportSummary {
            added,
            already_present: entries.len() as u64 - added,
            version,
        })
    }

    fn revoke(&self, bank: &str, which: &EntryRef, reason: &str) -> Result<Vec<u64>, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let bank = SqliteStore::bank_in(&tx, bank)?;
        let ids: Vec<u64> = match which {
            EntryRef::Id(id) => tx
                .prepare(
                    "SELECT id FROM entries WHERE bank_id = ?1 AND id = ?2 AND revoked_at IS NULL",
                )?
                .query_map(params![bank.id, *id as i64], |r| r.get::<_, i64>(0))?
                .map(|r| r.map(|v| v as u64))
                .collect::<Result<_, _>>()?,
            EntryRef::Value(t, value) => tx
                .prepare(
                    "SELECT id FROM entries
                     WHERE bank_id = ?1 AND signal_type = ?2 AND value = ?3 AND revoked_at IS NULL",
                )?
                .query_map(params![bank.id, t.name(), value], |r| r.get::<_, i64>(0))?
                .map(|r| r.map(|v| v as u64))
                .collect::<Result<_, _>>()?,
        };
        if ids.is_empty() {
            return Err(Error::new(ErrorKind::NoSuchEntry(describe(
                which, &bank.name,
            ))));
        }
        let version = bank.version + 1;
        let at = now();
        for id in &ids {
            tx.execute(
                "UPDATE entries SET revoked_at = ?1, revoke_reason = ?2, revoked_version = ?3 WHERE id = ?4",
                params![at, reason, version, *id as i64],
            )?;
        }
        tx.execute(
            "UPDATE banks SET version = ?1 WHERE id = ?2",
            params![version, bank.id],
        )?;
        tx.commit()?;
        Ok(ids)
    }

    fn entries(
        &self,
        bank: &str,
        include_revoked: bool,
        visit: &mut dyn FnMut(Entry),
    ) -> Result<(), Error> {
        let conn = self.conn();
        let bank = SqliteStore::bank_in(&conn, bank)?;
        let mut stmt = conn.prepare(
            "SELECT id, signal_type, value, quality, content_id, category, source,
                    added_at, added_version, revoked_at, revoke_reason
             FROM entries WHERE bank_id = ?1 AND (?2 OR revoked_at IS NULL) ORDER BY id",
        )?;
        let mut rows = stmt.query(params![bank.id, include_revoked])?;
        while let Some(r) = rows.next()? {
            let type_name: String = r.get(1)?;
            // Rows of types this build does not know (from a newer version)
            // are passed over rather than misread.
            let Ok(signal_type) = type_name.parse::<SignalType>() else {
                continue;
            };
            visit(Entry {
                id: r.get::<_, i64>(0)? as u64,
                signal: NewEntry {
                    signal_type,
                    value: r.get(2)?,
                    quality: r.get(3)?,
                    content_id: r.get(4)?,
                    category: r.get(5)?,
                    source: r.get(6)?,
                },
                added_at: r.get(7)?,
                added_version: r.get(8)?,
                revoked_at: r.get(9)?,
                revoke_reason: r.get(10)?,
            });
        }
        Ok(())
    }
}
