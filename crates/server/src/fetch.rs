//! The guarded fetcher behind `?url=`: only hosts on the allowlist, only
//! http(s), redirects only within the same host, a size cap and a timeout.

use std::sync::Arc;

use axum::http::StatusCode;
use futures_util::StreamExt;

use crate::error::{ApiError, ApiResult};
use crate::signals::{self, Signal};
use crate::state::AppState;

/// Redirects followed within one host.
const MAX_REDIRECTS: usize = 3;

/// The client used for fetches.
pub fn client(timeout: std::time::Duration) -> reqwest::Client {
    client_with(timeout, None)
}

/// Hands reqwest's connector the addresses a hotline [`Resolver`] gives.
///
/// [`Resolver`]: hashwatch_hotline::Resolver
struct ResolveWith(Arc<dyn hashwatch_hotline::Resolver>);

impl reqwest::dns::Resolve for ResolveWith {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let resolver = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let ips = tokio::task::spawn_blocking(move || resolver.resolve(&host))
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.to_string().into() })?
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> {
                    format!("dns: {e}").into()
                })?;
            let addrs: reqwest::dns::Addrs =
                Box::new(ips.into_iter().map(|ip| std::net::SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// The fetch client, resolving names through `resolver` when given.
pub fn client_with(
    timeout: std::time::Duration,
    resolver: Option<Arc<dyn hashwatch_hotline::Resolver>>,
) -> reqwest::Client {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        let same_host = attempt
            .previous()
            .first()
            .is_some_and(|first| first.host_str() == attempt.url().host_str());
        if same_host && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    });
    let mut builder = reqwest::Client::builder().redirect(policy).timeout(timeout);
    if let Some(resolver) = resolver {
        builder = builder.dns_resolver(Arc::new(ResolveWith(resolver)));
    }
    builder.build().unwrap_or_default()
}

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

/// Fetches `url` and hashes it as `content_type`.
pub async fn hash_url(
    state: &AppState,
    url: &str,
    content_type: &str,
    types: Option<&str>,
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
    let response = state.fetcher.get(parsed).send().await.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "fetch_failed",
            format!("cannot fetch {url}: {e}"),
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
    if response.content_length().is_some_and(|n| n as usize > cap) {
        return Err(too_large(cap));
    }
    let mut bytes = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "fetch_failed",
                format!("reading {url}: {e}"),
            )
        })?;
        if bytes.len() + chunk.len() > cap {
            return Err(too_large(cap));
        }
        bytes.extend_from_slice(&chunk);
    }
    let max_pixels = state.config.max_pixels;
    tokio::task::spawn_blocking(move || signals::hash_upload(&bytes, &names, max_pixels)).await?
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
