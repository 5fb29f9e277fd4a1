//! The routes open to the public: refused by size, rate and concurrency
//! before their body is read; clients told apart behind a trusted proxy;
//! made-up keys refused cheaply.

use std::time::Duration;

use futures_util::stream;
use hashwatch_store::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::{on_both, Served};

const CHUNK: usize = 64 << 10;

/// Resident memory of this process (the service runs in it), in bytes.
fn resident() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmRSS")
        * 1024
}

/// A body of `size` bytes made as it is sent, so that the client holds
/// one chunk at a time.
fn lazy_body(size: usize) -> reqwest::Body {
    let chunks = size / CHUNK;
    reqwest::Body::wrap_stream(stream::iter(
        (0..chunks).map(|_| Ok::<_, std::io::Error>(vec![b' '; CHUNK])),
    ))
}

/// A body that sends one chunk and then never ends.
fn endless_body() -> reqwest::Body {
    let first = stream::iter([Ok::<_, std::io::Error>(b"{\"url\": ".to_vec())]);
    reqwest::Body::wrap_stream(futures_util::StreamExt::chain(first, stream::pending()))
}

async fn post_report(
    s: &Served,
    body: reqwest::Body,
    length: Option<usize>,
    forwarded: Option<&str>,
) -> Result<StatusCode, reqwest::Error> {
    let mut request = s
        .http
        .post(format!("{}/hotline/reports", s.base))
        .header("content-type", "application/json")
        .timeout(Duration::from_secs(10))
        .body(body);
    if let Some(length) = length {
        request = request.header("content-length", length.to_string());
    }
    if let Some(forwarded) = forwarded {
        request = request.header("x-forwarded-for", forwarded);
    }
    request.send().await.map(|r| r.status())
}

/// Before: eight anonymous 30 MB reports at once took the service from 69
/// to 263 MB resident before each got its 413.
async fn an_anonymous_flood_costs_no_memory(spec: String) {
    let s = Served::start(&spec, |c| c.public.reports_per_minute = 1000).await;
    let before = resident();
    let size = 30 << 20;
    let declared = (0..8).map(|_| post_report(&s, lazy_body(size), Some(size), None));
    let undeclared = (0..8).map(|_| post_report(&s, lazy_body(size), None, None));
    let answers: Vec<_> = futures_util::future::join_all(declared.chain(undeclared)).await;
    let grown = resident().saturating_sub(before);
    let refused = answers
        .iter()
        .filter(|a| {
            matches!(
                a,
                Ok(StatusCode::PAYLOAD_TOO_LARGE | StatusCode::SERVICE_UNAVAILABLE)
            )
        })
        .count();
    // The service may close the connection on a client still sending;
    // what it answers, when it does, is 413, or 503 to the undeclared
    // bodies past the few one address may send at once.
    for (n, status) in answers.iter().enumerate() {
        let Ok(status) = status else { continue };
        let busy = n >= 8 && *status == StatusCode::SERVICE_UNAVAILABLE;
        assert!(
            *status == StatusCode::PAYLOAD_TOO_LARGE || busy,
            "{n}: {status}"
        );
    }
    assert!(refused >= 8, "{answers:?}");
    assert!(
        grown < 24 << 20,
        "resident memory grew by {} MB under the flood",
        grown >> 20
    );
    eprintln!(
        "anonymous flood: 16 x 30 MB reports, {refused} answered 413 or 503, resident memory grew {} KB",
        grown >> 10
    );
    // The service still answers.
    let (status, _) = s
        .call(
            reqwest::Method::POST,
            "/hotline/reports",
            None,
            Some(json!({"url": "http://example.org/after-the-flood"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    s.stop().await;
}
on_both!(an_anonymous_flood_costs_no_memory);

/// Before: the per-address limit ran after the body was read, so a client
/// over its limit still made the service read (and wait for) its body.
async fn the_rate_limit_comes_before_the_body(spec: String) {
    let s = Served::start(&spec, |c| c.public.reports_per_minute = 1).await;
    let small =
        |n: u32| reqwest::Body::from(json!({"url": format!("http://example.org/{n}")}).to_string());
    assert_eq!(
        post_report(&s, small(1), None, None).await.ok(),
        Some(StatusCode::CREATED)
    );
    // Over the limit with a body that never ends: answered at once.
    let answer = post_report(&s, endless_body(), None, None).await;
    assert_eq!(answer.ok(), Some(StatusCode::TOO_MANY_REQUESTS));
    // Nor does any key header buy a way around it: a made-up key is
    // refused before the body, a key without the partner role counts as
    // the public.
    let mut made_up = s
        .http
        .post(format!("{}/hotline/reports", s.base))
        .header("content-type", "application/json")
        .header("x-api-key", "hw_0123")
        .timeout(Duration::from_secs(10))
        .body(endless_body());
    let answer = made_up.send().await.map(|r| r.status());
    assert_eq!(answer.ok(), Some(StatusCode::UNAUTHORIZED));
    let matcher = s.key("acme", &[Role::Matcher]).await;
    made_up = s
        .http
        .post(format!("{}/hotline/reports", s.base))
        .header("content-type", "application/json")
        .bearer_auth(&matcher)
        .timeout(Duration::from_secs(10))
        .body(endless_body());
    let answer = made_up.send().await.map(|r| r.status());
    assert_eq!(answer.ok(), Some(StatusCode::TOO_MANY_REQUESTS));
    s.stop().await;
}
on_both!(the_rate_limit_comes_before_the_body);

/// Before: clients were told apart by socket address only (behind a proxy
/// every reporter shared one limit; a forged header changed nothing either
/// way) and every IPv6 address counted alone.
async fn clients_are_counted_behind_a_trusted_proxy(spec: String) {
    let body = |n: &str| {
        reqwest::Body::from(json!({"url": format!("http://example.org/{n}")}).to_string())
    };
    // Not trusted: forged headers do not buy new limits.
    let s = Served::start(&spec, |c| c.public.reports_per_minute = 1).await;
    assert_eq!(
        post_report(&s, body("a"), None, Some("198.51.100.1"))
            .await
            .ok(),
        Some(StatusCode::CREATED)
    );
    assert_eq!(
        post_report(&s, body("b"), None, Some("198.51.100.2"))
            .await
            .ok(),
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    s.stop().await;

    // Trusted: each forwarded client has its own limit, IPv6 by /64.
    let s = Served::start(&spec, |c| {
        c.public.reports_per_minute = 1;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
    })
    .await;
    for (n, client, expected) in [
        ("c", "198.51.100.1", StatusCode::CREATED),
        ("d", "198.51.100.2", StatusCode::CREATED),
        ("e", "198.51.100.1", StatusCode::TOO_MANY_REQUESTS),
        ("f", "2001:db8:1:2::1", StatusCode::CREATED),
        ("g", "2001:db8:1:2::99", StatusCode::TOO_MANY_REQUESTS),
        ("h", "2001:db8:1:3::1", StatusCode::CREATED),
    ] {
        let answer = post_report(&s, body(n), None, Some(client)).await.ok();
        assert_eq!(answer, Some(expected), "{client}");
    }
    // A client's own header first, the proxy's line after it: the proxy's
    // line names the client.
    let status = s
        .http
        .post(format!("{}/hotline/reports", s.base))
        .header("content-type", "application/json")
        .header("x-forwarded-for", "203.0.113.77")
        .header("x-forwarded-for", "198.51.100.1")
        .body(body("i"))
        .send()
        .await
        .expect("answers")
        .status();
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the forged line was believed"
    );
    s.stop().await;
}
on_both!(clients_are_counted_behind_a_trusted_proxy);

/// Before: every made-up key cost a database query, without end.
async fn made_up_keys_are_limited(spec: String) {
    let s = Served::start(&spec, |_| {}).await;
    let known = s.key("default", &[Role::Matcher]).await;
    assert_eq!(s.get("/c/banks", &known).await.0, StatusCode::OK);
    let (status, _) = s.get("/c/banks", "not-a-key").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mut limited = 0;
    for n in 0..40u64 {
        let made_up = format!("hw_{:048x}", u128::from(n) * 7919 + 1);
        let (status, _) = s.get("/c/banks", &made_up).await;
        assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS,
            "{status}"
        );
        limited += usize::from(status == StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(limited >= 15, "{limited} of 40 made-up keys limited");
    // A key that worked before the flood still works from the same
    // address once its cached answer has expired; one never seen is not
    // looked up.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(s.get("/c/banks", &known).await.0, StatusCode::OK);
    let unseen = s.key("default", &[Role::Matcher]).await;
    assert_eq!(
        s.get("/c/banks", &unseen).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Other clients are not locked out.
    let key = s.key("default", &[Role::Matcher]).await;
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .expect("client");
    let status = other
        .get(format!("{}/c/banks", s.base))
        .bearer_auth(&key)
        .send()
        .await
        .expect("answers")
        .status();
    assert_eq!(status, StatusCode::OK);
    s.stop().await;
}
on_both!(made_up_keys_are_limited);

/// Before: a public appeal answered 201 for a listed URL and 404 for any
/// other, so anyone could ask whether a URL was on the blocklist.
async fn appeals_tell_the_public_nothing(spec: String) {
    let s = Served::start(&spec, |_| {}).await;
    let listed = "http://abuse.invalid/listed.jpg";
    let case = s.report(listed).await;
    let assess = format!("/hotline/cases/{case}/assess");
    let verdict = json!({"verdict": "illegal", "category": "A1"});
    for role in [Role::Analyst, Role::Supervisor] {
        let key = s.key("default", &[role]).await;
        let (status, answer) = s.post(&assess, &key, verdict.clone()).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let appeal = |url: &str| json!({"url": url, "reason": "it is mine"});
    let public = |url: &'static str| {
        let s = &s;
        async move {
            s.call(
                reqwest::Method::POST,
                "/hotline/appeals",
                None,
                Some(appeal(url)),
            )
            .await
        }
    };
    let on_the_list = public(listed).await;
    let not_on_it = public("http://abuse.invalid/never-reported.jpg").await;
    assert_eq!(on_the_list.0, StatusCode::ACCEPTED, "{}", on_the_list.1);
    assert_eq!(on_the_list, not_on_it);
    // The appeal against the listed URL is there for the hotline.
    let supervisor = s.key("default", &[Role::Supervisor]).await;
    let (_, appeals) = s.get("/hotline/appeals", &supervisor).await;
    assert_eq!(appeals["appeals"].as_array().map(Vec::len), Some(1));
    // A partner hotline (trusted, keyed) is told which is which.
    let partner = s.key("partner-hotline", &[Role::Partner]).await;
    let (status, answer) = s.post("/hotline/appeals", &partner, appeal(listed)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert!(answer["appeal_id"].as_i64().is_some(), "{answer}");
    s.stop().await;
}
on_both!(appeals_tell_the_public_nothing);

/// Before: an `Authorization` header that was not `Bearer <key>` (`Basic
/// …`, an empty `Bearer`, `Token hw_…`) or an empty `X-API-Key` on a public
/// route was taken as no key at all, and the report or appeal accepted as
/// the public's. A key that came and cannot be read is refused like a
/// made-up one, on public routes and keyed ones alike.
async fn a_malformed_authorization_is_refused(spec: String) {
    let s = Served::start(&spec, |_| {}).await;
    let token = format!("hw_{}", "0".repeat(48));
    let malformed: Vec<(&str, String)> = vec![
        ("authorization", "Basic dXNlcjpwYXNzd29yZA==".into()),
        ("authorization", "Bearer ".into()),
        ("authorization", "Bearer".into()),
        ("authorization", format!("Token {token}")),
        ("authorization", String::new()),
        ("x-api-key", String::new()),
        ("x-api-key", " ".into()),
    ];
    // Keys that worked before are still looked up from an address that
    // failed too often.
    let analyst = s.key("default", &[Role::Analyst]).await;
    let supervisor = s.key("default", &[Role::Supervisor]).await;
    for key in [&analyst, &supervisor] {
        assert_eq!(s.get("/hotline/stats", key).await.0, StatusCode::OK);
    }
    // Each counts as a failed authentication: past the burst of 20 the
    // address is told to wait.
    let mut attempts = 0;
    for (path, body) in [
        (
            "/hotline/reports",
            json!({"url": "http://abuse.invalid/m.jpg"}),
        ),
        (
            "/hotline/appeals",
            json!({"url": "http://abuse.invalid/m.jpg", "reason": "mine"}),
        ),
        ("/c/banks", json!({})),
    ] {
        for (header, value) in &malformed {
            attempts += 1;
            let answer = s
                .http
                .post(format!("{}{path}", s.base))
                .header("content-type", "application/json")
                .header(*header, value)
                .body(body.to_string())
                .send()
                .await
                .expect("answers");
            let status = answer.status();
            let text = answer.text().await.unwrap_or_default();
            let expected = if attempts <= 20 {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::TOO_MANY_REQUESTS
            };
            assert_eq!(status, expected, "{path} with {header}: {value:?}: {text}");
        }
    }
    // Nothing of them was taken.
    let (status, queue) = s.get("/hotline/queue", &analyst).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    assert_eq!(queue["cases"].as_array().map(Vec::len), Some(0), "{queue}");
    let (_, appeals) = s.get("/hotline/appeals", &supervisor).await;
    assert_eq!(
        appeals["appeals"].as_array().map(Vec::len),
        Some(0),
        "{appeals}"
    );
    s.stop().await;
}
on_both!(a_malformed_authorization_is_refused);

/// Before: 40 connections that declared a 16,000-byte body and never sent
/// it held all 32 public slots for the whole 30 s request timeout, so every
/// other reporter got 503. Now one address holds at most a few slots, and
/// a body must arrive within its own short deadline (408 after it).
async fn slow_senders_cannot_hold_the_public_slots(spec: String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = Served::start(&spec, |c| {
        c.public.reports_per_minute = 1000;
        c.public.body_timeout = Duration::from_secs(2);
        c.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
    })
    .await;
    let address = s.base.trim_start_matches("http://").to_string();
    // One address opens 40 slow connections, then 40 addresses one each.
    let mut held = Vec::new();
    for n in 0..80 {
        let client = if n < 40 {
            "198.51.100.1".to_string()
        } else {
            format!("198.51.100.{}", n - 30)
        };
        let mut c = tokio::net::TcpStream::connect(&address)
            .await
            .expect("connects");
        let head = format!(
            "POST /hotline/reports HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Content-Length: 16000\r\nX-Forwarded-For: {client}\r\n\r\n{{\"url\": "
        );
        c.write_all(head.as_bytes()).await.expect("writes");
        held.push(c);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Another reporter is answered: at once, or once the slow bodies'
    // deadline has passed; never only after the request timeout.
    let started = std::time::Instant::now();
    loop {
        let body = reqwest::Body::from(json!({"url": "http://example.org/patient"}).to_string());
        let status = post_report(&s, body, None, Some("203.0.113.9"))
            .await
            .expect("answers");
        if status == StatusCode::CREATED {
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "the slow senders still hold the public slots after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The slow senders were told why.
    let mut answer = vec![0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), held[0].read(&mut answer))
        .await
        .expect("answered within the body deadline")
        .expect("reads");
    let answer = String::from_utf8_lossy(&answer[..read]).to_string();
    assert!(
        answer.starts_with("HTTP/1.1 408") || answer.starts_with("HTTP/1.1 503"),
        "{answer}"
    );
    s.stop().await;
}
on_both!(slow_senders_cannot_hold_the_public_slots);
