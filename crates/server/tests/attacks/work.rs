//! Work limits: a request that timed out stops costing anything, and a
//! decode's memory is charged from the header before any is spent.

use std::io::Cursor;
use std::time::{Duration, Instant};

use hashwatch_store::Role;
use reqwest::StatusCode;

use crate::{on_both, Served};

/// A small PNG that inflates to `side`² grey pixels.
fn bomb_png(side: u32) -> Vec<u8> {
    let image = image::GrayImage::new(side, side);
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encodes");
    out.into_inner()
}

/// A one-photo multipart form: its content type and body.
fn multipart_photo(png: &[u8]) -> (String, Vec<u8>) {
    let boundary = "hashwatch-attack-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"bomb.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(png);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Before: a decode went on to its end after its request had timed out,
/// keeping its turn (one of as many as there are cores) all the while.
async fn a_timed_out_decode_stops(spec: String) {
    let png = bomb_png(10_000);
    const OPERATOR_TOKEN: &str = "operator-metrics-token-0123456789abcdef";
    let s = Served::start(&spec, |c| {
        c.request_timeout = Duration::from_millis(50);
        c.metrics_token = Some(OPERATOR_TOKEN.into());
    })
    .await;
    let key = s.key("acme", &[Role::Admin]).await;
    let (content_type, body) = multipart_photo(&png);
    // Under load the timeout can strike before the decode has begun (the
    // request then never decodes, which is right too); a few tries make
    // sure one strikes while it runs.
    let cancelled = |metrics: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix("hashwatch_decodes_cancelled_total "))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    let mut seen = 0;
    for attempt in 0..5 {
        let started = Instant::now();
        let response = s
            .http
            .post(format!("{}/h/hash", s.base))
            .bearer_auth(&key)
            .header("content-type", &content_type)
            .body(body.clone())
            .send()
            .await
            .expect("answers");
        assert_eq!(
            response.status(),
            StatusCode::REQUEST_TIMEOUT,
            "attempt {attempt}, after {:?}",
            started.elapsed()
        );
        // The decode notices at its next read and gives its turn back.
        let deadline = Instant::now() + Duration::from_secs(5);
        while seen == 0 && Instant::now() < deadline {
            // The process's own figure: the operator's.
            let (_, metrics) = s.get("/metrics", OPERATOR_TOKEN).await;
            seen = cancelled(metrics.as_str().unwrap_or_default());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if seen > 0 {
            break;
        }
    }
    assert!(
        seen > 0,
        "no decode was cancelled in five timed-out requests"
    );
    s.stop().await;
}
on_both!(a_timed_out_decode_stops);

/// Posts `png` to `/h/hash`: the status, the Retry-After header and the
/// answer.
async fn hash_photo(s: &Served, key: &str, png: Vec<u8>) -> (StatusCode, Option<String>, String) {
    let (content_type, body) = multipart_photo(&png);
    let response = s
        .http
        .post(format!("{}/h/hash", s.base))
        .bearer_auth(key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("answers");
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (
        response.status(),
        retry_after,
        response.text().await.expect("body"),
    )
}

/// Before: a photo's decode spent what its header claimed, however many
/// ran at once. Now what it will hold (12 bytes a pixel) is charged
/// first: more than one request may hold is refused at once (413), and
/// while other decodes hold the budget a request is turned away after its
/// wait (503, Retry-After).
async fn decode_memory_is_charged_from_the_header(spec: String) {
    const MIB: u64 = 1 << 20;
    let s = Served::start(&spec, |c| {
        c.hash_limits.memory = hashwatch_media::BudgetLimits {
            total: 250 * MIB,
            per_request: 250 * MIB,
            wait: Duration::ZERO,
        };
    })
    .await;
    let key = s.key("acme", &[Role::Matcher]).await;
    // 25 megapixels: 300 MB and more, over what one request may hold.
    let (status, retry, answer) = hash_photo(&s, &key, bomb_png(5_000)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert!(
        answer.contains("too_costly") && answer.contains("MiB"),
        "{answer}"
    );
    assert_eq!(retry, None);
    // 16 megapixels (about 200 MB) fit, one at a time: sent four at once,
    // some are turned away while another decodes, and told when to come
    // back.
    let photo = bomb_png(4_000);
    let (status, _, answer) = hash_photo(&s, &key, photo.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let mut turned_away = 0;
    for _ in 0..5 {
        let answers =
            futures_util::future::join_all((0..4).map(|_| hash_photo(&s, &key, photo.clone())))
                .await;
        for (status, retry, answer) in answers {
            match status {
                StatusCode::OK => {}
                StatusCode::SERVICE_UNAVAILABLE => {
                    assert!(answer.contains("busy"), "{answer}");
                    assert_eq!(retry.as_deref(), Some("5"));
                    turned_away += 1;
                }
                other => panic!("{other}: {answer}"),
            }
        }
        if turned_away > 0 {
            break;
        }
    }
    assert!(
        turned_away > 0,
        "no upload was turned away while others decoded"
    );
    s.stop().await;
}
on_both!(decode_memory_is_charged_from_the_header);
