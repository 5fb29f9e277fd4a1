//! Free text: limits and the characters no field may hold, through every
//! way in that takes text.

use hashwatch_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{hash, on_both, Served};

/// A request from the public, without a key.
async fn public(
    s: &Served,
    path: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    s.call(Method::POST, path, None, Some(body)).await
}

/// Before: right-to-left overrides and NUL in a public report were stored
/// and shown raw to analysts; a 100,000-character category, a 10 MB
/// content note and markup as tenant names in `shared_with` were accepted.
async fn free_text_has_limits_and_no_hidden_characters(spec: String) {
    let s = Served::start(&spec, |c| c.public.reports_per_minute = 1000).await;
    for description in [
        "invoice \u{202E}gpj.exe",
        "nul \u{0} here",
        "escape \u{1b}[2J",
        &"x".repeat(5_000),
    ] {
        let (status, answer) = public(
            &s,
            "/hotline/reports",
            json!({"url": "http://abuse.invalid/t.jpg", "description": description}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    }
    let (status, answer) = public(
        &s,
        "/hotline/reports",
        json!({"url": "http://abuse.invalid/t.jpg", "contact": "me\u{2066}@x"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, answer) = public(
        &s,
        "/hotline/appeals",
        json!({"url": "http://abuse.invalid/t.jpg", "reason": "mine\u{0}"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    // Nothing of them reached the queue; ordinary text in any script does.
    let case = s.report("http://abuse.invalid/plain.jpg").await;
    let (status, answer) = public(
        &s,
        "/hotline/reports",
        json!({"url": "http://abuse.invalid/rtl.jpg", "description": "صورة\nline two"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let analyst = s.key("default", &[Role::Analyst]).await;
    let (_, queue) = s.get("/hotline/queue", &analyst).await;
    assert_eq!(queue["cases"].as_array().map(Vec::len), Some(2), "{queue}");

    // A category has a limit.
    let (status, answer) = s
        .post(
            &format!("/hotline/cases/{case}/assess"),
            &analyst,
            json!({"verdict": "illegal", "category": "A".repeat(100_000)}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["code"], "category_too_long", "{answer}");

    // A content note has HMA's limit on every route that sets one.
    let curator = s.key("default", &[Role::Curator, Role::Admin]).await;
    let (status, answer) = s.post("/c/banks", &curator, json!({"name": "TEXT"})).await;
    assert!(status.is_success(), "{answer}");
    let (status, answer) = s
        .post("/c/bank/TEXT/signal", &curator, json!({"pdq": hash(1)}))
        .await;
    assert!(status.is_success(), "{answer}");
    let id = answer["id"].as_u64().expect("an id");
    let huge = "n".repeat(10 << 20);
    let (status, answer) = s
        .put(
            &format!("/c/bank/TEXT/content/{id}"),
            &curator,
            json!({"note": huge}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["code"], "note_too_long", "{answer}");
    let (status, answer) = s
        .put(
            &format!("/c/bank/TEXT/content/{id}"),
            &curator,
            json!({"note": "fine"}),
        )
        .await;
    assert!(status.is_success(), "{answer}");

    // Sharing names tenants, and nothing else.
    for tenant in ["<b>acme</b>", "", "acme corp", "acme\u{202E}"] {
        let (status, answer) = s
            .put(
                "/c/bank/TEXT/settings",
                &curator,
                json!({"shared_with": [tenant]}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{tenant:?}: {answer}");
        assert_eq!(answer["code"], "bad_tenant", "{answer}");
    }
    let (_, settings) = s.get("/c/bank/TEXT/settings", &curator).await;
    assert_eq!(settings["shared_with"], json!([]), "{settings}");
    let (status, answer) = s
        .put(
            "/c/bank/TEXT/settings",
            &curator,
            json!({"shared_read": ["acme-2"]}),
        )
        .await;
    assert!(status.is_success(), "{answer}");
    s.stop().await;
}
on_both!(free_text_has_limits_and_no_hidden_characters);
