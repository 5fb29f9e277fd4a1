//! `cargo bench -p hashwatch --bench ui`: the web interface's pages with a
//! busy hotline's records, against the JSON API answering the same
//! question in the same run (the peer: what the page adds over the data).
//!
//! A SQLite file gets `HASHWATCH_UI_CASES` open cases (default 10,000)
//! and `HASHWATCH_UI_AUDIT` audit entries (default 100,000, ten about
//! each of the first cases); the real binary serves it on loopback; one
//! signed-in browser session fetches each page `HASHWATCH_UI_ROUNDS`
//! times (default 50). Times are per request as the client sees them
//! (loopback, so a few tenths of a millisecond above the server's own);
//! median and 95th percentile go to stdout and, as JSON, to
//! `target/ui-bench.json`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hashwatch_store::{hotline, records, NewAudit, NewReport};
use serde_json::json;

use common::{env_number, hashwatch};

mod common;

/// Cases and audit entries, written straight into the store.
fn fill(db: &std::path::Path, cases: usize, audit: usize) {
    let store = hashwatch_store::open(&db.to_string_lossy()).expect("opens");
    let started = Instant::now();
    records(store.as_ref())
        .write(|r| {
            for i in 0..cases {
                let url = format!("http://host{}.example/path/{i}.jpg", i % 500);
                let sha = format!("{:064x}", i);
                r.hotline().report(&NewReport {
                    url,
                    url_sha256: sha,
                    host: format!("host{}.example", i % 500),
                    source: "public".into(),
                    description: Some("seen on a forum".into()),
                    contact: None,
                })?;
            }
            let rows: Vec<NewAudit> = (0..audit)
                .map(|i| NewAudit {
                    tenant: "default".into(),
                    key_id: Some(1),
                    actor: format!("analyst{}", i % 7),
                    action: ["hotline.report", "hotline.assess", "bank.import", "lookup"][i % 4]
                        .into(),
                    bank: None,
                    target: Some(format!("case:{}", 1 + i / 10 % cases.max(1))),
                    detail: Some(json!({"n": i}).to_string()),
                })
                .collect();
            for chunk in rows.chunks(10_000) {
                r.audit(chunk)?;
            }
            Ok(())
        })
        .expect("fills");
    eprintln!(
        "wrote {cases} cases and {audit} audit entries in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // One of each for the pages' counts.
    let _ = hotline(store.as_ref()).overview().expect("reads");
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let cases = env_number("HASHWATCH_UI_CASES", 10_000);
    let audit = env_number("HASHWATCH_UI_AUDIT", 100_000);
    let rounds = env_number("HASHWATCH_UI_ROUNDS", 50);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("ui.db");
    let key = |role: &str| {
        hashwatch(&db, &["key", "create", "--name", role, "--role", role])
            .trim()
            .to_string()
    };
    let supervisor = key("supervisor");
    let admin = key("admin");
    fill(&db, cases, audit);

    let mut server = Command::new(env!("CARGO_BIN_EXE_hashwatch"))
        .env_remove("HASHWATCH_DB")
        .env("RUST_LOG", "warn")
        .arg("--db")
        .arg(&db)
        .args(["serve", "--listen", "127.0.0.1:0", "--rate-limit", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("reads");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .expect("address")
        .to_string();
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let deadline = Instant::now() + Duration::from_secs(60);
    while http
        .get(format!("{base}/status"))
        .bearer_auth(&admin)
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
        != 200
    {
        assert!(Instant::now() < deadline, "never ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    let session = |key: &str| -> String {
        let answer = http
            .post(format!("{base}/ui/sign-in"))
            .header("origin", &base)
            .form(&[("key", key)])
            .send()
            .expect("signs in");
        let cookie = answer
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("a session cookie");
        cookie.split(';').next().unwrap_or_default().to_string()
    };
    let supervisor_cookie = session(&supervisor);
    let admin_cookie = session(&admin);
    let middle = cases / 2 + 1;
    // (name, path, auth): cookie pages and their API peers.
    let supervisor_auth = ("cookie", supervisor_cookie.as_str());
    let admin_auth = ("cookie", admin_cookie.as_str());
    let api_supervisor = format!("Bearer {supervisor}");
    let api_admin = format!("Bearer {admin}");
    let case_page = format!("/ui/hotline/cases/{middle}");
    let case_api = format!("/hotline/cases/{middle}");
    let targets: Vec<(&str, &str, (&str, &str))> = vec![
        ("page: triage queue", "/ui/hotline", supervisor_auth),
        (
            "peer: GET /hotline/queue",
            "/hotline/queue",
            ("authorization", &api_supervisor),
        ),
        (
            "page: triage filtered",
            "/ui/hotline?state=new&category=csam",
            supervisor_auth,
        ),
        ("page: case with timeline", &case_page, supervisor_auth),
        (
            "peer: GET /hotline/cases/N",
            &case_api,
            ("authorization", &api_supervisor),
        ),
        ("page: dashboard (hotline)", "/ui/", supervisor_auth),
        ("page: audit log", "/ui/audit", admin_auth),
        (
            "page: audit search",
            "/ui/audit?action=hotline.&actor=analyst3",
            admin_auth,
        ),
        (
            "peer: GET /audit?limit=100",
            "/audit?limit=100",
            ("authorization", &api_admin),
        ),
        ("page: dashboard (admin)", "/ui/", admin_auth),
        ("page: banks", "/ui/banks", admin_auth),
    ];
    let mut results = Vec::new();
    println!("{cases} open cases, {audit} audit entries, {rounds} requests a page");
    println!("{:<30} {:>10} {:>10}", "", "median ms", "p95 ms");
    for (name, path, (header, value)) in &targets {
        let mut times = Vec::with_capacity(rounds);
        for round in 0..rounds + 3 {
            let started = Instant::now();
            let answer = http
                .get(format!("{base}{path}"))
                .header(*header, *value)
                .send()
                .expect("answers");
            let status = answer.status().as_u16();
            let body = answer.bytes().expect("body");
            let took = started.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
            // The first few warm the caches.
            if round >= 3 {
                times.push(took);
            }
        }
        times.sort_by(f64::total_cmp);
        let (median, p95) = (percentile(&times, 0.5), percentile(&times, 0.95));
        println!("{name:<30} {median:>10.2} {p95:>10.2}");
        results.push(json!({"name": name, "path": path, "median_ms": median, "p95_ms": p95}));
    }
    let _ = server.kill();
    let _ = server.wait();
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ui-bench.json");
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&json!({
            "cases": cases, "audit": audit, "rounds": rounds, "results": results
        }))
        .expect("json"),
    )
    .expect("writes");
}
