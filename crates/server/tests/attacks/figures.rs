//! Each tenant its own figures: index sizes of the banks it sees, and
//! none of the service's own records.

use std::time::Duration;

use hashwatch_store::records;
use hashwatch_store::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::{hash, on_both, Served};

/// Before: `/m/index/status` and `/c/signal_type/index` gave any tenant's
/// matcher the store-wide sizes, and `retention.purge` rows with
/// store-wide counts appeared in every tenant's `/audit`.
async fn a_tenant_sees_its_own_figures(spec: String) {
    let s = Served::start(&spec, |c| {
        c.retention.every = Duration::from_millis(100);
    })
    .await;
    let acme = s
        .key("acme", &[Role::Curator, Role::Admin, Role::Matcher])
        .await;
    let globex = s.key("globex", &[Role::Admin, Role::Matcher]).await;
    let (status, answer) = s.post("/c/banks", &acme, json!({"name": "ACME"})).await;
    assert!(status.is_success(), "{answer}");
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
