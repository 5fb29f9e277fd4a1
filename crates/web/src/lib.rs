//! hashwatch's web interface, served under `/ui/`, and the public report
//! page at `/report`: a crate of its own over the API crate's state and
//! the operations (`hashwatch serve` mounts [`routes`] beside the API).
//!
//! Pages are rendered on the server (maud templates); the little script
//! there is adds keyboard shortcuts and upload progress, and every page
//! works without it. A browser signs in with an API key and gets a
//! server-side session ([`Session`]): the key's roles and tenant apply to
//! every page through the same [`Caller`] checks as the API, and every
//! change goes through the same operation as its API route, with its
//! audit row in its transaction. Forms carry the session's CSRF token and
//! must come from this origin ([`Posted`]); every answer carries a strict
//! Content-Security-Policy ([`CSP`]).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod assets;
mod banks;
mod dashboard;
mod hotline;
mod layout;
mod records;
mod report;
mod reviews;
pub mod svg;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use hashwatch_model::UiSession;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use hashwatch_server::auth::{self, Caller};
use hashwatch_server::error::ApiError;
use hashwatch_server::state::AppState;

pub use layout::Page;

/// The session cookie's name.
pub const COOKIE: &str = "hashwatch_session";

/// The interface's routes, with their security headers and HTML errors.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/", get(dashboard::home))
        .route("/ui/sign-in", get(sign_in_page).post(sign_in))
        .route("/ui/sign-out", post(sign_out))
        .route("/ui/preferences", post(preferences))
        .route("/ui/assets/{name}", get(assets::serve))
        .route("/ui/hotline", get(hotline::triage))
        .route("/ui/hotline/cases/{id}", get(hotline::case))
        .route("/ui/hotline/cases/{id}/assess", post(hotline::assess))
        .route("/ui/hotline/cases/{id}/preview", get(hotline::preview))
        .route(
            "/ui/hotline/cases/{id}/hashes",
            post(hotline::attach_hashes),
        )
        .route("/ui/hotline/cases/{id}/bank", post(hotline::hashes_to_bank))
        .route("/ui/hotline/appeals", get(hotline::appeals))
        .route("/ui/hotline/appeals/{id}", post(hotline::decide_appeal))
        .route("/ui/reviews", get(reviews::queue))
        .route("/ui/reviews/{id}", post(reviews::decide))
        .route("/ui/banks", get(banks::list).post(banks::create))
        .route("/ui/banks/{name}", get(banks::bank))
        .route("/ui/banks/{name}/import", post(banks::import))
        .route("/ui/banks/{name}/export", get(banks::export))
        .route("/ui/banks/{name}/revoke", post(banks::revoke))
        .route("/ui/banks/{name}/settings", post(banks::settings))
        .route("/ui/audit", get(records::audit))
        .route("/ui/holds", get(records::holds).post(records::place_hold))
        .route("/ui/holds/{id}/release", post(records::release_hold))
        .route("/ui/feeds", get(records::feeds))
        .route("/report", get(report::page).post(report::submit))
        .layer(middleware::from_fn(html_errors))
        .layer(middleware::from_fn(headers))
}

/// The policy every page is served under: nothing from elsewhere, no
/// inline script or style, no framing; WebAssembly may be compiled (the
/// report page hashes in the browser).
pub const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' blob:; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// Security headers on every interface answer. Pages may show case URLs
/// and reports, so none is cached. Referrers stay on this origin (with
/// `no-referrer`, browsers send `Origin: null` on form posts, which
/// [`same_origin`] must refuse).
async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Errors from layers in front of the pages (the body limit, the public
/// routes' gate, timeouts) come as JSON; a person gets a page.
async fn html_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !json || response.status().is_success() {
        return response;
    }
    let status = response.status();
    let retry = response.headers().get(header::RETRY_AFTER).cloned();
    let body = axum::body::to_bytes(response.into_body(), 64 << 10)
        .await
        .unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    let mut page = UiError::Page { status, message }.into_response();
    if let Some(retry) = retry {
        page.headers_mut().insert(header::RETRY_AFTER, retry);
    }
    page
}

/// What a page answers instead of itself.
#[derive(Debug)]
pub enum UiError {
    /// No working session: to the sign-in page, and back after it.
    SignIn {
        /// Where to go after signing in.
        next: String,
    },
    /// An error page with the API's status and message (403 for a page
    /// the key's roles do not reach, 404 for what it may not see).
    Page {
        /// The status.
        status: StatusCode,
        /// What went wrong, for people.
        message: String,
    },
}

impl UiError {
    fn page(status: StatusCode, message: impl Into<String>) -> UiError {
        UiError::Page {
            status,
            message: message.into(),
        }
    }
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> UiError {
        UiError::page(e.status, e.message)
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        match self {
            UiError::SignIn { next } => {
                let target = format!(
                    "/ui/sign-in?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                Redirect::to(&target).into_response()
            }
            UiError::Page { status, message } => {
                let title = match status {
                    StatusCode::FORBIDDEN => "Not allowed".to_string(),
                    StatusCode::NOT_FOUND => "Not found".to_string(),
                    s => s.canonical_reason().unwrap_or("Error").to_string(),
                };
                (status, layout::error_page(&title, &message)).into_response()
            }
        }
    }
}

/// A page's result.
pub type UiResult<T> = Result<T, UiError>;

/// A signed-in browser: its session and the key it acts as.
#[derive(Debug, Clone)]
pub struct Session {
    /// The key's permissions, checked as on the API.
    pub caller: Caller,
    /// The session (its CSRF token, its preview count).
    pub session: UiSession,
}

impl Session {
    /// The caller as the operations see it, coming in through the web
    /// pages.
    pub fn op(&self) -> hashwatch_operations::Caller {
        hashwatch_operations::Caller::key(self.caller.0.clone(), hashwatch_operations::Way::Web)
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for Session {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> UiResult<Session> {
        // Back to the page after signing in; a form posted with a lost
        // session cannot be replayed, so its sign-in leads home.
        let next = match parts.method {
            axum::http::Method::GET => parts.uri.path_and_query().map_or("/ui/", |p| p.as_str()),
            _ => "/ui/",
        }
        .to_string();
        let Some(secret) = cookie(&parts.headers, COOKIE).map(str::to_string) else {
            return Err(UiError::SignIn { next });
        };
        // Only session secrets have this shape; anything else is not
        // looked up.
        if secret.len() != 68 || !secret.starts_with("hws_") {
            return Err(UiError::SignIn { next });
        }
        let session = state
            .op(move |ops| Ok(ops.session_for_secret(&secret)?))
            .await?;
        let Some(session) = session else {
            return Err(UiError::SignIn { next });
        };
        auth::rate_limit(state, &session.key)?;
        Ok(Session {
            caller: Caller(session.key.clone(), state.policy.clone()),
            session,
        })
    }
}

/// A form posted by a signed-in browser: from this origin, with the
/// session's CSRF token, as `application/x-www-form-urlencoded`.
pub struct Posted<T> {
    /// Who posted it.
    pub session: Session,
    /// The form's fields (the token taken out).
    pub form: T,
}

/// Refuses a request another site made the browser send. Browsers send
/// `Origin` (or `Sec-Fetch-Site`) with every POST; a request with
/// neither is not from a browser and carries no ambient cookie risk.
fn same_origin(headers: &HeaderMap) -> UiResult<()> {
    let forbidden = || {
        UiError::page(
            StatusCode::FORBIDDEN,
            "this form came from another site; go back to the page and try again",
        )
    };
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return Err(forbidden());
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let origin_host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .unwrap_or_default();
        if origin_host.is_empty() || origin_host != host {
            return Err(forbidden());
        }
    }
    Ok(())
}

/// Whether two tokens are equal, in time that does not depend on where
/// they differ.
fn tokens_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn csrf_refused() -> UiError {
    UiError::page(
        StatusCode::FORBIDDEN,
        "this form's security token is missing or stale (the page may be from an earlier \
         session); reload the page and try again",
    )
}

/// Largest form a page posts (bank imports are multipart, with their own
/// limit).
const MAX_FORM_BYTES: usize = 64 << 10;

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Posted<T> {
    type Rejection = UiError;

    async fn from_request(request: Request, state: &AppState) -> UiResult<Posted<T>> {
        let (mut parts, body) = request.into_parts();
        let session = Session::from_request_parts(&mut parts, state).await?;
        same_origin(&parts.headers)?;
        let form_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !form_type {
            return Err(UiError::page(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "this page takes forms (application/x-www-form-urlencoded)",
            ));
        }
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| UiError::page(StatusCode::PAYLOAD_TOO_LARGE, "the form is too large"))?;
        check_csrf(&session, &bytes)?;
        let form = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|e| {
            UiError::page(
                StatusCode::BAD_REQUEST,
                format!("the form could not be read: {e}"),
            )
        })?;
        Ok(Posted { session, form })
    }
}

fn check_csrf(session: &Session, body: &Bytes) -> UiResult<()> {
    let fields: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| csrf_refused())?;
    let token = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .ok_or_else(csrf_refused)?;
    if tokens_equal(token, &session.session.csrf) {
        Ok(())
    } else {
        Err(csrf_refused())
    }
}

/// Checks a multipart form's CSRF token (its first field, `csrf`) and
/// origin; returns the rest of the form.
async fn multipart_posted(
    request: Request,
    state: &AppState,
) -> UiResult<(Session, axum::extract::Multipart)> {
    let (mut parts, body) = request.into_parts();
    let session = Session::from_request_parts(&mut parts, state).await?;
    same_origin(&parts.headers)?;
    let request = Request::from_parts(parts, body);
    let mut multipart = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|e| UiError::page(StatusCode::BAD_REQUEST, e.body_text()))?;
    let first = multipart
        .next_field()
        .await
        .map_err(|e| UiError::page(StatusCode::BAD_REQUEST, e.body_text()))?
        .ok_or_else(csrf_refused)?;
    if first.name() != Some("csrf") {
        return Err(csrf_refused());
    }
    let token = first.text().await.map_err(|_| csrf_refused())?;
    if !tokens_equal(&token, &session.session.csrf) {
        return Err(csrf_refused());
    }
    Ok((session, multipart))
}

/// A form with nothing but its token.
#[derive(Deserialize)]
pub(crate) struct Empty {}

/// Where a sign-in may send the browser next: a page of this interface,
/// never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/ui/")
                && !n.starts_with("/ui//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_string()
        }
        _ => "/ui/".to_string(),
    }
}

#[derive(Deserialize)]
struct SignInQuery {
    next: Option<String>,
}

async fn sign_in_page(axum::extract::Query(q): axum::extract::Query<SignInQuery>) -> Page {
    layout::sign_in(&safe_next(q.next.as_deref()), None)
}

#[derive(Deserialize)]
struct SignInForm {
    key: String,
    next: Option<String>,
}

/// `POST /ui/sign-in`: an API key for a session. A wrong key counts
/// against the address as on the API.
async fn sign_in(State(state): State<AppState>, request: Request) -> UiResult<Response> {
    let (parts, body) = request.into_parts();
    // No session yet, so no token: a sign-in from another site is refused
    // by its origin (a forced sign-in would act as the attacker's key).
    same_origin(&parts.headers)?;
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| UiError::page(StatusCode::PAYLOAD_TOO_LARGE, "the form is too large"))?;
    let form: SignInForm = serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| UiError::page(StatusCode::BAD_REQUEST, format!("the form: {e}")))?;
    let next = safe_next(form.next.as_deref());
    let client = auth::client_of(&state, &parts.extensions, &parts.headers);
    let key = match auth::key_for(&state, client, form.key.trim()).await {
        Ok(key) => key,
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            let page = layout::sign_in(&next, Some("That key is unknown or revoked."));
            return Ok((StatusCode::UNAUTHORIZED, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let lifetime = state.config.sessions.lifetime_seconds();
    let caller = hashwatch_operations::Caller::key(key, hashwatch_operations::Way::Web);
    let (session, secret) = state
        .op(move |ops| Ok(ops.sign_in(&caller, lifetime)?))
        .await?;
    // Behind a TLS proxy the cookie is `Secure`; only a trusted proxy's
    // word on the scheme counts.
    let from_proxy = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .is_some_and(|c| {
            state
                .config
                .trusted_proxies
                .iter()
                .any(|net| net.contains(&c.0.ip()))
        });
    let secure = from_proxy
        && parts
            .headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes() == b"https");
    let cookie = format!(
        "{COOKIE}={secret}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={}{}",
        (session.expires_at - session.created_at).max(0),
        if secure { "; Secure" } else { "" }
    );
    let mut response = Redirect::to(&next).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(e.to_string()))?,
    );
    Ok(response)
}

/// `POST /ui/sign-out`: ends the session on the server and in the browser.
async fn sign_out(State(state): State<AppState>, posted: Posted<Empty>) -> UiResult<Response> {
    let (caller, id) = (posted.session.op(), posted.session.session.id);
    state.op(move |ops| Ok(ops.sign_out(&caller, id)?)).await?;
    let mut response = Redirect::to("/ui/sign-in").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "hashwatch_session=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    Ok(response)
}

#[derive(Deserialize)]
struct PreferencesForm {
    reveal_previews: Option<String>,
    back: Option<String>,
}

/// `POST /ui/preferences`: whether previews open unblurred for this key.
async fn preferences(
    State(state): State<AppState>,
    posted: Posted<PreferencesForm>,
) -> UiResult<Response> {
    let reveal = posted.form.reveal_previews.as_deref() == Some("on");
    let caller = posted.session.op();
    state
        .op(move |ops| Ok(ops.set_reveal_previews(&caller, reveal)?))
        .await?;
    Ok(Redirect::to(&safe_next(posted.form.back.as_deref())).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_interface() {
        assert_eq!(
            safe_next(Some("/ui/hotline?state=new")),
            "/ui/hotline?state=new"
        );
        for hostile in [
            "https://evil.example/",
            "//evil.example/ui/",
            "/ui//evil.example",
            "/ui/\\evil",
            "/ui/caf\u{e9}",
            "/ui/a\r\nSet-Cookie: x=1",
            "/report",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/ui/", "{hostile}");
        }
        assert_eq!(safe_next(None), "/ui/");
    }

    #[test]
    fn origin_must_be_this_host() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        let host = ("host", "127.0.0.1:5000");
        assert!(same_origin(&headers(&[host, ("origin", "http://127.0.0.1:5000")])).is_ok());
        assert!(same_origin(&headers(&[host, ("origin", "http://evil.example")])).is_err());
        assert!(same_origin(&headers(&[host, ("origin", "null")])).is_err());
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "cross-site")])).is_err());
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "same-site")])).is_err());
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "same-origin")])).is_ok());
    }

    #[test]
    fn token_comparison() {
        assert!(tokens_equal("abc", "abc"));
        assert!(!tokens_equal("abc", "abd"));
        assert!(!tokens_equal("abc", "ab"));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; hashwatch_session=hws_x; b=2"),
        );
        assert_eq!(cookie(&h, COOKIE), Some("hws_x"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
