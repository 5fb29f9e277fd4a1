//! API keys: only a secret's hash is stored.

use super::*;

const KEY_COLUMNS: &str = "id, tenant, name, role, created_at, revoked_at";

fn row_to_key(r: &Row) -> Result<ApiKey, Error> {
    Ok(ApiKey {
        id: r.req_int(0)?,
        tenant: r.req_text(1)?,
        name: r.req_text(2)?,
        roles: {
            let names = r.req_text(3)?;
            Roles::parse(&names)
                .map_err(|bad| Error::backend(format!("key with unknown role {bad:?}")))?
        },
        created_at: r.req_int(4)?,
        revoked_at: r.int(5)?,
    })
}

impl Records<'_> {
    /// Creates a key; returns it with its secret, which is shown once and
    /// never stored.
    pub fn create_key(
        &self,
        tenant: &str,
        name: &str,
        roles: Roles,
    ) -> Result<(ApiKey, String), Error> {
        if roles.is_empty() {
            return Err(Error::new(ErrorKind::Invalid(
                "a key needs at least one role".to_string(),
            )));
        }
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
                    roles.to_string().into(),
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
}
