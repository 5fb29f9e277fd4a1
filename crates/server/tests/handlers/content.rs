//! Content: a write is seen by the same node's next lookup, and upload
//! metadata is kept with HMA's shapes and validation.

use axum::http::{Method, StatusCode};
use hashwatch_store::{records, Role, SignalType};
use serde_json::{json, Value};

use crate::{corpus_image, Service};

fn lookup(hash: &str) -> String {
    format!("/m/lookup?signal_type=pdq&signal={hash}")
}

/// Bank `KNOWN` with one picture's PDQ hash in it: the hash and its
/// content id.
async fn bank_known_picture(service: &Service, key: &str) -> (String, u64) {
    let (_, hash) = corpus_image("sk_camera.png");
    let (status, _) = service
        .json(Method::POST, "/c/banks", key, json!({"name": "KNOWN"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, added) = service
        .json(
            Method::POST,
            "/c/bank/KNOWN/signal",
            key,
            json!({ "pdq": hash }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    (hash, added["id"].as_u64().expect("id"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_is_seen_by_the_same_nodes_next_lookup() {
    let service = Service::on_sqlite();
    let key = service.key(Role::Curator, "default");
    let (hash, id) = bank_known_picture(&service, &key).await;
    let found = service.get(&lookup(&hash), &key).await.1;
    assert_eq!(found["KNOWN"][0]["bank_content_id"], json!(id), "{found}");

    let content = format!("/c/bank/KNOWN/content/{id}");
    service
        .json(Method::PUT, &content, &key, json!({"disable_until_ts": 0}))
        .await;
    assert_eq!(service.get(&lookup(&hash), &key).await.1, json!({}));
    service
        .json(Method::PUT, &content, &key, json!({"disable_until_ts": 1}))
        .await;
    let found = service.get(&lookup(&hash), &key).await.1;
    assert_eq!(found["KNOWN"][0]["bank_content_id"], json!(id), "{found}");
    let (status, deleted) = service
        .call(Method::DELETE, &content, &key, None, Vec::new())
        .await;
    assert_eq!((status, deleted), (StatusCode::OK, json!({"deleted": 1})));
    assert_eq!(service.get(&lookup(&hash), &key).await.1, json!({}));
}

/// HMA's raw lookup answers the index as it is, disabled content included
/// (the recorded HMA run shows it); hashwatch answers the same, but such a
/// hit is never recorded as a match and sets nothing off.
#[tokio::test(flavor = "multi_thread")]
async fn raw_lookups_answer_disabled_content_as_hma_does_and_set_nothing_off() {
    let mut service = Service::on_sqlite();
    let key = service.key(Role::Curator, "default");
    let (hash, id) = bank_known_picture(&service, &key).await;
    let content = format!("/c/bank/KNOWN/content/{id}");
    service
        .json(Method::PUT, &content, &key, json!({"disable_until_ts": 0}))
        .await;
    let raw = format!("/m/raw_lookup?signal_type=pdq&signal={hash}");
    let (status, answer) = service.get(&raw, &key).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"matches": [id]})));
    assert!(
        service.events.try_recv().is_err(),
        "a disabled hit is handed to the action worker"
    );
    // Plain lookups still leave it out.
    assert_eq!(service.get(&lookup(&hash), &key).await.1, json!({}));
    // Enabled again, the same raw lookup is a match like any other.
    service
        .json(Method::PUT, &content, &key, json!({"disable_until_ts": 1}))
        .await;
    assert_eq!(service.get(&raw, &key).await.1, json!({"matches": [id]}));
    assert!(
        service.events.try_recv().is_ok(),
        "an enabled hit is recorded"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_metadata_is_kept_and_checked_as_hma_does() {
    let service = Service::on_sqlite();
    let key = service.key(Role::Curator, "default");
    service
        .json(Method::POST, "/c/banks", &key, json!({"name": "KNOWN"}))
        .await;
    let (camera, _) = corpus_image("sk_camera.png");
    let metadata = json!({
        "content_id": "case-17/item-3",
        "content_uri": "https://example.org/item/3",
        "json": {"source": "test", "n": 3},
    });
    let (status, added) = service
        .upload(
            "/c/bank/KNOWN/content",
            &key,
            "photo",
            &camera,
            &[("metadata", &metadata.to_string()), ("note", "kept")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let id = added["id"].as_u64().expect("id");
    let path = format!("/c/bank/KNOWN/content/{id}");
    let (_, record) = service.get(&path, &key).await;
    assert_eq!(
        record["metadata"],
        json!({
            "content_id": "case-17/item-3",
            "content_uri": "https://example.org/item/3",
            "json": {"source": "test", "n": 3},
            "collab": null,
        })
    );
    assert_eq!(record["note"], "kept");
    let (_, updated) = service
        .json(Method::PUT, &path, &key, json!({"note": "changed"}))
        .await;
    assert_eq!(updated["user_metadata"], metadata);
    assert!(service
        .get(&format!("{path}?include_metadata=false"), &key)
        .await
        .1
        .get("metadata")
        .is_none());

    // HMA's metadata model forbids other keys and checks types.
    let (astronaut, _) = corpus_image("sk_astronaut.png");
    for bad in [
        json!({"content_id": "x", "colour": "red"}),
        json!({"content_id": 17}),
        json!({"json": "not an object"}),
        json!(["content_id"]),
    ] {
        let (status, answer) = service
            .upload(
                "/c/bank/KNOWN/content",
                &key,
                "photo",
                &astronaut,
                &[("metadata", &bad.to_string())],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad} → {answer}");
    }
    let astronaut_hash = SignalType::Pdq
        .parse_value(&corpus_image("sk_astronaut.png").1)
        .expect("hex");
    assert_eq!(
        records(service.store.as_ref())
            .active_entry("KNOWN", SignalType::Pdq, &astronaut_hash)
            .expect("reads"),
        None,
        "a refused upload banks nothing"
    );

    // Content added without metadata: HMA answers user_metadata null.
    let (status, plain) = service
        .upload("/c/bank/KNOWN/content", &key, "photo", &astronaut, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{plain}");
    let path = format!(
        "/c/bank/KNOWN/content/{}",
        plain["id"].as_u64().expect("id")
    );
    let (status, record) = service.get(&path, &key).await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert!(record.get("metadata").is_none(), "{record}");
    let (status, updated) = service
        .json(Method::PUT, &path, &key, json!({"disable_until_ts": 1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        updated.get("user_metadata"),
        Some(&Value::Null),
        "{updated}"
    );
}
