//! Keys, tenants, several nodes on one database, restarts and crashes.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hashwatch_testdata::Rng;
use serde_json::json;

use crate::{lookup_path, Db, Server};

fn keys_and_tenants(db: Db) {
    let admin = db.key("admin", "acme");
    let matcher = db.key("matcher", "acme");
    let other = db.key("admin", "globex");
    let server = Server::start(&db, &admin, &[]);
    let api = server.api(&admin);
    let hash = Rng::new(5).hash().to_string();

    // No key, a wrong key: refused everywhere but liveness.
    for path in [
        "/status",
        "/c/banks",
        "/metrics",
        "/openapi.json",
        &lookup_path(&hash),
    ] {
        let (status, body) = api.without_key().get(path);
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("unauthorized")),
            "{path}"
        );
    }
    let wrong = server.api("hw_000000000000000000000000000000000000000000000000");
    assert_eq!(wrong.get("/c/banks").0, 401);

    // Roles.
    assert_eq!(api.post("/c/banks", json!({"name": "ACME"})).0, 201);
    assert_eq!(api.post("/c/bank/ACME/signal", json!({"pdq": hash})).0, 200);
    let m = server.api(&matcher);
    let (status, body) = m.post("/c/banks", json!({"name": "NOT_ALLOWED"}));
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    assert_eq!(m.get("/audit").0, 403);
    // Bank names are per tenant: acme's ACME is `acme:ACME`.
    m.until(&lookup_path(&hash), Duration::from_secs(1), |b| {
        b.get("acme:ACME").is_some()
    });

    // Another tenant sees nothing of acme's.
    let g = server.api(&other);
    assert_eq!(g.get("/c/banks"), (200, json!([])));
    assert_eq!(g.get("/c/bank/ACME").0, 404);
    assert_eq!(g.get(&lookup_path(&hash)), (200, json!({})));
    assert_eq!(
        g.post(
            "/c/bank/ACME/signal",
            json!({"pdq": Rng::new(6).hash().to_string()})
        )
        .0,
        404
    );
    assert_eq!(g.get("/c/bank/acme:ACME").0, 404);
    assert_eq!(g.delete("/c/bank/ACME"), (200, json!({"message": "Done"})));
    assert_eq!(
        g.delete("/c/bank/acme:ACME"),
        (200, json!({"message": "Done"}))
    );
    assert_eq!(
        api.get("/c/bank/ACME").0,
        200,
        "another tenant deleted acme's bank"
    );
    assert!(g.get("/audit").1["events"]
        .as_array()
        .is_some_and(|e| e.iter().all(|e| e["bank"] != "acme:ACME")));

    // Shared read-only: globex matches and reads, but cannot write.
    assert_eq!(
        api.put("/c/bank/ACME/settings", json!({"shared_with": ["globex"]}))
            .0,
        200
    );
    g.until(&lookup_path(&hash), Duration::from_secs(1), |b| {
        b.get("acme:ACME").is_some()
    });
    assert_eq!(g.get("/c/bank/acme:ACME").0, 200);
    let (status, body) = g.post(
        "/c/bank/acme:ACME/signal",
        json!({"pdq": Rng::new(7).hash().to_string()}),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("read_only_bank"))
    );
    assert_eq!(
        g.put("/c/bank/acme:ACME/settings", json!({"shared_with": []}))
            .0,
        403
    );

    // Every change and match is in the audit log, with the key that made it.
    let (_, audit) = api.get("/audit?bank=ACME");
    let actions: Vec<&str> = audit["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in ["bank.create", "content.add", "match", "bank.settings"] {
        assert!(actions.contains(&action), "{action} not in {actions:?}");
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let (_, later) = api.get(&format!("/audit?from={}", now + 3600));
    assert_eq!(later["events"], json!([]));

    // A revoked key stops working within a second or so.
    let id = db
        .hashwatch(&["key", "list", "--format", "json"])
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .find(|k| k["role"] == "matcher")
        .and_then(|k| k["id"].as_i64())
        .expect("matcher key");
    db.hashwatch(&["key", "revoke", &id.to_string()]);
    let started = Instant::now();
    while m.get("/c/banks").0 != 401 {
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "revoked key still works"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn keys_and_tenants_sqlite() {
    keys_and_tenants(Db::sqlite());
}

#[test]
fn keys_and_tenants_postgres() {
    keys_and_tenants(Db::postgres());
}

#[test]
fn a_second_node_on_postgres_sees_changes_within_a_second() {
    let db = Db::postgres();
    let key = db.key("curator", "default");
    let a = Server::start(&db, &key, &[]);
    let b = Server::start(&db, &key, &[]);
    let (a, b) = (a.api(&key), b.api(&key));
    assert_eq!(a.post("/c/banks", json!({"name": "SHARED"})).0, 201);
    let mut rng = Rng::new(11);
    for _ in 0..5 {
        let hash = rng.hash().to_string();
        let (status, added) = a.post("/c/bank/SHARED/signal", json!({"pdq": hash}));
        assert_eq!(status, 200);
        let took = b.until(&lookup_path(&hash), Duration::from_secs(1), |r| {
            r.get("SHARED").is_some()
        });
        assert!(took < Duration::from_secs(1));
        let path = format!("/c/bank/SHARED/content/{}", added["id"]);
        assert_eq!(b.put(&path, json!({"disable_until_ts": 0})).0, 200);
        a.until(&lookup_path(&hash), Duration::from_secs(1), |r| {
            r == &json!({})
        });
        assert_eq!(a.put(&path, json!({"disable_until_ts": 1})).0, 200);
        b.until(&lookup_path(&hash), Duration::from_secs(1), |r| {
            r.get("SHARED").is_some()
        });
        assert_eq!(b.delete(&path), (200, json!({"deleted": 1})));
        a.until(&lookup_path(&hash), Duration::from_secs(1), |r| {
            r == &json!({})
        });
    }
    // A bank renamed on one node is found under its new name on the other.
    assert_eq!(b.put("/c/bank/SHARED", json!({"name": "RENAMED"})).0, 200);
    let hash = rng.hash().to_string();
    assert_eq!(
        b.post("/c/bank/RENAMED/signal", json!({"pdq": hash})).0,
        200
    );
    a.until(&lookup_path(&hash), Duration::from_secs(1), |r| {
        r.get("RENAMED").is_some()
    });
}

fn restart_keeps_everything(db: Db) {
    let key = db.key("admin", "default");
    let server = Server::start(&db, &key, &[]);
    let api = server.api(&key);
    let hash = Rng::new(21).hash().to_string();
    assert_eq!(
        api.post("/c/banks", json!({"name": "KEPT", "enabled_ratio": 0.75}))
            .0,
        201
    );
    let (_, added) = api.post("/c/bank/KEPT/signal", json!({"pdq": hash, "note": "n"}));
    assert_eq!(
        api.put("/c/bank/KEPT/settings", json!({"threshold": 10})).0,
        200
    );
    assert_eq!(
        api.post(
            "/holds",
            json!({"kind": "bank", "target": "KEPT", "reason": "case 1"})
        )
        .0,
        201
    );
    let audit_before = api.get("/audit").1["events"].as_array().map(Vec::len);
    assert!(server.stop().success(), "SIGTERM is a clean stop");

    let server = Server::start(&db, &key, &[]);
    let api = server.api(&key);
    assert_eq!(api.get("/c/bank/KEPT").1["matching_enabled_ratio"], 0.75);
    assert_eq!(api.get("/c/bank/KEPT/settings").1["threshold"], 10);
    // The bank's own threshold applies: 10 matches, 11 does not (raw
    // lookups, so the bank's 0.75 ratio does not draw it out).
    let raw = |bits| {
        format!(
            "/m/raw_lookup?signal_type=pdq&signal={}",
            crate::nearby(&hash, bits)
        )
    };
    assert_eq!(api.get(&raw(10)).1, json!({"matches": [added["id"]]}));
    assert_eq!(api.get(&raw(11)).1, json!({"matches": []}));
    let content = api
        .get(&format!(
            "/c/bank/KEPT/content/{}?include_signals=true",
            added["id"]
        ))
        .1;
    assert_eq!(content["signals"]["pdq"], json!(hash));
    assert_eq!(content["note"], "n");
    assert_eq!(
        api.get(&format!("/m/raw_lookup?signal_type=pdq&signal={hash}"))
            .1,
        json!({"matches": [added["id"]]})
    );
    assert_eq!(
        api.get("/holds").1["holds"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(api.get("/audit").1["events"].as_array().map(Vec::len) >= audit_before);
    // The hold keeps the bank.
    assert_eq!(api.delete("/c/bank/KEPT").0, 409);
}

#[test]
fn restart_keeps_everything_sqlite() {
    restart_keeps_everything(Db::sqlite());
}

#[test]
fn restart_keeps_everything_postgres() {
    restart_keeps_everything(Db::postgres());
}

/// Bulk uploads run until the server is killed with SIGKILL; every batch it
/// acknowledged is there after a restart.
fn kill9_loses_nothing_acknowledged(db: Db) {
    let key = db.key("curator", "default");
    let server = Server::start(&db, &key, &[]);
    let api = server.api(&key);
    assert_eq!(api.post("/c/banks", json!({"name": "BULK"})).0, 201);
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..3u64 {
        let api = server.api(&key);
        let acknowledged = acknowledged.clone();
        let stop = stop.clone();
        clients.push(std::thread::spawn(move || {
            let mut rng = Rng::new(100 + c);
            while !stop.load(Ordering::SeqCst) {
                let batch: Vec<String> = (0..500).map(|_| rng.hash().to_string()).collect();
                let signals: Vec<_> = batch
                    .iter()
                    .map(|h| json!({"signal_type": "pdq", "signal": h}))
                    .collect();
                match api.try_post("/c/bank/BULK/signals", json!({"signals": signals})) {
                    Some((200, _)) => acknowledged.lock().expect("lock").extend(batch),
                    _ => return,
                }
            }
        }));
    }
    let started = Instant::now();
    while acknowledged.lock().expect("lock").len() < 5000 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "uploads too slow"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill9();
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        let _ = c.join();
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();

    let server = Server::start(&db, &key, &[]);
    let exported = db.hashwatch(&["bank", "export", "BULK"]);
    let stored: BTreeSet<String> = exported
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').find(|c| c.len() == 64).map(str::to_string))
        .collect();
    let missing: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged hashes lost",
        missing.len()
    );
    // And they match: a sample through the restarted server.
    let api = server.api(&key);
    for hash in acknowledged.iter().step_by(997) {
        assert!(api.get(&lookup_path(hash)).1.get("BULK").is_some());
    }
}

#[test]
fn kill9_loses_nothing_acknowledged_sqlite() {
    kill9_loses_nothing_acknowledged(Db::sqlite());
}

#[test]
fn kill9_loses_nothing_acknowledged_postgres() {
    kill9_loses_nothing_acknowledged(Db::postgres());
}
