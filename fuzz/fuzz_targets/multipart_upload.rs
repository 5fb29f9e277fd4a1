//! Any bytes as a multipart upload to the service's hashing route, in
//! process: an answer below 500, never a crash.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

struct Service {
    runtime: tokio::runtime::Runtime,
    state: hashwatch_server::AppState,
    key: String,
    _dir: std::path::PathBuf,
}

fn service() -> &'static Service {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    SERVICE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("hashwatch-fuzz-{}", std::process::id()));
        let store = hashwatch_store::SqliteStore::open(&dir.join("fuzz.db")).expect("store");
        let key = hashwatch_store::records(&store)
            .create_key("default", "fuzz", hashwatch_store::Role::Matcher.into())
            .expect("key")
            .1;
        let (state, _events) =
            hashwatch_server::state(Arc::new(store), hashwatch_server::Config::default());
        state.load().expect("loads");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Service {
            runtime,
            state,
            key,
            _dir: dir,
        }
    })
}

fuzz_target!(|body: &[u8]| {
    let service = service();
    let request = axum::http::Request::post("/h/hash")
        .header("x-api-key", &service.key)
        .header(
            "content-type",
            "multipart/form-data; boundary=hashwatch-fuzz-boundary",
        )
        .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            1,
        ))))
        .body(axum::body::Body::from(body.to_vec()))
        .expect("request");
    let response = service
        .runtime
        .block_on(hashwatch_server::router(service.state.clone(), axum::Router::new()).oneshot(request));
    let status = response.expect("answers").status();
    assert!(status.as_u16() < 500, "{status} for {} bytes", body.len());
});
