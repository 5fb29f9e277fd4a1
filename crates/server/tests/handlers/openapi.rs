//! The OpenAPI document and the router come from one registration: every
//! documented operation is served, and no other method is served on a
//! documented path.

use axum::http::{Method, StatusCode};
use hashwatch_store::Role;
use serde_json::{json, Value};

use crate::Service;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// A concrete path for a template: parameters filled with values no
/// record has, so no route finds anything to change.
fn concrete(template: &str) -> String {
    template
        .replace("{name}", "NO_SUCH_BANK")
        .replace("{bank}", "NO_SUCH_BANK")
        .replace("{id}", "987654321")
}

/// Every route the service answers, as the router had it before the
/// document was generated from it: the document must name exactly these.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/status/live"),
    ("get", "/status"),
    ("get", "/c/banks"),
    ("post", "/c/banks"),
    ("get", "/c/bank/{name}"),
    ("put", "/c/bank/{name}"),
    ("delete", "/c/bank/{name}"),
    ("post", "/c/bank/{name}/signal"),
    ("post", "/c/bank/{name}/signals"),
    ("post", "/c/bank/{name}/import"),
    ("get", "/c/bank/{name}/export"),
    ("post", "/c/bank/{name}/content"),
    ("get", "/c/bank/{name}/content/{id}"),
    ("put", "/c/bank/{name}/content/{id}"),
    ("delete", "/c/bank/{name}/content/{id}"),
    ("get", "/c/bank/{name}/settings"),
    ("get", "/c/bank/{name}/series"),
    ("put", "/c/bank/{name}/settings"),
    ("get", "/c/signal_type"),
    ("get", "/c/signal_type/index"),
    ("get", "/c/content_type"),
    ("get", "/m/lookup"),
    ("post", "/m/lookup"),
    ("get", "/m/raw_lookup"),
    ("post", "/m/compare"),
    ("get", "/m/index/status"),
    ("post", "/h/hash"),
    ("get", "/h/hash"),
    ("get", "/audit"),
    ("get", "/matches"),
    ("get", "/holds"),
    ("post", "/holds"),
    ("delete", "/holds/{id}"),
    ("get", "/reviews"),
    ("post", "/reviews/{id}"),
    ("get", "/actions/dead-letters"),
    ("post", "/actions/dead-letters/{id}/replay"),
    ("get", "/feeds/key"),
    ("get", "/feeds/{bank}"),
    ("post", "/feeds/{bank}/opinions"),
    ("get", "/feeds/{bank}/opinions"),
    ("get", "/feeds/subscriptions"),
    ("post", "/hotline/reports"),
    ("delete", "/hotline/reports/{id}/contact"),
    ("get", "/hotline/queue"),
    ("get", "/hotline/cases/{id}"),
    ("post", "/hotline/cases/{id}/assess"),
    ("post", "/hotline/cases/{id}/hashes"),
    ("post", "/hotline/cases/{id}/bank"),
    ("post", "/hotline/appeals"),
    ("get", "/hotline/appeals"),
    ("post", "/hotline/appeals/{id}"),
    ("get", "/hotline/stats"),
    ("get", "/hotline/feed"),
    ("get", "/blocklist"),
    ("get", "/blocklist/delta"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("get", "/openapi/openapi.json"),
];

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_operation_is_served_and_nothing_else_on_its_path() {
    let service = Service::on_sqlite();
    let admin = service.key(Role::Admin, "default");
    let (status, document) = service.get("/openapi.json", &admin).await;
    assert_eq!(status, StatusCode::OK, "{document}");
    assert_eq!(document["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    let paths = document["paths"].as_object().expect("paths");
    let mut documented: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| (m.to_string(), path.clone()))
        })
        .collect();
    let mut expected: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    documented.sort();
    expected.sort();
    assert_eq!(
        documented, expected,
        "the document and the route table differ"
    );
    let mut operations = 0;
    for (template, item) in paths {
        let path = concrete(template);
        for method in METHODS {
            let documented = item.get(method).is_some();
            let (status, answer) = service
                .call(
                    Method::from_bytes(method.to_uppercase().as_bytes()).expect("method"),
                    &path,
                    &admin,
                    Some("application/json"),
                    b"{}".to_vec(),
                )
                .await;
            if documented {
                operations += 1;
                assert_ne!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {template} is documented but not served"
                );
                assert_ne!(
                    answer["code"],
                    json!("no_route"),
                    "{method} {template} is documented but not served"
                );
                assert!(
                    status.as_u16() < 500 || status == StatusCode::SERVICE_UNAVAILABLE,
                    "{method} {template} answered {status}: {answer}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {template} is served ({status}) but not documented"
                );
            }
        }
    }
    assert_eq!(operations, ROUTES.len());
    // A path the document does not name is not served.
    let (status, answer) = service.get("/c/bankz", &admin).await;
    assert_eq!(
        (status, &answer["code"]),
        (StatusCode::NOT_FOUND, &json!("no_route"))
    );
}

/// A walk of the router without a key: every route refuses it with 401
/// but the open ones, which the server names in one constant.
#[tokio::test(flavor = "multi_thread")]
async fn every_route_but_the_open_ones_refuses_a_request_without_a_key() {
    use hashwatch_server::public::OPEN_ROUTES;
    let service = Service::on_sqlite();
    let mut open = 0;
    for (method, template) in ROUTES {
        let path = concrete(template);
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let is_open = OPEN_ROUTES
            .iter()
            .any(|(m, p)| *m == method.as_str() && p == template);
        let (status, answer) = service
            .send(
                method.clone(),
                &path,
                None,
                Some("application/json"),
                b"{}".to_vec(),
            )
            .await;
        if is_open {
            open += 1;
            assert_ne!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {template}: {answer}"
            );
        } else {
            assert_eq!(
                (status, answer["code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("unauthorized")),
                "{method} {template} answers without a key"
            );
        }
    }
    // Every open route of the API is in the route table (the report
    // page's form is the web interface's).
    assert_eq!(open, OPEN_ROUTES.len() - 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_document_describes_requests_by_their_types_and_keys_by_route() {
    let service = Service::on_sqlite();
    let admin = service.key(Role::Admin, "default");
    let (_, document) = service.get("/openapi.json", &admin).await;
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    for name in [
        "AssessBody",
        "BankBody",
        "BulkBody",
        "HoldBody",
        "SettingsBody",
        "ErrorBody",
    ] {
        assert!(schemas.contains_key(name), "no schema {name}");
    }
    let assess = &document["paths"]["/hotline/cases/{id}/assess"]["post"];
    assert_eq!(
        assess["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        json!("#/components/schemas/AssessBody")
    );
    let verdict = &schemas["AssessBody"]["properties"]["verdict"];
    assert_eq!(verdict["type"], json!("string"), "{verdict}");
    let lookup = &document["paths"]["/m/lookup"]["get"]["parameters"];
    let names: Vec<&str> = lookup
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in ["signal_type", "signal", "url"] {
        assert!(names.contains(&name), "/m/lookup has no {name}: {names:?}");
    }
    // Keys everywhere, none for liveness, optional for public reports.
    assert!(document["security"]
        .as_array()
        .is_some_and(|s| !s.is_empty()));
    assert_eq!(
        document["paths"]["/status/live"]["get"]["security"],
        json!([{}])
    );
    let report: &Value = &document["paths"]["/hotline/reports"]["post"]["security"];
    assert!(
        report.as_array().is_some_and(|s| s.contains(&json!({}))),
        "{report}"
    );
}
