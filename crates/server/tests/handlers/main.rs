//! The router answered in process, over a real SQLite file: handler
//! behaviour where running the binary is not the point.

#![allow(missing_docs)]

mod content;
mod openapi;
mod rollback;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use hashwatch_server::{AppState, Config};
use hashwatch_store::{records, Role, SqliteStore, Store};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// A service over a fresh SQLite file, with no background task running:
/// what a request sees is what the handlers themselves made visible.
pub struct Service {
    pub state: AppState,
    /// The store under the service, for checking what it wrote.
    pub store: Arc<dyn Store + Send + Sync>,
    /// What the action worker would get (none runs here).
    pub events: tokio::sync::mpsc::Receiver<hashwatch_server::state::Event>,
    _dir: tempfile::TempDir,
}

impl Service {
    pub fn on_sqlite() -> Service {
        Service::over(|path| Arc::new(SqliteStore::open(path).expect("opens")))
    }

    /// A service over the store `open` makes at a SQLite path.
    pub fn over(open: impl FnOnce(&std::path::Path) -> Arc<dyn Store + Send + Sync>) -> Service {
        Service::configured(open, |_| {})
    }

    /// [`Service::over`] with a configuration of the test's own.
    pub fn configured(
        open: impl FnOnce(&std::path::Path) -> Arc<dyn Store + Send + Sync>,
        configure: impl FnOnce(&mut Config),
    ) -> Service {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open(&dir.path().join("hashwatch.db"));
        let mut config = Config {
            db: dir
                .path()
                .join("hashwatch.db")
                .to_string_lossy()
                .into_owned(),
            secrets_key: Some(Arc::new(hashwatch_access::secrets::SecretsKey::from_bytes(
                &[7; 32],
            ))),
            ..Config::default()
        };
        configure(&mut config);
        let (state, events) = hashwatch_server::state(store.clone(), config);
        state.load().expect("index loads");
        Service {
            state,
            store,
            events,
            _dir: dir,
        }
    }

    /// A new key's secret.
    pub fn key(&self, role: Role, tenant: &str) -> String {
        records(self.store.as_ref())
            .create_key(tenant, role.name(), role.into())
            .expect("key")
            .1
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        self.send(method, path, Some(key), content_type, body).await
    }

    /// A request as [`Service::call`] sends it, with a key or none.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            // What `serve` adds to every connection: public routes limit
            // by the client's address.
            .extension(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
        if let Some(key) = key {
            request = request.header("X-API-Key", key);
        }
        if let Some(t) = content_type {
            request = request.header("content-type", t);
        }
        let request = request.body(Body::from(body)).expect("request");
        let response = hashwatch_server::router(self.state.clone(), axum::Router::new())
            .oneshot(request)
            .await
            .expect("answers");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    pub async fn get(&self, path: &str, key: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, key, None, Vec::new()).await
    }

    pub async fn json(
        &self,
        method: Method,
        path: &str,
        key: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        self.call(
            method,
            path,
            key,
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await
    }

    /// A multipart upload of `file` as field `field`, with text fields.
    pub async fn upload(
        &self,
        path: &str,
        key: &str,
        field: &str,
        file: &[u8],
        text: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let boundary = "hashwatch-test-boundary";
        let mut body = Vec::new();
        for (name, value) in text {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"upload\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.call(
            Method::POST,
            path,
            key,
            Some(&format!("multipart/form-data; boundary={boundary}")),
            body,
        )
        .await
    }
}

/// A corpus image and its reference PDQ hash.
pub fn corpus_image(name: &str) -> (Vec<u8>, String) {
    let dir = hashwatch_testdata::corpus();
    let rows = hashwatch_testdata::read_tsv(&dir.join("pdq.tsv"));
    let row = rows.iter().find(|r| r["file"] == name).expect("in pdq.tsv");
    let bytes = std::fs::read(hashwatch_testdata::corpus_images().join(name)).expect("reads");
    (bytes, row["pdq_hex"].clone())
}
