//! Each multi-step change is one transaction: failing any one of its steps
//! leaves the store exactly as it was, audit log included.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use hashwatch_store::faults::FailingStore;
use hashwatch_store::{records, sql, BankKind, NewMatch, Role, SqliteStore, Store};
use serde_json::{json, Value};

use hashwatch_server::state::Event;
use hashwatch_server::tasks::{act_on, Flood};

use crate::Service;

/// Row counts of every table a change may touch.
fn snapshot(store: &dyn Store) -> Vec<(String, i64)> {
    let tables = [
        "banks",
        "entries WHERE revoked_at IS NULL",
        "entries",
        "contents",
        "content_links",
        "audit",
        "reviews WHERE state = 'open'",
        "changes",
        "holds",
        "hotline_cases",
        "hotline_cases WHERE first_verdict IS NOT NULL",
        "hotline_cases WHERE state IN ('confirmed', 'notice_sent')",
        "hotline_reports",
        "hotline_contacts",
        "hotline_appeals WHERE state = 'open'",
        "blocklist_log",
        "feed_opinions",
    ];
    sql::read(store, |tx| {
        let mut out = Vec::new();
        for t in tables {
            let n = tx.query(&format!("SELECT count(*) FROM {t}"), &[])?[0].req_int(0)?;
            out.push((t.to_string(), n));
        }
        Ok(out)
    })
    .expect("counts")
}

struct Faulty {
    service: Service,
    store: Arc<FailingStore<SqliteStore>>,
    /// A loopback port nobody listens on.
    closed_port: u16,
}

impl Faulty {
    /// A reported URL: its host resolves to loopback, at a port where
    /// nothing answers, so a re-check finds it still up (as on a passing
    /// outage) and a listing stays listed.
    fn url(&self, file: &str) -> String {
        format!("http://files.example.net:{}/{file}", self.closed_port)
    }
}

fn faulty() -> Faulty {
    let mut kept = None;
    let service = Service::configured(
        |path| {
            let store = Arc::new(FailingStore::new(SqliteStore::open(path).expect("opens")));
            kept = Some(store.clone());
            store
        },
        |config| {
            config.hosts = Some(Arc::new(
                hashwatch_outbound::StaticHosts::parse("127.0.0.1 files.example.net\n")
                    .expect("hosts"),
            ));
        },
    );
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    Faulty {
        service,
        store: kept.expect("store"),
        closed_port,
    }
}

/// Sends `request` with each of its write steps failing in turn, checking
/// that every failure is a 500 that changed nothing, until it succeeds;
/// returns the successful answer and how many steps it took.
async fn fails_cleanly_at_every_step<F, Fut>(faulty: &Faulty, mut request: F) -> (Value, usize)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (StatusCode, Value)>,
{
    for n in 1..500 {
        let before = snapshot(faulty.store.inner());
        faulty.store.fail_at(n);
        let (status, answer) = request().await;
        assert!(
            status.is_success() || faulty.store.steps() >= n,
            "failed at step {} before the injected failure at {n}: {answer}",
            faulty.store.steps()
        );
        if status.is_success() {
            faulty.store.fail_at(0);
            // It failed at each earlier step and got past this one: it
            // takes n - 1 steps. (Counting steps after the answer would
            // also count work the change set off in the background, whose
            // own transactions come after the change's.)
            let steps = n - 1;
            assert!(
                faulty.store.fired_in().is_none_or(|write| write > 1),
                "the change succeeded although its step {n} failed: an error was swallowed"
            );
            assert!(steps >= 2, "a multi-step change took {steps} step");
            return (answer, steps);
        }
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "step {n}: {answer}"
        );
        assert_eq!(
            snapshot(faulty.store.inner()),
            before,
            "failing step {n} left part of the change behind"
        );
    }
    panic!("the change never succeeded")
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_content_with_three_signals_is_all_or_nothing() {
    let faulty = faulty();
    let key = faulty.service.key(Role::Curator, "default");
    faulty
        .service
        .json(Method::POST, "/c/banks", &key, json!({"name": "KNOWN"}))
        .await;
    let body = json!({
        "pdq": "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
        "video_md5": "d41d8cd98f00b204e9800998ecf8427e",
        "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "note": "three signals, one content",
    });
    let (answer, steps) = fails_cleanly_at_every_step(&faulty, || {
        faulty
            .service
            .json(Method::POST, "/c/bank/KNOWN/signal", &key, body.clone())
    })
    .await;
    assert!(steps >= 5, "{steps} steps");
    let id = answer["id"].as_u64().expect("id");
    let (_, record) = faulty
        .service
        .get(
            &format!("/c/bank/KNOWN/content/{id}?include_signals=true"),
            &key,
        )
        .await;
    assert_eq!(
        record["signals"].as_object().map(|o| o.len()),
        Some(3),
        "{record}"
    );
    let audit = records(faulty.store.as_ref())
        .audit_events(&Default::default())
        .expect("audit");
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.event.action == "content.add")
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deciding_a_review_applies_everything_or_nothing() {
    let faulty = faulty();
    let key = faulty.service.key(Role::Curator, "default");
    let store: &dyn Store = faulty.store.as_ref();
    for (name, kind) in [("KNOWN", "positive"), ("FALSE_POSITIVES", "negative")] {
        let (status, answer) = faulty
            .service
            .json(
                Method::POST,
                "/c/banks",
                &key,
                json!({"name": name, "kind": kind}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    assert_eq!(
        store.bank("FALSE_POSITIVES").expect("bank").kind,
        BankKind::Negative
    );
    let hash = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    let (_, added) = faulty
        .service
        .json(
            Method::POST,
            "/c/bank/KNOWN/signal",
            &key,
            json!({"pdq": hash}),
        )
        .await;
    let content_id = added["id"].as_u64().expect("id");
    let review = records(store)
        .open_review(
            &NewMatch {
                tenant: "default".into(),
                key_id: None,
                bank: "KNOWN".into(),
                content_id,
                entry_id: content_id,
                signal_type: "pdq".into(),
                query: hash.into(),
                distance: 0,
            },
            hashwatch_model::ReviewReason::Match,
            "default",
        )
        .expect("review");
    let path = format!("/reviews/{review}");
    let (answer, _) = fails_cleanly_at_every_step(&faulty, || {
        faulty.service.json(
            Method::POST,
            &path,
            &key,
            json!({"decision": "reject", "negative_bank": "FALSE_POSITIVES"}),
        )
    })
    .await;
    assert_eq!(answer["state"], "rejected", "{answer}");
    assert_eq!(store.bank("FALSE_POSITIVES").expect("bank").active, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_bank_is_all_or_nothing_and_a_hold_stops_it() {
    let faulty = faulty();
    let admin = faulty.service.key(Role::Admin, "default");
    for name in ["KEPT", "GONE"] {
        faulty
            .service
            .json(Method::POST, "/c/banks", &admin, json!({"name": name}))
            .await;
        faulty
            .service
            .json(
                Method::POST,
                &format!("/c/bank/{name}/signal"),
                &admin,
                json!({"video_md5": "d41d8cd98f00b204e9800998ecf8427e"}),
            )
            .await;
    }
    let (status, hold) = faulty
        .service
        .json(
            Method::POST,
            "/holds",
            &admin,
            json!({"kind": "bank", "target": "KEPT", "reason": "case 17"}),
        )
        .await;
    assert!(status.is_success(), "{hold}");
    let before = snapshot(faulty.store.inner());
    let (status, answer) = faulty
        .service
        .call(Method::DELETE, "/c/bank/KEPT", &admin, None, Vec::new())
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::CONFLICT, Some("legal_hold"))
    );
    // Nothing changes but the audit log, which records the refused attempt.
    let audited: Vec<(String, i64)> = before
        .iter()
        .map(|(t, n)| (t.clone(), if t == "audit" { n + 1 } else { *n }))
        .collect();
    assert_eq!(snapshot(faulty.store.inner()), audited);
    let refused = records(faulty.store.inner())
        .audit_events(&Default::default())
        .expect("audit");
    assert_eq!(
        refused.last().map(|e| e.event.action.as_str()),
        Some("bank.delete_refused")
    );

    fails_cleanly_at_every_step(&faulty, || {
        faulty
            .service
            .call(Method::DELETE, "/c/bank/GONE", &admin, None, Vec::new())
    })
    .await;
    assert!(faulty.store.bank("GONE").is_err());
    assert!(faulty.store.bank("KEPT").is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn recording_matches_with_their_actions_is_all_or_nothing() {
    let faulty = faulty();
    let admin = faulty.service.key(Role::Admin, "default");
    faulty
        .service
        .json(Method::POST, "/c/banks", &admin, json!({"name": "KNOWN"}))
        .await;
    let (status, answer) = faulty
        .service
        .json(
            Method::PUT,
            "/c/bank/KNOWN/settings",
            &admin,
            json!({"review": true, "webhook": {"url": "http://127.0.0.1:9/hook", "secret": "a-secret-of-16-chars"}}),
        )
        .await;
    assert!(status.is_success(), "{answer}");
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    faulty
        .service
        .json(
            Method::POST,
            "/c/bank/KNOWN/signal",
            &admin,
            json!({"video_md5": md5}),
        )
        .await;
    let state = &faulty.service.state;
    let caller = records(faulty.store.as_ref())
        .keys(None)
        .expect("keys")
        .remove(0);
    let query = hashwatch_matcher::Query {
        exact: vec![(
            hashwatch_store::SignalType::Md5,
            hashwatch_store::SignalType::Md5
                .parse_value(md5)
                .expect("md5"),
        )],
        ..Default::default()
    };
    let hits = state
        .lookup(&caller, &query, &Default::default())
        .expect("loaded");
    assert_eq!(hits.len(), 1);
    let batch = || {
        vec![Event::Matched {
            caller: caller.clone(),
            query: md5.to_string(),
            hits: hits.clone(),
        }]
    };
    let flood = Flood::default();
    let counts = |store: &dyn Store| {
        let mut all = snapshot(store);
        all.extend(
            sql::read(store, |tx| {
                let mut out = Vec::new();
                for t in ["match_records", "deliveries"] {
                    out.push((
                        t.to_string(),
                        tx.query(&format!("SELECT count(*) FROM {t}"), &[])?[0].req_int(0)?,
                    ));
                }
                Ok(out)
            })
            .expect("counts"),
        );
        all
    };
    for n in 1..500 {
        let before = counts(faulty.store.inner());
        faulty.store.fail_at(n);
        let result = act_on(state, &flood, batch());
        assert!(
            result.is_ok() || faulty.store.steps() >= n,
            "failed before the injected failure at {n}: {result:?}"
        );
        match result {
            Ok(()) => {
                let steps = faulty.store.steps();
                faulty.store.fail_at(0);
                assert!(steps >= 4, "{steps} steps");
                break;
            }
            Err(_) => assert_eq!(
                counts(faulty.store.inner()),
                before,
                "failing step {n} left part of the batch behind"
            ),
        }
    }
    let after = counts(faulty.store.inner());
    let count = |name: &str| {
        after
            .iter()
            .find(|(t, _)| t.starts_with(name))
            .map(|(_, n)| *n)
    };
    assert_eq!(count("match_records"), Some(1));
    assert_eq!(count("deliveries"), Some(1));
    assert_eq!(count("reviews"), Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_is_taken_with_its_audit_row_or_not_at_all() {
    let faulty = faulty();
    let partner = faulty.service.key(Role::Partner, "default");
    let body = json!({"url": faulty.url("a.jpg"), "contact": "me@example.org"});
    let (answer, steps) = fails_cleanly_at_every_step(&faulty, || {
        faulty
            .service
            .json(Method::POST, "/hotline/reports", &partner, body.clone())
    })
    .await;
    assert!(steps >= 4, "{steps} steps");
    assert_eq!(answer["duplicate"], json!(false), "{answer}");
    let audit = records(faulty.store.inner())
        .audit_events(&Default::default())
        .expect("audit");
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.event.action == "hotline.report")
            .count(),
        1
    );
}

/// A case reported and assessed illegal once, awaiting a supervisor.
async fn case_awaiting_second_opinion(faulty: &Faulty) -> i64 {
    let partner = faulty.service.key(Role::Partner, "default");
    let analyst = faulty.service.key(Role::Analyst, "default");
    let (status, answer) = faulty
        .service
        .json(
            Method::POST,
            "/hotline/reports",
            &partner,
            json!({"url": faulty.url("b.jpg")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let id = answer["case_id"].as_i64().expect("case id");
    let (status, answer) = faulty
        .service
        .json(
            Method::POST,
            &format!("/hotline/cases/{id}/assess"),
            &analyst,
            json!({"verdict": "illegal", "category": "A1"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["listed"], json!(false), "{answer}");
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_assessment_lists_with_its_audit_rows_or_not_at_all() {
    let faulty = faulty();
    let id = case_awaiting_second_opinion(&faulty).await;
    let supervisor = faulty.service.key(Role::Supervisor, "default");
    let assess = format!("/hotline/cases/{id}/assess");
    let (answer, steps) = fails_cleanly_at_every_step(&faulty, || {
        faulty.service.json(
            Method::POST,
            &assess,
            &supervisor,
            json!({"verdict": "illegal", "category": "A1"}),
        )
    })
    .await;
    assert!(steps >= 3, "{steps} steps");
    assert_eq!(answer["listed"], json!(true), "{answer}");
    let audit = records(faulty.store.inner())
        .audit_events(&Default::default())
        .expect("audit");
    for action in ["hotline.assess", "blocklist.add"] {
        assert!(
            audit.iter().any(|a| a.event.action == action
                && a.event.key_id.is_some()
                && a.event.target.as_deref() == Some(format!("case:{id}").as_str())),
            "no {action} row"
        );
    }
}

/// Waits for the takedown round a listing sets off (it re-checks the URL
/// and changes the case), so that it does not change the store while a
/// test counts rows.
async fn takedown_round_done(faulty: &Faulty) {
    for _ in 0..400 {
        let audit = records(faulty.store.inner())
            .audit_events(&Default::default())
            .expect("audit");
        if audit.iter().any(|a| {
            matches!(
                a.event.action.as_str(),
                "hotline.removed" | "hotline.notice_delivery"
            )
        }) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the takedown round never finished");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upheld_appeal_delists_with_its_audit_rows_or_not_at_all() {
    let faulty = faulty();
    listed_case(&faulty).await;
    let supervisor = faulty.service.key(Role::Supervisor, "default");
    let (status, answer) = faulty
        .service
        .json(
            Method::POST,
            "/hotline/appeals",
            // A partner learns the appeal's id; the public is told nothing.
            &faulty.service.key(Role::Partner, "default"),
            json!({"url": faulty.url("b.jpg"), "reason": "it is my holiday photo"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let appeal = answer["appeal_id"].as_i64().expect("appeal id");
    let decide = format!("/hotline/appeals/{appeal}");
    let (answer, _) = fails_cleanly_at_every_step(&faulty, || {
        faulty.service.json(
            Method::POST,
            &decide,
            &supervisor,
            json!({"decision": "upheld"}),
        )
    })
    .await;
    assert_eq!(answer["state"], json!("upheld"), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_opinion_is_kept_with_its_audit_row_or_not_at_all() {
    let faulty = faulty();
    let curator = faulty.service.key(Role::Curator, "default");
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    let (status, answer) = faulty
        .service
        .json(Method::POST, "/c/banks", &curator, json!({"name": "KNOWN"}))
        .await;
    assert!(status.is_success(), "{answer}");
    let (status, answer) = faulty
        .service
        .json(
            Method::POST,
            "/c/bank/KNOWN/signal",
            &curator,
            json!({ "md5": md5 }),
        )
        .await;
    assert!(status.is_success(), "{answer}");
    let body = json!({"signal_type": "md5", "value": md5, "opinion": "false_positive"});
    let (answer, _) = fails_cleanly_at_every_step(&faulty, || {
        faulty.service.json(
            Method::POST,
            "/feeds/KNOWN/opinions",
            &curator,
            body.clone(),
        )
    })
    .await;
    assert!(answer["id"].as_i64().is_some(), "{answer}");
}

/// A case confirmed illegal (by two assessors) and listed, its takedown
/// round done.
async fn listed_case(faulty: &Faulty) -> i64 {
    let id = case_awaiting_second_opinion(faulty).await;
    let supervisor = faulty.service.key(Role::Supervisor, "default");
    let (status, answer) = faulty
        .service
        .json(
            Method::POST,
            &format!("/hotline/cases/{id}/assess"),
            &supervisor,
            json!({"verdict": "illegal", "category": "A1"}),
        )
        .await;
    assert_eq!(answer["listed"], json!(true), "{status} {answer}");
    takedown_round_done(faulty).await;
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn hashes_attached_and_banked_from_a_case_commit_with_their_audit_rows_or_not_at_all() {
    let faulty = faulty();
    let id = listed_case(&faulty).await;
    let supervisor = faulty.service.key(Role::Supervisor, "default");
    let admin = faulty.service.key(Role::Admin, "default");
    let (status, answer) = faulty
        .service
        .json(Method::POST, "/c/banks", &admin, json!({"name": "HOTLINE"}))
        .await;
    assert!(status.is_success(), "{answer}");
    let hashes = json!({"hashes": [
        {"signal_type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"},
        {"signal_type": "sha256",
         "value": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    ]});
    let attach = format!("/hotline/cases/{id}/hashes");
    let (answer, steps) = fails_cleanly_at_every_step(&faulty, || {
        faulty
            .service
            .json(Method::POST, &attach, &supervisor, hashes.clone())
    })
    .await;
    assert!(steps >= 3, "{steps} steps");
    assert_eq!(answer["attached"], json!(2), "{answer}");
    let to_bank = format!("/hotline/cases/{id}/bank");
    let (answer, _) = fails_cleanly_at_every_step(&faulty, || {
        faulty.service.json(
            Method::POST,
            &to_bank,
            &supervisor,
            json!({"bank": "HOTLINE"}),
        )
    })
    .await;
    assert_eq!(answer["added"], json!(2), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_appeal_is_taken_with_its_audit_row_or_not_at_all() {
    let faulty = faulty();
    listed_case(&faulty).await;
    let partner = faulty.service.key(Role::Partner, "default");
    let body = json!({"url": faulty.url("b.jpg"), "reason": "my holiday photo"});
    let (answer, _) = fails_cleanly_at_every_step(&faulty, || {
        faulty
            .service
            .json(Method::POST, "/hotline/appeals", &partner, body.clone())
    })
    .await;
    assert!(answer["appeal_id"].as_i64().is_some(), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn forgetting_a_contact_commits_with_its_audit_row_or_not_at_all() {
    let faulty = faulty();
    let partner = faulty.service.key(Role::Partner, "default");
    let supervisor = faulty.service.key(Role::Supervisor, "default");
    let (status, answer) = faulty
        .service
        .json(
            Method::POST,
            "/hotline/reports",
            &partner,
            json!({"url": faulty.url("c.jpg"), "contact": "me@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let report = answer["report_id"].as_i64().expect("report id");
    let path = format!("/hotline/reports/{report}/contact");
    let (_, steps) = fails_cleanly_at_every_step(&faulty, || {
        faulty
            .service
            .call(Method::DELETE, &path, &supervisor, None, Vec::new())
    })
    .await;
    assert!(steps >= 2, "{steps} steps");
    let audit = records(faulty.store.inner())
        .audit_events(&Default::default())
        .expect("audit");
    assert!(audit
        .iter()
        .any(|a| a.event.action == "hotline.contact_deleted"));
}
