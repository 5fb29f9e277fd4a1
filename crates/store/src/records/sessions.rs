//! Web interface sessions and the per-key interface preferences. Only a
//! session secret's SHA-256 is stored; a session works while it is
//! unexpired, not signed out, and its key is not revoked.

use super::*;

const SESSION_COLUMNS: &str = "s.id, s.csrf, s.created_at, s.expires_at,
    k.id, k.tenant, k.name, k.role, k.created_at, k.revoked_at,
    COALESCE(p.reveal_previews, 0), s.viewed";

fn row_to_session(r: &Row) -> Result<UiSession, Error> {
    let names = r.req_text(7)?;
    Ok(UiSession {
        id: r.req_int(0)?,
        csrf: r.req_text(1)?,
        created_at: r.req_int(2)?,
        expires_at: r.req_int(3)?,
        key: ApiKey {
            id: r.req_int(4)?,
            tenant: r.req_text(5)?,
            name: r.req_text(6)?,
            roles: Roles::parse(&names)
                .map_err(|bad| Error::backend(format!("key with unknown role {bad:?}")))?,
            created_at: r.req_int(8)?,
            revoked_at: r.int(9)?,
        },
        reveal_previews: r.req_int(10)? != 0,
        viewed: r.req_int(11)?,
    })
}

fn randomness(e: impl std::fmt::Display) -> Error {
    Error::backend(format!("no randomness: {e}"))
}

impl Records<'_> {
    /// Opens a session for an active key, valid for `lifetime` seconds;
    /// returns it with its secret, which only the browser keeps.
    pub fn create_session(&self, key_id: i64, lifetime: i64) -> Result<(UiSession, String), Error> {
        let secret = format!("hws_{}", random_hex(32).map_err(randomness)?);
        let csrf = random_hex(32).map_err(randomness)?;
        let hash = KeySecret::hash_of(&secret);
        let now = unix_now();
        let session = self.write_tx(|tx| {
            let active = !tx
                .query(
                    "SELECT id FROM api_keys WHERE id = ? AND revoked_at IS NULL",
                    &[key_id.into()],
                )?
                .is_empty();
            if !active {
                return Err(not_found(format!("active key with id {key_id}")));
            }
            tx.query(
                "INSERT INTO ui_sessions (secret_hash, csrf, key_id, created_at, expires_at)
                 VALUES (?, ?, ?, ?, ?)",
                &[
                    hash.as_str().into(),
                    csrf.as_str().into(),
                    key_id.into(),
                    now.into(),
                    now.saturating_add(lifetime).into(),
                ],
            )?;
            // Read back whatever its lifetime: a session made already
            // expired is still made.
            session_where(tx, "s.secret_hash = ?", hash.as_str().into(), i64::MIN)?
                .ok_or_else(|| Error::backend("session after insert"))
        })?;
        Ok((session, secret))
    }

    /// The working session with this secret.
    pub fn session_for_secret(&self, secret: &str) -> Result<Option<UiSession>, Error> {
        let hash = KeySecret::hash_of(secret);
        self.read_tx(|tx| session_where(tx, "s.secret_hash = ?", hash.as_str().into(), unix_now()))
    }

    /// Ends a session at once (signing out). Ending one already ended is
    /// not an error.
    pub fn end_session(&self, id: i64) -> Result<(), Error> {
        self.write_tx(|tx| {
            tx.query(
                "UPDATE ui_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                &[unix_now().into(), id.into()],
            )?;
            Ok(())
        })
    }

    /// Counts one more item viewed in a session; returns the new count.
    pub fn count_view(&self, id: i64) -> Result<i64, Error> {
        self.write_tx(|tx| {
            tx.query(
                "UPDATE ui_sessions SET viewed = viewed + 1 WHERE id = ? RETURNING viewed",
                &[id.into()],
            )?
            .first()
            .map(|r| r.req_int(0))
            .transpose()?
            .ok_or_else(|| not_found(format!("session {id}")))
        })
    }

    /// Whether a key's user sees previews unblurred without a click.
    pub fn set_reveal_previews(&self, key_id: i64, reveal: bool) -> Result<(), Error> {
        self.write_tx(|tx| {
            tx.query(
                "INSERT INTO ui_preferences (key_id, reveal_previews) VALUES (?, ?)
                 ON CONFLICT (key_id) DO UPDATE SET reveal_previews = excluded.reveal_previews",
                &[key_id.into(), i64::from(reveal).into()],
            )?;
            Ok(())
        })
    }

    /// Deletes sessions that ended before `before` (unix time); returns
    /// how many.
    pub fn purge_sessions(&self, before: i64) -> Result<u64, Error> {
        self.write_tx(|tx| ended(tx, before))
    }
}

/// Deletes sessions that ended before `before`, inside a transaction.
pub(super) fn ended(tx: &mut dyn SqlTx, before: i64) -> Result<u64, Error> {
    let rows = tx.query(
        "DELETE FROM ui_sessions WHERE expires_at < ? OR revoked_at < ? RETURNING id",
        &[before.into(), before.into()],
    )?;
    Ok(rows.len() as u64)
}

/// The live session matching `condition`, unexpired at `now`.
fn session_where(
    tx: &mut dyn SqlTx,
    condition: &str,
    value: Param,
    now: i64,
) -> Result<Option<UiSession>, Error> {
    tx.query(
        &format!(
            "SELECT {SESSION_COLUMNS} FROM ui_sessions s
             JOIN api_keys k ON k.id = s.key_id
             LEFT JOIN ui_preferences p ON p.key_id = s.key_id
             WHERE {condition} AND s.revoked_at IS NULL AND k.revoked_at IS NULL
               AND s.expires_at > ?"
        ),
        &[value, now.into()],
    )?
    .first()
    .map(row_to_session)
    .transpose()
}
