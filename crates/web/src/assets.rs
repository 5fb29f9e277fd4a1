//! The interface's static files, embedded in the binary.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// (name, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "ui.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/ui.css"),
    ),
    (
        "ui.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/ui.js"),
    ),
    (
        "report.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/report.js"),
    ),
    ("hashwatch.wasm", "application/wasm", WASM),
];

/// The `pdq` crate for the browser (`crates/wasm`, built by this crate's
/// build script; empty when the WebAssembly target was missing).
const WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hashwatch.wasm"));

/// Whether this build can hash in the browser.
pub fn has_wasm() -> bool {
    !WASM.is_empty()
}

/// Where an asset is served.
pub fn path(name: &str) -> String {
    format!("/ui/assets/{name}")
}

/// `GET /ui/assets/<name>`.
pub async fn serve(Path(name): Path<String>) -> Response {
    let Some((_, content_type, bytes)) = ASSETS
        .iter()
        .find(|(n, _, bytes)| *n == name && !bytes.is_empty())
    else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
