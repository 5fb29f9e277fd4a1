//! The page shell (header, navigation by role, the session's preview
//! count) and the small pieces every page uses.

use axum::response::{Html, IntoResponse, Response};
use hashwatch_access::{BankAction, HotlineAction};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::Session;

/// A rendered page.
pub struct Page(pub Markup);

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        Html(self.0.into_string()).into_response()
    }
}

/// A navigation entry: (path, label, shortcut key).
struct NavItem {
    path: &'static str,
    label: &'static str,
}

/// The pages a session's key may open, in the order people work.
fn nav(session: &Session) -> Vec<NavItem> {
    let c = &session.caller;
    let mut items = vec![NavItem {
        path: "/ui/",
        label: "Dashboard",
    }];
    if c.hotline(HotlineAction::Assess).is_ok() {
        items.push(NavItem {
            path: "/ui/hotline",
            label: "Triage",
        });
    }
    if c.supervises() {
        items.push(NavItem {
            path: "/ui/hotline/appeals",
            label: "Appeals",
        });
    }
    if c.may(BankAction::Curate).is_ok() {
        items.push(NavItem {
            path: "/ui/reviews",
            label: "Reviews",
        });
    }
    if c.may(BankAction::Match).is_ok() {
        items.push(NavItem {
            path: "/ui/banks",
            label: "Banks",
        });
    }
    if c.may(BankAction::Administer).is_ok() {
        items.push(NavItem {
            path: "/ui/feeds",
            label: "Feeds",
        });
        items.push(NavItem {
            path: "/ui/audit",
            label: "Audit log",
        });
    }
    if c.may_hold_any().is_ok() {
        items.push(NavItem {
            path: "/ui/holds",
            label: "Legal holds",
        });
    }
    items
}

/// A whole document: doctype, head with the stylesheet and `script` (an
/// asset's name), and `body` (with `class` on the body element when
/// given).
pub fn document(title: &str, class: Option<&str>, script: &str, body: Markup) -> Page {
    Page(html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) " · hashwatch" }
                link rel="stylesheet" href=(super::assets::path("ui.css"));
                script src=(super::assets::path(script)) defer {}
            }
            body class=[class] { (body) }
        }
    })
}

/// A page for a signed-in session: `current` is the nav entry to mark.
pub fn page(session: &Session, current: &str, title: &str, body: Markup) -> Page {
    let key = &session.caller.0;
    let viewed = session.session.viewed;
    document(
        title,
        None,
        "ui.js",
        html! {
            a.skip href="#main" { "Skip to content" }
            header.top {
                span.brand { "hashwatch" }
                nav aria-label="Main" {
                    ul {
                        @for item in nav(session) {
                            li {
                                @if item.path == current {
                                    a href=(item.path) aria-current="page" { (item.label) }
                                } @else {
                                    a href=(item.path) { (item.label) }
                                }
                            }
                        }
                    }
                }
                div.who {
                    span title="the key this session acts as" {
                        (key.name) " · " (key.tenant) " · " (key.roles.to_string())
                    }
                    span.viewed title="previews loaded in this session" {
                        "Previews viewed: " strong #viewed-count { (viewed) }
                    }
                    form method="post" action="/ui/sign-out" {
                        (csrf(session))
                        button type="submit" { "Sign out" }
                    }
                }
            }
            main #main tabindex="-1" {
                h1 { (title) }
                (body)
            }
        },
    )
}

/// The form field with the session's CSRF token.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.session.csrf); }
}

/// The sign-in page, with an error when a key was refused.
pub fn sign_in(next: &str, error: Option<&str>) -> Page {
    document(
        "Sign in",
        Some("narrow"),
        "ui.js",
        html! {
            main #main {
                h1 { "Sign in to hashwatch" }
                @if let Some(e) = error {
                    p.error role="alert" { (e) }
                }
                form method="post" action="/ui/sign-in" {
                    input type="hidden" name="next" value=(next);
                    label for="key" { "API key" }
                    input #key type="password" name="key" autocomplete="off" required
                        autofocus spellcheck="false" aria-describedby="key-help";
                    p #key-help.help {
                        "A key from " code { "hashwatch key create" }
                        ". The session acts with its roles and tenant and ends after a few hours, \
                         when you sign out, or when the key is revoked."
                    }
                    button type="submit" { "Sign in" }
                }
            }
        },
    )
}

/// A page that says what went wrong (no navigation: the session may be
/// gone or the key may not see the pages).
pub fn error_page(title: &str, message: &str) -> Page {
    document(
        title,
        Some("narrow"),
        "ui.js",
        html! {
            main #main {
                h1 { (title) }
                p.error role="alert" { (message) }
                p { a href="/ui/" { "Back to the dashboard" } }
            }
        },
    )
}

/// Unix time as `2026-12-04 16:30 UTC`.
pub fn when(at: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(at.max(0) as u64);
    let s = humantime::format_rfc3339_seconds(t).to_string();
    // 2026-12-04T16:30:00Z
    format!("{} {} UTC", &s[..10], &s[11..16])
}

/// An optional value, or a dash.
pub fn or_dash(value: Option<&str>) -> Markup {
    match value {
        Some(v) if !v.is_empty() => html! { (Stored(v)) },
        _ => html! { span.none aria-label="none" { "–" } },
    }
}

/// Text people or other systems wrote, as stored: HTML-escaped, and each
/// character no text field takes now (control characters but line
/// breaks and tabs, bidirectional overrides and isolates) shown as its
/// code point in a marked span. Text stored before those were refused
/// cannot reorder or hide what the page shows around it.
pub struct Stored<'a>(pub &'a str);

impl maud::Render for Stored<'_> {
    fn render_to(&self, out: &mut String) {
        let hidden = |c: char| {
            (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
                || hashwatch_model::text::bidi_control(c)
        };
        let mut rest = self.0;
        while let Some(at) = rest.find(hidden) {
            let (plain, tail) = rest.split_at(at);
            plain.render_to(out);
            let mut chars = tail.chars();
            if let Some(c) = chars.next() {
                let code = format!("U+{:04X}", u32::from(c));
                html! { span.hidden-char title="a hidden character, shown by its code" { "[" (code) "]" } }
                    .render_to(out);
            }
            rest = chars.as_str();
        }
        rest.render_to(out);
    }
}

/// A form or query field as given: trimmed, and `None` when empty.
pub fn given(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// A value of an API answer as text: empty for none, strings as they
/// are, lists joined by commas.
pub fn value_text(v: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| value_text(Some(v)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

/// A duration in seconds as people say it.
pub fn duration(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{:.1} h", s as f64 / 3600.0),
        s => format!("{:.1} days", s as f64 / 86_400.0),
    }
}

/// A message after a change (`?done=` names one of a fixed set, so no
/// text of the request is shown back).
pub fn notice(done: Option<&str>) -> Markup {
    let text = match done {
        Some("assessed") => "Assessment recorded.",
        Some("second") => "First assessment recorded; a supervisor gives the second opinion.",
        Some("listed") => {
            "Assessment recorded; the URL is on the blocklist and the first notice goes out."
        }
        Some("decided") => "Decision recorded.",
        Some("created") => "Bank created.",
        Some("imported") => "List imported.",
        Some("revoked") => "Entry revoked.",
        Some("saved") => "Settings saved.",
        Some("attached") => "Hashes attached to the case.",
        Some("banked") => "The case's hashes are in the bank.",
        Some("held") => "Hold placed.",
        Some("released") => "Hold released.",
        _ => return html! {},
    };
    html! { p.notice role="status" { (text) } }
}

/// A `<select>` of filter values with an "any" option.
pub fn select(name: &str, label: &str, values: &[String], chosen: Option<&str>) -> Markup {
    html! {
        label for=(name) { (label) }
        select #(name) name=(name) {
            option value="" { "any" }
            @for v in values {
                option value=(v) selected[chosen == Some(v.as_str())] { (v) }
            }
        }
    }
}

/// Marks text as already safe HTML (the charts' SVG, made by
/// [`super::svg`], which escapes what it writes).
pub fn trusted_svg(svg: String) -> Markup {
    PreEscaped(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc() {
        assert_eq!(when(0), "1970-01-01 00:00 UTC");
        assert_eq!(when(1_764_866_400), "2025-12-04 16:40 UTC");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(30), "30 s");
        assert_eq!(duration(600), "10 min");
        assert_eq!(duration(5400), "90 min");
        assert_eq!(duration(36_000), "10.0 h");
        assert_eq!(duration(3 * 86_400), "3.0 days");
    }

    #[test]
    fn stored_text_shows_hidden_characters_by_their_code() {
        let shown = html! { (Stored("a<b>\u{202E}gpj.exe\u{7}\nend")) }.into_string();
        assert!(shown.starts_with("a&lt;b&gt;<span"), "{shown}");
        assert!(shown.contains("[U+202E]</span>gpj.exe<span"), "{shown}");
        assert!(shown.contains("[U+0007]</span>\nend"), "{shown}");
        assert!(!shown.contains('\u{202E}') && !shown.contains('\u{7}'));
        assert_eq!(html! { (Stored("plain")) }.into_string(), "plain");
    }
}
