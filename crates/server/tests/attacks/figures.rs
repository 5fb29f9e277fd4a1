//! Each tenant its own figures: index sizes of the banks it sees, its own
//! metrics, and none of the service's own records.

use std::time::Duration;

use hashwatch_store::records;
use hashwatch_store::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::{hash, lookup_path, on_both, Served};

/// Keys of two tenants, acme (with a bank, ACME) and globex: (acme's,
/// globex's).
async fn acme_and_globex(s: &Served) -> (String, String) {
    let acme = s
        .key("acme", &[Role::Curator, Role::Admin, Role::Matcher])
        .await;
    let globex = s.key("globex", &[Role::Admin, Role::Matcher]).await;
    let (status, answer) = s.post("/c/banks", &acme, json!({"name": "ACME"})).await;
    assert!(status.is_success(), "{answer}");
    (acme, globex)
}

/// Before: `/m/index/status` and `/c/signal_type/index` gave any tenant's
/// matcher the store-wide sizes, and `retention.purge` rows with
/// store-wide counts appeared in every tenant's `/audit`.
async fn a_tenant_sees_its_own_figures(spec: String) {
    let s = Served::start(&spec, |c| {
        c.retention.every = Duration::from_millis(100);
    })
    .await;
    let (acme, globex) = acme_and_globex(&s).await;
    for n in 0..3 {
        let (status, answer) = s
            .post("/c/bank/ACME/signal", &acme, json!({"pdq": hash(100 + n)}))
            .await;
        assert!(status.is_success(), "{answer}");
    }
    let pdq_size = |key: &str| {
        let key = key.to_string();
        let s = &s;
        async move {
            let status = s
                .until("/m/index/status?signal_type=pdq", &key, |v| {
                    v["pdq"]["present"] == json!(true)
                })
                .await;
            let (_, index) = s.get("/c/signal_type/index?signal_type=pdq", &key).await;
            (
                status["pdq"]["size"].as_u64(),
                index["pdq"]["db_size"].as_u64(),
            )
        }
    };
    s.until("/m/index/status?signal_type=pdq", &acme, |v| {
        v["pdq"]["size"] == json!(3)
    })
    .await;
    assert_eq!(pdq_size(&acme).await, (Some(3), Some(3)));
    assert_eq!(pdq_size(&globex).await, (Some(0), Some(0)));
    // Shared with globex, the bank counts in its figures too.
    let (status, answer) = s
        .put(
            "/c/bank/ACME/settings",
            &acme,
            json!({"shared_with": ["globex"]}),
        )
        .await;
    assert!(status.is_success(), "{answer}");
    s.until("/m/index/status?signal_type=pdq", &globex, |v| {
        v["pdq"]["size"] == json!(3)
    })
    .await;

    // The purge has run (at start and every 100 ms): its rows are the
    // operator's, in no tenant's log.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let store = s.store();
    let all = tokio::task::spawn_blocking(move || {
        records(store.as_ref())
            .audit_events(&Default::default())
            .expect("reads")
    })
    .await
    .expect("read");
    assert!(
        all.iter().any(|e| e.event.action == "retention.purge"),
        "the purge ran"
    );
    for key in [&acme, &globex] {
        let (status, log) = s.get("/audit?limit=500", key).await;
        assert_eq!(status, StatusCode::OK, "{log}");
        let text = log.to_string();
        assert!(!text.contains("retention.purge"), "{text}");
    }
    s.stop().await;
}
on_both!(a_tenant_sees_its_own_figures);

const OPERATOR_TOKEN: &str = "operator-metrics-token-0123456789abcdef";

/// Before: `/metrics` gave any tenant's admin the instance's match,
/// webhook-failure and per-route counts, the public hotline routes
/// included. Now a tenant's admin sees the requests of its keys, its
/// lookups' matches and the entries it sees; the instance's figures
/// need the operator's metrics token.
async fn each_tenant_its_own_metrics(spec: String) {
    let s = Served::start(&spec, |c| {
        c.metrics_token = Some(OPERATOR_TOKEN.into());
    })
    .await;
    let (acme, globex) = acme_and_globex(&s).await;
    let (status, answer) = s
        .post("/c/bank/ACME/signal", &acme, json!({"pdq": hash(7)}))
        .await;
    assert!(status.is_success(), "{answer}");
    s.until("/m/index/status?signal_type=pdq", &acme, |v| {
        v["pdq"]["size"] == json!(1)
    })
    .await;
    let (status, answer) = s.get(&lookup_path(&hash(7)), &acme).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = s
        .call(
            reqwest::Method::POST,
            "/hotline/reports",
            None,
            Some(json!({"url": "https://example.org/reported"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    let text = |key: &str| {
        let key = key.to_string();
        let s = &s;
        async move {
            let (status, body) = s.get("/metrics", &key).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body.as_str().expect("text").to_string()
        }
    };
    let lookups = "route=\"GET /m/lookup\",status=\"200\"";
    let instance_only = [
        "hashwatch_index_bytes",
        "hashwatch_decodes_cancelled_total",
        "hashwatch_feeds_stale",
        "/hotline/reports",
    ];
    let theirs = text(&globex).await;
    assert!(!theirs.contains(lookups), "{theirs}");
    assert!(theirs.contains("hashwatch_matches_total 0"), "{theirs}");
    assert!(
        !theirs.contains("hashwatch_index_entries{signal_type=\"pdq\"} 1"),
        "{theirs}"
    );
    for line in instance_only {
        assert!(!theirs.contains(line), "{line} in {theirs}");
    }
    let ours = text(&acme).await;
    assert!(ours.contains(lookups), "{ours}");
    assert!(ours.contains("hashwatch_matches_total 1"), "{ours}");
    assert!(
        ours.contains("hashwatch_index_entries{signal_type=\"pdq\"} 1"),
        "{ours}"
    );
    for line in instance_only {
        assert!(!ours.contains(line), "{line} in {ours}");
    }
    let instance = text(OPERATOR_TOKEN).await;
    assert!(instance.contains(lookups), "{instance}");
    assert!(instance.contains("hashwatch_matches_total 1"), "{instance}");
    for line in instance_only {
        assert!(instance.contains(line), "{line} not in {instance}");
    }
    // The token opens /metrics and nothing else; a matcher sees none.
    let (status, _) = s.get("/c/banks", OPERATOR_TOKEN).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let matcher = s.key("acme", &[Role::Matcher]).await;
    let (status, _) = s.get("/metrics", &matcher).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    s.stop().await;
}
on_both!(each_tenant_its_own_metrics);
