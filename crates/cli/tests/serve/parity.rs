//! One use case, three ways in: the HTTP API, the web pages and the
//! command line call the same operation, so each gives the same refusal
//! (in the same words) and writes the same audit rows, but for who acted
//! (the key's name on the API and the web, `cli` at the command line).
//! Each way works on its own bank (`P_API`, `P_WEB`, `P_CLI`); rows are
//! compared with that name taken out.

use serde_json::{json, Value};

use crate::{temp_file, Api, Db, Server};

/// The web pages as a browser without script uses them: a session from
/// the sign-in form, and forms posted with the session's token.
struct Web {
    base: String,
    http: reqwest::blocking::Client,
    cookie: String,
    csrf: String,
}

impl Web {
    fn sign_in(server: &Server, key: &str) -> Web {
        let http = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let signed_in = http
            .post(format!("{}/ui/sign-in", server.base))
            .form(&[("key", key), ("next", "/ui/holds")])
            .send()
            .expect("signs in");
        assert_eq!(signed_in.status().as_u16(), 303, "sign-in");
        let cookie = signed_in
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_string();
        let page = http
            .get(format!("{}/ui/holds", server.base))
            .header("cookie", &cookie)
            .send()
            .and_then(|r| r.text())
            .expect("holds page");
        let marker = "name=\"csrf\" value=\"";
        let start = page.find(marker).expect("a form with a token") + marker.len();
        let csrf = page[start..].split('"').next().expect("token").to_string();
        Web {
            base: server.base.clone(),
            http,
            cookie,
            csrf,
        }
    }

    /// Posts a form; the status and the page's text.
    fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let answer = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(&form)
            .send()
            .expect("posts");
        (answer.status().as_u16(), answer.text().unwrap_or_default())
    }

    /// Uploads a hash list through a bank page's import form.
    fn import(&self, bank: &str, list: &str) -> u16 {
        let form = reqwest::blocking::multipart::Form::new()
            .text("csrf", self.csrf.clone())
            .part(
                "list",
                reqwest::blocking::multipart::Part::bytes(list.as_bytes().to_vec())
                    .file_name("list.txt"),
            );
        self.http
            .post(format!("{}/ui/banks/{bank}/import", self.base))
            .header("cookie", &self.cookie)
            .multipart(form)
            .send()
            .expect("uploads")
            .status()
            .as_u16()
    }
}

/// What the command line said: whether it succeeded, and its stderr.
fn cli(db: &Db, args: &[&str]) -> (bool, String) {
    let out = db.command().args(args).output().expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The audit log's entries about `name`: as their bank, or named in
/// their target.
fn events_about(api: &Api, name: &str) -> Vec<Value> {
    let (_, events) = api.get("/audit?limit=1000");
    events["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["bank"] == name || e["target"].as_str().is_some_and(|t| t.contains(name)))
        .cloned()
        .collect()
}

/// The audit rows about `name` (as the bank, or named in the target),
/// each without its id, time and actor (nor a hold's), and with `name`
/// written `BANK`.
fn rows_about(api: &Api, name: &str) -> Vec<Value> {
    let mut rows: Vec<Value> = events_about(api, name)
        .iter()
        .map(|e| {
            // A hold's id and times differ by when and by whom it was
            // placed; that it was released does not.
            let mut detail = e["detail"].clone();
            let mut target = e["target"].clone();
            // The command line also records which file it read.
            if e["action"] == "bank.import" {
                if let Some(import) = detail.as_object_mut() {
                    import.remove("file");
                }
            }
            if let Some(hold) = detail.as_object_mut() {
                if e["action"].as_str().is_some_and(|a| a.starts_with("hold.")) {
                    for varies in ["id", "placed_at", "placed_by"] {
                        hold.remove(varies);
                    }
                    let released = !hold["released_at"].is_null();
                    hold.insert("released_at".into(), json!(released));
                    target = json!("HOLD");
                }
            }
            let text = json!({
                "action": e["action"],
                "bank": e["bank"],
                "target": target,
                "detail": detail,
            })
            .to_string()
            .replace(name, "BANK");
            serde_json::from_str(&text).expect("json")
        })
        .collect();
    rows.sort_by_key(|r| r.to_string());
    rows
}

fn actors_about(api: &Api, name: &str) -> Vec<String> {
    let mut actors: Vec<String> = events_about(api, name)
        .iter()
        .filter_map(|e| e["actor"].as_str().map(str::to_string))
        .collect();
    actors.sort();
    actors.dedup();
    actors
}

fn hold_id(api: &Api, target: &str) -> String {
    let (_, holds) = api.get("/holds");
    holds["holds"]
        .as_array()
        .expect("holds")
        .iter()
        .find(|h| h["target"] == target && h["released_at"].is_null())
        .and_then(|h| h["id"].as_i64())
        .unwrap_or_else(|| panic!("no open hold on {target}: {holds}"))
        .to_string()
}

const HASHES: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\n\
                      0f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22f\n";

fn three_ways_give_the_same_refusals_and_audit_rows(db: Db) {
    let key = db.key("admin", "default");
    let server = Server::start(&db, &key, &[]);
    let api = server.api(&key);
    let web = Web::sign_in(&server, &key);
    let dir = tempfile::tempdir().expect("dir");
    let list = temp_file(&dir, "list.txt", HASHES.as_bytes());
    let list = list.to_string_lossy().into_owned();

    // A name that is no bank name: the web and the command line give the
    // operation's words; HMA's API refuses it too, by HMA's stricter rule
    // (UPPER_WITH_UNDERSCORE), which only that dialect has.
    let bad = "not a name!";
    assert_eq!(api.post("/c/banks", json!({"name": bad})).0, 400);
    let (status, page) = web.post("/ui/banks", &[("name", bad)]);
    assert_eq!(status, 400, "{page}");
    let (ok, said) = cli(&db, &["bank", "create", bad]);
    assert!(!ok);
    let message = said
        .trim()
        .strip_prefix("hashwatch: ")
        .unwrap_or(said.trim())
        .to_string();
    assert!(
        page.contains(&html_escape(&message)),
        "{message:?} not in {page}"
    );

    // A bank that exists: the same refusal, in the same words, every way
    // (HMA's API answers a conflict over a bank's name 403, as HMA does).
    assert_eq!(api.post("/c/banks", json!({"name": "TAKEN"})).0, 201);
    let (status, refusal) = api.post("/c/banks", json!({"name": "TAKEN"}));
    assert_eq!((status, &refusal["code"]), (403, &json!("bank_exists")));
    let message = refusal["message"].as_str().expect("message").to_string();
    let (status, page) = web.post("/ui/banks", &[("name", "TAKEN")]);
    assert_eq!(status, 409, "{page}");
    assert!(
        page.contains(&html_escape(&message)),
        "{message:?} not in {page}"
    );
    let (ok, said) = cli(&db, &["bank", "create", "TAKEN"]);
    assert!(!ok && said.contains(&message), "{said:?} vs {message:?}");

    // Each way makes a bank, imports a list into it, holds it and
    // releases the hold.
    assert_eq!(api.post("/c/banks", json!({"name": "P_API"})).0, 201);
    assert_eq!(
        api.post_text("/c/bank/P_API/import", HASHES).0,
        200,
        "API import"
    );
    let hold = json!({"kind": "bank", "target": "P_API", "reason": "case 7"});
    assert_eq!(api.post("/holds", hold).0, 201);
    assert_eq!(
        api.delete(&format!("/holds/{}", hold_id(&api, "P_API"))).0,
        200
    );

    assert_eq!(web.post("/ui/banks", &[("name", "P_WEB")]).0, 303);
    assert_eq!(web.import("P_WEB", HASHES), 303, "web import");
    let fields = [("kind", "bank"), ("target", "P_WEB"), ("reason", "case 7")];
    assert_eq!(web.post("/ui/holds", &fields).0, 303);
    let release = format!("/ui/holds/{}/release", hold_id(&api, "P_WEB"));
    assert_eq!(web.post(&release, &[]).0, 303);

    db.hashwatch(&["bank", "create", "P_CLI"]);
    db.hashwatch(&["bank", "import", "P_CLI", &list, "--no-progress"]);
    db.hashwatch(&[
        "hold", "place", "--kind", "bank", "--target", "P_CLI", "--reason", "case 7",
    ]);
    db.hashwatch(&["hold", "release", &hold_id(&api, "P_CLI")]);

    let by_api = rows_about(&api, "P_API");
    let actions: Vec<&str> = by_api.iter().filter_map(|r| r["action"].as_str()).collect();
    for action in ["bank.create", "bank.import", "hold.place", "hold.release"] {
        assert!(actions.contains(&action), "{action} missing: {by_api:?}");
    }
    assert_eq!(
        rows_about(&api, "P_WEB"),
        by_api,
        "the web writes the API's rows"
    );
    assert_eq!(
        rows_about(&api, "P_CLI"),
        by_api,
        "the CLI writes the API's rows"
    );
    assert_eq!(actors_about(&api, "P_API"), ["admin"]);
    assert_eq!(actors_about(&api, "P_WEB"), ["admin"]);
    assert_eq!(actors_about(&api, "P_CLI"), ["cli"]);

    // A refusal under a hold: each way is refused in the same words, and
    // the refusal is audited once per way.
    let hold = json!({"kind": "bank", "target": "TAKEN", "reason": "case 8"});
    assert_eq!(api.post("/holds", hold).0, 201);
    let (status, refusal) = api.delete("/c/bank/TAKEN");
    assert_eq!(status, 409, "{refusal}");
    let message = refusal["message"].as_str().expect("message").to_string();
    let (ok, said) = cli(&db, &["bank", "delete", "TAKEN"]);
    assert!(!ok && said.contains(&message), "{said:?} vs {message:?}");
    let refused: Vec<Value> = rows_about(&api, "TAKEN")
        .into_iter()
        .filter(|r| r["action"] == "bank.delete_refused")
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert_eq!(refused[0], refused[1]);
    let (_, verified) = {
        let out = db.hashwatch(&["audit", "verify", "--format", "json"]);
        (0, serde_json::from_str::<Value>(&out).expect("json"))
    };
    assert_eq!(verified["ok"], true, "{verified}");
}

/// The text as a page shows it (the characters maud escapes).
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[test]
fn three_ways_give_the_same_refusals_and_audit_rows_on_sqlite() {
    three_ways_give_the_same_refusals_and_audit_rows(Db::sqlite());
}

#[test]
fn three_ways_give_the_same_refusals_and_audit_rows_on_postgres() {
    three_ways_give_the_same_refusals_and_audit_rows(Db::postgres());
}
