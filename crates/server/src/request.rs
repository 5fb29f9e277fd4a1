//! Reading request bodies the way every route does.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};

use crate::error::{ApiError, ApiResult};

/// Parses a JSON body. `not_json` is the status for a body that is not
/// JSON at all (HMA answers 415 on some routes and 422 on others).
pub fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
    not_json: StatusCode,
) -> ApiResult<T> {
    let is_json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Err(ApiError::new(
            not_json,
            "not_json",
            "send a JSON body with Content-Type: application/json",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("bad_json", format!("the JSON body does not fit: {e}")))
}
