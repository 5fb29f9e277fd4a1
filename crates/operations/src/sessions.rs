//! The web interface's sessions: opened with an API key, closed, and the
//! preferences of the key behind them; each change audited in the key's
//! tenant.

use hashwatch_model::{AuditAction, UiSession};
use serde_json::json;

use crate::{Caller, Kind, OpError, OpResult, Operations, Principal};

/// How long a web session lasts, and when the interface suggests a break
/// to someone looking at previews.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// How long a session lasts after signing in.
    pub lifetime: std::time::Duration,
    /// Previews one may load in a session before the interface suggests a
    /// break (0: never).
    pub break_after: i64,
}

impl SessionPolicy {
    /// [`SessionPolicy::lifetime`] in seconds.
    pub fn lifetime_seconds(&self) -> i64 {
        i64::try_from(self.lifetime.as_secs()).unwrap_or(i64::MAX)
    }

    /// Whether the interface suggests a break with the `viewed`th preview
    /// of a session.
    pub fn suggests_break(&self, viewed: i64) -> bool {
        self.break_after > 0 && viewed >= self.break_after
    }
}

/// The key behind a caller: sessions belong to keys.
fn key_of(caller: &Caller) -> OpResult<&hashwatch_model::ApiKey> {
    match &caller.principal {
        Principal::Key(key) => Ok(key),
        Principal::Operator => Err(OpError::new(
            Kind::Forbidden,
            "forbidden",
            "web interface sessions are opened with an API key",
        )),
    }
}

impl Operations {
    /// Opens a session of `lifetime` seconds for the caller's key;
    /// answers it with its secret (the cookie), which is never stored.
    pub fn sign_in(&self, caller: &Caller, lifetime: i64) -> OpResult<(UiSession, String)> {
        let key = key_of(caller)?;
        Ok(self.records().write(|r| {
            let (session, secret) = r.create_session(key.id, lifetime)?;
            r.audit(&[self.audit_row(
                caller,
                AuditAction::UiSignIn,
                None,
                Some(format!("session:{}", session.id)),
                json!({"expires_at": session.expires_at}),
            )])?;
            Ok((session, secret))
        })?)
    }

    /// The live session with this secret, with its key.
    pub fn session_for_secret(&self, secret: &str) -> OpResult<Option<UiSession>> {
        Ok(self.records().session_for_secret(secret)?)
    }

    /// Ends one of the caller's sessions.
    pub fn sign_out(&self, caller: &Caller, session: i64) -> OpResult<()> {
        key_of(caller)?;
        Ok(self.records().write(|r| {
            r.end_session(session)?;
            r.audit(&[self.audit_row(
                caller,
                AuditAction::UiSignOut,
                None,
                Some(format!("session:{session}")),
                json!({}),
            )])
        })?)
    }

    /// Whether previews open unblurred for the caller's key.
    pub fn set_reveal_previews(&self, caller: &Caller, reveal: bool) -> OpResult<()> {
        let key = key_of(caller)?;
        Ok(self.records().write(|r| {
            r.set_reveal_previews(key.id, reveal)?;
            r.audit(&[self.audit_row(
                caller,
                AuditAction::UiPreferences,
                None,
                None,
                json!({"reveal_previews": reveal}),
            )])
        })?)
    }
}
