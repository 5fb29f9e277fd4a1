//! API keys: the `Caller` extractor and role checks.
//!
//! A key comes in `Authorization: Bearer <key>` or `X-API-Key: <key>`. Keys
//! are looked up by the SHA-256 of the secret and cached for a second, so a
//! revoked key stops working on every node within a second without a
//! database round trip per request.

use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use hashwatch_store::{ApiKey, Role};

use crate::error::ApiError;
use crate::state::AppState;

/// How long a key read from the store is trusted.
const KEY_CACHE: Duration = Duration::from_secs(1);

/// The key a request was made with.
#[derive(Debug, Clone)]
pub struct Caller(pub ApiKey);

impl Caller {
    /// Refuses callers whose role is below `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.0.role >= role {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "this needs a key with role {} or above; this key is {}",
                    role.name(),
                    self.0.role.name()
                ),
            ))
        }
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

fn secret_of(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get("x-api-key") {
        return v.to_str().ok().map(str::trim);
    }
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    v.strip_prefix("Bearer ").map(str::trim)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let Some(secret) = secret_of(&parts.headers) else {
            return Err(unauthorized(
                "an API key is required: send it as 'Authorization: Bearer <key>' (hashwatch key create makes one)",
            ));
        };
        let key = key_for(state, secret.to_string()).await?;
        let Some(key) = key else {
            return Err(unauthorized("this API key is unknown or revoked"));
        };
        rate_limit(state, &key)?;
        Ok(Caller(key))
    }
}

/// The caller on routes open to the public: `None` without a key, the key
/// when a valid one came, an error for an unknown or revoked one.
pub async fn optional_caller(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<ApiKey>, ApiError> {
    let Some(secret) = secret_of(headers) else {
        return Ok(None);
    };
    match key_for(state, secret.to_string()).await? {
        Some(key) => {
            rate_limit(state, &key)?;
            Ok(Some(key))
        }
        None => Err(unauthorized("this API key is unknown or revoked")),
    }
}

async fn key_for(state: &AppState, secret: String) -> Result<Option<ApiKey>, ApiError> {
    {
        let cache = state.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((key, at)) = cache.get(&secret) {
            if at.elapsed() < KEY_CACHE {
                return Ok(key.clone());
            }
        }
    }
    let lookup = secret.clone();
    let key = state
        .db(move |s| Ok(s.records().key_for_secret(&lookup)?))
        .await?;
    let mut cache = state.keys.lock().unwrap_or_else(|p| p.into_inner());
    // Unknown secrets are cached too (briefly), but the cache must not grow
    // without bound under a stream of made-up keys.
    if cache.len() > 10_000 {
        cache.retain(|_, (_, at)| at.elapsed() < KEY_CACHE);
    }
    cache.insert(secret, (key.clone(), Instant::now()));
    Ok(key)
}

/// A token bucket per key: `rate_limit` requests a second, with bursts of
/// the same size.
fn rate_limit(state: &AppState, key: &ApiKey) -> Result<(), ApiError> {
    let rate = f64::from(state.config.rate_limit);
    if rate <= 0.0 {
        return Ok(());
    }
    if take_token(&state.buckets, key.id, rate, rate) {
        Ok(())
    } else {
        state.metrics.rate_limited();
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "this key may make {} requests a second; slow down",
                state.config.rate_limit
            ),
        );
        e.retry_after = Some(1);
        Err(e)
    }
}

/// Takes a token from `key`'s bucket (holding up to `capacity`, refilled at
/// `per_second`); false when it is empty. A map grown past 100,000 keys
/// (a flood of made-up ones) starts over rather than grow without bound.
pub fn take_token<K: std::hash::Hash + Eq>(
    buckets: &std::sync::Mutex<std::collections::HashMap<K, (f64, Instant)>>,
    key: K,
    capacity: f64,
    per_second: f64,
) -> bool {
    let mut buckets = buckets.lock().unwrap_or_else(|p| p.into_inner());
    if buckets.len() > 100_000 {
        buckets.clear();
    }
    let now = Instant::now();
    let (tokens, last) = buckets.entry(key).or_insert((capacity, now));
    *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * per_second).min(capacity);
    *last = now;
    if *tokens >= 1.0 {
        *tokens -= 1.0;
        true
    } else {
        false
    }
}
