//! Hash lists in and out through the service.

use serde_json::{json, Value};

use crate::{Db, Server};

const VICS: &str = r#"{"value": [
  {"MediaID": 1, "Category": 1, "MD5": "900150983cd24fb0d6963f7d28e17f72", "Series": "benign"},
  {"MediaID": 2, "Category": 2, "SHA1": "a9993e364706816aba3e25717850c26c9cd0d89d",
   "PhotoDNA": "AAEBAgME+/8="}
]}"#;

fn lists(db: Db) {
    let key = db.key("curator", "default");
    let server = Server::start(&db, &key, &[]);
    let api = server.api(&key);
    assert_eq!(api.post("/c/banks", json!({"name": "LISTED"})).0, 201);

    // A malformed record refuses the whole list, naming its line.
    let bad = VICS.replace("a9993e364706816aba3e25717850c26c9cd0d89d", "a9993e36");
    let (status, body) = api.post_text("/c/bank/LISTED/import", &bad);
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_list")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("line 3:")),
        "{body}"
    );
    assert_eq!(api.get("/c/bank/LISTED/export?format=plain").1, json!(""));

    let (status, body) = api.post_text("/c/bank/LISTED/import", VICS);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["format"].as_str(), body["added"].as_u64()),
        (Some("vics"), Some(3))
    );
    let (status, exported) = api.get("/c/bank/LISTED/export?format=vics");
    assert_eq!(status, 200);
    let records = exported["value"].as_array().expect("records");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["Series"], "benign");
    assert_eq!(records[1]["PhotoDNA"], "AAEBAgME+/8=");
    let (_, tsv) = api.get("/c/bank/LISTED/export");
    assert!(tsv
        .as_str()
        .is_some_and(|t| t.starts_with("entry_id\tsignal_type\thash")));
    assert_eq!(api.get("/c/bank/LISTED/export?format=stix").0, 400);
    // Imported signals match at once.
    api.until(
        "/m/lookup?signal_type=video_md5&signal=900150983cd24fb0d6963f7d28e17f72",
        std::time::Duration::from_secs(1),
        |b: &Value| b.get("LISTED").is_some(),
    );
}

#[test]
fn lists_sqlite() {
    lists(Db::sqlite());
}

#[test]
fn lists_postgres() {
    lists(Db::postgres());
}
