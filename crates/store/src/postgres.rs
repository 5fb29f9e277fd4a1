//! The PostgreSQL store: the same schema and behaviour as SQLite, for
//! several stateless nodes sharing one database.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use postgres::{Client, GenericClient, NoTls};

use crate::error::{Error, ErrorKind};
use crate::model::{Bank, BankKind, Entry, EntryRef, ImportSummary, NewEntry, SignalType};
use crate::Store;

/// Schema migrations, in order; `hashwatch_schema` records how many ran.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE banks (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('positive', 'negative')),
    description TEXT,
    created_at  TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE entries (
    id              BIGSERIAL PRIMARY KEY,
    bank_id         BIGINT NOT NULL REFERENCES banks(id) ON DELETE CASCADE,
    signal_type     TEXT NOT NULL,
    value           BYTEA NOT NULL,
    quality         SMALLINT,
    content_id      TEXT,
    category        TEXT,
    source          TEXT,
    origin          TEXT,
    added_at        TEXT NOT NULL,
    added_version   BIGINT NOT NULL,
    revoked_at      TEXT,
    revoke_reason   TEXT,
    revoked_version BIGINT
);
CREATE UNIQUE INDEX entries_active_value
    ON entries (bank_id, signal_type, value) WHERE revoked_at IS NULL;
CREATE INDEX entries_by_bank ON entries (bank_id, id);
"#];

/// An arbitrary constant: migrations on several nodes take turns.
const MIGRATION_LOCK: i64 = 0x6861_7368_7761_7463;

/// Banks in a PostgreSQL database.
pub struct PostgresStore {
    client: Mutex<Client>,
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
        for sql in &MIGRATIONS[done as usize..] {
            tx.batch_execute(sql)?;
        }
        tx.execute("DELETE FROM hashwatch_schema", &[])?;
        tx.execute(
            "INSERT INTO hashwatch_schema (version) VALUES ($1)",
            &[&(known as i32)],
        )?;
        tx.commit()?;
        Ok(PostgresStore {
            client: Mutex::new(client),
        })
    }

    fn client(&self) -> MutexGuard<'_, Client> {
        // Transactions roll back when dropped, so a panic elsewhere leaves
        // the connection usable.
        self.client.lock().unwrap_or_else(|p| p.into_inner())
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

impl Store for PostgresStore {
    fn create_bank(
        &self,
        name: &str,
        kind: BankKind,
        description: Option<&str>,
    ) -> Result<Bank, Error> {
        if !crate::sqlite::valid_bank_name(name) {
            return Err(Error::new(ErrorKind::BadBankName(name.to_string())));
        }
        let mut client = self.client();
        let inserted = client.execute(
            "INSERT INTO banks (name, kind, description, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO NOTHING",
            &[&name, &kind.name(), &description, &now()],
        )?;
        if inserted == 0 {
            return Err(Error::new(ErrorKind::BankExists(name.to_string())));
        }
        bank_in(&mut *client, name, false)
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

    fn delete_bank(&self, name: &str) -> Result<(), Error> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let bank = bank_in(&mut tx, name, true)?;
        tx.execute("DELETE FROM entries WHERE bank_id = $1", &[&bank.id])?;
        tx.execute("DELETE FROM banks WHERE id = $1", &[&bank.id])?;
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
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let bank = bank_in(&mut tx, bank, true)?;
        tx.batch_execute(
            "CREATE TEMP TABLE import_rows (
                ord BIGINT, signal_type TEXT, value BYTEA, quality SMALLINT,
                content_id TEXT, category TEXT, source TEXT
             ) ON COMMIT DROP",
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
            for field in [&e.content_id, &e.category, &e.source] {
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
                                  origin, added_at, added_version)
             SELECT $1, signal_type, value, quality, content_id, category, source, $2, $3, $4
             FROM import_rows ORDER BY ord
             ON CONFLICT (bank_id, signal_type, value) WHERE revoked_at IS NULL DO NOTHING",
            &[&bank.id, &origin, &now(), &version],
        )?;
        let version = if added > 0 {
            tx.execute(
                "UPDATE banks SET version = $1 WHERE id = $2",
                &[&version, &bank.id],
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
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let bank = bank_in(&mut tx, bank, true)?;
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
        let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        if ids.is_empty() {
            return Err(Error::new(ErrorKind::NoSuchEntry(crate::sqlite::describe(
                which, &bank.name,
            ))));
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
        tx.commit()?;
        Ok(ids.into_iter().map(|id| id as u64).collect())
    }

    fn entries(
        &self,
        bank: &str,
        include_revoked: bool,
        visit: &mut dyn FnMut(Entry),
    ) -> Result<(), Error> {
        let mut client = self.client();
        let bank = bank_in(&mut *client, bank, false)?;
        // A portal streams the rows in batches instead of holding millions.
        let mut tx = client.transaction()?;
        let portal = tx.bind(
            "SELECT id, signal_type, value, quality, content_id, category, source,
                    added_at, added_version, revoked_at, revoke_reason
             FROM entries WHERE bank_id = $1 AND ($2 OR revoked_at IS NULL) ORDER BY id",
            &[&bank.id, &include_revoked],
        )?;
        loop {
            let rows = tx.query_portal(&portal, 50_000)?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let type_name: String = r.get(1);
                let Ok(signal_type) = type_name.parse::<SignalType>() else {
                    continue;
                };
                visit(Entry {
                    id: r.get::<_, i64>(0) as u64,
                    signal: NewEntry {
                        signal_type,
                        value: r.get(2),
                        quality: r.get::<_, Option<i16>>(3).map(|q| q as u8),
                        content_id: r.get(4),
                        category: r.get(5),
                        source: r.get(6),
                    },
                    added_at: r.get(7),
                    added_version: r.get(8),
                    revoked_at: r.get(9),
                    revoke_reason: r.get(10),
                });
            }
        }
        tx.commit()?;
        Ok(())
    }
}
