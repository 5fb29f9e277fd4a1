//! Work limits: a request that timed out stops costing anything.

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

/// Before: a decode went on to its end after its request had timed out,
/// keeping its turn (one of as many as there are cores) all the while.
async fn a_timed_out_decode_stops(spec: String) {
    let png = bomb_png(10_000);
    let s = Served::start(&spec, |c| {
        c.request_timeout = Duration::from_millis(50);
    })
    .await;
    let key = s.key("acme", &[Role::Admin]).await;
    let boundary = "hashwatch-attack-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"bomb.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&png);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
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
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
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
            let (_, metrics) = s.get("/metrics", &key).await;
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
