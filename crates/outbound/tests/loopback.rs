//! The outbound clients against real HTTP servers on loopback.

#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use hashwatch_model::feed::Transport;
use hashwatch_outbound::Recheck;
use hashwatch_outbound::StaticHosts;
use hashwatch_outbound::{
    feed_client, fetch_client, read_capped, recheck, FeedTransport, ReadError,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `answer` (a whole raw HTTP response) to every connection; returns
/// the port.
async fn serve(answer: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket.write_all(&answer).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    port
}

fn chunked(chunks: usize, size: usize) -> Vec<u8> {
    let mut out =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..chunks {
        out.extend_from_slice(format!("{size:x}\r\n").as_bytes());
        out.extend(std::iter::repeat_n(b'a', size));
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn plain(status: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chunked_body_is_refused_once_it_passes_the_cap() {
    let port = serve(chunked(3, 1000)).await;
    let url = format!("http://127.0.0.1:{port}/");
    let client = feed_client(loopback());
    let response = get(&client, &url).await;
    assert_eq!(
        read_capped(response, 2500).await,
        Err(ReadError::TooLarge(2500))
    );
    let response = get(&client, &url).await;
    assert_eq!(
        read_capped(response, 3000).await.expect("reads").len(),
        3000
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declared_length_over_the_cap_is_refused_before_reading() {
    let port = serve(plain("200 OK", "", &"b".repeat(5000))).await;
    let response = feed_client(loopback())
        .get(&format!("http://127.0.0.1:{port}/"))
        .expect("allowed")
        .send()
        .await
        .expect("answers");
    assert_eq!(
        read_capped(response, 4999).await,
        Err(ReadError::TooLarge(4999))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recheck_tells_a_name_gone_from_a_404_and_from_a_refused_connection() {
    let port = serve(plain("404 Not Found", "", "gone")).await;
    let hosts = StaticHosts::parse("127.0.0.1 listed.example\n").expect("hosts");
    let client = fetch_client(Duration::from_secs(5), Some(Arc::new(hosts)), loopback());
    let answered = recheck(&client, &format!("http://listed.example:{port}/x.jpg")).await;
    assert_eq!(answered, Recheck::Answered(404));
    assert!(answered.gone());
    let unknown = recheck(&client, "http://nowhere.example/x.jpg").await;
    assert!(matches!(unknown, Recheck::NotResolved(_)), "{unknown:?}");
    assert!(unknown.gone());
    // A port nobody listens on: the server may be down for a moment.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        listener.local_addr().expect("address").port()
    };
    let refused = recheck(&client, &format!("http://listed.example:{closed}/x.jpg")).await;
    assert!(matches!(refused, Recheck::Failed(_)), "{refused:?}");
    assert!(!refused.gone());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_feed_transport_hands_back_the_signature_and_refuses_error_answers() {
    let ok = serve(plain(
        "200 OK",
        "X-Hashwatch-Signature: abcd\r\n",
        "{\"page\":1}",
    ))
    .await;
    let failing = serve(plain("500 Internal Server Error", "", "broken")).await;
    let runtime = tokio::runtime::Handle::current();
    let (fetched, failed) = tokio::task::spawn_blocking(move || {
        let transport = FeedTransport::new(feed_client(loopback()), runtime);
        (
            transport.get_page(
                &format!("http://127.0.0.1:{ok}/feeds/A"),
                Some("k"),
                &[("since", 0)],
            ),
            transport.get_page(&format!("http://127.0.0.1:{failing}/feeds/A"), None, &[]),
        )
    })
    .await
    .expect("joins");
    let fetched = fetched.expect("fetched");
    assert_eq!(fetched.body, b"{\"page\":1}");
    assert_eq!(fetched.signature.as_deref(), Some("abcd"));
    let failed = failed.expect_err("a 500 is an error");
    assert!(failed.contains("answered 500"), "{failed}");
}

/// A GET the guard lets through, answered.
async fn get(client: &hashwatch_outbound::Client, url: &str) -> reqwest::Response {
    client
        .get(url)
        .expect("allowed")
        .send()
        .await
        .expect("answers")
}

/// The guard with loopback allowed, as an operator allows it for tests.
fn loopback() -> Arc<hashwatch_outbound::Guard> {
    Arc::new(hashwatch_outbound::Guard::allowing(vec!["127.0.0.0/8"
        .parse()
        .expect("range")]))
}

/// Before: webhooks, fetches and re-checks went wherever a URL pointed,
/// the service's own loopback and the cloud metadata address included.
#[tokio::test(flavor = "multi_thread")]
async fn internal_addresses_are_not_reached_unless_the_operator_allows_them() {
    let port = serve(plain("200 OK", "", "inside")).await;
    let hosts = StaticHosts::parse("127.0.0.1 inside.example\n").expect("hosts");
    let closed = Arc::new(hashwatch_outbound::Guard::default());
    let clients = [
        hashwatch_outbound::webhook_client(closed.clone()),
        feed_client(closed.clone()),
        fetch_client(
            Duration::from_secs(5),
            Some(Arc::new(hosts.clone())),
            closed,
        ),
    ];
    for client in &clients {
        for url in [
            format!("http://127.0.0.1:{port}/"),
            format!("http://[::ffff:127.0.0.1]:{port}/"),
            "http://169.254.169.254/latest/meta-data/".to_string(),
            "ftp://example.org/".to_string(),
        ] {
            assert!(client.get(&url).is_err(), "{url} was let through");
        }
    }
    // A name resolving to loopback: refused when it resolves, not sent.
    let by_name = format!("http://inside.example:{port}/");
    let sent = clients[2].get(&by_name).expect("names pass").send().await;
    assert!(sent.is_err(), "{sent:?}");
    let rechecked = recheck(&clients[2], &by_name).await;
    assert!(matches!(rechecked, Recheck::Failed(_)), "{rechecked:?}");
    assert!(
        !rechecked.gone(),
        "a refused address is no evidence of removal"
    );
    // The operator's range lets it through.
    let open = fetch_client(Duration::from_secs(5), Some(Arc::new(hosts)), loopback());
    let answer = open
        .get(&by_name)
        .expect("allowed")
        .send()
        .await
        .expect("sent");
    assert_eq!(answer.status(), 200);
}

/// Before: redirects could change scheme or port.
#[tokio::test(flavor = "multi_thread")]
async fn redirects_keep_scheme_host_and_port() {
    let target = serve(plain("200 OK", "", "elsewhere")).await;
    let other_port = serve(plain(
        "302 Found",
        &format!("Location: http://127.0.0.1:{target}/\r\n"),
        "",
    ))
    .await;
    let other_scheme = serve(plain("302 Found", "Location: https://127.0.0.1/\r\n", "")).await;
    let same = serve(plain("302 Found", "Location: /next\r\n", "")).await;
    let client = fetch_client(Duration::from_secs(5), None, loopback());
    for port in [other_port, other_scheme] {
        let answer = client
            .get(&format!("http://127.0.0.1:{port}/"))
            .expect("allowed")
            .send()
            .await
            .expect("answers");
        assert_eq!(answer.status(), 302, "followed a redirect off {port}");
    }
    // Within the same origin, redirects are followed (here, to itself,
    // until the limit).
    let answer = client
        .get(&format!("http://127.0.0.1:{same}/"))
        .expect("allowed")
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), 302);
}
