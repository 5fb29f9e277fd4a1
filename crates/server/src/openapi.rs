//! The OpenAPI description, built from the route table.

use serde_json::{json, Map, Value};

/// (method, path, summary, whether HMA has it).
pub const ROUTES: &[(&str, &str, &str)] = &[
    ("get", "/status/live", "Liveness: answers I-AM-ALIVE without a key."),
    ("get", "/status", "Readiness: 503 INDEX-NOT-LOADED until the index is loaded, INDEX-STALE when it stops following the store."),
    ("get", "/c/banks", "Banks your tenant sees."),
    ("post", "/c/banks", "Create a bank: {name, enabled_ratio?, enabled?, kind?: positive|negative}."),
    ("get", "/c/bank/{name}", "One bank."),
    ("put", "/c/bank/{name}", "Rename, enable or set a bank's matching ratio."),
    ("delete", "/c/bank/{name}", "Delete a bank and its content (refused under a legal hold)."),
    ("post", "/c/bank/{name}/signal", "Add content from hashes: {\"pdq\": hex, …, note?}."),
    ("post", "/c/bank/{name}/signals", "hashwatch: add many signals in one transaction: {signals: [{signal_type, signal}], category?, source?}."),
    ("post", "/c/bank/{name}/import", "hashwatch: import a hash list sent as the body (VICS JSON, ICSE CSV, pytx CSV or lines, plain, TSV; ?skip_duplicates=true, ?category=, ?source=); all or nothing."),
    ("get", "/c/bank/{name}/export", "hashwatch: the bank as a hash list (?format=tsv|vics|icse|pytx|plain)."),
    ("post", "/c/bank/{name}/content", "Add content from an upload (multipart field photo or video; form fields metadata, note; ?types=)."),
    ("get", "/c/bank/{name}/content/{id}", "One content item (?include_signals=true, ?include_metadata=false)."),
    ("put", "/c/bank/{name}/content/{id}", "Disable until a time (disable_until_ts: 0 off, 1 on, Unix time) or set the note."),
    ("delete", "/c/bank/{name}/content/{id}", "Delete a content item of this bank."),
    ("get", "/c/bank/{name}/settings", "hashwatch: threshold, webhook, review queue and sharing of a bank."),
    ("put", "/c/bank/{name}/settings", "hashwatch: set threshold, webhook {url, secret}, review and shared_with (admin)."),
    ("get", "/c/signal_type", "Signal types."),
    ("get", "/c/signal_type/index", "Index sizes by signal type."),
    ("get", "/c/content_type", "Content types."),
    ("get", "/m/lookup", "Look up a hash (?signal_type=&signal=, ?banks=, ?seed=) or a URL from an allowed host (?url=)."),
    ("post", "/m/lookup", "Look up an upload (multipart photo or video; ?bypass_coinflip=true)."),
    ("get", "/m/raw_lookup", "Content ids matching a hash (?include_distance=true)."),
    ("post", "/m/compare", "Compare hash pairs: {\"pdq\": [a, b]}."),
    ("get", "/m/index/status", "The loaded index by signal type."),
    ("post", "/h/hash", "Hash an upload (multipart photo or video; ?types=pdq,md5,sha1,sha256)."),
    ("get", "/h/hash", "Hash a URL from an allowed host (?url=&content_type=)."),
    ("get", "/audit", "hashwatch: the audit log (?from=&to=&bank=&after=&limit=; admin)."),
    ("get", "/matches", "hashwatch: match records (?from=&to=&bank=; admin)."),
    ("get", "/holds", "hashwatch: legal holds (admin)."),
    ("post", "/holds", "hashwatch: place a legal hold {kind: bank|content|match, target, reason} (admin)."),
    ("delete", "/holds/{id}", "hashwatch: release a legal hold (admin)."),
    ("get", "/reviews", "hashwatch: the review queue (?state=open|confirmed|rejected)."),
    ("post", "/reviews/{id}", "hashwatch: decide a review {decision: confirm|reject, negative_bank?}."),
    ("get", "/actions/dead-letters", "hashwatch: webhook deliveries that ran out of attempts (admin)."),
    ("post", "/actions/dead-letters/{id}/replay", "hashwatch: send a dead letter again (admin)."),
    ("get", "/feeds/key", "hashwatch: the Ed25519 public key this instance signs feeds with (pin it out of band)."),
    ("get", "/feeds/{bank}", "hashwatch: the bank's signed feed page after ?since=N (?limit=, at most 20000): adds and tombstones numbered 1, 2, 3…"),
    ("post", "/feeds/{bank}/opinions", "hashwatch: tell the publisher an entry is a false or true positive {signal_type, value, opinion: false_positive|true_positive, note?}."),
    ("get", "/feeds/{bank}/opinions", "hashwatch: subscribers' opinions about the bank's entries (curator of the bank)."),
    ("get", "/feeds/subscriptions", "hashwatch: this instance's subscriptions, checkpoints and last errors (admin)."),
    ("post", "/hotline/reports", "Hotline: report a URL {url, description?, contact?}; open to the public (limited per address) and to partners with a key. The contact is stored apart and never audited or exported."),
    ("delete", "/hotline/reports/{id}/contact", "Hotline: forget a reporter's contact (supervisor)."),
    ("get", "/hotline/queue", "Hotline: cases to assess; assessed ones never return (analyst; supervisors also see cases awaiting a second assessment)."),
    ("get", "/hotline/cases/{id}", "Hotline: one case with its hashes (analyst)."),
    ("post", "/hotline/cases/{id}/assess", "Hotline: {verdict: illegal|not_illegal|unreachable, category?}; illegal needs a supervisor's second assessment unless --no-four-eyes (analyst)."),
    ("post", "/hotline/cases/{id}/hashes", "Hotline: attach hashes made on the analyst's machine {hashes: [{signal_type, value}]}; answers with bank matches (analyst)."),
    ("post", "/hotline/cases/{id}/bank", "Hotline: put a confirmed case's hashes into a bank {bank} (supervisor)."),
    ("post", "/hotline/appeals", "Hotline: a site owner appeals a listed URL {url, reason} (public, limited per address)."),
    ("get", "/hotline/appeals", "Hotline: appeals (supervisor)."),
    ("post", "/hotline/appeals/{id}", "Hotline: decide an appeal {decision: upheld|rejected}; upheld takes the URL off the blocklist (supervisor)."),
    ("get", "/hotline/stats", "Hotline: median and 90th-percentile time from first notice to removal, by provider and by jurisdiction (analyst)."),
    ("get", "/hotline/feed", "Hotline: this hotline's listings and delistings for partner hotlines (?since=SEQ), signed; only URLs, categories and verdicts travel."),
    ("get", "/blocklist", "The blocklist (?format=plain|json|sha256), signed: X-Hashwatch-Signature over the body, X-Hashwatch-Seq for the delta."),
    ("get", "/blocklist/delta", "Blocklist changes since ?since=SEQ (+URL/-URL lines, or ?format=json|sha256), signed."),
    ("get", "/metrics", "Prometheus metrics."),
    ("get", "/openapi.json", "This document."),
];

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for (method, path, summary) in ROUTES {
        let entry = paths
            .entry(path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(methods) = entry {
            let security = if *path == "/status/live" {
                json!([])
            } else {
                json!([{"bearer": []}])
            };
            methods.insert(
                method.to_string(),
                json!({"summary": summary, "security": security, "responses": {"200": {"description": "OK"}}}),
            );
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "hashwatch", "version": env!("CARGO_PKG_VERSION"),
                 "description": "HMA 2.0-compatible hash matching, with keys, tenants, audit and actions. Errors are {message, code}."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    })
}
