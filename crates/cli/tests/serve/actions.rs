//! What happens on a match: records, webhooks (signed, retried, dead
//! letters replayed), the review queue and flood quarantine.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hashwatch_testdata::Rng;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::{lookup_path, Db, Server};

/// A webhook receiver on loopback: answers 500 to the first `failures`
/// requests, then 200; keeps (signature, body) of each.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<(u16, String, String)>>>,
}

impl Receiver {
    fn start(failures: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut length = 0;
                let mut signature = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if lower.starts_with("x-hashwatch-signature:") {
                        signature = line["x-hashwatch-signature:".len()..].trim().to_string();
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let mut seen = log.lock().expect("lock");
                let status = if seen.len() < failures { 500 } else { 200 };
                seen.push((
                    status,
                    signature,
                    String::from_utf8_lossy(&body).into_owned(),
                ));
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Receiver { url, seen }
    }

    fn wait_for(&self, n: usize) -> Vec<(u16, String, String)> {
        let started = std::time::Instant::now();
        loop {
            let seen = self.seen.lock().expect("lock").clone();
            if seen.len() >= n {
                return seen;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{} of {n} webhook calls",
                seen.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

const SECRET: &str = "a-webhook-secret-of-some-length";

fn expected_signature(body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

fn actions(db: Db) {
    let admin = db.key("admin", "default");
    let server = Server::start(
        &db,
        &admin,
        &[
            "--webhook-backoff",
            "1s",
            "--webhook-attempts",
            "2",
            "--flood-limit",
            "3",
            "--flood-quarantine",
        ],
    );
    let api = server.api(&admin);
    let mut rng = Rng::new(31);

    // A webhook that fails once, then succeeds: signed, retried, delivered.
    let receiver = Receiver::start(1);
    assert_eq!(api.post("/c/banks", json!({"name": "HOOKED"})).0, 201);
    assert_eq!(
        api.put(
            "/c/bank/HOOKED/settings",
            json!({"webhook": {"url": receiver.url, "secret": SECRET}})
        )
        .0,
        200
    );
    let hash = rng.hash().to_string();
    let (_, added) = api.post("/c/bank/HOOKED/signal", json!({"pdq": hash}));
    api.until(&lookup_path(&hash), Duration::from_secs(1), |b| {
        b.get("HOOKED").is_some()
    });
    let calls = receiver.wait_for(2);
    assert_eq!((calls[0].0, calls[1].0), (500, 200));
    assert_eq!(calls[0].2, calls[1].2, "a retry sends the same body");
    assert_eq!(calls[1].1, expected_signature(&calls[1].2));
    let body: Value = serde_json::from_str(&calls[1].2).expect("json body");
    assert_eq!(body["bank"], "HOOKED");
    assert_eq!(body["bank_content_id"], added["id"]);
    assert_eq!(body["signal"], json!(hash));
    let (_, matches) = api.get("/matches?bank=HOOKED");
    assert_eq!(matches["matches"].as_array().map(Vec::len), Some(1));

    // A webhook nobody answers: two attempts, then a dead letter; replayed
    // once the receiver is up.
    let dead_port = TcpListener::bind("127.0.0.1:0").expect("binds");
    let dead_url = format!("http://{}/hook", dead_port.local_addr().expect("addr"));
    drop(dead_port);
    assert_eq!(api.post("/c/banks", json!({"name": "UNHEARD"})).0, 201);
    assert_eq!(
        api.put(
            "/c/bank/UNHEARD/settings",
            json!({"webhook": {"url": dead_url, "secret": SECRET}})
        )
        .0,
        200
    );
    let hash = rng.hash().to_string();
    api.post("/c/bank/UNHEARD/signal", json!({"pdq": hash}));
    api.until(&lookup_path(&hash), Duration::from_secs(1), |b| {
        b.get("UNHEARD").is_some()
    });
    api.until("/actions/dead-letters", Duration::from_secs(15), |b| {
        b["dead_letters"].as_array().is_some_and(|d| d.len() == 1)
    });
    let (_, dead) = api.get("/actions/dead-letters");
    let letter = &dead["dead_letters"][0];
    assert_eq!(letter["attempts"], 2);
    assert!(letter["last_error"].is_string());
    let matcher = db.key("matcher", "default");
    assert_eq!(server.api(&matcher).get("/actions/dead-letters").0, 403);
    // Point the delivery's bank at nothing new: replay goes to the same URL,
    // so bring a receiver up there first.
    let revived = TcpListener::bind(
        dead_url
            .trim_start_matches("http://")
            .trim_end_matches("/hook"),
    );
    if let Ok(listener) = revived {
        let got = Arc::new(Mutex::new(0));
        let counter = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut stream = stream;
                let mut buf = [0u8; 65536];
                let _ = stream.read(&mut buf);
                *counter.lock().expect("lock") += 1;
                let _ = stream.write_all(b"HTTP/1.1 204 No\r\nconnection: close\r\n\r\n");
            }
        });
        assert_eq!(
            api.post(
                &format!("/actions/dead-letters/{}/replay", letter["id"]),
                json!({})
            )
            .0,
            200
        );
        api.until("/actions/dead-letters", Duration::from_secs(10), |b| {
            b["dead_letters"] == json!([])
        });
        let started = std::time::Instant::now();
        while *got.lock().expect("lock") == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the replayed letter was not sent"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    // The review queue: a match waits for a curator; a rejection with a
    // negative bank stops the hash matching.
    assert_eq!(api.post("/c/banks", json!({"name": "REVIEWED"})).0, 201);
    assert_eq!(
        api.post(
            "/c/banks",
            json!({"name": "FALSE_POSITIVES", "kind": "negative"})
        )
        .0,
        201
    );
    assert_eq!(
        api.put("/c/bank/REVIEWED/settings", json!({"review": true}))
            .0,
        200
    );
    let hash = rng.hash().to_string();
    api.post("/c/bank/REVIEWED/signal", json!({"pdq": hash}));
    api.until(&lookup_path(&hash), Duration::from_secs(1), |b| {
        b.get("REVIEWED").is_some()
    });
    api.until("/reviews?state=open", Duration::from_secs(5), |b| {
        b["reviews"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["bank"] == "REVIEWED"))
    });
    let (_, open) = api.get("/reviews?state=open");
    let review = open["reviews"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["bank"] == "REVIEWED"))
        .expect("review")
        .clone();
    assert_eq!(review["reason"], "match");
    assert_eq!(review["query"], json!(hash));
    assert_eq!(
        api.post(
            &format!("/reviews/{}", review["id"]),
            json!({"decision": "reject", "negative_bank": "REVIEWED"})
        )
        .0,
        400,
        "REVIEWED is not a negative bank"
    );
    let (status, decided) = api.post(
        &format!("/reviews/{}", review["id"]),
        json!({"decision": "reject", "negative_bank": "FALSE_POSITIVES"}),
    );
    assert_eq!((status, &decided["state"]), (200, &json!("rejected")));
    assert_eq!(
        api.post(
            &format!("/reviews/{}", review["id"]),
            json!({"decision": "confirm"})
        )
        .0,
        404
    );
    api.until(&lookup_path(&hash), Duration::from_secs(1), |b| {
        b == &json!({})
    });

    // Flood: the fourth match within the window quarantines the content
    // until a curator confirms it.
    assert_eq!(api.post("/c/banks", json!({"name": "FLOODED"})).0, 201);
    let hash = rng.hash().to_string();
    let (_, added) = api.post("/c/bank/FLOODED/signal", json!({"pdq": hash}));
    api.until(&lookup_path(&hash), Duration::from_secs(1), |b| {
        b.get("FLOODED").is_some()
    });
    for _ in 0..3 {
        api.get(&lookup_path(&hash));
    }
    api.until(&lookup_path(&hash), Duration::from_secs(5), |b| {
        b == &json!({})
    });
    let (_, content) = api.get(&format!("/c/bank/FLOODED/content/{}", added["id"]));
    assert_eq!(content["disable_until_ts"], 0);
    let (_, open) = api.get("/reviews?state=open");
    let flood = open["reviews"]
        .as_array()
        .and_then(|r| {
            r.iter()
                .find(|r| r["reason"] == "flood" && r["bank"] == "FLOODED")
        })
        .expect("flood review")
        .clone();
    assert_eq!(
        api.post(
            &format!("/reviews/{}", flood["id"]),
            json!({"decision": "confirm"})
        )
        .0,
        200
    );
    api.until(&lookup_path(&hash), Duration::from_secs(1), |b| {
        b.get("FLOODED").is_some()
    });
    let (_, audit) = api.get("/audit?bank=FLOODED");
    assert!(audit["events"]
        .as_array()
        .is_some_and(|e| e.iter().any(|e| e["action"] == "flood.quarantine")));
}

#[test]
fn actions_sqlite() {
    actions(Db::sqlite());
}

#[test]
fn actions_postgres() {
    actions(Db::postgres());
}
