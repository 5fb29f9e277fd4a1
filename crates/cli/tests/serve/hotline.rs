//! The hotline end to end over loopback: a public report, a partner's
//! duplicate, four-eyes triage, attribution through a hosts file and a
//! provider registry, notices to the provider's webhook (and again), the
//! hosting web server starting to answer 404, the removal detected and
//! timed, the signed blocklist and its delta, an upheld appeal, hashes on a
//! case going into a bank, the public rate limit, and a reporter's contact
//! that appears nowhere.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::feeds::{run, status};
use crate::{temp_file, Db, Server};

/// A web server hosting `/abuse.png` (until `gone`) and every other page,
/// and taking notices at `/notices`.
struct Site {
    port: u16,
    gone: Arc<AtomicBool>,
    notices: Arc<Mutex<Vec<String>>>,
}

impl Site {
    fn start() -> Site {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
        let port = listener.local_addr().expect("addr").port();
        let gone = Arc::new(AtomicBool::new(false));
        let notices = Arc::new(Mutex::new(Vec::new()));
        let (g, n) = (gone.clone(), notices.clone());
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request = String::new();
                let _ = reader.read_line(&mut request);
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let path = request.split(' ').nth(1).unwrap_or("/").to_string();
                let status = if path == "/notices" {
                    n.lock()
                        .expect("lock")
                        .push(String::from_utf8_lossy(&body).into_owned());
                    "200 OK"
                } else if path == "/abuse.png" && g.load(Ordering::SeqCst) {
                    "404 Not Found"
                } else {
                    "200 OK"
                };
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                    )
                    .as_bytes(),
                );
            }
        });
        Site {
            port,
            gone,
            notices,
        }
    }

    fn notices(&self) -> Vec<String> {
        self.notices.lock().expect("lock").clone()
    }
}

fn wait(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not after {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A signed blocklist response: (body, seq), after checking the signature.
fn signed_get(server: &Server, key: &str, path: &str, public_key: &str) -> (String, i64) {
    let response = reqwest::blocking::Client::new()
        .get(format!("{}{path}", server.base))
        .bearer_auth(key)
        .send()
        .expect("sends");
    assert_eq!(response.status().as_u16(), 200, "{path}");
    let header = |name: &str| {
        response.headers()[name]
            .to_str()
            .expect("ascii")
            .to_string()
    };
    let (signature, seq) = (header("x-hashwatch-signature"), header("x-hashwatch-seq"));
    assert_eq!(header("x-hashwatch-key"), public_key);
    let body = response.text().expect("body");
    let key = hashwatch_feed::PublicKey::parse(public_key).expect("key");
    let seq: i64 = seq.parse().expect("seq");
    let since = path.split_once("since=").map(|(_, rest)| {
        rest.split('&')
            .next()
            .unwrap_or("")
            .parse::<i64>()
            .expect("since")
    });
    let context = hashwatch_server::blocklist::blocklist_context(since, seq);
    key.verify_detached(&context, body.as_bytes(), &signature)
        .expect("the blocklist's signature verifies");
    let tampered = body.replace("bad", "good");
    assert!(
        key.verify_detached(&context, tampered.as_bytes(), &signature)
            .is_err()
            || tampered == body
    );
    // The same body is no answer to another question: not the whole list
    // when it was a delta (or the reverse), not at another sequence number.
    let other = match since {
        Some(_) => hashwatch_server::blocklist::blocklist_context(None, seq),
        None => hashwatch_server::blocklist::blocklist_context(Some(0), seq),
    };
    for wrong in [
        other,
        hashwatch_server::blocklist::blocklist_context(since, seq + 1),
    ] {
        assert!(key
            .verify_detached(&wrong, body.as_bytes(), &signature)
            .is_err());
    }
    (body, seq)
}

fn hotline_flow(db: Db) {
    let dir = tempfile::tempdir().expect("dir");
    let site = Site::start();
    let hosts = temp_file(&dir, "hosts", b"127.0.0.1 bad.example other.example\n");
    let providers = json!({"providers": [{
        "name": "Loopback Hosting", "abuse": "abuse@loopback.example", "jurisdiction": "ZZ",
        "webhook": format!("http://127.0.0.1:{}/notices", site.port), "ranges": ["127.0.0.0/8"],
    }]});
    let providers = temp_file(&dir, "providers.json", providers.to_string().as_bytes());
    let key_file = dir.path().join("instance.key");
    let public_key = db
        .hashwatch(&["feed", "keygen", "--out", &key_file.to_string_lossy()])
        .trim()
        .to_string();
    let known = "f".repeat(64);
    db.hashwatch(&["bank", "create", "known"]);
    let list = temp_file(&dir, "known.txt", known.as_bytes());
    db.hashwatch(&["bank", "import", "known", &list.to_string_lossy()]);
    db.hashwatch(&["bank", "create", "confirmed"]);
    let admin = db.key("admin", "default");
    let analyst = db.key("analyst", "default");
    let supervisor = db.key("supervisor", "default");
    let isp = db.key("blocklist-urls,partner", "default");
    let server = Server::start(
        &db,
        &admin,
        &[
            "--feed-key",
            &key_file.to_string_lossy(),
            "--providers",
            &providers.to_string_lossy(),
            "--hosts",
            &hosts.to_string_lossy(),
            "--recheck-interval",
            "300ms",
            "--removal-confirm-after",
            "1s",
            "--notice-interval",
            "2s",
            "--report-rate",
            "4",
        ],
    );
    let public = server.api(&admin).without_key();
    let (analyst_api, supervisor_api) = (server.api(&analyst), server.api(&supervisor));
    let url = format!("http://bad.example:{}/abuse.png", site.port);
    let contact = "reporter-private@example.org";

    // A public report: the reporter learns only that it was taken.
    let (code, taken) = public.post(
        "/hotline/reports",
        json!({"url": url, "description": "seen on a forum", "contact": contact}),
    );
    assert_eq!(code, 201, "{taken}");
    let report_id = taken["report_id"].as_i64().expect("report id");
    assert!(taken.get("case_id").is_none());
    // A partner reports the same URL spelt differently: linked, not queued.
    let (code, dup) = server.api(&isp).post(
        "/hotline/reports",
        json!({"url": format!("HTTP://BAD.Example:{}/x/../abuse.png#top", site.port)}),
    );
    assert_eq!((code, &dup["duplicate"]), (201, &json!(true)), "{dup}");
    let case = dup["case_id"].as_i64().expect("case");
    assert_eq!(
        public
            .post("/hotline/reports", json!({"url": "ftp://x/"}))
            .0,
        400
    );

    // Triage: the analyst sees it once; the illegal verdict waits for a
    // supervisor; the analyst never sees it again.
    let (_, queue) = analyst_api.get("/hotline/queue");
    let cases = queue["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["reports"], 2);
    assert_eq!(cases[0]["url"], url.as_str());
    let path = format!("/hotline/cases/{case}/assess");
    assert_eq!(
        analyst_api.post(&path, json!({"verdict": "illegal"})).0,
        400,
        "needs a category"
    );
    let (code, first) = analyst_api.post(&path, json!({"verdict": "illegal", "category": "A1"}));
    assert_eq!((code, &first["listed"]), (200, &json!(false)), "{first}");
    assert_eq!(first["case"]["state"], "assessed");
    let (_, queue) = analyst_api.get("/hotline/queue");
    assert!(queue["cases"].as_array().expect("cases").is_empty());
    // The four-eyes rule refuses the analyst as a permission does.
    let (code, refused) = analyst_api.post(&path, json!({"verdict": "illegal", "category": "A1"}));
    assert_eq!(
        (code, refused["code"].as_str()),
        (403, Some("forbidden")),
        "{refused}"
    );
    let (_, queue) = supervisor_api.get("/hotline/queue");
    assert_eq!(queue["cases"][0]["id"], case);
    let (code, second) =
        supervisor_api.post(&path, json!({"verdict": "illegal", "category": "A1"}));
    assert_eq!((code, &second["listed"]), (200, &json!(true)), "{second}");
    let (_, queue) = supervisor_api.get("/hotline/queue");
    assert!(queue["cases"].as_array().expect("cases").is_empty());

    // Listed, signed, in three forms.
    let (plain, listed_at) = signed_get(&server, &isp, "/blocklist", &public_key);
    assert_eq!(plain.lines().collect::<Vec<_>>(), [url.as_str()]);
    let sha = second["case"]["url_sha256"]
        .as_str()
        .expect("sha")
        .to_string();
    let (hashed, _) = signed_get(&server, &isp, "/blocklist?format=sha256", &public_key);
    assert_eq!(hashed.trim(), sha);
    let (json_list, _) = signed_get(&server, &isp, "/blocklist?format=json", &public_key);
    let json_list: Value = serde_json::from_str(&json_list).expect("json");
    assert_eq!(json_list["urls"][0]["url"], url.as_str());

    // Attributed through the hosts file and the registry; the notice goes
    // to the provider's webhook, and again while the URL stays up.
    wait("a second notice", Duration::from_secs(15), || {
        site.notices().len() >= 2
    });
    let notice: Value = serde_json::from_str(&site.notices()[0]).expect("json");
    assert_eq!(notice["notice"]["provider"], "Loopback Hosting");
    assert_eq!(notice["notice"]["url"], url.as_str());
    assert!(notice["text"]
        .as_str()
        .expect("text")
        .contains("To: abuse@loopback.example"));
    let second_notice: Value = serde_json::from_str(&site.notices()[1]).expect("json");
    assert_eq!(second_notice["notice"]["attempt"], 2);
    let (_, shown) = analyst_api.get(&format!("/hotline/cases/{case}"));
    assert_eq!(
        (&shown["provider"], &shown["jurisdiction"]),
        (&json!("Loopback Hosting"), &json!("ZZ"))
    );
    assert_eq!(shown["ip"], "127.0.0.1");

    // The site takes it down: the re-check sees 404, the case is removed
    // and timed, and the blocklist delta carries the removal.
    site.gone.store(true, Ordering::SeqCst);
    wait("removal detected", Duration::from_secs(10), || {
        analyst_api.get(&format!("/hotline/cases/{case}")).1["state"] == "removed"
    });
    let (_, removed) = analyst_api.get(&format!("/hotline/cases/{case}"));
    assert!(removed["removed_at"].as_i64() >= removed["first_notice_at"].as_i64());
    let (delta, _) = signed_get(
        &server,
        &isp,
        &format!("/blocklist/delta?since={listed_at}"),
        &public_key,
    );
    assert_eq!(delta.trim(), format!("-{url}"));
    let (full, _) = signed_get(&server, &isp, "/blocklist", &public_key);
    assert!(full.is_empty(), "{full}");
    let (_, stats) = analyst_api.get("/hotline/stats");
    assert_eq!(stats["by_provider"][0]["name"], "Loopback Hosting");
    assert_eq!(stats["by_provider"][0]["removed"], 1);
    assert!(stats["by_provider"][0]["p90_seconds"].as_i64().is_some());
    assert_eq!(stats["by_jurisdiction"][0]["name"], "ZZ");

    // Hashes an analyst made locally: matched against the banks, then put
    // into a bank in one step.
    let near = format!("{}e", "f".repeat(63));
    let (code, attached) = analyst_api.post(
        &format!("/hotline/cases/{case}/hashes"),
        json!({"hashes": [{"signal_type": "pdq", "value": near}]}),
    );
    assert_eq!(code, 200, "{attached}");
    assert_eq!(attached["matches"][0]["bank"], "known");
    let to_bank = format!("/hotline/cases/{case}/bank");
    assert_eq!(
        analyst_api.post(&to_bank, json!({"bank": "confirmed"})).0,
        403
    );
    let (code, added) = supervisor_api.post(&to_bank, json!({"bank": "confirmed"}));
    assert_eq!((code, &added["added"]), (200, &json!(1)), "{added}");

    // An appeal against another listed URL, upheld: off the list.
    let other = format!("http://other.example:{}/page.html", site.port);
    let (_, r) = server
        .api(&isp)
        .post("/hotline/reports", json!({"url": other}));
    let other_case = r["case_id"].as_i64().expect("case");
    let assess = format!("/hotline/cases/{other_case}/assess");
    analyst_api.post(&assess, json!({"verdict": "illegal", "category": "B"}));
    supervisor_api.post(&assess, json!({"verdict": "illegal", "category": "B"}));
    let (before, _) = signed_get(&server, &isp, "/blocklist", &public_key);
    assert!(before.contains(&other));
    // The public is told the same whether or not a URL is listed.
    let (code, unlisted) = public.post(
        "/hotline/appeals",
        json!({"url": "http://never.example/listed.html", "reason": "my shop"}),
    );
    assert_eq!(code, 202, "{unlisted}");
    let (code, appeal) = public.post(
        "/hotline/appeals",
        json!({"url": other, "reason": "my shop"}),
    );
    assert_eq!((code, &appeal), (202, &unlisted));
    let (_, appeals) = supervisor_api.get("/hotline/appeals");
    let appeals = appeals["appeals"].as_array().expect("appeals");
    assert_eq!(appeals.len(), 1, "{appeals:?}");
    let appeal_id = appeals[0]["id"].as_i64().expect("appeal");
    assert_eq!(
        analyst_api
            .post(
                &format!("/hotline/appeals/{appeal_id}"),
                json!({"decision": "upheld"})
            )
            .0,
        403
    );
    let (code, decided) = supervisor_api.post(
        &format!("/hotline/appeals/{appeal_id}"),
        json!({"decision": "upheld"}),
    );
    assert_eq!((code, &decided["state"]), (200, &json!("upheld")));
    let (after, _) = signed_get(&server, &isp, "/blocklist", &public_key);
    assert!(!after.contains(&other));
    let (delta, _) = signed_get(
        &server,
        &isp,
        &format!("/blocklist/delta?since={listed_at}&format=json"),
        &public_key,
    );
    let delta: Value = serde_json::from_str(&delta).expect("json");
    assert!(delta["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .any(|r| r["url"] == other.as_str()));
    assert_eq!(
        analyst_api.get(&format!("/hotline/cases/{other_case}")).1["state"],
        "appeal_upheld"
    );

    // The public limit: 4 a minute per address (two used above).
    let mut limited = false;
    for i in 0..4 {
        let (code, _) = public.post(
            "/hotline/reports",
            json!({"url": format!("http://spam.example/{i}")}),
        );
        limited |= code == 429;
    }
    assert!(
        limited,
        "the fifth public request within a minute is refused"
    );
    let oversized = json!({"url": "http://x.example/", "description": "x".repeat(20_000)});
    assert_eq!(server.api(&isp).post("/hotline/reports", oversized).0, 413);

    // The reporter's contact appears nowhere, and can be deleted.
    let (_, audit) = server.api(&admin).get("/audit?limit=1000");
    let audit = audit.to_string();
    assert!(audit.contains("hotline.report") && audit.contains("hotline.assess"));
    assert!(audit.contains("hotline.notice") && audit.contains("hotline.removed"));
    assert!(audit.contains("hotline.appeal_decided") && audit.contains("blocklist.remove"));
    let exported = db.hashwatch(&["bank", "export", "confirmed"]);
    let fetch = |path: &str| {
        reqwest::blocking::Client::new()
            .get(format!("{}{path}", server.base))
            .bearer_auth(&isp)
            .send()
            .and_then(|r| r.text())
            .expect("fetches")
    };
    let (shared_feed, bank_feed) = (fetch("/hotline/feed"), fetch("/feeds/confirmed"));
    assert!(
        shared_feed.contains(&url) && bank_feed.contains(&near),
        "both feeds carry data"
    );
    for text in [
        &audit,
        &exported,
        &plain,
        &full,
        &after,
        &shown.to_string(),
        &shared_feed,
        &bank_feed,
    ] {
        assert!(!text.contains(contact), "the contact leaked: {text}");
    }
    // The same from the command line.
    let removed_cases =
        db.hashwatch(&["hotline", "cases", "--state", "removed", "--format", "json"]);
    let lines: Vec<Value> = removed_cases
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (&lines[0]["id"], &lines[0]["provider"]),
        (&json!(case), &json!("Loopback Hosting"))
    );
    assert_eq!(db.hashwatch(&["hotline", "blocklist"]), "");
    let canonical = db.hashwatch(&[
        "hotline",
        "canonical",
        "--format",
        "json",
        &format!("HTTP://BAD.example:{}/./abuse.png#x", site.port),
    ]);
    let canonical: Value = serde_json::from_str(canonical.trim()).expect("json");
    assert_eq!(
        (&canonical["url"], &canonical["sha256"]),
        (&json!(url), &json!(sha))
    );

    // Another hotline takes this one's assessments over the signed feed:
    // not with the wrong key, exactly once with the right one, and each
    // confirmed URL waits there for a local supervisor's confirmation.
    let partner = match &db {
        Db::Sqlite(_) => Db::sqlite(),
        Db::Postgres(_) => Db::postgres(),
    };
    let feed = format!("{}/hotline/feed", server.base);
    let wrong_key = partner
        .hashwatch(&[
            "feed",
            "keygen",
            "--out",
            &dir.path().join("wrong.key").to_string_lossy(),
        ])
        .trim()
        .to_string();
    let refused = run(
        &partner,
        &[
            "hotline",
            "subscribe",
            &feed,
            "--public-key",
            &wrong_key,
            "--api-key",
            &isp,
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not verify"));
    assert_eq!(status(&partner, &feed)["checkpoint"], 0);
    assert_eq!(
        partner.hashwatch(&["hotline", "cases"]).lines().count(),
        1,
        "only the header"
    );
    let taken = partner.hashwatch(&[
        "hotline",
        "subscribe",
        &feed,
        "--public-key",
        &public_key,
        "--api-key",
        &isp,
    ]);
    let taken: Value = serde_json::from_str(taken.trim()).expect("json");
    assert_eq!(taken["taken"], 2);
    let shared = partner.hashwatch(&[
        "hotline", "cases", "--state", "assessed", "--format", "json",
    ]);
    let shared: Vec<Value> = shared
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let mut urls: Vec<&str> = shared.iter().filter_map(|c| c["url"].as_str()).collect();
    urls.sort_unstable();
    assert_eq!(urls, [url.as_str(), other.as_str()]);
    assert!(shared.iter().any(|c| c["category"] == "A1"));
    let again = partner.hashwatch(&[
        "hotline",
        "subscribe",
        &feed,
        "--public-key",
        &public_key,
        "--api-key",
        &isp,
    ]);
    assert_eq!(
        serde_json::from_str::<Value>(again.trim()).expect("json")["taken"],
        0
    );

    let contact_path = format!("/hotline/reports/{report_id}/contact");
    assert_eq!(analyst_api.delete(&contact_path).0, 403);
    assert_eq!(supervisor_api.delete(&contact_path).0, 204);
    assert_eq!(supervisor_api.delete(&contact_path).0, 404);
}

#[test]
fn hotline_on_sqlite() {
    hotline_flow(Db::sqlite());
}

#[test]
fn hotline_on_postgres() {
    hotline_flow(Db::postgres());
}
