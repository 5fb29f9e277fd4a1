//! The web interface in a real browser: Debian's Chromium, headless,
//! driven through chromedriver (WebDriver), against `hashwatch serve` on
//! loopback. Screenshots of the main pages are kept in
//! `target/tmp/ui-screenshots/`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::fetch::web_server;
use crate::{corpus_image, lookup_path, Db, Server};

/// chromedriver with one headless Chromium session, used from blocking
/// tests.
pub struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    base: String,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

impl Browser {
    /// Starts chromedriver and a browser for the server at `base`.
    pub fn open(base: &str) -> Browser {
        let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect(
                "chromedriver is not installed: scripts/test.sh installs Debian's chromium and chromium-driver",
            );
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900",
                         "--no-first-run", "--disable-extensions"]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let client = runtime.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                match ClientBuilder::new(HttpConnector::new())
                    .capabilities(capabilities.clone())
                    .connect(&url)
                    .await
                {
                    Ok(client) => break client,
                    Err(e) if Instant::now() < deadline => {
                        let _ = e;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(e) => panic!("no browser session: {e}"),
                }
            }
        });
        Browser {
            runtime,
            client: Some(client),
            driver,
            base: base.to_string(),
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("open")
    }

    pub fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.runtime
            .block_on(self.client().goto(&url))
            .expect("navigates");
    }

    pub fn path(&self) -> String {
        let url = self
            .runtime
            .block_on(self.client().current_url())
            .expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// The text of the first element matching `css`, waiting for it; an
    /// element replaced while it is read (the page navigated) is found
    /// again.
    pub fn text(&self, css: &str) -> String {
        self.runtime.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let element = self
                    .client()
                    .wait()
                    .at_most(Duration::from_secs(10))
                    .for_element(Locator::Css(css))
                    .await
                    .unwrap_or_else(|e| panic!("{css}: {e}"));
                match element.text().await {
                    Ok(text) => break text,
                    Err(e) if Instant::now() < deadline => {
                        let _ = e;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(e) => panic!("{css}: {e}"),
                }
            }
        })
    }

    pub fn exists(&self, css: &str) -> bool {
        self.runtime
            .block_on(self.client().find_all(Locator::Css(css)))
            .map(|v| !v.is_empty())
            .unwrap_or(false)
    }

    pub fn fill(&self, css: &str, text: &str) {
        self.runtime.block_on(async {
            let e = self
                .client()
                .find(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("{css}: {e}"));
            e.clear().await.ok();
            e.send_keys(text).await.expect("types");
        })
    }

    pub fn click(&self, css: &str) {
        self.runtime.block_on(async {
            self.client()
                .find(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("{css}: {e}"))
                .click()
                .await
                .unwrap_or_else(|e| panic!("click {css}: {e}"));
        })
    }

    /// Types keys into the focused page (keyboard shortcuts).
    pub fn press(&self, keys: &str) {
        self.runtime.block_on(async {
            let main = self
                .client()
                .find(Locator::Css("main"))
                .await
                .expect("main");
            main.send_keys(keys).await.expect("keys");
        })
    }

    pub fn script(&self, js: &str) -> Value {
        self.runtime
            .block_on(self.client().execute(js, vec![]))
            .unwrap_or_else(|e| panic!("{js}: {e}"))
    }

    /// Waits until `js` returns true.
    pub fn until(&self, js: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let check = format!("return ({js});");
        while self.script(&check) != json!(true) {
            if Instant::now() > deadline {
                let page =
                    self.script("return document.location.href + '\\n' + document.body.innerText;");
                panic!(
                    "never true: {js}\non the page {}",
                    page.as_str().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Checks the page against WCAG 2.1 A and AA with axe-core (from
    /// npm, installed by scripts/test.sh into tests/browser).
    pub fn assert_accessible(&self, name: &str) {
        let axe = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/browser/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&axe).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; scripts/test.sh installs it (npm ci --prefix tests/browser)",
                axe.display()
            )
        });
        self.script(&format!("{source}\n;return true;"));
        let violations = self
            .runtime
            .block_on(self.client().execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                    .then(r => done(r.violations.map(v => `${v.id}: ${v.help} at ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)))
                    .catch(e => done([`axe failed: ${e}`]));",
                vec![],
            ))
            .expect("axe runs");
        assert_eq!(violations, json!([]), "{name}: WCAG 2.1 AA");
    }

    /// The accessibility violations axe finds on the page (see
    /// [`Browser::assert_accessible`]).
    pub fn violations(&self) -> Value {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.assert_accessible("probe")
        }));
        match result {
            Ok(()) => json!([]),
            Err(e) => json!(e.downcast_ref::<String>().cloned().unwrap_or_default()),
        }
    }

    /// Keeps a screenshot of the page, checked for accessibility first.
    pub fn screenshot(&self, name: &str) {
        self.assert_accessible(name);
        let png = self
            .runtime
            .block_on(self.client().screenshot())
            .expect("screenshot");
        std::fs::write(screenshots().join(format!("{name}.png")), png).expect("saves");
    }

    pub fn sign_in(&self, key: &str) {
        self.goto("/ui/sign-in");
        self.fill("#key", key);
        self.click("form button[type=submit]");
        self.until("document.location.pathname === '/ui/'");
    }

    pub fn sign_out(&self) {
        self.goto("/ui/");
        self.click(".who form button");
        self.until("document.location.pathname === '/ui/sign-in'");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A report as the public sends it; returns the case id (read by a
/// supervisor key).
fn report(server: &Server, supervisor: &str, url: &str) -> i64 {
    let public = server.api(supervisor).without_key();
    let (status, _) = public.post("/hotline/reports", json!({"url": url}));
    assert_eq!(status, 201);
    let (_, queue) = server.api(supervisor).get("/hotline/queue");
    queue["cases"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["url"] == json!(url)))
        .and_then(|c| c["id"].as_i64())
        .expect("the case is queued")
}

/// A hotline's day: an analyst's first opinion by keyboard, a
/// supervisor's second, the timeline, an appeal upheld, and the audit
/// log searched by the administrator.
fn hotline_day(db: Db) {
    let analyst = db.key("analyst", "default");
    let supervisor = db.key("supervisor", "default");
    let admin = db.key("admin", "default");
    let server = Server::start(&db, &supervisor, &[]);
    let case = report(&server, &supervisor, "http://bad.example/a.jpg");
    let browser = Browser::open(&server.base);

    // The analyst's first opinion, by keyboard: the queue, j and Enter,
    // then i for illegal.
    browser.sign_in(&analyst);
    browser.goto("/ui/hotline");
    assert!(browser.text("table").contains("bad.example"));
    browser.screenshot("triage");
    browser.goto(&format!("/ui/hotline/cases/{case}"));
    // The URL is shown as text, never as a link.
    assert!(browser.text(".facts").contains("http://bad.example/a.jpg"));
    assert!(!browser.exists("a[href^='http://bad.example']"));
    browser.fill("#category", "csam");
    browser.screenshot("case");
    browser.press("i");
    browser.until("document.location.search === '?done=second'");
    let (_, state) = server
        .api(&supervisor)
        .get(&format!("/hotline/cases/{case}"));
    assert_eq!(state["state"], "assessed");
    // Assessed cases never come back to the one who assessed them.
    assert!(!browser.text("main").contains("bad.example"));
    browser.sign_out();

    // The supervisor sees the first opinion and gives the second.
    browser.sign_in(&supervisor);
    browser.goto(&format!("/ui/hotline/cases/{case}"));
    assert!(browser.text("#assess").contains("Second opinion"));
    assert!(browser.text("main").contains("First opinion: illegal"));
    browser.fill("#category", "csam");
    browser.click("button[value=illegal]");
    browser.until("document.location.search === '?done=listed'");
    let (_, state) = server
        .api(&supervisor)
        .get(&format!("/hotline/cases/{case}"));
    assert_ne!(state["state"], "assessed");
    assert_eq!(state["verdict"], "illegal");
    // The timeline tells the story.
    browser.goto(&format!("/ui/hotline/cases/{case}"));
    let timeline = browser.text(".timeline");
    assert!(timeline.contains("Reported"), "{timeline}");
    assert!(
        timeline.contains("Assessed illegal (csam) by analyst"),
        "{timeline}"
    );
    assert!(timeline.contains("by supervisor"), "{timeline}");
    assert!(timeline.contains("Put on the blocklist"), "{timeline}");
    browser.screenshot("case-decided");

    // Hashes the analyst made on their machine go onto the case, and the
    // supervisor puts them into the hotline's bank, where they match.
    let (_, hash) = corpus_image("jpg_astronaut_q75_420.jpg");
    assert_eq!(
        server
            .api(&admin)
            .post("/c/banks", json!({"name": "HOTLINE"}))
            .0,
        201
    );
    browser.fill("#new-hashes", &format!("pdq {hash}\n"));
    browser.click("form[action$='/hashes'] button");
    browser.until("document.location.search === '?done=attached'");
    assert!(browser.text("#hashes ~ table").contains(&hash));
    browser.fill("#bank", "HOTLINE");
    browser.click("form[action$='/bank'] button");
    browser.until("document.location.search === '?done=banked'");
    server
        .api(&admin)
        .until(&lookup_path(&hash), Duration::from_secs(5), |b| {
            b.get("HOTLINE").is_some()
        });
    // Anyone can send hashes with a report of a known URL: they are shown
    // as unverified and never banked.
    let decoy = "d41d8cd98f00b204e9800998ecf8427e";
    let (status, _) = server.api(&supervisor).without_key().post(
        "/hotline/reports",
        json!({"url": "http://bad.example/a.jpg", "hashes": [{"signal_type": "md5", "value": decoy}]}),
    );
    assert_eq!(status, 201);
    browser.goto(&format!("/ui/hotline/cases/{case}"));
    assert!(browser.text("#hashes ~ table").contains("unverified"));
    browser.fill("#bank", "HOTLINE");
    browser.click("form[action$='/bank'] button");
    browser.until("document.location.search === '?done=banked'");
    let (_, exported) = server
        .api(&admin)
        .get("/c/bank/HOTLINE/export?format=plain");
    let exported = exported.as_str().unwrap_or_default().to_string();
    assert!(
        exported.contains(&hash) && !exported.contains(decoy),
        "{exported}"
    );

    browser.fill("#new-hashes", "pdq");
    browser.click("form[action$='/hashes'] button");
    assert!(browser.text(".error").contains("line 1"));

    browser.goto("/ui/");
    browser.screenshot("dashboard-hotline");

    // The site owner appeals; the supervisor upholds it in the browser
    // and the URL leaves the blocklist.
    let public = server.api(&supervisor).without_key();
    let (status, _) = public.post(
        "/hotline/appeals",
        json!({"url": "http://bad.example/a.jpg", "reason": "it is our logo"}),
    );
    assert_eq!(status, 202);
    browser.goto("/ui/hotline/appeals");
    assert!(browser.text("table").contains("it is our logo"));
    browser.screenshot("appeals");
    browser.click("button[value=upheld]");
    browser.until("document.location.search === '?done=decided'");
    let (_, appeals) = server.api(&supervisor).get("/hotline/appeals");
    assert_eq!(appeals["appeals"][0]["state"], "upheld");
    browser.sign_out();

    // The administrator finds all of it in the audit log.
    browser.sign_in(&admin);
    browser.goto("/ui/audit?action=hotline.");
    let log = browser.text("table");
    assert!(log.contains("hotline.assess"), "{log}");
    assert!(log.contains("hotline.appeal_decided"), "{log}");
    assert!(!log.contains("ui.sign_in"), "{log}");
    browser.fill("#action", "ui.");
    browser.fill("#actor", "analyst");
    browser.click("form[role=search] button");
    browser.until("document.location.search.includes('actor=analyst')");
    let log = browser.text("table");
    assert!(
        log.contains("ui.sign_in") && log.contains("ui.sign_out"),
        "{log}"
    );
    assert!(!log.contains("supervisor"), "{log}");
    browser.screenshot("audit");

    // A legal hold on the hotline's bank, placed and released here.
    browser.goto("/ui/holds");
    browser.fill("#target", "HOTLINE");
    browser.fill("#reason", "court order 12/2026");
    browser.click("form[action='/ui/holds'] button");
    browser.until("document.location.search === '?done=held'");
    assert!(browser.text("table").contains("court order 12/2026"));
    browser.screenshot("holds");
    let (_, held) = server.api(&admin).get("/holds");
    assert_eq!(held["holds"][0]["target"], "HOTLINE");
    assert!(held["holds"][0]["released_at"].is_null());
    browser.click("form[action$='/release'] button");
    browser.until("document.location.search === '?done=released'");
    let (_, held) = server.api(&admin).get("/holds");
    assert!(!held["holds"][0]["released_at"].is_null(), "{held}");
}

#[test]
fn hotline_day_on_sqlite() {
    hotline_day(Db::sqlite());
}

#[test]
fn hotline_day_on_postgres() {
    hotline_day(Db::postgres());
}

#[test]
fn pages_a_key_may_not_see_are_refused() {
    let db = Db::sqlite();
    let analyst = db.key("analyst", "default");
    let matcher = db.key("matcher", "default");
    let server = Server::start(&db, &matcher, &[]);
    let browser = Browser::open(&server.base);

    // Without a session every page leads to the sign-in.
    browser.goto("/ui/banks");
    assert_eq!(browser.path(), "/ui/sign-in?next=%2Fui%2Fbanks");
    browser.fill(
        "#key",
        "hw_0000000000000000000000000000000000000000000000000",
    );
    browser.click("form button[type=submit]");
    assert!(browser.text(".error").contains("unknown or revoked"));

    // The accessibility check finds what it should: a field without its
    // label, and text too faint to read.
    browser.goto("/ui/sign-in");
    browser.assert_accessible("sign-in");
    browser.script("document.querySelector('label[for=key]').remove(); document.querySelector('.help').style.color = '#ccc'; return true;");
    let found = browser.violations().to_string();
    assert!(
        found.contains("label") && found.contains("color-contrast"),
        "{found}"
    );

    browser.sign_in(&analyst);
    assert!(!browser.exists("nav a[href='/ui/banks']"));
    browser.goto("/ui/banks");
    assert_eq!(browser.text("h1"), "Not allowed");
    browser.screenshot("refused");
    browser.goto("/ui/audit");
    assert_eq!(browser.text("h1"), "Not allowed");
    browser.sign_out();

    browser.sign_in(&matcher);
    assert!(!browser.exists("nav a[href='/ui/hotline']"));
    browser.goto("/ui/hotline");
    assert_eq!(browser.text("h1"), "Not allowed");
    browser.goto("/ui/reviews");
    assert_eq!(browser.text("h1"), "Not allowed");
    // A matcher sees the banks but cannot change them.
    browser.goto("/ui/banks");
    assert_eq!(browser.text("h1"), "Banks");
    assert!(!browser.exists("form[action='/ui/banks']"));
}

#[test]
fn forms_need_the_session_token() {
    let db = Db::sqlite();
    let analyst = db.key("analyst", "default");
    let supervisor = db.key("supervisor", "default");
    let server = Server::start(&db, &supervisor, &[]);
    let case = report(&server, &supervisor, "http://bad.example/b.jpg");
    let browser = Browser::open(&server.base);
    browser.sign_in(&analyst);
    browser.goto(&format!("/ui/hotline/cases/{case}"));
    browser.script(
        "document.querySelector('form[action$=assess] input[name=csrf]').value = 'forged'; return true;",
    );
    browser.click("button[value=not_illegal]");
    browser.until("document.location.pathname.endsWith('/assess')");
    assert_eq!(browser.text("h1"), "Not allowed");
    assert!(browser.text(".error").contains("security token"));
    browser.screenshot("csrf-refused");
    let (_, state) = server
        .api(&supervisor)
        .get(&format!("/hotline/cases/{case}"));
    assert_eq!(state["state"], "new", "nothing changed");

    // Signed out, the pages are closed again.
    browser.sign_out();
    browser.goto(&format!("/ui/hotline/cases/{case}"));
    assert!(browser.path().starts_with("/ui/sign-in"));
}

#[test]
fn a_reviewer_clears_the_queue_on_sqlite() {
    a_reviewer_clears_the_queue(Db::sqlite());
}

#[test]
fn a_reviewer_clears_the_queue_on_postgres() {
    a_reviewer_clears_the_queue(Db::postgres());
}

fn a_reviewer_clears_the_queue(db: Db) {
    let admin = db.key("admin", "default");
    let curator = db.key("curator", "default");
    let server = Server::start(&db, &admin, &[]);
    let api = server.api(&admin);
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
    let (_, hash) = corpus_image("jpg_astronaut_q75_420.jpg");
    api.post("/c/bank/REVIEWED/signal", json!({"pdq": hash}));
    api.until(&lookup_path(&hash), Duration::from_secs(5), |b| {
        b.get("REVIEWED").is_some()
    });
    api.until("/reviews?state=open", Duration::from_secs(5), |b| {
        b["reviews"].as_array().is_some_and(|r| !r.is_empty())
    });

    let browser = Browser::open(&server.base);
    browser.sign_in(&curator);
    browser.goto("/ui/reviews");
    let card = browser.text(".card");
    assert!(card.contains("Review 1: match in REVIEWED"), "{card}");
    assert!(card.contains("Distance"), "{card}");
    assert!(card.contains(&hash), "{card}");
    browser.screenshot("reviews");
    browser.runtime.block_on(async {
        browser
            .client()
            .find(Locator::Css("select[name=negative_bank]"))
            .await
            .expect("select")
            .select_by_value("FALSE_POSITIVES")
            .await
            .expect("selects");
    });
    browser.click("button[value=reject]");
    browser.until("document.location.search === '?done=decided'");
    assert!(browser.text("main").contains("The review queue is empty"));
    let (_, decided) = api.get("/reviews?state=rejected");
    assert_eq!(decided["reviews"].as_array().map(Vec::len), Some(1));
    // The rejected hash went into the negative bank: it no longer matches.
    api.until(&lookup_path(&hash), Duration::from_secs(5), |b| {
        b == &json!({})
    });
}

#[test]
fn a_curator_imports_a_bank_file_in_the_browser() {
    let db = Db::sqlite();
    let curator = db.key("curator", "default");
    let server = Server::start(&db, &curator, &[]);
    let dir = tempfile::tempdir().expect("temp");
    let (_, a) = corpus_image("jpg_astronaut_q75_420.jpg");
    let list = dir.path().join("list.txt");
    let other = crate::nearby(&a, 100);
    std::fs::write(&list, format!("{a}\n{other}\n")).expect("writes");

    let browser = Browser::open(&server.base);
    browser.sign_in(&curator);
    browser.goto("/ui/banks");
    browser.fill("#name", "KNOWN");
    browser.click("form[action='/ui/banks'] button");
    browser.until("document.location.search === '?done=created'");
    assert_eq!(browser.text("h1"), "Bank KNOWN");
    browser.fill("#list", &list.to_string_lossy());
    browser.fill("#category", "test");
    browser.click("form[action$=import] button");
    browser.until("document.body.innerText.includes('List imported')");
    let active = browser.script(
        "return [...document.querySelectorAll('.facts dt')].find(d => d.textContent === 'Active entries').nextElementSibling.textContent;",
    );
    assert_eq!(active, json!("2"));
    browser.screenshot("bank");
    let api = server.api(&curator);
    api.until(&lookup_path(&a), Duration::from_secs(5), |b| {
        b.get("KNOWN").is_some()
    });
    let (_, exported) = api.get("/c/bank/KNOWN/export?format=plain");
    assert!(
        exported.as_str().is_some_and(|t| t.contains(&a)),
        "{exported}"
    );
}

/// The bank page shows the settings as stored and saves them through the
/// same operation as the API; a key that may only match sees none.
#[test]
fn an_admin_changes_a_banks_settings_in_the_browser() {
    let db = Db::sqlite();
    let admin = db.key("admin", "default");
    let server = Server::start(&db, &admin, &[]);
    let api = server.api(&admin);
    api.post("/c/banks", json!({"name": "KNOWN"}));
    let browser = Browser::open(&server.base);
    browser.sign_in(&admin);
    browser.goto("/ui/banks/KNOWN");
    let fact = |name: &str| {
        browser.script(&format!(
            "return [...document.querySelectorAll('.facts dt')].find(d => d.textContent === '{name}').nextElementSibling.textContent;"
        ))
    };
    assert_eq!(fact("Review matches"), json!("false"));
    assert_eq!(
        browser.script("return document.querySelector('#threshold').value;"),
        json!("")
    );
    browser.fill("#threshold", "20");
    browser.fill("#vq", "60");
    browser.click("form[action$=settings] input[name=review]");
    browser.click("form[action$=settings] button");
    browser.until("document.location.search === '?done=saved'");
    assert_eq!(fact("Threshold"), json!("20"));
    assert_eq!(fact("Review matches"), json!("true"));
    assert_eq!(
        browser.script("return document.querySelector('#threshold').value;"),
        json!("20")
    );
    assert_eq!(
        browser.script("return document.querySelector('#vq').value;"),
        json!("60")
    );
    assert_eq!(
        browser.script(
            "return document.querySelector('form[action$=settings] input[name=review]').checked;"
        ),
        json!(true)
    );
    let (_, settings) = api.get("/c/bank/KNOWN/settings");
    assert_eq!(settings["threshold"], json!(20), "{settings}");
    assert_eq!(settings["review"], json!(true), "{settings}");
    // Another tenant's matcher, matching through sharing only, sees no
    // settings and no form.
    api.put("/c/bank/KNOWN/settings", json!({"shared_with": ["acme"]}));
    let other = db.key("matcher", "acme");
    browser.sign_out();
    browser.sign_in(&other);
    browser.goto("/ui/banks/default:KNOWN");
    assert_eq!(browser.text("h1"), "Bank default:KNOWN");
    assert!(!browser.exists("#threshold"));
    assert!(!browser.script(
        "return [...document.querySelectorAll('.facts dt')].some(d => d.textContent === 'Threshold');"
    )
    .as_bool()
    .unwrap_or(true));
}

#[test]
fn previews_are_blurred_until_revealed() {
    let db = Db::sqlite();
    let analyst = db.key("analyst", "default");
    let supervisor = db.key("supervisor", "default");
    let server = Server::start(&db, &supervisor, &[]);
    let (image, _) = corpus_image("jpg_astronaut_q75_420.jpg");
    let port = web_server(image);
    let case = report(
        &server,
        &supervisor,
        &format!("http://127.0.0.1:{port}/a.png"),
    );
    let browser = Browser::open(&server.base);
    browser.sign_in(&analyst);
    browser.goto(&format!("/ui/hotline/cases/{case}"));
    // Nothing is loaded until asked.
    assert!(!browser.exists(".preview img"));
    browser.click("a[href$='preview=1']");
    browser.until("(() => { const i = document.querySelector('.preview img'); return i !== null && i.complete && i.naturalWidth > 0; })()");
    let filter = "getComputedStyle(document.querySelector('.preview img')).filter";
    let blurred = browser.script(&format!("return {filter};"));
    assert!(
        blurred
            .as_str()
            .is_some_and(|f| f.contains("grayscale") && f.contains("blur")),
        "{blurred}"
    );
    browser.screenshot("preview-blurred");
    browser.click("label[for=reveal]");
    assert_eq!(browser.script(&format!("return {filter};")), json!("none"));
    browser.screenshot("preview-revealed");
    browser.click("label[for=reveal]");
    assert!(browser
        .script(&format!("return {filter};"))
        .as_str()
        .is_some_and(|f| f.contains("blur")));
    // The preview counted; the next page shows it.
    browser.goto("/ui/");
    assert_eq!(browser.text("#viewed-count"), "1");
}

/// Bits that differ between two PDQ hashes in hex.
fn distance(a: &str, b: &str) -> u32 {
    let bits = |h: &str| -> Vec<u8> {
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
            .collect()
    };
    bits(a)
        .iter()
        .zip(bits(b))
        .map(|(x, y)| (x ^ y).count_ones())
        .sum()
}

/// What `hashwatch hash` gives each corpus image: file name → (pdq, md5,
/// sha256).
fn native_hashes(db: &Db) -> std::collections::BTreeMap<String, (String, String, String)> {
    let images = hashwatch_testdata::corpus_images();
    let out = db.hashwatch(&[
        "hash",
        "--format",
        "json",
        "--no-progress",
        &images.to_string_lossy(),
    ]);
    out.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("json");
            let file = v["path"]
                .as_str()
                .and_then(|p| p.rsplit('/').next())
                .expect("path")
                .to_string();
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (file, (text("pdq"), text("md5"), text("sha256")))
        })
        .collect()
}

/// Browsers whose decoders differ from the reference pipeline's, measured
/// here with Debian's Chromium: (file, PDQ bits that differ). The README
/// says the same.
const BROWSER_DECODING_DIFFERS: &[(&str, u32)] = &[];

#[test]
fn the_report_page_hashes_in_the_browser_as_hashwatch_hash_does() {
    let db = Db::sqlite();
    let supervisor = db.key("supervisor", "default");
    let server = Server::start(&db, &supervisor, &[]);
    let native = native_hashes(&db);
    assert!(native.len() >= 20, "{native:?}");
    let browser = Browser::open(&server.base);
    browser.goto("/report");
    browser.until("!document.getElementById('hash-picture').hidden");
    let images = hashwatch_testdata::corpus_images();
    let mut differing = Vec::new();
    for (file, (pdq, md5, sha256)) in &native {
        browser.script(
            "document.getElementById('hash-picture').dataset.state = 'waiting'; return true;",
        );
        browser.fill("#picture", &images.join(file).to_string_lossy());
        browser.until(
            "['done', 'digests', 'failed'].includes(document.getElementById('hash-picture').dataset.state)",
        );
        let value = |id: &str| {
            browser
                .script(&format!("return document.getElementById('{id}').value;"))
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(&value("hash-md5"), md5, "{file}");
        assert_eq!(&value("hash-sha256"), sha256, "{file}");
        let in_browser = value("hash-pdq");
        assert_eq!(in_browser.len(), 64, "{file}: no PDQ in the browser");
        let bits = distance(&in_browser, pdq);
        eprintln!("browser vs native: {file}: {bits} bits");
        if bits != 0 {
            differing.push((file.clone(), bits));
        }
    }
    let expected: Vec<(String, u32)> = BROWSER_DECODING_DIFFERS
        .iter()
        .map(|(f, b)| (f.to_string(), *b))
        .collect();
    assert_eq!(differing, expected);

    // A report with a picture's hashes: the case carries them, the
    // picture never left the page.
    let (file, (pdq, md5, sha256)) = native
        .iter()
        .find(|(f, _)| f.ends_with(".png"))
        .expect("a PNG in the corpus");
    browser.goto("/report");
    browser.until("!document.getElementById('hash-picture').hidden");
    browser.fill("#url", "http://bad.example/picture");
    browser.fill("#picture", &images.join(file).to_string_lossy());
    browser.until("document.getElementById('hash-picture').dataset.state === 'done'");
    browser.screenshot("report");
    browser.click("form button[type=submit]");
    browser.until("document.body.innerText.includes('Your report has been received')");
    let (_, queue) = server.api(&supervisor).get("/hotline/queue");
    let case = queue["cases"][0]["id"].as_i64().expect("a case");
    let (_, case) = server
        .api(&supervisor)
        .get(&format!("/hotline/cases/{case}"));
    let attached: Vec<(String, String)> = case["hashes"]
        .as_array()
        .expect("hashes")
        .iter()
        .map(|h| {
            assert_eq!(h["added_by"], "reporter");
            (
                h["signal_type"].as_str().unwrap_or_default().to_string(),
                h["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        attached,
        [
            ("pdq".to_string(), pdq.clone()),
            ("md5".to_string(), md5.clone()),
            ("sha256".to_string(), sha256.clone())
        ]
    );
}

#[test]
fn the_report_page_works_without_script() {
    let db = Db::sqlite();
    let supervisor = db.key("supervisor", "default");
    let server = Server::start(&db, &supervisor, &[]);
    // A plain form post, as a browser without script sends it.
    let http = reqwest::blocking::Client::new();
    let page = http
        .get(format!("{}/report", server.base))
        .send()
        .expect("page");
    assert_eq!(page.status(), 200);
    let csp = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    let sent = http
        .post(format!("{}/report", server.base))
        .form(&[
            ("url", "http://bad.example/form"),
            ("description", "seen in a forum"),
        ])
        .send()
        .expect("posts");
    assert_eq!(sent.status(), 201);
    assert!(sent.text().unwrap_or_default().contains("Thank you"));
    // A bad URL is a page saying so, not a JSON error.
    let bad = http
        .post(format!("{}/report", server.base))
        .form(&[("url", "not a url")])
        .send()
        .expect("posts");
    assert_eq!(bad.status(), 400);
    let text = bad.text().unwrap_or_default();
    assert!(text.starts_with("<!DOCTYPE html>"), "{text}");
    // Malformed hashes are refused whole.
    let bad = http
        .post(format!("{}/report", server.base))
        .form(&[("url", "http://bad.example/x"), ("pdq", "zz")])
        .send()
        .expect("posts");
    assert_eq!(bad.status(), 400);
    // A form from another site is refused.
    let cross = http
        .post(format!("{}/report", server.base))
        .header("origin", "http://evil.example")
        .form(&[("url", "http://bad.example/y")])
        .send()
        .expect("posts");
    assert_eq!(cross.status(), 403);
    let (_, queue) = server.api(&supervisor).get("/hotline/queue");
    let urls: Vec<&str> = queue["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter_map(|c| c["url"].as_str())
        .collect();
    assert_eq!(urls, ["http://bad.example/form"]);
}
