//! The guarded fetcher behind `?url=`: only hosts on the allowlist, only
//! http(s), redirects only within the same host, a size cap and a timeout.

use axum::http::StatusCode;
use hashwatch_outbound::{read_capped, ReadError};

use crate::error::{ApiError, ApiResult};
use crate::signals::{self, Signal};
use crate::state::AppState;

/// Whether `host` is allowed: listed exactly, or under a `*.domain` entry.
pub fn allowed(allow: &[String], host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    allow.iter().any(|a| {
        let a = a.to_ascii_lowercase();
        match a.strip_prefix("*.") {
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => a == host,
        }
    })
}

/// Fetches `url` and hashes it as `content_type` (a video's frames'
/// views too when `frame_views` asks, as for uploads).
pub async fn hash_url(
    state: &AppState,
    url: &str,
    content_type: &str,
    types: Option<&str>,
    frame_views: bool,
) -> ApiResult<Vec<Signal>> {
    let parsed = url::Url::parse(url)
        .map_err(|e| ApiError::bad_request("bad_url", format!("{url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ApiError::bad_request(
            "bad_url",
            "only http and https URLs are fetched",
        ));
    }
    let host = parsed.host_str().unwrap_or_default();
    if state.config.fetch_allow.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "fetch_disabled",
            "fetching URLs is off; start serve with --fetch-allow HOST to allow hosts",
        ));
    }
    if !allowed(&state.config.fetch_allow, host) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "host_not_allowed",
            format!("host {host:?} is not on this service's fetch allowlist"),
        ));
    }
    if !matches!(content_type, "photo" | "video") {
        return Err(ApiError::bad_request(
            "bad_content_type",
            "content_type must be photo or video",
        ));
    }
    let names = signals::wanted(content_type, types)?;
    let request = state.fetcher.get(parsed.as_str()).map_err(|refused| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "host_not_allowed",
            refused.to_string(),
        )
    })?;
    let response = request.send().await.map_err(|e| {
        // The kind of failure only: the error's text could describe
        // networks the caller cannot otherwise see.
        let why = if e.is_timeout() {
            "it timed out"
        } else if e.is_connect() {
            "no connection could be made (or the address is not allowed)"
        } else {
            "the request failed"
        };
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "fetch_failed",
            format!("cannot fetch {url}: {why}"),
        )
    })?;
    if !response.status().is_success() {
        return Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "fetch_failed",
            format!(
                "{url} answered {} (redirects to other hosts are not followed)",
                response.status()
            ),
        ));
    }
    let cap = state.config.max_upload_bytes;
    let bytes = read_capped(response, cap).await.map_err(|e| match e {
        ReadError::TooLarge(_) => too_large(cap),
        ReadError::Failed(why) => ApiError::new(
            StatusCode::BAD_GATEWAY,
            "fetch_failed",
            format!("reading {url}: {why}"),
        ),
    })?;
    let limits = state.config.hash_limits;
    state
        .decode(move |cancel, budget| {
            signals::hash_upload(&bytes, &names, &limits, frame_views, cancel, budget)
        })
        .await
}

fn too_large(cap: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "fetch_too_large",
        format!("the file is larger than this service's {cap}-byte cap"),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn allowlist_matches_hosts_and_subdomains_only() {
        let allow = vec![
            "images.example.org".to_string(),
            "*.cdn.example".to_string(),
        ];
        assert!(super::allowed(&allow, "images.example.org"));
        assert!(super::allowed(&allow, "IMAGES.example.org"));
        assert!(super::allowed(&allow, "a.cdn.example"));
        assert!(!super::allowed(&allow, "cdn.example"));
        assert!(!super::allowed(&allow, "evilcdn.example"));
        assert!(!super::allowed(&allow, "example.org"));
        assert!(!super::allowed(&allow, "images.example.org.evil.net"));
    }
}
