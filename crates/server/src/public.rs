//! The routes anyone may call without a key (public reports and appeals):
//! refused by size, rate and concurrency (overall and per address) before
//! their body is read, and given a short deadline to send it.

use std::net::IpAddr;

use axum::body::Bytes;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::request::json_body;
use crate::state::AppState;
use hashwatch_model::ApiKey;

/// Largest report or appeal body.
pub const MAX_PUBLIC_BYTES: usize = 16 << 10;

/// Every route answered without a key: the liveness probe, and the
/// public routes (reports, appeals and the report page's form), which the
/// gate below guards. Every other route refuses a request without a key.
pub const OPEN_ROUTES: [(&str, &str); 4] = [
    ("GET", "/status/live"),
    ("POST", "/hotline/reports"),
    ("POST", "/hotline/appeals"),
    ("POST", "/report"),
];

/// Who sent a public request, as [`gate`] found before reading it: a
/// partner hotline's key, or nobody in particular.
#[derive(Debug, Clone)]
pub struct PublicClient(pub Option<ApiKey>);

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("a report or appeal is at most {MAX_PUBLIC_BYTES} bytes"),
    )
}

/// In front of the public routes: a declared size over the limit, a
/// client over its rate, an address with too many requests under way and
/// a full house are answered before a byte of the body is read; the body
/// let in must then arrive within `body_timeout` and the limit (a body
/// without a declared size is cut off at the limit).
pub async fn gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let public = request.method() == Method::POST
        && request.extensions().get::<MatchedPath>().is_some_and(|p| {
            OPEN_ROUTES
                .iter()
                .any(|(method, path)| *method == "POST" && *path == p.as_str())
        });
    if !public {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_PUBLIC_BYTES as u64) {
        return too_large().into_response();
    }
    let client = auth::client_of(&state, request.extensions(), request.headers());
    // A key is checked here, before the body is read: a made-up one is
    // refused (and counted against the address), and only a partner's
    // escapes the per-address limit.
    let partner = match auth::optional_caller(&state, client, request.headers()).await {
        Ok(key) => key.filter(|k| state.policy.reports_as_partner(k)),
        Err(e) => return e.into_response(),
    };
    if partner.is_none() {
        if let Err(e) = rate_limit(&state, client) {
            return e.into_response();
        }
    }
    // One address takes a few of the slots at most, so that slow senders
    // from one place cannot hold them all.
    let Some(_from_client) = InFlight::enter(&state, client) else {
        return busy("this address has too many reports under way; try again shortly")
            .into_response();
    };
    let Ok(_permit) = state.public_permits.clone().try_acquire_owned() else {
        return busy("too many reports are being taken at once; try again shortly").into_response();
    };
    // The body must come soon: a slot is for taking a report, not for
    // waiting on a sender.
    let (parts, body) = request.into_parts();
    let body = match receive(body, state.config.public.body_timeout).await {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    let mut request = Request::from_parts(parts, axum::body::Body::from(body));
    request.extensions_mut().insert(PublicClient(partner));
    next.run(request).await
}

fn busy(message: &str) -> ApiError {
    let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message);
    e.retry_after = Some(5);
    e
}

/// A public body, read whole within `deadline` and at most
/// [`MAX_PUBLIC_BYTES`].
async fn receive(body: axum::body::Body, deadline: std::time::Duration) -> ApiResult<Bytes> {
    use futures_util::StreamExt;
    let read = async {
        let mut stream = body.into_data_stream();
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::bad_request(
                    "unreadable_body",
                    format!("the body could not be read: {e}"),
                )
            })?;
            if out.len() + chunk.len() > MAX_PUBLIC_BYTES {
                return Err(too_large());
            }
            out.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(out))
    };
    tokio::time::timeout(deadline, read)
        .await
        .unwrap_or_else(|_| {
            Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "slow_body",
                format!(
                    "the body did not arrive within {} s; send it with the request",
                    deadline.as_secs_f64()
                ),
            ))
        })
}

/// A public request under way from one client address, counted until
/// it is answered.
struct InFlight {
    state: AppState,
    client: Option<IpAddr>,
}

impl InFlight {
    /// Counts a request from `client`, or `None` when the address has
    /// `per_address` under way already. Requests without a known address
    /// (made in process) are not counted.
    fn enter(state: &AppState, client: Option<IpAddr>) -> Option<InFlight> {
        if let Some(ip) = client {
            let mut counts = state
                .public_in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let count = counts.entry(ip).or_insert(0);
            if *count >= state.config.public.per_address.max(1) {
                return None;
            }
            *count += 1;
        }
        Some(InFlight {
            state: state.clone(),
            client,
        })
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let Some(ip) = self.client else {
            return;
        };
        let mut counts = self
            .state
            .public_in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&ip);
            }
        }
    }
}

/// How much the public may send: reports and appeals a minute per client
/// address, and at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicLimits {
    /// Reports and appeals a minute per client address, in bursts of the
    /// same size (0: no limit).
    pub reports_per_minute: u32,
    /// Reports and appeals answered at once; more get 503.
    pub concurrency: usize,
    /// Of those, how many one client address may have at once.
    pub per_address: usize,
    /// Time for a report's or appeal's body to arrive once its request
    /// is let in (408 after it), so that slow senders free their slots.
    pub body_timeout: std::time::Duration,
}

/// `reports_per_minute` per client, in bursts of the same size.
fn rate_limit(state: &AppState, client: Option<IpAddr>) -> ApiResult<()> {
    let per_minute = f64::from(state.config.public.reports_per_minute);
    let Some(client) = client else {
        return Ok(());
    };
    if per_minute <= 0.0
        || state
            .report_buckets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take(client, per_minute, per_minute / 60.0)
    {
        return Ok(());
    }
    Err(auth::rate_limited(
        state,
        None,
        format!(
            "this address may send {} reports a minute; try again later",
            state.config.public.reports_per_minute
        ),
        60,
    ))
}

/// A public body, read after [`gate`] let it through: the partner's key
/// when one came, and the JSON.
pub fn public_body<T: serde::de::DeserializeOwned>(
    client: PublicClient,
    headers: &HeaderMap,
    body: &Bytes,
) -> ApiResult<(Option<ApiKey>, T)> {
    let caller = client.0;
    if body.len() > MAX_PUBLIC_BYTES {
        return Err(too_large());
    }
    let parsed = json_body(headers, body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    Ok((caller, parsed))
}
