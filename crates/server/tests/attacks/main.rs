//! Attacks on a running service, over real HTTP on loopback, on SQLite
//! and on PostgreSQL: each one worked before the trust model of issue 14
//! and must be refused now.

#![allow(missing_docs)]

mod access;
mod figures;
mod public;
mod secrets;
mod text;
mod work;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hashwatch_server::Config;
use hashwatch_store::{records, Role, Roles, Store, DEFAULT_TENANT};
use hashwatch_testdata::TestPostgres;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Where a test's service keeps its records.
pub enum Db {
    Sqlite(tempfile::TempDir),
    Postgres(TestPostgres),
}

impl Db {
    pub fn sqlite() -> Db {
        Db::Sqlite(tempfile::tempdir().expect("temp dir"))
    }

    pub fn postgres() -> Db {
        Db::Postgres(TestPostgres::new())
    }

    pub fn spec(&self) -> String {
        match self {
            Db::Sqlite(dir) => dir
                .path()
                .join("hashwatch.db")
                .to_string_lossy()
                .into_owned(),
            Db::Postgres(pg) => pg.url.clone(),
        }
    }
}

/// `hashwatch serve` in this process, on a loopback port, with the
/// background workers running.
pub struct Served {
    pub base: String,
    store: Option<Arc<dyn Store + Send + Sync>>,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<()>>,
}

impl Served {
    /// Starts a service on the database `spec` names (see [`Db::spec`]).
    pub async fn start(spec: &str, configure: impl FnOnce(&mut Config)) -> Served {
        let spec = spec.to_string();
        let opened = spec.clone();
        let store: Arc<dyn Store + Send + Sync> = tokio::task::spawn_blocking(move || {
            Arc::from(hashwatch_store::open(&opened).expect("the store opens"))
        })
        .await
        .expect("opens");
        let mut config = Config {
            db: spec,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            follow_interval: Duration::from_millis(50),
            webhooks: hashwatch_outbound::webhook::RetryPolicy {
                attempts: 1,
                backoff: Duration::from_millis(10),
            },
            secrets_key: Some(Arc::new(hashwatch_access::secrets::SecretsKey::from_bytes(
                &[7; 32],
            ))),
            ..Config::default()
        };
        configure(&mut config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, address) = tokio::sync::oneshot::channel();
        let done = tokio::spawn(async move {
            hashwatch_server::serve_until(
                config,
                // The web pages are the web crate's and tested with it.
                axum::Router::new(),
                move |a| {
                    let _ = ready.send(a);
                },
                async move {
                    let _ = stopped.await;
                },
            )
            .await
            .expect("serves");
        });
        let address = address.await.expect("the service starts");
        Served {
            base: format!("http://{address}"),
            store: Some(store),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            stop: Some(stop),
            done: Some(done),
        }
    }

    /// The service's store, opened beside it.
    pub fn store(&self) -> Arc<dyn Store + Send + Sync> {
        self.store.clone().expect("not stopped")
    }

    /// A new key's secret.
    pub async fn key(&self, tenant: &str, roles: &[Role]) -> String {
        let store = self.store();
        let tenant = tenant.to_string();
        let roles = Roles::of(roles);
        tokio::task::spawn_blocking(move || {
            records(store.as_ref())
                .create_key(&tenant, &roles.to_string(), roles)
                .expect("key")
                .1
        })
        .await
        .expect("key made")
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("answers");
        let status = response.status();
        let text = response.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, path: &str, key: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(key), None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(key), Some(body)).await
    }

    pub async fn put(&self, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(key), Some(body)).await
    }

    /// Polls `path` until `done` holds of its answer.
    pub async fn until(&self, path: &str, key: &str, done: impl Fn(&Value) -> bool) -> Value {
        let started = std::time::Instant::now();
        loop {
            let (_, answer) = self.get(path, key).await;
            if done(&answer) {
                return answer;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{path} never got there: {answer}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A public report of `url`, no key; its case, as the hotline's queue
    /// shows it (the public is not told case ids).
    pub async fn report(&self, url: &str) -> i64 {
        let (status, answer) = self
            .call(
                Method::POST,
                "/hotline/reports",
                None,
                Some(json!({"url": url})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let analyst = self.key(DEFAULT_TENANT, &[Role::Analyst]).await;
        let (_, queue) = self.get("/hotline/queue", &analyst).await;
        queue["cases"]
            .as_array()
            .and_then(|cases| cases.iter().find(|c| c["url"] == url))
            .and_then(|c| c["id"].as_i64())
            .unwrap_or_else(|| panic!("{url} is not in the queue: {queue}"))
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = tokio::time::timeout(Duration::from_secs(20), done).await;
        }
        // A PostgreSQL client must not close on an async thread.
        let store = self.store.take();
        let _ = tokio::task::spawn_blocking(move || drop(store)).await;
    }
}

/// Runs `attack` against a service on `db` (made and dropped outside the
/// runtime: the PostgreSQL test database is managed with a blocking
/// client).
pub fn run<F: std::future::Future<Output = ()>>(db: Db, attack: impl FnOnce(String) -> F) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(attack(db.spec()));
    drop(runtime);
    drop(db);
}

/// Runs an attack on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($attack:ident) => {
        mod $attack {
            #[test]
            fn sqlite() {
                $crate::run($crate::Db::sqlite(), super::$attack)
            }

            #[test]
            fn postgres() {
                $crate::run($crate::Db::postgres(), super::$attack)
            }
        }
    };
}

/// A random PDQ hash as hex.
pub fn hash(seed: u64) -> String {
    hashwatch_testdata::Rng::new(seed).hash().to_string()
}

pub fn lookup_path(hex: &str) -> String {
    format!("/m/lookup?signal_type=pdq&signal={hex}")
}
