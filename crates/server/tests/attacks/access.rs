//! Who may see and do what: the hotline is its tenant's, the blocklist
//! needs its own role, and a tenant a bank is shared with matches against
//! it and does nothing else.

use std::sync::Arc;

use hashwatch_store::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use hashwatch_store::records;

use crate::{hash, lookup_path, on_both, Served};

const ASSESS: &str = r#"{"verdict": "illegal", "category": "A1"}"#;

fn assess_body() -> Value {
    serde_json::from_str(ASSESS).expect("json")
}

fn with_feed_key(config: &mut hashwatch_server::Config) {
    config.feed_key = Some(Arc::new(hashwatch_feed::FeedKey::generate().expect("key")));
}

/// Before: a curator and an admin of a platform tenant assessed a public
/// report twice and listed the URL.
async fn a_platform_cannot_run_the_hotline(spec: String) {
    let s = Served::start(&spec, with_feed_key).await;
    let case = s.report("http://abuse.invalid/a.jpg").await;
    let assess = format!("/hotline/cases/{case}/assess");
    let platform = [
        s.key("acme", &[Role::Curator]).await,
        s.key("acme", &[Role::Admin]).await,
        // Hotline roles in another tenant are not the hotline's.
        s.key("acme", &[Role::Supervisor]).await,
        // Bank roles in the hotline's own tenant are not hotline roles.
        s.key("default", &[Role::Admin, Role::Curator]).await,
        s.key("default", &[Role::Blocklist, Role::Partner]).await,
    ];
    // Keys without a bank role match nothing and hash nothing.
    for key in [&platform[4], &s.key("default", &[Role::Analyst]).await] {
        for path in [
            crate::lookup_path(&hash(3)),
            "/c/banks".to_string(),
            "/m/index/status".to_string(),
        ] {
            let (status, answer) = s.get(&path, key).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
        }
    }
    for key in &platform {
        let (status, answer) = s.post(&assess, key, assess_body()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
        for path in [
            "/hotline/queue".to_string(),
            format!("/hotline/cases/{case}"),
            "/hotline/appeals".to_string(),
            "/hotline/stats".to_string(),
        ] {
            let (status, answer) = s.get(&path, key).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
        }
    }

    // Four eyes: two analysts are not enough; an analyst and another
    // key's supervisor are.
    let analyst = s.key("default", &[Role::Analyst]).await;
    let other_analyst = s.key("default", &[Role::Analyst]).await;
    let supervisor = s.key("default", &[Role::Supervisor]).await;
    let (status, first) = s.post(&assess, &analyst, assess_body()).await;
    assert_eq!((status, &first["listed"]), (StatusCode::OK, &json!(false)));
    // The four-eyes rule refuses as a permission does: 403, not 400.
    let (status, refused) = s.post(&assess, &other_analyst, assess_body()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(refused.to_string().contains("supervisor"), "{refused}");
    let isp = s.key("isp", &[Role::Blocklist]).await;
    let (_, listed) = s.get("/blocklist", &isp).await;
    assert_eq!(listed, json!(""), "listed before four eyes");
    // Nor does one supervisor twice, on another case.
    let own = s.report("http://abuse.invalid/own.jpg").await;
    let own_assess = format!("/hotline/cases/{own}/assess");
    let (status, _) = s.post(&own_assess, &supervisor, assess_body()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = s.post(&own_assess, &supervisor, assess_body()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, second) = s.post(&assess, &supervisor, assess_body()).await;
    assert_eq!((status, &second["listed"]), (StatusCode::OK, &json!(true)));
    let (status, listed) = s.get("/blocklist", &isp).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        listed.as_str().map(str::trim),
        second["case"]["url_sha256"].as_str()
    );
    s.stop().await;
}
on_both!(a_platform_cannot_run_the_hotline);

/// Before: any matcher key of any tenant read the blocklist and the
/// shared assessments in plain text.
async fn matcher_keys_read_no_blocklist(spec: String) {
    let s = Served::start(&spec, |c| {
        with_feed_key(c);
        c.four_eyes = false;
    })
    .await;
    let case = s.report("http://abuse.invalid/b.jpg").await;
    let analyst = s.key("default", &[Role::Analyst]).await;
    let (status, assessed) = s
        .post(
            &format!("/hotline/cases/{case}/assess"),
            &analyst,
            assess_body(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{assessed}");
    let url = assessed["case"]["url"].as_str().expect("url").to_string();
    let sha = assessed["case"]["url_sha256"]
        .as_str()
        .expect("sha")
        .to_string();

    for tenant in ["default", "acme"] {
        let matcher = s
            .key(tenant, &[Role::Matcher, Role::Curator, Role::Admin])
            .await;
        for path in ["/blocklist", "/blocklist/delta?since=0", "/hotline/feed"] {
            let (status, answer) = s.get(path, &matcher).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{tenant} {path}: {answer}");
            assert!(!answer.to_string().contains("abuse.invalid"));
        }
    }

    // The blocklist role gets hashes, in every form, and never the URL.
    let isp = s.key("isp", &[Role::Blocklist]).await;
    for path in [
        "/blocklist",
        "/blocklist?format=sha256",
        "/blocklist?format=json",
        "/blocklist/delta?since=0",
        "/blocklist/delta?since=0&format=json",
    ] {
        let (status, answer) = s.get(path, &isp).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
        let text = answer.to_string();
        assert!(
            text.contains(&sha) && !text.contains("abuse.invalid"),
            "{path}: {text}"
        );
    }
    let (status, _) = s.get("/blocklist?format=plain", &isp).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.get("/hotline/feed", &isp).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Plain-text URLs only to keys granted them; shared assessments to
    // partners.
    let filter = s.key("filter", &[Role::BlocklistUrls]).await;
    let (status, plain) = s.get("/blocklist", &filter).await;
    assert_eq!(
        (status, plain.as_str().map(str::trim)),
        (StatusCode::OK, Some(url.as_str()))
    );
    let partner = s.key("partner-hotline", &[Role::Partner]).await;
    let (status, feed) = s.get("/hotline/feed", &partner).await;
    assert_eq!(status, StatusCode::OK);
    assert!(feed.to_string().contains(&url));
    s.stop().await;
}
on_both!(matcher_keys_read_no_blocklist);

/// Before: a tenant a bank was shared with read and replayed the owner's
/// dead letters, found the owner's flood reviews in its own queue and
/// could re-enable the quarantined content, and read and exported the
/// bank; matcher keys exported banks; a threshold of 256 was accepted.
async fn a_shared_tenant_only_matches(spec: String) {
    let s = Served::start(&spec, |c| {
        with_feed_key(c);
        c.flood.limit = 3;
        c.flood.quarantine = true;
    })
    .await;
    let owner = s.key("acme", &[Role::Admin]).await;
    let owner_matcher = s.key("acme", &[Role::Matcher]).await;
    let guest = s.key("globex", &[Role::Admin, Role::Matcher]).await;
    let signal = hash(11);
    assert_eq!(
        s.post("/c/banks", &owner, json!({"name": "ACME"})).await.0,
        StatusCode::CREATED
    );
    let (status, added) = s
        .post("/c/bank/ACME/signal", &owner, json!({"pdq": signal}))
        .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let content = added["id"].as_u64().expect("content id");
    let (status, answer) = s
        .put(
            "/c/bank/ACME/settings",
            &owner,
            json!({
                "shared_with": ["globex"],
                "review": true,
                // Nothing listens there: every delivery fails at once.
                "webhook": {"url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef"}
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = s
        .put("/c/bank/ACME/settings", &owner, json!({"threshold": 256}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");

    // The guest matches: that is what sharing is for.
    // Seen under the owner's name for it, `acme:ACME`.
    s.until(&lookup_path(&signal), &guest, |b| {
        b.get("acme:ACME").is_some()
    })
    .await;
    for _ in 0..4 {
        let (status, _) = s.get(&lookup_path(&signal), &guest).await;
        assert_eq!(status, StatusCode::OK);
    }

    // Reviews, flood reviews and dead letters are the owner's.
    let reviews = s
        .until("/reviews?state=open", &owner, |r| {
            r["reviews"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r["reason"] == "flood"))
        })
        .await;
    let flood = reviews["reviews"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["reason"] == "flood"))
        .and_then(|r| r["id"].as_i64())
        .expect("a flood review");
    let dead = s
        .until("/actions/dead-letters", &owner, |d| {
            d["dead_letters"].as_array().is_some_and(|d| !d.is_empty())
        })
        .await;
    let letter = dead["dead_letters"][0]["id"].as_i64().expect("id");
    let (_, theirs) = s.get("/reviews", &guest).await;
    assert_eq!(theirs["reviews"], json!([]), "{theirs}");
    let (status, _) = s
        .post(
            &format!("/reviews/{flood}"),
            &guest,
            json!({"decision": "confirm"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, theirs) = s.get("/actions/dead-letters", &guest).await;
    assert_eq!(theirs["dead_letters"], json!([]), "{theirs}");
    let (status, _) = s
        .post(
            &format!("/actions/dead-letters/{letter}/replay"),
            &guest,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Holds keep the owner's records: the guest cannot place one on the
    // owner's content (and keep it from the purge), the owner can.
    let hold = |target: String| json!({"kind": "content", "target": target, "reason": "case 9"});
    let (status, answer) = s.post("/holds", &guest, hold(content.to_string())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let (status, answer) = s.post("/holds", &guest, hold("999999".into())).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    let (status, answer) = s.post("/holds", &owner, hold(content.to_string())).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    // No reading the bank, from the guest or from a matcher key.
    for (who, key, bank) in [
        ("guest", &guest, "acme:ACME"),
        ("owner's matcher", &owner_matcher, "ACME"),
    ] {
        for path in [
            format!("/c/bank/{bank}/export"),
            format!("/c/bank/{bank}/content/{content}"),
            format!("/c/bank/{bank}/settings"),
            format!("/c/bank/{bank}/series"),
            format!("/feeds/{bank}"),
        ] {
            let (status, answer) = s.get(&path, key).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who} {path}: {answer}");
            assert!(
                !answer.to_string().contains(&signal),
                "{who} {path}: {answer}"
            );
        }
    }
    // Unless the owner grants it.
    let (status, _) = s
        .put(
            "/c/bank/ACME/settings",
            &owner,
            json!({"shared_read": ["globex"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let guest_curator = s.key("globex", &[Role::Curator]).await;
    let (status, exported) = s.get("/c/bank/acme:ACME/export", &guest_curator).await;
    assert_eq!(status, StatusCode::OK);
    assert!(exported.to_string().contains(&signal));
    s.stop().await;
}
on_both!(a_shared_tenant_only_matches);

/// Before: an export was built whole in memory before a byte was sent.
async fn exports_are_streamed(spec: String) {
    let s = Served::start(&spec, |_| {}).await;
    let curator = s.key("acme", &[Role::Curator]).await;
    assert_eq!(
        s.post("/c/banks", &curator, json!({"name": "BIG"})).await.0,
        StatusCode::CREATED
    );
    let signals: Vec<Value> = (0..3_000)
        .map(|n| json!({"signal_type": "pdq", "signal": hash(1_000 + n)}))
        .collect();
    let (status, answer) = s
        .post("/c/bank/BIG/signals", &curator, json!({"signals": signals}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let response = s
        .http
        .get(format!("{}/c/bank/BIG/export", s.base))
        .bearer_auth(&curator)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers().get("content-length").is_none(),
        "a length known up front means the export was built whole first"
    );
    let text = response.text().await.expect("body");
    assert_eq!(text.lines().count(), 3_001, "a header and every entry");
    s.stop().await;
}
on_both!(exports_are_streamed);

/// Before: bank names were global, so creating a bank under a name another
/// tenant held answered 403 and told the caller that name was taken.
async fn bank_names_are_per_tenant(spec: String) {
    let s = Served::start(&spec, |_| {}).await;
    let acme = s.key("acme", &[Role::Admin]).await;
    let globex = s.key("globex", &[Role::Admin]).await;
    let operator = s.key("default", &[Role::Admin]).await;
    for key in [&globex, &operator, &acme] {
        let (status, answer) = s.post("/c/banks", key, json!({"name": "PHOTOS"})).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let (status, answer) = s.post("/c/banks", &globex, json!({"name": "TAKEN"})).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    // Its own name again is taken (403, as HMA answers): that tells it
    // nothing new.
    let (status, answer) = s.post("/c/banks", &acme, json!({"name": "PHOTOS"})).await;
    assert_eq!(
        (status, &answer["code"]),
        (StatusCode::FORBIDDEN, &json!("bank_exists"))
    );
    // Renaming into a name another tenant holds is no conflict either.
    let (status, renamed) = s
        .put("/c/bank/PHOTOS", &acme, json!({"name": "TAKEN"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "acme:TAKEN");

    // Each tenant sees its own banks, under the names it gave them.
    let names = |banks: &Value| -> Vec<String> {
        let mut names: Vec<String> = banks
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|b| b["name"].as_str().map(str::to_string))
            .collect();
        names.sort();
        names
    };
    let (_, listed) = s.get("/c/banks", &acme).await;
    assert_eq!(names(&listed), ["acme:TAKEN"]);
    let (_, listed) = s.get("/c/banks", &globex).await;
    assert_eq!(names(&listed), ["globex:PHOTOS", "globex:TAKEN"]);
    let (_, listed) = s.get("/c/banks", &operator).await;
    assert_eq!(names(&listed), ["PHOTOS"]);

    // Another tenant's bank and no bank at all get the same answer.
    let (missing_status, missing) = s.get("/c/bank/globex:NOPE", &acme).await;
    assert_eq!(missing_status, StatusCode::NOT_FOUND);
    for name in ["globex:PHOTOS", "globex:TAKEN", "default:PHOTOS"] {
        let (status, answer) = s.get(&format!("/c/bank/{name}"), &acme).await;
        assert_eq!(status, missing_status, "{name}: {answer}");
        assert_eq!(answer["code"], missing["code"], "{name}: {answer}");
    }

    // A hash banked by one tenant is no other tenant's match.
    let signal = hash(21);
    let (status, answer) = s
        .post("/c/bank/TAKEN/signal", &acme, json!({"pdq": signal}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    s.until(&lookup_path(&signal), &acme, |b| {
        b.get("acme:TAKEN").is_some()
    })
    .await;
    let (_, theirs) = s.get(&lookup_path(&signal), &globex).await;
    assert_eq!(theirs, json!({}), "{theirs}");

    // Holds name no other tenant's bank: a content id of globex's answers
    // as an id that does not exist.
    let (status, added) = s
        .post("/c/bank/PHOTOS/signal", &globex, json!({"pdq": hash(22)}))
        .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let theirs = added["id"].as_u64().expect("content id");
    let hold = |target: String| json!({"kind": "content", "target": target, "reason": "x"});
    let (status, answer) = s.post("/holds", &acme, hold(theirs.to_string())).await;
    let (_, nothing) = s.post("/holds", &acme, hold("987654".into())).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert!(!answer.to_string().contains("globex"), "{answer}");
    assert_eq!(answer["code"], nothing["code"], "{answer}");

    // A default-tenant bank shared with acme is `default:PHOTOS` there,
    // and that name works when given back.
    let (status, answer) = s
        .put(
            "/c/bank/PHOTOS/settings",
            &operator,
            json!({"shared_with": ["acme"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let shared = hash(23);
    let (status, answer) = s
        .post("/c/bank/PHOTOS/signal", &operator, json!({"pdq": shared}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, listed) = s.get("/c/banks", &acme).await;
    assert_eq!(names(&listed), ["acme:TAKEN", "default:PHOTOS"]);
    s.until(&lookup_path(&shared), &acme, |b| {
        b.get("default:PHOTOS").is_some()
    })
    .await;
    let (status, bank) = s.get("/c/bank/default:PHOTOS", &acme).await;
    assert_eq!(
        (status, &bank["name"]),
        (StatusCode::OK, &json!("default:PHOTOS"))
    );
    s.stop().await;
}
on_both!(bank_names_are_per_tenant);

/// Before: there was no hold for a hotline case, so retention deleted the
/// reports and reporters' contacts of a closed case under investigation.
async fn hotline_cases_can_be_held(spec: String) {
    let s = Served::start(&spec, |_| {}).await;
    let analyst = s.key("default", &[Role::Analyst]).await;
    let supervisor = s.key("default", &[Role::Supervisor]).await;
    let bank_admin = s.key("default", &[Role::Admin]).await;
    let other_supervisor = s.key("acme", &[Role::Supervisor]).await;
    let mut cases = Vec::new();
    // (The hold below is written with a leading zero: it must still keep
    // case N.)
    for url in [
        "http://abuse.invalid/held.jpg",
        "http://abuse.invalid/gone.jpg",
    ] {
        let case = s.report(url).await;
        let assess = format!("/hotline/cases/{case}/assess");
        let verdict = json!({"verdict": "not_illegal"});
        s.post(&assess, &analyst, verdict.clone()).await;
        s.post(&assess, &supervisor, verdict).await;
        let (_, view) = s.get(&format!("/hotline/cases/{case}"), &supervisor).await;
        assert_eq!(view["state"], "not_illegal", "{view}");
        cases.push(case);
    }
    let hold =
        json!({"kind": "case", "target": format!("0{}", cases[0]), "reason": "police request 7"});
    for key in [&analyst, &bank_admin, &other_supervisor] {
        let (status, answer) = s.post("/holds", key, hold.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    }
    let missing = json!({"kind": "case", "target": "999999", "reason": "x"});
    let (status, _) = s.post("/holds", &supervisor, missing).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, placed) = s.post("/holds", &supervisor, hold).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    // Bank admins do not see hotline holds, nor the hotline bank holds.
    let (_, theirs) = s.get("/holds", &bank_admin).await;
    assert_eq!(theirs["holds"], json!([]), "{theirs}");
    let (_, held) = s.get("/holds", &supervisor).await;
    assert_eq!(held["holds"].as_array().map(Vec::len), Some(1), "{held}");

    // Retention: the held case keeps its report, the other does not.
    let store = s.store();
    let purge = move || {
        let store = store.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                records(store.as_ref())
                    .purge(hashwatch_store::unix_now() + 10, 0)
                    .expect("purges")
            })
            .await
            .expect("purged")
        }
    };
    assert_eq!(purge().await.reports, 1);
    let id = placed["id"].as_i64().expect("hold id");
    let (status, _) = s
        .call(
            reqwest::Method::DELETE,
            &format!("/holds/{id}"),
            Some(&bank_admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s
        .call(
            reqwest::Method::DELETE,
            &format!("/holds/{id}"),
            Some(&supervisor),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(purge().await.reports, 1);
    s.stop().await;
}
on_both!(hotline_cases_can_be_held);
