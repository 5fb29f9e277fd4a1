//! Banks for curators and administrators: list with counts and versions,
//! create, a bank's page (settings, import with progress, export, revoke
//! an item). Each change is the API's own operation, so the rules and the
//! audit row are the API's.

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use hashwatch_access::BankAction;
use hashwatch_model::BankKind;
use hashwatch_operations::banks::NewBank;
use hashwatch_operations::settings::SettingsChange;
use hashwatch_operations::Kind;
use maud::html;
use serde::Deserialize;
use serde_json::{json, Value};

use super::layout::{self, or_dash};
use super::{multipart_posted, Page, Posted, Session, UiError, UiResult};
use hashwatch_server::state::AppState;

/// A bank name in a URL path.
fn segment(name: &str) -> String {
    url::form_urlencoded::byte_serialize(name.as_bytes()).collect()
}

#[derive(Deserialize, Default)]
pub(super) struct Done {
    done: Option<String>,
}

/// `GET /ui/banks`: the banks the key sees, with counts and versions.
pub(super) async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<Done>,
) -> UiResult<Page> {
    let caller = session.op();
    let banks = state
        .op(move |ops| {
            Ok(ops
                .banks(&caller)?
                .into_iter()
                .map(|(bank, view)| {
                    let owned = ops.owns(&caller, &view.settings);
                    (view.label, bank, owned)
                })
                .collect::<Vec<_>>())
        })
        .await?;
    let curator = session.caller.may(BankAction::Curate).is_ok();
    let body = html! {
        (layout::notice(q.done.as_deref()))
        table {
            thead { tr {
                th scope="col" { "Bank" } th scope="col" { "Kind" } th scope="col" class="num" { "Active" }
                th scope="col" class="num" { "Revoked" } th scope="col" class="num" { "Version" } th scope="col" { "Owner" }
            } }
            tbody {
                @for (label, b, owned) in &banks {
                    tr data-href={ "/ui/banks/" (segment(label)) } {
                        td { a href={ "/ui/banks/" (segment(label)) } { (label) } }
                        td { (b.kind.name()) }
                        td.num { (b.active) }
                        td.num { (b.revoked) }
                        td.num { (b.version) }
                        td { @if *owned { "this tenant" } @else { "shared with this tenant" } }
                    }
                }
            }
        }
        @if curator {
            h2 { "New bank" }
            form.filters method="post" action="/ui/banks" {
                (layout::csrf(&session))
                div {
                    label for="name" { "Name" }
                    input #name type="text" name="name" required pattern="[A-Za-z0-9_.\\-]{1,64}"
                        aria-describedby="name-help";
                }
                div {
                    label for="kind" { "Kind" }
                    select #kind name="kind" {
                        option value="positive" { "positive (known material)" }
                        option value="negative" { "negative (known false matches)" }
                    }
                }
                div { button type="submit" { "Create" } }
            }
            p #name-help.help { "Letters, digits, '_', '-' and '.', up to 64." }
        }
    };
    Ok(layout::page(&session, "/ui/banks", "Banks", body))
}

#[derive(Deserialize)]
pub(super) struct CreateForm {
    name: String,
    kind: Option<String>,
}

/// `POST /ui/banks`: the API's bank creation.
pub(super) async fn create(
    State(state): State<AppState>,
    posted: Posted<CreateForm>,
) -> UiResult<Redirect> {
    let form = posted.form;
    let kind = match form.kind.as_deref() {
        None | Some("positive") => BankKind::Positive,
        Some("negative") => BankKind::Negative,
        Some(other) => {
            return Err(UiError::page(
                StatusCode::BAD_REQUEST,
                format!("kind {other:?} is not 'positive' or 'negative'"),
            ))
        }
    };
    let new = NewBank {
        name: form.name.trim().to_string(),
        kind,
        enabled_ratio: None,
        description: None,
    };
    let caller = posted.session.op();
    state
        .op(move |ops| Ok(ops.create_bank(&caller, &new)?))
        .await?;
    Ok(Redirect::to(&format!(
        "/ui/banks/{}?done=created",
        segment(form.name.trim())
    )))
}

/// `GET /ui/banks/<name>`: settings, import, export and revocation.
pub(super) async fn bank(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
    Query(q): Query<Done>,
) -> UiResult<Page> {
    let caller = session.op();
    let given = name.clone();
    let (bank, settings) = state
        .op(move |ops| {
            let (bank, _) = ops.bank(&caller, &given)?;
            // The settings as the API shows them to this key (webhook and
            // sharing only to the owner); a key that may match against the
            // bank but not read it sees none.
            let settings = match ops.settings(&caller, &given) {
                Ok((_, _, settings)) => Some(settings),
                Err(e) if matches!(e.kind, Kind::Forbidden | Kind::NotFound) => None,
                Err(e) => return Err(e.into()),
            };
            Ok((bank, settings))
        })
        .await?;
    let readable = settings.is_some();
    let curator = session.caller.may(BankAction::Curate).is_ok();
    let admin = session.caller.may(BankAction::Administer).is_ok();
    let path = format!("/ui/banks/{}", segment(&name));
    let number = |n: Option<String>| n.unwrap_or_default();
    let threshold = number(
        settings
            .as_ref()
            .and_then(|s| s.threshold)
            .map(|t| t.to_string()),
    );
    let query_percent = number(
        settings
            .as_ref()
            .and_then(|s| s.video_query_percent)
            .map(|p| p.to_string()),
    );
    let compared_percent = number(
        settings
            .as_ref()
            .and_then(|s| s.video_compared_percent)
            .map(|p| p.to_string()),
    );
    let body = html! {
        (layout::notice(q.done.as_deref()))
        div.grid {
            section.card aria-labelledby="about" {
                h2 #about { "Bank" }
                dl.facts {
                    dt { "Kind" } dd { (bank.kind.name()) }
                    dt { "Active entries" } dd { (bank.active) }
                    dt { "Revoked entries" } dd { (bank.revoked) }
                    dt { "Version" } dd { (bank.version) }
                    dt { "Created" } dd { (bank.created_at) }
                    dt { "Description" } dd { (or_dash(bank.description.as_deref())) }
                    @if let Some(s) = &settings {
                        dt { "Threshold" } dd { (or_dash(Some(threshold.as_str()))) }
                        dt { "Matching" } dd { (s.enabled_ratio) }
                        dt { "Review matches" } dd { (s.review) }
                        dt { "Shared with" } dd { (or_dash(Some(s.shared_with.join(", ").as_str()))) }
                    }
                }
            }
            @if readable {
                section.card aria-labelledby="export" {
                    h2 #export { "Export" }
                    p { "Download the active entries." }
                    ul {
                        @for (format, label) in [("tsv", "hashwatch TSV"), ("pytx", "python-threatexchange CSV"), ("vics", "VICS JSON"), ("icse", "ICSE CSV"), ("plain", "plain hashes")] {
                            li { a href={ (path) "/export?format=" (format) } download { (label) } }
                        }
                    }
                }
            }
        }
        @if curator {
            section.card aria-labelledby="import" {
                h2 #import { "Import a hash list" }
                form method="post" action={ (path) "/import" } enctype="multipart/form-data" data-progress="import-progress" {
                    (layout::csrf(&session))
                    label for="list" { "File (any format " code { "bank import" } " reads: hashwatch TSV, pytx CSV, VICS, ICSE CSV, plain)" }
                    input #list type="file" name="list" required;
                    label for="category" { "Category for rows without one" }
                    input #category type="text" name="category";
                    label.reveal-label {
                        input type="checkbox" name="skip_duplicates";
                        " Skip repeated rows instead of refusing the list"
                    }
                    div.actions { button type="submit" { "Import" } }
                    progress #import-progress hidden max="1" {}
                    p #import-progress-status.help role="status" aria-live="polite" {}
                }
            }
            section.card aria-labelledby="revoke" {
                h2 #revoke { "Revoke an item" }
                form.filters method="post" action={ (path) "/revoke" } {
                    (layout::csrf(&session))
                    div {
                        label for="item" { "Item id" }
                        input #item type="number" name="item" min="1" required;
                    }
                    div { button.danger type="submit" { "Revoke its entries" } }
                }
                p.help { "Revoked entries stop matching at once and stay in the bank's history; feeds carry the revocation." }
            }
        }
        @if admin && settings.is_some() {
            section.card aria-labelledby="settings" {
                h2 #settings { "Settings" }
                form method="post" action={ (path) "/settings" } {
                    (layout::csrf(&session))
                    label for="threshold" { "PDQ threshold (empty: the service's default)" }
                    input #threshold type="number" name="threshold" min="0" max=(hashwatch_matcher::MAX_THRESHOLD) value=(threshold);
                    label for="vq" { "Video: least % of the query's frames found (empty: 80)" }
                    input #vq type="number" name="video_query_percent" min="0" max="100" step="any" value=(query_percent);
                    label for="vc" { "Video: least % of the banked video's frames found (empty: 0)" }
                    input #vc type="number" name="video_compared_percent" min="0" max="100" step="any" value=(compared_percent);
                    label.reveal-label {
                        input type="checkbox" name="review" checked[settings.as_ref().is_some_and(|s| s.review)];
                        " Send matches to the review queue"
                    }
                    div.actions { button type="submit" { "Save settings" } }
                }
            }
        }
    };
    Ok(layout::page(
        &session,
        "/ui/banks",
        &format!("Bank {name}"),
        body,
    ))
}

/// `POST /ui/banks/<name>/import`: a multipart upload, imported by the
/// API's import.
pub(super) async fn import(
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: Request,
) -> UiResult<Redirect> {
    let (session, mut multipart) = multipart_posted(request, &state).await?;
    let mut list = None;
    let mut params = hashwatch_server::lists::ImportParams::default();
    let bad = |e: axum::extract::multipart::MultipartError| {
        UiError::page(StatusCode::BAD_REQUEST, e.body_text())
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "list" => list = Some(field.bytes().await.map_err(bad)?),
            "category" => {
                let text = field.text().await.map_err(bad)?;
                params.category = Some(text).filter(|c| !c.trim().is_empty());
            }
            "skip_duplicates" => params.skip_duplicates = Some(true),
            _ => {}
        }
    }
    let list = list
        .filter(|l| !l.is_empty())
        .ok_or_else(|| UiError::page(StatusCode::BAD_REQUEST, "choose a file to import"))?;
    let imported =
        hashwatch_server::lists::import_bytes(&state, session.caller, name.clone(), params, list)
            .await?;
    Ok(Redirect::to(&format!(
        "/ui/banks/{}?done=imported&added={}",
        segment(&name),
        imported.added
    )))
}

/// `GET /ui/banks/<name>/export?format=`: the API's export, as a download.
pub(super) async fn export(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
    query: Query<hashwatch_server::lists::ExportParams>,
) -> UiResult<Response> {
    let mut response = hashwatch_server::lists::export_list(
        State(state),
        session.caller,
        Path(name.clone()),
        query,
    )
    .await?;
    let file: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}.txt\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response.into_response())
}

#[derive(Deserialize)]
pub(super) struct RevokeForm {
    item: u64,
}

/// `POST /ui/banks/<name>/revoke`: the API's item deletion (its entries
/// are revoked).
pub(super) async fn revoke(
    State(state): State<AppState>,
    Path(name): Path<String>,
    posted: Posted<RevokeForm>,
) -> UiResult<Redirect> {
    let caller = posted.session.op();
    let (given, item) = (name.clone(), posted.form.item);
    let deleted = state
        .op(move |ops| Ok(ops.delete_content(&caller, &given, item)?))
        .await?;
    if !deleted {
        return Err(UiError::page(
            StatusCode::NOT_FOUND,
            format!("bank {name} has no item {}", posted.form.item),
        ));
    }
    Ok(Redirect::to(&format!(
        "/ui/banks/{}?done=revoked",
        segment(&name)
    )))
}

#[derive(Deserialize)]
pub(super) struct SettingsForm {
    threshold: Option<String>,
    video_query_percent: Option<String>,
    video_compared_percent: Option<String>,
    review: Option<String>,
}

/// A number field's value as the setting's type.
fn typed<T: serde::de::DeserializeOwned>(field: &str, value: Value) -> UiResult<T> {
    serde_json::from_value(value)
        .map_err(|_| UiError::page(StatusCode::BAD_REQUEST, format!("{field} is out of range")))
}

/// A number field: empty clears the setting (JSON null), anything else
/// must be a number.
fn number_field(name: &str, value: Option<&str>) -> UiResult<Value> {
    match value.map(str::trim) {
        None | Some("") => Ok(Value::Null),
        Some(v) => v
            .parse::<f64>()
            .ok()
            .and_then(|n| {
                if n.fract() == 0.0 && n >= 0.0 && n <= u32::MAX as f64 {
                    Some(json!(n as u64))
                } else {
                    serde_json::Number::from_f64(n).map(Value::Number)
                }
            })
            .ok_or_else(|| {
                UiError::page(
                    StatusCode::BAD_REQUEST,
                    format!("{name} must be a number, not {v:?}"),
                )
            }),
    }
}

/// `POST /ui/banks/<name>/settings`: the API's settings update.
pub(super) async fn settings(
    State(state): State<AppState>,
    Path(name): Path<String>,
    posted: Posted<SettingsForm>,
) -> UiResult<Redirect> {
    let f = &posted.form;
    let change = SettingsChange {
        threshold: Some(typed(
            "threshold",
            number_field("threshold", f.threshold.as_deref())?,
        )?),
        video_query_percent: Some(typed(
            "video_query_percent",
            number_field("video_query_percent", f.video_query_percent.as_deref())?,
        )?),
        video_compared_percent: Some(typed(
            "video_compared_percent",
            number_field(
                "video_compared_percent",
                f.video_compared_percent.as_deref(),
            )?,
        )?),
        review: Some(f.review.as_deref() == Some("on")),
        ..SettingsChange::default()
    };
    hashwatch_server::settings::change_settings(&state, posted.session.op(), name.clone(), change)
        .await?;
    Ok(Redirect::to(&format!(
        "/ui/banks/{}?done=saved",
        segment(&name)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_fields() {
        assert_eq!(number_field("t", None).ok(), Some(Value::Null));
        assert_eq!(number_field("t", Some(" ")).ok(), Some(Value::Null));
        assert_eq!(number_field("t", Some("31")).ok(), Some(json!(31)));
        assert_eq!(number_field("t", Some("12.5")).ok(), Some(json!(12.5)));
        assert!(number_field("t", Some("ten")).is_err());
    }
}
