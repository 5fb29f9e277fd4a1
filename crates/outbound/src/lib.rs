//! Every request hashwatch makes to other machines is sent with a client
//! built here, so the rules for leaving the process are in one place:
//! which client each purpose uses (redirects, timeouts), name resolution
//! through one [`Resolver`], and bodies read through a cap.
//!
//! - [`FeedTransport`]: the feed puller's [`Transport`] over HTTP, for
//!   pulling bank feeds and partner hotlines' assessments;
//! - [`recheck`]: a hotline re-check of a listed URL, as a typed
//!   [`Recheck`] (a name that does not resolve is told apart by type, not
//!   by the words of an error message);
//! - [`read_capped`]: a response body, refused past a size whether or not
//!   the server said its length;
//! - [`webhook_client`], [`feed_client`], [`fetch_client`]: the clients,
//!   each a [`Client`] that checks every URL and every resolved address
//!   against the [`Guard`] before connecting, and connects to the address
//!   it checked.
//!

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use hashwatch_model::feed::{Fetched, Transport, MAX_PAGE_BYTES};
pub mod guard;
mod recheck;
mod resolve;
pub mod webhook;

pub use crate::guard::{Guard, Refused};
pub use crate::recheck::Recheck;
pub use crate::resolve::{ResolveError, Resolver, StaticHosts, SystemResolver};

/// Redirects followed within one host by [`fetch_client`].
const MAX_REDIRECTS: usize = 3;

/// A host name the resolver could not resolve; reqwest carries it as the
/// source of its connect error, where [`recheck`] finds it by type.
#[derive(Debug)]
pub struct NotResolved(pub String);

impl std::fmt::Display for NotResolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotResolved {}

/// Hands reqwest's connector the addresses a [`Resolver`] gives that the
/// [`Guard`] lets through: reqwest connects to these and no others.
struct ResolveWith {
    resolver: Arc<dyn Resolver>,
    guard: Arc<Guard>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl reqwest::dns::Resolve for ResolveWith {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let resolver = self.resolver.clone();
        let guard = self.guard.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let ips = tokio::task::spawn_blocking(move || {
                let ips = resolver.resolve(&host).map_err(|e| -> BoxError {
                    match e {
                        ResolveError::NoSuchName(why) => Box::new(NotResolved(why)),
                        ResolveError::Failed(why) => why.into(),
                    }
                })?;
                guard
                    .filter(&host, ips)
                    .map_err(|e| -> BoxError { Box::new(e) })
            })
            .await
            .map_err(|e| -> BoxError { e.to_string().into() })??;
            let addrs: reqwest::dns::Addrs =
                Box::new(ips.into_iter().map(|ip| std::net::SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// An HTTP client whose every request is checked by a [`Guard`]: the URL
/// before it is sent (scheme, literal addresses), the addresses its name
/// resolves to before connecting.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    guard: Arc<Guard>,
}

impl Client {
    /// A request to `url`, if the guard lets it go.
    pub fn request(
        &self,
        method: reqwest::Method,
        url: &str,
    ) -> Result<reqwest::RequestBuilder, Refused> {
        let parsed =
            url::Url::parse(url).map_err(|e| Refused(format!("{url:?} is not a URL: {e}")))?;
        self.guard.check_url(&parsed)?;
        Ok(self.http.request(method, parsed))
    }

    /// A GET of `url`.
    pub fn get(&self, url: &str) -> Result<reqwest::RequestBuilder, Refused> {
        self.request(reqwest::Method::GET, url)
    }

    /// A POST to `url`.
    pub fn post(&self, url: &str) -> Result<reqwest::RequestBuilder, Refused> {
        self.request(reqwest::Method::POST, url)
    }
}

fn build(
    builder: reqwest::ClientBuilder,
    resolver: Option<Arc<dyn Resolver>>,
    guard: Arc<Guard>,
) -> Client {
    let resolver = resolver.unwrap_or_else(|| Arc::new(SystemResolver));
    // No proxy from the environment: a proxy would resolve and connect
    // where the guard never looked.
    let builder = builder.no_proxy().dns_resolver(Arc::new(ResolveWith {
        resolver,
        guard: guard.clone(),
    }));
    // Building fails only when the TLS backend cannot start, which no
    // request could survive either; the default client fails the same way
    // at its first request, with the reason.
    Client {
        http: builder.build().unwrap_or_default(),
        guard,
    }
}

/// For webhooks and provider notices: no redirects (a hook that moved is
/// an error for its owner to see), ten seconds.
pub fn webhook_client(guard: Arc<Guard>) -> Client {
    build(
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10)),
        None,
        guard,
    )
}

/// For feeds: no redirects (a feed moved elsewhere is an error to look
/// at, not to follow), one minute per page.
pub fn feed_client(guard: Arc<Guard>) -> Client {
    build(
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60)),
        None,
        guard,
    )
}

/// For fetching media (`?url=`) and re-checking listed URLs: at most three
/// redirects, each to the same scheme, host and port; names resolved
/// through `resolver` when given.
pub fn fetch_client(
    timeout: Duration,
    resolver: Option<Arc<dyn Resolver>>,
    guard: Arc<Guard>,
) -> Client {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        let next = attempt.url();
        let same_origin = attempt.previous().first().is_some_and(|first| {
            first.scheme() == next.scheme()
                && first.host_str() == next.host_str()
                && first.port_or_known_default() == next.port_or_known_default()
        });
        if same_origin && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    });
    build(
        reqwest::Client::builder().redirect(policy).timeout(timeout),
        resolver,
        guard,
    )
}

/// Why a body was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// It is larger than the cap (in bytes).
    TooLarge(usize),
    /// The connection failed while reading.
    Failed(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::TooLarge(cap) => write!(f, "the body is larger than {cap} bytes"),
            ReadError::Failed(why) => write!(f, "reading the body failed: {why}"),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads a response's body, refusing it as soon as it passes `cap` bytes:
/// at once when the server declares a larger length, and while streaming
/// when it does not (chunked).
pub async fn read_capped(response: reqwest::Response, cap: usize) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(ReadError::TooLarge(cap));
    }
    let mut bytes = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ReadError::Failed(error_chain(&e)))?;
        if bytes.len() + chunk.len() > cap {
            return Err(ReadError::TooLarge(cap));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// An error with its causes, which is where reqwest says what happened.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn not_resolved(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source = Some(e);
    while let Some(cause) = source {
        if let Some(gone) = cause.downcast_ref::<NotResolved>() {
            return Some(gone.0.clone());
        }
        source = cause.source();
    }
    None
}

/// GETs a listed URL once with a [`fetch_client`] that resolves through
/// the hotline's resolver, and says what it saw.
pub async fn recheck(client: &Client, url: &str) -> Recheck {
    let request = match client.get(url) {
        Ok(request) => request,
        Err(refused) => return Recheck::Failed(format!("refused: {refused}")),
    };
    match request.send().await {
        Ok(response) => Recheck::Answered(response.status().as_u16()),
        Err(e) => match not_resolved(&e) {
            Some(why) => Recheck::NotResolved(why),
            None => Recheck::Failed(error_chain(&e)),
        },
    }
}

/// POSTs `body` as JSON and says how it went, for the case's record.
pub async fn post_json(client: &Client, url: &str, body: &serde_json::Value) -> String {
    let request = match client.post(url) {
        Ok(request) => request,
        Err(refused) => return format!("webhook {url} refused: {refused}"),
    };
    match request.json(body).send().await {
        Ok(r) if r.status().is_success() => format!("webhook {url}: {}", r.status()),
        Ok(r) => format!("webhook {url} answered {}", r.status()),
        Err(e) => format!("webhook {url} failed: {}", error_chain(&e)),
    }
}

/// Sends an opinion about one of a feed's entries to its publisher
/// (`POST <feed url>/opinions`); returns the publisher's answer.
pub async fn send_opinion(
    client: &Client,
    feed_url: &str,
    api_key: Option<&str>,
    opinion: &serde_json::Value,
) -> Result<serde_json::Value, String> {
    let url = format!("{}/opinions", feed_url.trim_end_matches('/'));
    let mut request = client
        .post(&url)
        .map_err(|e| format!("not sending to {url}: {e}"))?
        .json(opinion);
    if let Some(key) = api_key {
        request = request.bearer_auth(key);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {}", error_chain(&e)))?;
    let status = response.status();
    let body = read_capped(response, 1 << 20)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let body: serde_json::Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&body).into()));
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("{url} answered {status}: {body}"))
    }
}

/// Feed pages over HTTP. The puller is synchronous (it runs beside the
/// store's blocking writes), so each GET runs on `runtime` and is waited
/// for: call it from a thread that may block (a `spawn_blocking` task or a
/// plain thread), never from an async task.
pub struct FeedTransport {
    client: Client,
    runtime: tokio::runtime::Handle,
    stopping: Option<Arc<AtomicBool>>,
}

impl FeedTransport {
    /// A transport over `client`, its requests run on `runtime`.
    pub fn new(client: Client, runtime: tokio::runtime::Handle) -> FeedTransport {
        FeedTransport {
            client,
            runtime,
            stopping: None,
        }
    }

    /// Refuses every page once `stopping` is set, so that a pull running
    /// on a blocking thread ends at its next page when the service stops.
    pub fn stopping(mut self, stopping: Arc<AtomicBool>) -> FeedTransport {
        self.stopping = Some(stopping);
        self
    }

    async fn get(
        &self,
        url: &str,
        api_key: Option<&str>,
        query: &[(&str, u64)],
    ) -> Result<Fetched, String> {
        let mut request = self
            .client
            .get(url)
            .map_err(|e| format!("not fetching {url}: {e}"))?
            .query(query);
        if let Some(api_key) = api_key {
            request = request.bearer_auth(api_key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("cannot fetch {url}: {}", error_chain(&e)))?;
        let status = response.status();
        let signature = response
            .headers()
            .get("x-hashwatch-signature")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = read_capped(response, MAX_PAGE_BYTES)
            .await
            .map_err(|e| format!("a page from {url}: {e}"))?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
            return Err(format!("{url} answered {status}: {text}"));
        }
        Ok(Fetched { body, signature })
    }
}

impl Transport for FeedTransport {
    fn get_page(
        &self,
        url: &str,
        api_key: Option<&str>,
        query: &[(&str, u64)],
    ) -> Result<Fetched, String> {
        if self
            .stopping
            .as_ref()
            .is_some_and(|s| s.load(Ordering::SeqCst))
        {
            return Err(format!("not fetching {url}: the service is stopping"));
        }
        self.runtime.block_on(self.get(url, api_key, query))
    }
}
