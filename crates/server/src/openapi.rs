//! The OpenAPI document, generated from each handler's `#[utoipa::path]`
//! annotation and the schemas of its request types as the routes are
//! registered ([`crate::routes`]): a route is served and described by the
//! same registration, so the two cannot drift apart.

use std::sync::OnceLock;

use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder};
use utoipa::openapi::security::{SecurityRequirement, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The document's frame: what is not said by the routes themselves.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "hashwatch",
        description = "Detect, report and remove known abuse material by hash: Meta's HMA 2.0 \
                       API and hashwatch's own routes (lists, settings, records, holds, reviews, \
                       feeds, hotline, blocklist). Every route needs an API key (X-API-Key, or \
                       Authorization: Bearer) unless it says otherwise."
    ),
    components(schemas(ErrorBody)),
    modifiers(&KeySchemes)
)]
pub struct ApiDoc;

/// API keys, in either header, required everywhere unless a route says
/// otherwise.
struct KeySchemes;

impl Modify for KeySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![
            SecurityRequirement::new("api_key", Vec::<String>::new()),
            SecurityRequirement::new("bearer", Vec::<String>::new()),
        ]);
    }
}

/// Every error's body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong and what to do about it.
    pub message: String,
    /// A stable code, e.g. `bank_not_found`.
    pub code: &'static str,
}

/// An upload: one file field, `photo` or `video`, and HMA's form fields.
#[derive(ToSchema)]
#[allow(dead_code)] // described, never built: multipart bodies are read field by field
pub struct Upload {
    /// An image.
    #[schema(value_type = Option<String>, format = Binary)]
    photo: Option<Vec<u8>>,
    /// A video.
    #[schema(value_type = Option<String>, format = Binary)]
    video: Option<Vec<u8>>,
    /// HMA content metadata as JSON: `content_id`, `content_uri`, `json`.
    metadata: Option<String>,
    /// A note kept with the content.
    note: Option<String>,
}

/// The OpenAPI 3.1 document, as JSON.
pub fn document() -> &'static serde_json::Value {
    static DOCUMENT: OnceLock<serde_json::Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, api) = crate::routes().split_for_parts();
        serde_json::to_value(&api).unwrap_or_else(
            |e| serde_json::json!({ "error": format!("the document does not serialise: {e}") }),
        )
    })
}
