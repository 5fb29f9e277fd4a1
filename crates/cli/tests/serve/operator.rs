//! The command line is the local operator: it goes through the same
//! operations as the API, so legal holds keep banks whichever way the
//! deletion comes in, and every change it makes is audited in the chain.

use serde_json::{json, Value};

use crate::{Db, Server};

fn audit_rows(events: &Value, action: &str) -> Vec<Value> {
    events["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

fn held_bank_is_kept_whichever_way_the_deletion_comes(db: Db) {
    let key = db.key("admin", "default");
    let server = Server::start(&db, &key, &[]);
    let api = server.api(&key);
    assert_eq!(api.post("/c/banks", json!({"name": "HELD"})).0, 201);
    assert_eq!(
        api.post(
            "/holds",
            json!({"kind": "bank", "target": "HELD", "reason": "case 7"})
        )
        .0,
        201
    );

    // The API refuses, and so does the command line, with the same words.
    let (status, refusal) = api.delete("/c/bank/HELD");
    assert_eq!(
        (status, refusal["code"].as_str()),
        (409, Some("legal_hold"))
    );
    let out = db
        .command()
        .args(["bank", "delete", "HELD"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    let message = refusal["message"].as_str().expect("message");
    assert!(said.contains(message), "{said:?} vs {message:?}");
    assert_eq!(api.get("/c/bank/HELD").0, 200, "the bank is still there");

    // Both refusals are audited, each under its actor.
    let (_, events) = api.get("/audit?limit=1000");
    let refused = audit_rows(&events, "bank.delete_refused");
    let actors: Vec<&str> = refused.iter().filter_map(|e| e["actor"].as_str()).collect();
    assert_eq!(refused.len(), 2, "{events}");
    assert!(
        actors.contains(&"admin") && actors.contains(&"cli"),
        "{actors:?}"
    );
    assert!(refused.iter().all(|e| e["bank"] == "HELD"));

    // Every change the command line makes is audited as `cli`, in the
    // tenant that owns the bank, and the chain still verifies.
    db.hashwatch(&["bank", "create", "FROM_CLI"]);
    let hash = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    let list = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(list.path(), format!("{hash}\n")).expect("writes");
    let path = list.path().to_string_lossy().into_owned();
    db.hashwatch(&["bank", "import", "FROM_CLI", &path, "--no-progress"]);
    db.hashwatch(&["bank", "revoke", "FROM_CLI", hash, "--reason", "test"]);
    db.hashwatch(&["bank", "delete", "FROM_CLI"]);
    let (_, events) = api.get("/audit?limit=1000");
    for action in ["bank.create", "bank.import", "bank.revoke", "bank.delete"] {
        let rows: Vec<Value> = audit_rows(&events, action)
            .into_iter()
            .filter(|e| e["bank"] == "FROM_CLI")
            .collect();
        assert_eq!(rows.len(), 1, "{action}: {events}");
        assert_eq!(rows[0]["actor"], "cli", "{action}");
        assert!(rows[0]["key_id"].is_null(), "{action}");
    }
    let import = &audit_rows(&events, "bank.import")[0];
    assert_eq!(import["detail"]["added"], 1, "{import}");
    let verified: Value =
        serde_json::from_str(&db.hashwatch(&["audit", "verify", "--format", "json"]))
            .expect("json");
    assert_eq!(verified["ok"], true, "{verified}");

    // A key may not be named like the operator or the public: its rows
    // would read as theirs.
    for name in ["cli", "operator", "public", "partner:nl", "reporter"] {
        let out = db
            .command()
            .args(["key", "create", "--name", name])
            .output()
            .expect("runs");
        assert!(!out.status.success(), "{name}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("may not be named"),
            "{name}"
        );
    }
}

#[test]
fn held_bank_is_kept_whichever_way_the_deletion_comes_sqlite() {
    held_bank_is_kept_whichever_way_the_deletion_comes(Db::sqlite());
}

#[test]
fn held_bank_is_kept_whichever_way_the_deletion_comes_postgres() {
    held_bank_is_kept_whichever_way_the_deletion_comes(Db::postgres());
}

/// `hashwatch match` matches under the rules the service matches under:
/// a bank's own threshold, and never content a curator disabled.
fn the_command_line_matches_under_the_banks_rules(db: Db) {
    let key = db.key("admin", "default");
    let server = Server::start(&db, &key, &[]);
    let api = server.api(&key);
    assert_eq!(api.post("/c/banks", json!({"name": "STRICT"})).0, 201);
    let hash = hashwatch_testdata::Rng::new(5).hash().to_string();
    let (_, added) = api.post("/c/bank/STRICT/signal", json!({"pdq": hash}));
    assert_eq!(
        api.put("/c/bank/STRICT/settings", json!({"threshold": 10}))
            .0,
        200
    );
    let matches = |hex: &str| -> i32 {
        let out = db
            .command()
            .args(["match", "--no-progress", &format!("pdq:{hex}")])
            .output()
            .expect("runs");
        out.status.code().unwrap_or(-1)
    };
    assert_eq!(matches(&crate::nearby(&hash, 10)), 0, "10 bits off matches");
    assert_eq!(
        matches(&crate::nearby(&hash, 11)),
        1,
        "11 bits off is past the bank's own threshold"
    );
    let content = format!("/c/bank/STRICT/content/{}", added["id"]);
    assert_eq!(api.put(&content, json!({"disable_until_ts": 0})).0, 200);
    assert_eq!(matches(&hash), 1, "disabled content matches nowhere");
    assert_eq!(api.put(&content, json!({"disable_until_ts": 1})).0, 200);
    assert_eq!(matches(&hash), 0);
}

#[test]
fn the_command_line_matches_under_the_banks_rules_sqlite() {
    the_command_line_matches_under_the_banks_rules(Db::sqlite());
}

#[test]
fn the_command_line_matches_under_the_banks_rules_postgres() {
    the_command_line_matches_under_the_banks_rules(Db::postgres());
}

/// A hold placed from the command line keeps the bank from the API, and
/// the operator's release lets it go; both are audited as `cli`.
fn holds_placed_at_the_command_line_bind_the_api(db: Db) {
    let key = db.key("admin", "default");
    let server = Server::start(&db, &key, &[]);
    let api = server.api(&key);
    assert_eq!(api.post("/c/banks", json!({"name": "EVIDENCE"})).0, 201);
    let placed = db.hashwatch(&[
        "hold", "place", "--kind", "bank", "--target", "EVIDENCE", "--reason", "case 9",
        "--format", "json",
    ]);
    let hold: Value = serde_json::from_str(placed.lines().next().expect("a row")).expect("json");
    assert_eq!(hold["placed_by"], "cli");
    let (status, refusal) = api.delete("/c/bank/EVIDENCE");
    assert_eq!(
        (status, refusal["code"].as_str()),
        (409, Some("legal_hold"))
    );
    let (_, held) = api.get("/holds");
    assert_eq!(held["holds"][0]["id"], hold["id"], "{held}");

    // A hold needs a reason, and a target that exists.
    for args in [
        ["--target", "EVIDENCE", "--reason", " "],
        ["--target", "NO_SUCH", "--reason", "x"],
    ] {
        let out = db
            .command()
            .args(["hold", "place", "--kind", "bank"])
            .args(args)
            .output()
            .expect("runs");
        assert!(!out.status.success(), "{args:?}");
    }

    let id = hold["id"].to_string();
    db.hashwatch(&["hold", "release", &id]);
    assert_eq!(api.delete("/c/bank/EVIDENCE").0, 200);
    let (_, events) = api.get("/audit?limit=1000");
    for action in ["hold.place", "hold.release"] {
        let rows = audit_rows(&events, action);
        assert_eq!(rows.len(), 1, "{action}: {events}");
        assert_eq!(rows[0]["actor"], "cli", "{action}");
    }
}

#[test]
fn holds_placed_at_the_command_line_bind_the_api_sqlite() {
    holds_placed_at_the_command_line_bind_the_api(Db::sqlite());
}

#[test]
fn holds_placed_at_the_command_line_bind_the_api_postgres() {
    holds_placed_at_the_command_line_bind_the_api(Db::postgres());
}
