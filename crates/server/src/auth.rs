//! API keys: the `Caller` extractor and role checks.
//!
//! A key comes in `Authorization: Bearer <key>` or `X-API-Key: <key>`. Keys
//! are looked up by the SHA-256 of the secret and cached for a second, so a
//! revoked key stops working on every node within a second without a
//! database round trip per request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, StatusCode};
use hashwatch_access::limits;
use hashwatch_access::{BankAction, Denied, HotlineAction};
use hashwatch_model::{ApiKey, KeySecret};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How long a key read from the store is trusted.
const KEY_CACHE: Duration = Duration::from_secs(1);

/// The key a request was made with, and the permission model that decides
/// what it may do. Handlers ask it before anything else; none compares
/// roles or tenants itself.
#[derive(Debug, Clone)]
pub struct Caller(pub ApiKey, pub Arc<hashwatch_access::Policy>);

/// A refusal as the API answers it: a bank the key may not see does not
/// exist (404), anything else is forbidden (403).
pub fn refused(denied: Denied) -> ApiError {
    ApiError::from(hashwatch_operations::OpError::from(denied))
}

impl Caller {
    /// The caller as the operations see it, coming in through the API.
    pub fn op(&self) -> hashwatch_operations::Caller {
        hashwatch_operations::Caller::key(self.0.clone(), hashwatch_operations::Way::Api)
    }

    /// Requests about the tenant's banks as a whole (see
    /// [`hashwatch_access::Policy::tenant`]).
    pub fn may(&self, action: BankAction) -> ApiResult<()> {
        self.1.tenant(&self.0, action).map_err(refused)
    }

    /// The stored name of the bank the caller means by `given` (bank
    /// names are per tenant).
    pub fn bank_name(&self, given: &str) -> String {
        self.1.bank_name(&self.0, given)
    }

    /// How bank `name` (as stored) is called in answers to the caller.
    pub fn bank_label(&self, name: &str) -> String {
        self.1.bank_label(&self.0, name)
    }

    /// Legal holds of `kind`.
    pub fn may_hold(&self, kind: hashwatch_model::HoldKind) -> ApiResult<()> {
        self.1.hold(&self.0, kind).map_err(refused)
    }

    /// Legal holds of some kind (listing and releasing them; each hold is
    /// then checked by its own kind).
    pub fn may_hold_any(&self) -> ApiResult<()> {
        self.may_hold(hashwatch_model::HoldKind::Bank)
            .or_else(|_| self.may_hold(hashwatch_model::HoldKind::Case))
    }

    /// A hotline route.
    pub fn hotline(&self, action: HotlineAction) -> ApiResult<()> {
        self.1.hotline(&self.0, action).map_err(refused)
    }

    /// Whether the key supervises the hotline (for the four-eyes rule).
    pub fn supervises(&self) -> bool {
        self.1.hotline(&self.0, HotlineAction::Supervise).is_ok()
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

/// What a request says about its key.
#[derive(Debug, PartialEq, Eq)]
enum Presented<'a> {
    /// No key header at all.
    Nothing,
    /// A key, to be looked up.
    Secret(&'a str),
    /// A key header that is not `Authorization: Bearer <key>` or
    /// `X-API-Key: <key>` (another scheme, an empty key, bytes that are
    /// not text): a key came and cannot be read, which is refused, never
    /// taken as no key.
    Malformed,
}

/// A header's text, trimmed, when it has any.
fn readable(v: &axum::http::HeaderValue) -> Option<&str> {
    v.to_str().ok().map(str::trim).filter(|s| !s.is_empty())
}

fn presented(headers: &HeaderMap) -> Presented<'_> {
    if let Some(v) = headers.get("x-api-key") {
        return readable(v).map_or(Presented::Malformed, Presented::Secret);
    }
    let Some(v) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Presented::Nothing;
    };
    // The scheme's name is case-insensitive (RFC 9110, 11.1).
    let secret = readable(v).and_then(|v| {
        let (scheme, rest) = v.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| rest.trim())
            .filter(|s| !s.is_empty())
    });
    secret.map_or(Presented::Malformed, Presented::Secret)
}

fn malformed() -> ApiError {
    unauthorized(
        "the key header cannot be read: send the key as 'Authorization: Bearer <key>' or \
         'X-API-Key: <key>'",
    )
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let client = client_of(state, &parts.extensions, &parts.headers);
        let secret = match presented(&parts.headers) {
            Presented::Secret(secret) => secret,
            Presented::Nothing => {
                return Err(unauthorized(
                    "an API key is required: send it as 'Authorization: Bearer <key>' (hashwatch key create makes one)",
                ))
            }
            Presented::Malformed => return Err(refuse_malformed(state, client)),
        };
        let key = key_for(state, client, secret).await?;
        // The request counts in its key's tenant's figures from here on,
        // a refusal by the rate limit too.
        if let Some(slot) = parts.extensions.get::<RequestTenant>() {
            let _ = slot.0.set(key.tenant.clone());
        }
        rate_limit(state, &key)?;
        Ok(Caller(key, state.policy.clone()))
    }
}

/// Where a request's key's tenant is noted once the key is known, for
/// the metrics: put in the request's extensions by the layer that counts
/// requests, read back when the answer is out.
#[derive(Debug, Clone, Default)]
pub struct RequestTenant(pub Arc<std::sync::OnceLock<String>>);

/// Whether the request carries the operator's metrics token
/// (`--metrics-token-file`), which opens `/metrics` for the whole
/// instance and nothing else. Digests are compared, so the comparison
/// tells nothing of the token.
pub fn presents_metrics_token(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(expected) = &state.config.metrics_token else {
        return false;
    };
    let Presented::Secret(given) = presented(headers) else {
        return false;
    };
    KeySecret::hash_of(given) == KeySecret::hash_of(expected)
}

/// The bucket a request's client counts in: its address (or, behind a
/// trusted proxy, the forwarded one), IPv6 by /64. `None` when the
/// connection's address is not known (requests made in process).
pub fn client_of(state: &AppState, extensions: &Extensions, headers: &HeaderMap) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    // Every X-Forwarded-For line, in order: a proxy may add its own line
    // after one the client wrote.
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or("unreadable"))
        .collect();
    let forwarded = (!forwarded.is_empty()).then(|| forwarded.join(","));
    Some(limits::bucket_of(limits::client_address(
        peer,
        forwarded.as_deref(),
        &state.config.trusted_proxies,
    )))
}

/// Whether a presented secret has the shape of one `hashwatch key create`
/// makes. Anything else is refused without a database query.
fn well_formed(secret: &str) -> bool {
    secret.len() == 51
        && secret.starts_with("hw_")
        && secret[3..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The caller on routes open to the public: `None` without a key, the key
/// when a valid one came, an error for an unknown or revoked one.
pub async fn optional_caller(
    state: &AppState,
    client: Option<IpAddr>,
    headers: &HeaderMap,
) -> Result<Option<ApiKey>, ApiError> {
    let secret = match presented(headers) {
        Presented::Nothing => return Ok(None),
        Presented::Malformed => return Err(refuse_malformed(state, client)),
        Presented::Secret(secret) => secret,
    };
    let key = key_for(state, client, secret).await?;
    rate_limit(state, &key)?;
    Ok(Some(key))
}

/// A key header that cannot be read counts as a failed authentication
/// (it may be a guess in another shape), and says how to send a key.
fn refuse_malformed(state: &AppState, client: Option<IpAddr>) -> ApiError {
    let failed = count_failure(state, client);
    if failed.status == StatusCode::UNAUTHORIZED {
        malformed()
    } else {
        failed
    }
}

/// Counts a failed authentication against the client: 401 while it has
/// failures left, 429 after.
fn count_failure(state: &AppState, client: Option<IpAddr>) -> ApiError {
    let per_second = f64::from(state.config.auth_failure_rate) / 60.0;
    let allowed = match client.filter(|_| per_second > 0.0) {
        Some(ip) => state
            .auth_failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take(ip, AUTH_FAILURE_BURST, per_second),
        None => true,
    };
    if allowed {
        unauthorized("this API key is unknown or revoked")
    } else {
        rate_limited(
            state,
            None,
            "too many failed authentications from this address; try again later",
            60,
        )
    }
}

/// The active key with this secret. Failed attempts are limited per
/// client: past the limit, an address gets 429 without a lookup.
pub async fn key_for(
    state: &AppState,
    client: Option<IpAddr>,
    secret: &str,
) -> Result<ApiKey, ApiError> {
    let per_second = f64::from(state.config.auth_failure_rate) / 60.0;
    let limited = client.filter(|_| per_second > 0.0);
    let failing = |state: &AppState| count_failure(state, client);
    if !well_formed(secret) {
        return Err(failing(state));
    }
    let known_good = {
        let cache = state.keys.lock().unwrap_or_else(|p| p.into_inner());
        match cache.get(secret) {
            Some((key, at)) if at.elapsed() < KEY_CACHE => {
                return key.clone().ok_or_else(|| failing(state));
            }
            // A key that worked before is looked up again (it may have been
            // revoked) even from an address that failed too often, so that
            // made-up keys sent from behind the same NAT lock no one out.
            Some((key, _)) => key.is_some(),
            None => false,
        }
    };
    if let (Some(ip), false) = (limited, known_good) {
        // An address that has used up its failures is not looked up at all.
        let exhausted = state
            .auth_failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_exhausted(&ip, AUTH_FAILURE_BURST, per_second);
        if exhausted {
            return Err(failing(state));
        }
    }
    let lookup = secret.to_string();
    let key = state
        .op(move |ops| Ok(ops.key_for_secret(&lookup)?))
        .await?;
    let mut cache = state.keys.lock().unwrap_or_else(|p| p.into_inner());
    // Unknown secrets are cached too (briefly), but the cache must not grow
    // without bound under a stream of made-up keys.
    if cache.len() > 10_000 {
        // Keys that worked are kept (there are only as many as were made),
        // so that a flood of made-up ones does not make them unknown.
        cache.retain(|_, (key, at)| key.is_some() || at.elapsed() < KEY_CACHE);
    }
    cache.insert(secret.to_string(), (key.clone(), Instant::now()));
    drop(cache);
    key.ok_or_else(|| failing(state))
}

/// Failed authentications allowed per client before the rate applies.
const AUTH_FAILURE_BURST: f64 = 20.0;

/// A token bucket per key: `rate_limit` requests a second, with bursts of
/// the same size.
pub fn rate_limit(state: &AppState, key: &ApiKey) -> Result<(), ApiError> {
    let rate = f64::from(state.config.rate_limit);
    if rate <= 0.0 {
        return Ok(());
    }
    let allowed = state
        .buckets
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take(key.id, rate, rate);
    if allowed {
        Ok(())
    } else {
        Err(rate_limited(
            state,
            Some(&key.tenant),
            format!(
                "this key may make {} requests a second; slow down",
                state.config.rate_limit
            ),
            1,
        ))
    }
}

/// A 429 with when to try again, counted in the metrics: every limit
/// answers this way.
pub fn rate_limited(
    state: &AppState,
    tenant: Option<&str>,
    message: impl Into<String>,
    retry_after: u64,
) -> ApiError {
    state.metrics.rate_limited(tenant);
    let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
    e.retry_after = Some(retry_after);
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_bytes(v).expect("a header value"));
        }
        h
    }

    #[test]
    fn a_key_header_is_read_or_refused_never_ignored() {
        assert_eq!(presented(&headers(&[])), Presented::Nothing);
        for (name, value, expected) in [
            (
                "authorization",
                &b"Bearer hw_1"[..],
                Presented::Secret("hw_1"),
            ),
            ("authorization", b"bearer  hw_1 ", Presented::Secret("hw_1")),
            ("x-api-key", b" hw_1", Presented::Secret("hw_1")),
            ("authorization", b"Basic dXNlcjpwYXNz", Presented::Malformed),
            ("authorization", b"Bearer ", Presented::Malformed),
            ("authorization", b"Bearer", Presented::Malformed),
            ("authorization", b"Token hw_1", Presented::Malformed),
            ("authorization", b"", Presented::Malformed),
            ("authorization", b"Bearer \xff", Presented::Malformed),
            ("x-api-key", b"", Presented::Malformed),
            ("x-api-key", b"\xfe", Presented::Malformed),
        ] {
            assert_eq!(
                presented(&headers(&[(name, value)])),
                expected,
                "{name}: {value:?}"
            );
        }
        // X-API-Key is read first, as before.
        assert_eq!(
            presented(&headers(&[
                ("x-api-key", b"hw_2"),
                ("authorization", b"Basic x")
            ])),
            Presented::Secret("hw_2")
        );
    }
}
