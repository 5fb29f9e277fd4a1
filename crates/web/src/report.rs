//! The public report page: a URL form that needs no script and no key,
//! taken by the same intake as `POST /hotline/reports`.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::Extension;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::Page;
use super::{same_origin, UiError, UiResult};
use hashwatch_server::hotline::{ReportBody, ReportHash};
use hashwatch_server::public::{PublicClient, MAX_PUBLIC_BYTES};
use hashwatch_server::state::AppState;

fn shell(title: &str, body: Markup) -> Page {
    super::layout::document(
        title,
        Some("narrow"),
        "report.js",
        html! { main #main { h1 { (title) } (body) } },
    )
}

/// `GET /report`.
pub(super) async fn page() -> Page {
    shell(
        "Report child sexual abuse material",
        html! {
            p {
                "Tell the hotline where you saw it. Do not download, copy or send the material itself. "
                "You may stay anonymous."
            }
            form method="post" action="/report" {
                label for="url" { "Where is it? (the page or file address)" }
                input #url type="url" name="url" required placeholder="https://…" autocomplete="off" inputmode="url";
                label for="description" { "What did you see? (optional)" }
                textarea #description name="description" maxlength="4000" {}
                label for="contact" { "How can we reach you? (optional; kept apart and never shared)" }
                input #contact type="text" name="contact" autocomplete="email";
                @if super::assets::has_wasm() {
                    // Shown by report.js once the WebAssembly is loaded.
                    fieldset #hash-picture hidden {
                        legend { "Do you have the picture? (optional)" }
                        p.help {
                            "Pick it here and this page computes its hashes on your device. "
                            "Only the hashes are sent with the report, never the picture, "
                            "and the picture is not shown."
                        }
                        label for="picture" { "Picture" }
                        input #picture type="file" accept="image/*";
                        input #hash-pdq type="hidden" name="pdq";
                        input #hash-md5 type="hidden" name="md5";
                        input #hash-sha256 type="hidden" name="sha256";
                        p #hash-status.help role="status" aria-live="polite" {}
                    }
                }
                p { button type="submit" { "Send report" } }
            }
        },
    )
}

#[derive(Deserialize)]
struct ReportForm {
    url: String,
    description: Option<String>,
    contact: Option<String>,
    /// Filled in by the page when the reporter hashed a picture.
    pdq: Option<String>,
    md5: Option<String>,
    sha256: Option<String>,
}

/// `POST /report`: behind the public routes' gate (size, rate per
/// address, concurrency), like the JSON route.
pub(super) async fn submit(
    State(state): State<AppState>,
    Extension(client): Extension<PublicClient>,
    request: Request,
) -> UiResult<(StatusCode, Page)> {
    let (parts, body) = request.into_parts();
    same_origin(&parts.headers)?;
    let bytes = axum::body::to_bytes(body, MAX_PUBLIC_BYTES)
        .await
        .map_err(|_| UiError::page(StatusCode::PAYLOAD_TOO_LARGE, "the report is too long"))?;
    let form: ReportForm = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
        UiError::page(
            StatusCode::BAD_REQUEST,
            format!("the form could not be read: {e}"),
        )
    })?;
    let optional = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let hashes = [
        ("pdq", form.pdq),
        ("md5", form.md5),
        ("sha256", form.sha256),
    ]
    .into_iter()
    .filter_map(|(signal_type, value)| {
        optional(value).map(|value| ReportHash {
            signal_type: signal_type.to_string(),
            value,
        })
    })
    .collect();
    let body = ReportBody {
        url: form.url,
        description: optional(form.description),
        contact: optional(form.contact),
        hashes,
    };
    hashwatch_server::hotline::take_report(&state, client.0, body).await?;
    Ok((
        StatusCode::CREATED,
        shell(
            "Thank you",
            html! {
                p role="status" { "Your report has been received. The hotline's analysts will assess it." }
                p { a href="/report" { "Report another address" } }
            },
        ),
    ))
}
