//! The service's records beside the banks: bank settings and sharing, HMA
//! content (notes, metadata, disabling, grouped signals), API keys, the
//! audit log, match records, legal holds, the review queue and webhook
//! deliveries. Written once in portable SQL over [`Sql`], so SQLite and
//! PostgreSQL behave the same.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::SystemTime;

use crate::error::{Error, ErrorKind};
use crate::sql::{self, Param, Row, Sql, SqlTx};
use hashwatch_model::{
    unix_now, valid_tenant, ApiKey, AuditEvent, BankSettings, ChangeKind, Content, ContentState,
    Delivery, EntryRef, Hold, HoldKind, ImportSummary, KeySecret, MatchEvent, NewAudit, NewEntry,
    NewMatch, Purged, RecordQuery, Review, Role, Webhook,
};

/// A query's `WHERE … ORDER BY … LIMIT` and its parameters.
trait Clause {
    fn clause(&self) -> (String, Vec<Param>);
}

impl Clause for RecordQuery {
    fn clause(&self) -> (String, Vec<Param>) {
        let mut sql = String::from(" WHERE 1 = 1");
        let mut params = Vec::new();
        if let Some(t) = &self.tenant {
            // `*`: the service's own entries (retention purges), which every
            // tenant's administrators may read.
            sql.push_str(" AND (tenant = ? OR tenant = '*')");
            params.push(Param::from(t.as_str()));
        }
        if let Some(v) = self.from {
            sql.push_str(" AND at >= ?");
            params.push(v.into());
        }
        if let Some(v) = self.to {
            sql.push_str(" AND at < ?");
            params.push(v.into());
        }
        if let Some(b) = &self.bank {
            sql.push_str(" AND bank = ?");
            params.push(Param::from(b.as_str()));
        }
        if let Some(v) = self.after {
            sql.push_str(" AND id > ?");
            params.push(v.into());
        }
        sql.push_str(" ORDER BY id LIMIT ?");
        params.push(self.limit.unwrap_or(1000).clamp(1, 100_000).into());
        (sql, params)
    }
}

fn not_found(what: String) -> Error {
    Error::new(ErrorKind::NotFound(what))
}

fn bank_id(tx: &mut dyn SqlTx, bank: &str) -> Result<i64, Error> {
    tx.query("SELECT id FROM banks WHERE name = ?", &[bank.into()])?
        .first()
        .map(|r| r.int(0))
        .transpose()?
        .flatten()
        .ok_or_else(|| Error::new(ErrorKind::NoSuchBank(bank.to_string())))
}

/// Stores a bank's settings and sharing, inside a write.
fn write_settings(tx: &mut dyn SqlTx, bank: &str, settings: &BankSettings) -> Result<(), Error> {
    let id = bank_id(tx, bank)?;
    let (webhook_url, webhook_secret) = match &settings.webhook {
        Some(w) => (Some(w.url.clone()), Some(w.secret.clone())),
        None => (None, None),
    };
    tx.exec(
        "INSERT INTO bank_settings
            (bank_id, tenant, enabled_ratio, threshold, webhook_url, webhook_secret, review)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (bank_id) DO UPDATE SET tenant = excluded.tenant,
            enabled_ratio = excluded.enabled_ratio, threshold = excluded.threshold,
            webhook_url = excluded.webhook_url, webhook_secret = excluded.webhook_secret,
            review = excluded.review",
        &[
            id.into(),
            settings.tenant.as_str().into(),
            settings.enabled_ratio.into(),
            settings.threshold.map(i64::from).into(),
            webhook_url.into(),
            webhook_secret.into(),
            i64::from(settings.review).into(),
        ],
    )?;
    tx.exec("DELETE FROM bank_shares WHERE bank_id = ?", &[id.into()])?;
    for tenant in &settings.shared_with {
        tx.exec(
            "INSERT INTO bank_shares (bank_id, tenant) VALUES (?, ?)",
            &[id.into(), tenant.as_str().into()],
        )?;
    }
    Ok(())
}

const KEY_COLUMNS: &str = "id, tenant, name, role, created_at, revoked_at";

fn row_to_key(r: &Row) -> Result<ApiKey, Error> {
    Ok(ApiKey {
        id: r.req_int(0)?,
        tenant: r.req_text(1)?,
        name: r.req_text(2)?,
        role: {
            let name = r.req_text(3)?;
            Role::parse(&name)
                .ok_or_else(|| Error::backend(format!("key with unknown role {name:?}")))?
        },
        created_at: r.req_int(4)?,
        revoked_at: r.int(5)?,
    })
}

const MATCH_COLUMNS: &str =
    "tenant, key_id, bank, content_id, entry_id, signal_type, query, distance";

fn match_params(m: &NewMatch) -> Vec<Param> {
    vec![
        m.tenant.as_str().into(),
        m.key_id.into(),
        m.bank.as_str().into(),
        (m.content_id as i64).into(),
        (m.entry_id as i64).into(),
        m.signal_type.as_str().into(),
        m.query.as_str().into(),
        i64::from(m.distance).into(),
    ]
}

/// Reads [`MATCH_COLUMNS`] starting at column `at`.
fn row_to_match(r: &Row, at: usize) -> Result<NewMatch, Error> {
    Ok(NewMatch {
        tenant: r.req_text(at)?,
        key_id: r.int(at + 1)?,
        bank: r.req_text(at + 2)?,
        content_id: r.req_int(at + 3)? as u64,
        entry_id: r.req_int(at + 4)? as u64,
        signal_type: r.req_text(at + 5)?,
        query: r.req_text(at + 6)?,
        distance: r.req_int(at + 7)? as u32,
    })
}

/// A bank hold names its bank as it is called now (the name it was placed
/// under once the bank is gone).
const HOLD_COLUMNS: &str = "id, tenant, kind,
    CASE WHEN kind = 'bank'
         THEN coalesce((SELECT b.name FROM banks b WHERE b.id = holds.bank_id), target)
         ELSE target END,
    reason, placed_by, placed_at, released_at";

fn row_to_hold(r: &Row) -> Result<Hold, Error> {
    Ok(Hold {
        id: r.req_int(0)?,
        tenant: r.req_text(1)?,
        kind: {
            let name = r.req_text(2)?;
            HoldKind::parse(&name)
                .ok_or_else(|| Error::backend(format!("hold of unknown kind {name:?}")))?
        },
        target: r.req_text(3)?,
        reason: r.req_text(4)?,
        placed_by: r.req_text(5)?,
        placed_at: r.req_int(6)?,
        released_at: r.int(7)?,
    })
}

const REVIEW_COLUMNS: &str = "id, at, reason, state, decided_by, decided_at";

fn row_to_review(r: &Row) -> Result<Review, Error> {
    Ok(Review {
        id: r.req_int(0)?,
        at: r.req_int(1)?,
        reason: r.req_text(2)?,
        state: r.req_text(3)?,
        decided_by: r.text(4)?,
        decided_at: r.int(5)?,
        record: row_to_match(r, 6)?,
    })
}

const DELIVERY_COLUMNS: &str = "id,
    coalesce((SELECT b.name FROM banks b WHERE b.id = deliveries.bank_id), bank),
    url, secret, body, attempts, state, last_error";

fn row_to_delivery(r: &Row) -> Result<Delivery, Error> {
    Ok(Delivery {
        id: r.req_int(0)?,
        bank: r.req_text(1)?,
        url: r.req_text(2)?,
        secret: r.req_text(3)?,
        body: r.req_text(4)?,
        attempts: r.req_int(5)?,
        state: r.req_text(6)?,
        last_error: r.text(7)?,
    })
}

/// The service's records in a store's database: each method its own
/// transaction, or, inside [`Records::write`], one step of the caller's.
pub struct Records<'a> {
    target: Target<'a>,
}

enum Target<'a> {
    Store(&'a dyn Sql),
    Within(RefCell<&'a mut dyn SqlTx>),
}

/// Records are SQL too, so the domains' records ([`crate::Hotline`],
/// [`crate::Feeds`]) made from a `Records` inside [`Records::write`] run as
/// steps of that one transaction.
impl Sql for Records<'_> {
    fn write(
        &self,
        work: &mut dyn FnMut(&mut dyn SqlTx) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.write_tx(work)
    }

    fn read(&self, work: &mut dyn FnMut(&mut dyn SqlTx) -> Result<(), Error>) -> Result<(), Error> {
        self.read_tx(work)
    }
}

impl<'a> Records<'a> {
    /// Records over a backend.
    pub fn new(sql: &'a dyn Sql) -> Records<'a> {
        Records {
            target: Target::Store(sql),
        }
    }

    /// Runs `work` as one transaction: every record and bank change it
    /// makes commits together when it returns `Ok`, or none does.
    pub fn write<T>(
        &self,
        mut work: impl FnMut(&Records<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.write_tx(|tx| {
            let within = Records {
                target: Target::Within(RefCell::new(tx)),
            };
            work(&within)
        })
    }

    fn write_tx<T>(
        &self,
        mut work: impl FnMut(&mut dyn SqlTx) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match &self.target {
            Target::Store(sql) => sql::write(*sql, work),
            Target::Within(tx) => {
                // Only reachable by using the outer `Records` inside a nested
                // `write`: an error, not a panic.
                let mut tx = tx.try_borrow_mut().map_err(|_| {
                    Error::backend("a transaction's records used inside a nested write")
                })?;
                work(&mut **tx)
            }
        }
    }

    fn read_tx<T>(
        &self,
        mut work: impl FnMut(&mut dyn SqlTx) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match &self.target {
            Target::Store(sql) => sql::read(*sql, work),
            Target::Within(tx) => {
                // Only reachable by using the outer `Records` inside a nested
                // `write`: an error, not a panic.
                let mut tx = tx.try_borrow_mut().map_err(|_| {
                    Error::backend("a transaction's records used inside a nested write")
                })?;
                work(&mut **tx)
            }
        }
    }

    /// The hotline's records, as steps of this write when inside one.
    pub fn hotline(&self) -> crate::Hotline<'_> {
        crate::hotline(self)
    }

    /// A store's feeds whose changes are steps of this write when inside
    /// one (pages are still read from `store`).
    pub fn feeds<'s>(&'s self, store: &'s dyn crate::Store) -> crate::Feeds<'s> {
        crate::Feeds::within(store, self)
    }

    // Entries, as steps of a transaction.

    /// [`crate::Store::import`] with the other changes of this write.
    pub fn import(
        &self,
        bank: &str,
        entries: &[NewEntry],
        origin: Option<&str>,
    ) -> Result<ImportSummary, Error> {
        self.write_tx(|tx| tx.import(bank, entries, origin, &mut |_| {}))
    }

    /// [`crate::Store::revoke`] with the other changes of this write.
    pub fn revoke(&self, bank: &str, which: &EntryRef, reason: &str) -> Result<Vec<u64>, Error> {
        self.write_tx(|tx| tx.revoke(bank, which, reason))
    }

    /// [`crate::Store::delete_bank`] with the other changes of this write.
    pub fn delete_bank(&self, name: &str) -> Result<(), Error> {
        self.write_tx(|tx| tx.delete_bank(name))
    }

    /// Deletes a bank unless an active legal hold keeps it; the check and
    /// the deletion are one transaction, so a hold placed meanwhile wins.
    pub fn delete_bank_unless_held(&self, name: &str) -> Result<(), Error> {
        self.write_tx(|tx| {
            let held = tx.query(
                "SELECT h.id FROM holds h JOIN banks b ON b.id = h.bank_id
                 WHERE h.kind = 'bank' AND b.name = ? AND h.released_at IS NULL",
                &[name.into()],
            )?;
            if !held.is_empty() {
                return Err(Error::new(ErrorKind::Held(format!("bank {name:?}"))));
            }
            tx.delete_bank(name)
        })
    }

    // Banks.

    /// Every bank's settings, by bank name (banks without stored settings
    /// get the defaults).
    pub fn bank_settings(&self) -> Result<HashMap<String, BankSettings>, Error> {
        self.read_tx(|tx| {
            let mut out = HashMap::new();
            let rows = tx.query(
                "SELECT b.name, s.tenant, s.enabled_ratio, s.threshold, s.webhook_url,
                        s.webhook_secret, s.review
                 FROM banks b LEFT JOIN bank_settings s ON s.bank_id = b.id",
                &[],
            )?;
            for r in rows {
                let Some(name) = r.text(0)? else { continue };
                let mut settings = BankSettings::default();
                if let Some(tenant) = r.text(1)? {
                    settings.tenant = tenant;
                    settings.enabled_ratio = r.req_real(2)?;
                    settings.threshold = r.int(3)?.map(|t| t as u32);
                    settings.webhook = match (r.text(4)?, r.text(5)?) {
                        (Some(url), Some(secret)) => Some(Webhook { url, secret }),
                        _ => None,
                    };
                    settings.review = r.req_int(6)? != 0;
                }
                out.insert(name, settings);
            }
            for r in tx.query(
                "SELECT b.name, h.tenant FROM bank_shares h JOIN banks b ON b.id = h.bank_id
                 ORDER BY h.tenant",
                &[],
            )? {
                if let (Some(name), Some(tenant)) = (r.text(0)?, r.text(1)?) {
                    if let Some(s) = out.get_mut(&name) {
                        s.shared_with.push(tenant);
                    }
                }
            }
            Ok(out)
        })
    }

    /// One bank's settings.
    pub fn settings_of(&self, bank: &str) -> Result<BankSettings, Error> {
        self.bank_settings()?
            .remove(bank)
            .ok_or_else(|| Error::new(ErrorKind::NoSuchBank(bank.to_string())))
    }

    /// Creates a bank with its settings in one transaction, so that no
    /// node ever sees it without its owner.
    pub fn create_bank(
        &self,
        name: &str,
        kind: crate::BankKind,
        settings: &BankSettings,
    ) -> Result<(), Error> {
        if !hashwatch_model::Bank::valid_name(name) {
            return Err(Error::new(ErrorKind::BadBankName(name.to_string())));
        }
        let created_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        self.write_tx(|tx| {
            if !tx
                .query("SELECT id FROM banks WHERE name = ?", &[name.into()])?
                .is_empty()
            {
                return Err(Error::new(ErrorKind::BankExists(name.to_string())));
            }
            tx.exec(
                "INSERT INTO banks (name, kind, created_at) VALUES (?, ?, ?)",
                &[name.into(), kind.name().into(), created_at.as_str().into()],
            )?;
            tx.change(name, &ChangeKind::BankCreated(kind))?;
            write_settings(tx, name, settings)
        })
    }

    /// Stores a bank's settings (and its sharing) and, when `rename` is
    /// given, renames it; followers on every node see the change.
    pub fn update_bank(
        &self,
        bank: &str,
        settings: &BankSettings,
        rename: Option<&str>,
    ) -> Result<(), Error> {
        if let Some(new) = rename {
            if !hashwatch_model::Bank::valid_name(new) {
                return Err(Error::new(ErrorKind::BadBankName(new.to_string())));
            }
        }
        self.write_tx(|tx| {
            let id = bank_id(tx, bank)?;
            write_settings(tx, bank, settings)?;
            let mut name = bank.to_string();
            if let Some(new) = rename.filter(|n| *n != bank) {
                if !tx
                    .query("SELECT id FROM banks WHERE name = ?", &[new.into()])?
                    .is_empty()
                {
                    return Err(Error::new(ErrorKind::BankExists(new.to_string())));
                }
                tx.exec(
                    "UPDATE banks SET name = ? WHERE id = ?",
                    &[new.into(), id.into()],
                )?;
                tx.exec(
                    "UPDATE contents SET bank = ? WHERE bank = ?",
                    &[new.into(), bank.into()],
                )?;
                name = new.to_string();
            }
            let previous = (name != bank).then(|| bank.to_string());
            tx.change(&name, &ChangeKind::BankUpdated { previous })
        })
    }

    // Content.

    /// Records a content item (after its entries were imported) and links
    /// the entries banked with its first one.
    pub fn create_content(
        &self,
        bank: &str,
        id: u64,
        linked: &[u64],
        note: Option<&str>,
        metadata: Option<&str>,
    ) -> Result<(), Error> {
        self.write_tx(|tx| {
            // The content may exist already: the same hash added again
            // answers the content it belongs to, with the new note kept.
            tx.exec(
                "INSERT INTO contents (id, bank, note, metadata, disable_until, updated_at)
                 VALUES (?, ?, ?, ?, 1, ?)
                 ON CONFLICT (id) DO UPDATE SET note = coalesce(excluded.note, contents.note),
                    metadata = coalesce(excluded.metadata, contents.metadata)",
                &[
                    (id as i64).into(),
                    bank.into(),
                    note.into(),
                    metadata.into(),
                    unix_now().into(),
                ],
            )?;
            for entry in linked {
                tx.exec(
                    "INSERT INTO content_links (entry_id, content_id) VALUES (?, ?)
                     ON CONFLICT (entry_id) DO NOTHING",
                    &[(*entry as i64).into(), (id as i64).into()],
                )?;
            }
            tx.change(bank, &ChangeKind::ContentUpdated { content: id })
        })
    }

    /// A content item's record, or the defaults for an entry imported
    /// without one (its content is itself).
    pub fn content(&self, bank: &str, id: u64) -> Result<Content, Error> {
        self.read_tx(|tx| {
            let rows = tx.query(
                "SELECT note, metadata, disable_until FROM contents WHERE id = ? AND bank = ?",
                &[(id as i64).into(), bank.into()],
            )?;
            let linked = tx
                .query(
                    "SELECT entry_id FROM content_links WHERE content_id = ? ORDER BY entry_id",
                    &[(id as i64).into()],
                )?
                .iter()
                .map(|r| r.req_int(0).map(|v| v as u64))
                .collect::<Result<_, _>>()?;
            Ok(match rows.first() {
                Some(r) => Content {
                    id,
                    bank: bank.to_string(),
                    note: r.text(0)?,
                    metadata: r.text(1)?,
                    disable_until: r.req_int(2)?,
                    linked,
                },
                None => Content {
                    id,
                    bank: bank.to_string(),
                    note: None,
                    metadata: None,
                    disable_until: 1,
                    linked,
                },
            })
        })
    }

    /// Sets a content item's disable time and note.
    pub fn update_content(
        &self,
        bank: &str,
        id: u64,
        disable_until: Option<i64>,
        note: Option<&str>,
    ) -> Result<Content, Error> {
        self.write_tx(|tx| {
            tx.exec(
                "INSERT INTO contents (id, bank, note, metadata, disable_until, updated_at)
                 VALUES (?, ?, NULL, NULL, 1, ?) ON CONFLICT (id) DO NOTHING",
                &[(id as i64).into(), bank.into(), unix_now().into()],
            )?;
            if let Some(until) = disable_until {
                tx.exec(
                    "UPDATE contents SET disable_until = ?, updated_at = ? WHERE id = ?",
                    &[until.into(), unix_now().into(), (id as i64).into()],
                )?;
            }
            if let Some(note) = note {
                tx.exec(
                    "UPDATE contents SET note = ? WHERE id = ?",
                    &[note.into(), (id as i64).into()],
                )?;
            }
            tx.change(bank, &ChangeKind::ContentUpdated { content: id })
        })?;
        self.content(bank, id)
    }

    /// Contents whose `disable_until` is not "enabled", and every link from
    /// an entry to the content it belongs to: what a matcher node needs.
    pub fn content_state(&self) -> Result<ContentState, Error> {
        self.read_tx(|tx| {
            let disabled = tx
                .query(
                    "SELECT id, disable_until FROM contents WHERE disable_until <> 1",
                    &[],
                )?
                .iter()
                .map(|r| Ok((r.req_int(0)? as u64, r.req_int(1)?)))
                .collect::<Result<_, Error>>()?;
            let links = tx
                .query("SELECT entry_id, content_id FROM content_links", &[])?
                .iter()
                .map(|r| Ok((r.req_int(0)? as u64, r.req_int(1)? as u64)))
                .collect::<Result<_, Error>>()?;
            Ok(ContentState { disabled, links })
        })
    }

    /// One content item's disable time and links, to follow a
    /// [`ChangeKind::ContentUpdated`].
    pub fn content_links(&self, id: u64) -> Result<(i64, Vec<u64>), Error> {
        self.read_tx(|tx| {
            let until = tx
                .query(
                    "SELECT disable_until FROM contents WHERE id = ?",
                    &[(id as i64).into()],
                )?
                .first()
                .map(|r| r.int(0))
                .transpose()?
                .flatten()
                .unwrap_or(1);
            let links = tx
                .query(
                    "SELECT entry_id FROM content_links WHERE content_id = ?",
                    &[(id as i64).into()],
                )?
                .iter()
                .map(|r| r.req_int(0).map(|v| v as u64))
                .collect::<Result<_, _>>()?;
            Ok((until, links))
        })
    }

    /// The id of the oldest active entry with this value in a bank.
    pub fn active_entry(
        &self,
        bank: &str,
        signal_type: crate::SignalType,
        value: &[u8],
    ) -> Result<Option<u64>, Error> {
        self.read_tx(|tx| {
            Ok(tx
                .query(
                    "SELECT e.id FROM entries e JOIN banks b ON b.id = e.bank_id
                     WHERE b.name = ? AND e.signal_type = ? AND e.value = ? AND e.revoked_at IS NULL
                     ORDER BY e.id LIMIT 1",
                    &[bank.into(), signal_type.name().into(), value.into()],
                )?
                .first()
                .map(|r| r.int(0))
                .transpose()?
                .flatten()
                .map(|v| v as u64))
        })
    }

    /// The bank of an active entry.
    pub fn entry_bank(&self, entry: u64) -> Result<Option<String>, Error> {
        self.read_tx(|tx| {
            Ok(tx
                .query(
                    "SELECT b.name FROM entries e JOIN banks b ON b.id = e.bank_id
                     WHERE e.id = ? AND e.revoked_at IS NULL",
                    &[(entry as i64).into()],
                )?
                .first()
                .map(|r| r.text(0))
                .transpose()?
                .flatten())
        })
    }

    // Keys.

    /// Creates a key; returns it with its secret, which is shown once and
    /// never stored.
    pub fn create_key(
        &self,
        tenant: &str,
        name: &str,
        role: Role,
    ) -> Result<(ApiKey, String), Error> {
        if !valid_tenant(tenant) {
            return Err(Error::new(ErrorKind::Invalid(format!(
                "tenant {tenant:?} is not allowed: use letters, digits, '_' and '-'"
            ))));
        }
        let KeySecret(secret) =
            KeySecret::generate().map_err(|e| Error::backend(format!("no randomness: {e}")))?;
        let hash = KeySecret::hash_of(&secret);
        let key = self.write_tx(|tx| {
            let rows = tx.query(
                &format!(
                    "INSERT INTO api_keys (tenant, name, role, secret_hash, created_at)
                     VALUES (?, ?, ?, ?, ?) RETURNING {KEY_COLUMNS}"
                ),
                &[
                    tenant.into(),
                    name.into(),
                    role.name().into(),
                    hash.as_str().into(),
                    unix_now().into(),
                ],
            )?;
            rows.first()
                .map(row_to_key)
                .transpose()?
                .ok_or_else(|| Error::backend("key after insert"))
        })?;
        Ok((key, secret))
    }

    /// The active key with this secret.
    pub fn key_for_secret(&self, secret: &str) -> Result<Option<ApiKey>, Error> {
        let hash = KeySecret::hash_of(secret);
        self.read_tx(|tx| {
            tx.query(
                &format!(
                    "SELECT {KEY_COLUMNS} FROM api_keys
                         WHERE secret_hash = ? AND revoked_at IS NULL"
                ),
                &[hash.as_str().into()],
            )?
            .first()
            .map(row_to_key)
            .transpose()
        })
    }

    /// Every key, of one tenant or all.
    pub fn keys(&self, tenant: Option<&str>) -> Result<Vec<ApiKey>, Error> {
        self.read_tx(|tx| {
            tx
                .query(
                    &format!(
                        "SELECT {KEY_COLUMNS} FROM api_keys WHERE (CAST(? AS TEXT) IS NULL OR tenant = ?) ORDER BY id"
                    ),
                    &[tenant.into(), tenant.into()],
                )?
                .iter()
                .map(row_to_key)
                .collect::<Result<_, _>>()
        })
    }

    /// Revokes a key at once.
    pub fn revoke_key(&self, id: i64) -> Result<ApiKey, Error> {
        self.write_tx(|tx| {
            let rows = tx.query(
                &format!(
                    "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL
                     RETURNING {KEY_COLUMNS}"
                ),
                &[unix_now().into(), id.into()],
            )?;
            rows.first()
                .map(row_to_key)
                .transpose()?
                .ok_or_else(|| not_found(format!("active key with id {id}")))
        })
    }

    // Audit log and match records.

    /// Appends entries to the audit log.
    pub fn audit(&self, events: &[NewAudit]) -> Result<(), Error> {
        if events.is_empty() {
            return Ok(());
        }
        let at = unix_now();
        self.write_tx(|tx| {
            for e in events {
                tx.exec(
                    "INSERT INTO audit (at, tenant, key_id, actor, action, bank, target, detail)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    &[
                        at.into(),
                        e.tenant.as_str().into(),
                        e.key_id.into(),
                        e.actor.as_str().into(),
                        e.action.as_str().into(),
                        e.bank.clone().into(),
                        e.target.clone().into(),
                        e.detail.clone().into(),
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// Reads the audit log.
    pub fn audit_events(&self, query: &RecordQuery) -> Result<Vec<AuditEvent>, Error> {
        let (clause, params) = query.clause();
        self.read_tx(|tx| {
            tx.query(
                &format!(
                    "SELECT id, at, tenant, key_id, actor, action, bank, target, detail
                         FROM audit{clause}"
                ),
                &params,
            )?
            .iter()
            .map(|r| -> Result<_, Error> {
                Ok(AuditEvent {
                    id: r.req_int(0)?,
                    at: r.req_int(1)?,
                    event: NewAudit {
                        tenant: r.req_text(2)?,
                        key_id: r.int(3)?,
                        actor: r.req_text(4)?,
                        action: r.req_text(5)?,
                        bank: r.text(6)?,
                        target: r.text(7)?,
                        detail: r.text(8)?,
                    },
                })
            })
            .collect::<Result<_, _>>()
        })
    }

    /// Records matches; returns their ids.
    pub fn record_matches(&self, matches: &[NewMatch]) -> Result<Vec<i64>, Error> {
        let at = unix_now();
        self.write_tx(|tx| {
            let mut ids = Vec::with_capacity(matches.len());
            for m in matches {
                let mut params = vec![Param::from(at)];
                params.extend(match_params(m));
                let rows = tx.query(
                    &format!(
                        "INSERT INTO match_records (at, {MATCH_COLUMNS})
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
                    ),
                    &params,
                )?;
                ids.push(
                    rows.first()
                        .ok_or_else(|| Error::backend("a match record returned no id"))?
                        .req_int(0)?,
                );
            }
            Ok(ids)
        })
    }

    /// Reads match records.
    pub fn matches(&self, query: &RecordQuery) -> Result<Vec<MatchEvent>, Error> {
        let (clause, params) = query.clause();
        self.read_tx(|tx| {
            tx.query(
                &format!("SELECT id, at, {MATCH_COLUMNS} FROM match_records{clause}"),
                &params,
            )?
            .iter()
            .map(|r| -> Result<_, Error> {
                Ok(MatchEvent {
                    id: r.req_int(0)?,
                    at: r.req_int(1)?,
                    record: row_to_match(r, 2)?,
                })
            })
            .collect::<Result<_, _>>()
        })
    }

    // Legal holds and retention.

    /// Places a legal hold.
    pub fn place_hold(
        &self,
        tenant: &str,
        kind: HoldKind,
        target: &str,
        reason: &str,
        by: &str,
    ) -> Result<Hold, Error> {
        self.write_tx(|tx| {
            // A bank hold follows the bank by id from now on; one on a name
            // no bank has (a deleted bank's records) keeps those by name.
            let bank_id = match kind {
                HoldKind::Bank => match bank_id(tx, target) {
                    Ok(id) => Some(id),
                    Err(e) if matches!(e.kind(), ErrorKind::NoSuchBank(_)) => None,
                    Err(e) => return Err(e),
                },
                HoldKind::Content | HoldKind::Match => None,
            };
            tx.query(
                &format!(
                    "INSERT INTO holds (tenant, kind, target, reason, placed_by, placed_at, bank_id)
                     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {HOLD_COLUMNS}"
                ),
                &[
                    tenant.into(),
                    kind.name().into(),
                    target.into(),
                    reason.into(),
                    by.into(),
                    unix_now().into(),
                    bank_id.into(),
                ],
            )?
            .first()
            .map(row_to_hold)
            .transpose()?
            .ok_or_else(|| Error::backend("hold after insert"))
        })
    }

    /// Releases a hold of `tenant`'s.
    pub fn release_hold(&self, tenant: &str, id: i64) -> Result<Hold, Error> {
        self.write_tx(|tx| {
            tx.query(
                &format!(
                    "UPDATE holds SET released_at = ?
                     WHERE id = ? AND tenant = ? AND released_at IS NULL RETURNING {HOLD_COLUMNS}"
                ),
                &[unix_now().into(), id.into(), tenant.into()],
            )?
            .first()
            .map(row_to_hold)
            .transpose()?
            .ok_or_else(|| not_found(format!("active hold with id {id}")))
        })
    }

    /// Holds of a tenant (or all), active ones only when asked.
    pub fn holds(&self, tenant: Option<&str>, active_only: bool) -> Result<Vec<Hold>, Error> {
        self.read_tx(|tx| {
            tx
                .query(
                    &format!(
                        "SELECT {HOLD_COLUMNS} FROM holds
                         WHERE (CAST(? AS TEXT) IS NULL OR tenant = ?) AND (CAST(? AS BIGINT) = 0 OR released_at IS NULL)
                         ORDER BY id"
                    ),
                    &[tenant.into(), tenant.into(), i64::from(active_only).into()],
                )?
                .iter()
                .map(row_to_hold)
                .collect::<Result<_, _>>()
        })
    }

    /// Deletes match records, audit entries and closed reviews older than
    /// `cutoff` (Unix time), except those an active hold keeps.
    pub fn purge(&self, cutoff: i64) -> Result<Purged, Error> {
        // A held bank's records under the name it was held under and under
        // the name it has now.
        const HELD_BANKS: &str =
            "SELECT target FROM holds WHERE kind = 'bank' AND released_at IS NULL
             UNION SELECT b.name FROM holds h JOIN banks b ON b.id = h.bank_id
             WHERE h.kind = 'bank' AND h.released_at IS NULL";
        const HELD_CONTENT: &str =
            "SELECT target FROM holds WHERE kind = 'content' AND released_at IS NULL";
        const HELD_MATCHES: &str =
            "SELECT target FROM holds WHERE kind = 'match' AND released_at IS NULL";
        self.write_tx(|tx| {
            let matches = tx.exec(
                &format!(
                    "DELETE FROM match_records WHERE at < ?
                       AND bank NOT IN ({HELD_BANKS})
                       AND CAST(content_id AS TEXT) NOT IN ({HELD_CONTENT})
                       AND CAST(id AS TEXT) NOT IN ({HELD_MATCHES})"
                ),
                &[cutoff.into()],
            )?;
            let audit = tx.exec(
                &format!(
                    "DELETE FROM audit WHERE at < ?
                       AND (bank IS NULL OR bank NOT IN ({HELD_BANKS}))
                       AND (target IS NULL OR target NOT IN ({HELD_CONTENT}))"
                ),
                &[cutoff.into()],
            )?;
            let reviews = tx.exec(
                &format!(
                    "DELETE FROM reviews WHERE at < ? AND state <> 'open'
                       AND bank NOT IN ({HELD_BANKS})
                       AND CAST(content_id AS TEXT) NOT IN ({HELD_CONTENT})"
                ),
                &[cutoff.into()],
            )?;
            Ok(Purged {
                audit,
                matches,
                reviews,
            })
        })
    }

    // The review queue.

    /// Queues a match for review.
    pub fn open_review(&self, record: &NewMatch, reason: &str) -> Result<i64, Error> {
        let mut params = vec![Param::from(unix_now()), reason.into()];
        params.extend(match_params(record));
        self.write_tx(|tx| {
            tx.query(
                &format!(
                    "INSERT INTO reviews (at, reason, state, {MATCH_COLUMNS})
                     VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
                ),
                &params,
            )?
            .first()
            .map(|r| r.int(0))
            .transpose()?
            .flatten()
            .ok_or_else(|| Error::backend("review after insert"))
        })
    }

    /// Reviews of a tenant in a state (`open`, `confirmed`, `rejected`), or
    /// all states.
    pub fn reviews(&self, tenant: &str, state: Option<&str>) -> Result<Vec<Review>, Error> {
        self.read_tx(|tx| {
            tx
                .query(
                    &format!(
                        "SELECT {REVIEW_COLUMNS}, {MATCH_COLUMNS} FROM reviews
                         WHERE tenant = ? AND (CAST(? AS TEXT) IS NULL OR state = ?) ORDER BY id LIMIT 1000"
                    ),
                    &[tenant.into(), state.into(), state.into()],
                )?
                .iter()
                .map(row_to_review)
                .collect::<Result<_, _>>()
        })
    }

    /// Decides an open review: `confirmed` or `rejected`.
    pub fn decide_review(
        &self,
        tenant: &str,
        id: i64,
        state: &str,
        by: &str,
    ) -> Result<Review, Error> {
        self.write_tx(|tx| {
            tx.query(
                &format!(
                    "UPDATE reviews SET state = ?, decided_by = ?, decided_at = ?
                     WHERE id = ? AND tenant = ? AND state = 'open'
                     RETURNING {REVIEW_COLUMNS}, {MATCH_COLUMNS}"
                ),
                &[
                    state.into(),
                    by.into(),
                    unix_now().into(),
                    id.into(),
                    tenant.into(),
                ],
            )?
            .first()
            .map(row_to_review)
            .transpose()?
            .ok_or_else(|| not_found(format!("open review with id {id}")))
        })
    }

    // Webhook deliveries.

    /// Queues a webhook delivery, due now.
    pub fn enqueue_delivery(&self, bank: &str, hook: &Webhook, body: &str) -> Result<i64, Error> {
        self.write_tx(|tx| {
            tx.query(
                "INSERT INTO deliveries
                     (at, bank, url, secret, body, attempts, next_at, state, bank_id)
                 VALUES (?, ?, ?, ?, ?, 0, ?, 'pending',
                         (SELECT id FROM banks WHERE name = CAST(? AS TEXT)))
                 RETURNING id",
                &[
                    unix_now().into(),
                    bank.into(),
                    hook.url.as_str().into(),
                    hook.secret.as_str().into(),
                    body.into(),
                    unix_now().into(),
                    bank.into(),
                ],
            )?
            .first()
            .map(|r| r.int(0))
            .transpose()?
            .flatten()
            .ok_or_else(|| Error::backend("delivery after insert"))
        })
    }

    /// Claims up to `limit` pending deliveries that are due, pushing their
    /// next attempt `lease` seconds ahead so that another node does not
    /// send them at the same time.
    pub fn claim_deliveries(&self, limit: i64, lease: i64) -> Result<Vec<Delivery>, Error> {
        let now = unix_now();
        self.write_tx(|tx| {
            let due = tx.query(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries
                     WHERE state = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?"
                ),
                &[now.into(), limit.into()],
            )?;
            for d in &due {
                tx.exec(
                    "UPDATE deliveries SET next_at = ? WHERE id = ?",
                    &[(now + lease).into(), d.int(0)?.into()],
                )?;
            }
            due.iter().map(row_to_delivery).collect::<Result<_, _>>()
        })
    }

    /// Records an attempt: delivered, or failed and due again at `retry_at`
    /// (`None`: out of attempts, to the dead-letter list).
    pub fn delivery_attempted(
        &self,
        id: i64,
        error: Option<&str>,
        retry_at: Option<i64>,
    ) -> Result<(), Error> {
        let state = match (error, retry_at) {
            (None, _) => "delivered",
            (Some(_), Some(_)) => "pending",
            (Some(_), None) => "dead",
        };
        self.write_tx(|tx| {
            tx.exec(
                "UPDATE deliveries SET attempts = attempts + 1, state = ?, last_error = ?,
                        next_at = ? WHERE id = ?",
                &[
                    state.into(),
                    error.into(),
                    retry_at.unwrap_or(0).into(),
                    id.into(),
                ],
            )?;
            Ok(())
        })
    }

    /// Deliveries in a state, for banks in `banks` (by their names now;
    /// a deleted bank's deliveries belong to no bank).
    pub fn deliveries(&self, state: &str, banks: &[String]) -> Result<Vec<Delivery>, Error> {
        let all = self.read_tx(|tx| {
            tx.query(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries
                         WHERE state = ? AND bank_id IN (SELECT id FROM banks)
                         ORDER BY id LIMIT 10000"
                ),
                &[state.into()],
            )?
            .iter()
            .map(row_to_delivery)
            .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(all
            .into_iter()
            .filter(|d| banks.contains(&d.bank))
            .collect())
    }

    /// Puts a dead delivery back in the queue, due now, with fresh attempts.
    pub fn replay_delivery(&self, id: i64) -> Result<(), Error> {
        self.write_tx(|tx| {
            let n = tx.exec(
                "UPDATE deliveries SET state = 'pending', attempts = 0, next_at = ?
                 WHERE id = ? AND state = 'dead'",
                &[unix_now().into(), id.into()],
            )?;
            if n == 0 {
                return Err(not_found(format!("dead delivery with id {id}")));
            }
            Ok(())
        })
    }
}
