//! Signed feeds between two real instances on loopback: publish 100k
//! hashes, subscribe, kill the subscriber mid-sync and resume, revoke 1k
//! and see the tombstones within one poll, refuse tampered pages and pages
//! signed with another key, and send an opinion back.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use hashwatch_testdata::Rng;
use serde_json::{json, Value};

use crate::{lookup_path, Db, Server};

const HASHES: usize = 100_000;
const REVOKED: usize = 1_000;

/// Runs `hashwatch --db … ARGS` whatever its exit status.
pub fn run(db: &Db, args: &[&str]) -> Output {
    db.command().args(args).output().expect("hashwatch runs")
}

fn keygen(db: &Db, path: &Path) -> String {
    db.hashwatch(&["feed", "keygen", "--out", &path.to_string_lossy()])
        .trim()
        .to_string()
}

/// The subscription to `url`, as `feed status --format json` shows it.
pub fn status(db: &Db, url: &str) -> Value {
    db.hashwatch(&["feed", "status", "--format", "json"])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json line"))
        .find(|s| s["url"] == url)
        .unwrap_or_else(|| panic!("no subscription to {url}"))
}

/// A bank's active hashes, sorted.
fn live_set(db: &Db, bank: &str) -> Vec<String> {
    let mut set: Vec<String> = db
        .hashwatch(&["bank", "export", bank, "--format", "plain"])
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    set.sort();
    set
}

fn active(db: &Db, bank: &str) -> u64 {
    db.hashwatch(&["bank", "list", "--format", "json"])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json line"))
        .find(|b| b["name"] == bank)
        .and_then(|b| b["active"].as_u64())
        .unwrap_or(0)
}

/// Serves `body` to every request, as a publisher that altered its pages
/// in transit would.
fn static_server(body: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    port
}

fn feeds_between(publisher_db: Db, subscriber_db: Db) {
    let dir = tempfile::tempdir().expect("dir");
    let mut rng = Rng::new(42);
    let hashes: Vec<String> = (0..HASHES).map(|_| rng.hash().to_string()).collect();
    let list = dir.path().join("known.txt");
    std::fs::write(&list, hashes.join("\n")).expect("list");
    publisher_db.hashwatch(&["bank", "create", "known"]);
    publisher_db.hashwatch(&[
        "bank",
        "import",
        "known",
        &list.to_string_lossy(),
        "--no-progress",
    ]);
    let public = keygen(&publisher_db, &dir.path().join("feed.key"));
    let other = keygen(&publisher_db, &dir.path().join("other.key"));
    let admin = publisher_db.key("admin", "default");
    let partner = publisher_db.key("partner", "default");
    let key_file = dir.path().join("feed.key").to_string_lossy().into_owned();
    let publisher = Server::start(&publisher_db, &admin, &["--feed-key", &key_file]);
    let url = format!("{}/feeds/known", publisher.base);
    let (status_code, key) = publisher.api(&partner).get("/feeds/key");
    assert_eq!(
        (status_code, key["public_key"].as_str()),
        (200, Some(public.as_str()))
    );

    // A page signed with another key than the pinned one: refused, nothing
    // applied, the checkpoint stays at 0 and the error is kept.
    let refused = run(
        &subscriber_db,
        &[
            "feed",
            "subscribe",
            &url,
            "--bank",
            "mirror",
            "--public-key",
            &other,
            "--api-key",
            &partner,
            "--no-progress",
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("does not verify with the pinned key"),
        "{stderr}"
    );
    let sub = status(&subscriber_db, &url);
    assert_eq!(sub["checkpoint"], 0);
    assert!(sub["last_error"]
        .as_str()
        .is_some_and(|e| e.contains("does not verify")));
    assert_eq!(active(&subscriber_db, "mirror"), 0);

    // A real page altered in transit: refused, nothing applied.
    let page = reqwest::blocking::Client::new()
        .get(format!("{url}?since=0&limit=10"))
        .bearer_auth(&partner)
        .send()
        .expect("page")
        .text()
        .expect("body");
    let tampered = page.replacen(&hashes_in_page(&page)[0], &"0".repeat(64), 1);
    assert_ne!(tampered, page);
    let port = static_server(tampered.into_bytes());
    let tampered_url = format!("http://127.0.0.1:{port}/feeds/known");
    let refused = run(
        &subscriber_db,
        &[
            "feed",
            "subscribe",
            &tampered_url,
            "--bank",
            "tampered",
            "--public-key",
            &public,
            "--no-progress",
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not verify"));
    assert_eq!(status(&subscriber_db, &tampered_url)["checkpoint"], 0);
    assert_eq!(active(&subscriber_db, "tampered"), 0);

    // The right key, killed mid-sync: what was applied matches the
    // checkpoint exactly, and a resumed sync finishes the job.
    let mut child = subscriber_db
        .command()
        .args([
            "feed",
            "subscribe",
            &url,
            "--bank",
            "mirror",
            "--public-key",
            &public,
            "--api-key",
            &partner,
            "--page-size",
            "500",
            "--no-progress",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("subscribe starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let checkpoint = status(&subscriber_db, &url)["checkpoint"]
            .as_u64()
            .unwrap_or(0);
        if checkpoint >= 2_000 {
            break;
        }
        assert!(Instant::now() < deadline, "the sync never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let checkpoint = status(&subscriber_db, &url)["checkpoint"]
        .as_u64()
        .unwrap_or(0);
    assert!(
        checkpoint < HASHES as u64,
        "killed too late to test resuming"
    );
    assert_eq!(
        active(&subscriber_db, "mirror"),
        checkpoint,
        "applied = checkpoint"
    );
    // `feed sync` pulls every subscription: the tampered one fails again
    // (exit status 1) and the others are still pulled.
    let resumed = run(&subscriber_db, &["feed", "sync", "--no-progress"]);
    assert_eq!(resumed.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&resumed.stdout);
    let report: Value = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json"))
        .find(|r| r["url"] == url)
        .expect("the mirror's report");
    assert_eq!(report["checkpoint"], HASHES);
    assert_eq!(report["added"].as_u64(), Some(HASHES as u64 - checkpoint));
    assert_eq!(
        live_set(&subscriber_db, "mirror"),
        live_set(&publisher_db, "known")
    );

    // Nothing new: an empty page, and the checkpoint stays.
    let again = subscriber_db.hashwatch(&["feed", "sync", &url, "--no-progress"]);
    let report: Value = serde_json::from_str(again.trim()).expect("json");
    assert_eq!(
        (report["pages"].as_u64(), report["checkpoint"].as_u64()),
        (Some(0), Some(HASHES as u64))
    );

    // The subscriber's service pulls on its own; revoke 1k at the publisher
    // and the tombstones arrive within one poll.
    let sub_admin = subscriber_db.key("admin", "default");
    let subscriber = Server::start(&subscriber_db, &sub_admin, &["--feed-interval", "1s"]);
    let revoked: Vec<&str> = hashes
        .iter()
        .step_by(HASHES / REVOKED)
        .map(String::as_str)
        .collect();
    assert_eq!(revoked.len(), REVOKED);
    let mut args = vec![
        "bank",
        "revoke",
        "known",
        "--reason",
        "not what the bank is for",
    ];
    args.extend(revoked.iter().copied());
    publisher_db.hashwatch(&args);
    let started = Instant::now();
    let head = (HASHES + REVOKED) as u64;
    while status(&subscriber_db, &url)["checkpoint"].as_u64() != Some(head) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "tombstones never arrived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        live_set(&subscriber_db, "mirror"),
        live_set(&publisher_db, "known")
    );
    assert_eq!(active(&subscriber_db, "mirror"), (HASHES - REVOKED) as u64);
    // …and the subscriber's matcher follows: a revoked hash no longer
    // matches there, a live one does.
    let api = subscriber.api(&sub_admin);
    api.until(&lookup_path(&hashes[1]), Duration::from_secs(5), |b| {
        b.get("mirror").is_some()
    });
    api.until(&lookup_path(revoked[1]), Duration::from_secs(5), |b| {
        b.get("mirror").is_none()
    });
    let (_, subs) = api.get("/feeds/subscriptions");
    assert_eq!(subs["subscriptions"][0]["checkpoint"], json!(head));
    assert!(
        subs["subscriptions"][0].get("api_key").is_none(),
        "never shown"
    );

    // Every change to the subscriber's banks is audited under whoever made
    // it: the command line made the banks, subscribed and pulled; the
    // service pulled the tombstones.
    let (_, events) = api.get("/audit?limit=1000");
    let rows = |action: &str, actor: &str| -> Vec<Value> {
        events["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| e["action"] == action && e["actor"] == actor)
            .cloned()
            .collect()
    };
    let made: Vec<&str> = rows("bank.create", "cli")
        .iter()
        .filter_map(|e| e["bank"].as_str())
        .map(|b| if b == "mirror" { "mirror" } else { "other" })
        .collect();
    assert_eq!(made, ["mirror", "other"], "{events}");
    let subscribed = rows("feed.subscribe", "cli");
    assert_eq!(subscribed.len(), 3, "{events}");
    assert!(subscribed.iter().any(|e| e["target"] == url.as_str()));
    let added: u64 = rows("feed.sync", "cli")
        .iter()
        .filter(|e| e["bank"] == "mirror")
        .map(|e| e["detail"]["added"].as_u64().expect("added"))
        .sum();
    assert_eq!(added, HASHES as u64, "{events}");
    let removed: u64 = rows("feed.sync", "service")
        .iter()
        .map(|e| e["detail"]["removed"].as_u64().expect("removed"))
        .sum();
    assert_eq!(removed, REVOKED as u64, "{events}");
    let verified = subscriber_db.hashwatch(&["audit", "verify", "--format", "json"]);
    assert!(verified.contains("\"ok\":true"), "{verified}");

    // An opinion travels back to the publisher.
    subscriber_db.hashwatch(&[
        "feed",
        "opinion",
        &url,
        &format!("pdq:{}", hashes[1]),
        "--false-positive",
        "--note",
        "a logo",
        "--api-key",
        &partner,
    ]);
    let (code, opinions) = publisher.api(&admin).get("/feeds/known/opinions");
    assert_eq!(code, 200);
    let first = &opinions["opinions"][0];
    assert_eq!(first["value"], hashes[1].as_str());
    assert_eq!(first["opinion"], "false_positive");
    assert_eq!(first["note"], "a logo");
    assert_eq!(first["actor"], "partner");
    let unknown = run(
        &subscriber_db,
        &[
            "feed",
            "opinion",
            &url,
            &"ab".repeat(32),
            "--false-positive",
            "--api-key",
            &partner,
        ],
    );
    assert!(
        !unknown.status.success(),
        "an opinion about a hash the bank never had"
    );
}

/// The 64-digit values in a page body.
fn hashes_in_page(page: &str) -> Vec<String> {
    let body: Value = serde_json::from_str(page).expect("json");
    body["page"]["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["value"].as_str().expect("value").to_string())
        .collect()
}

#[test]
fn feeds_on_sqlite() {
    feeds_between(Db::sqlite(), Db::sqlite());
}

#[test]
fn feeds_on_postgres() {
    feeds_between(Db::postgres(), Db::postgres());
}
