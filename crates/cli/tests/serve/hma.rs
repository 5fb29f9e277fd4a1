//! HMA 2.0's routes answer with HMA's shapes and status codes, and
//! correctly where HMA errs.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{corpus_image, lookup_path, nearby, Db, Server};

fn flat_png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(64, 64, image::Rgb([120, 120, 120]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encodes");
    out.into_inner()
}

fn hma_routes(db: Db) {
    let key = db.key("curator", "default");
    let server = Server::start(&db, &key, &[]);
    let api = server.api(&key);

    // Status and discovery.
    assert_eq!(
        api.without_key().get("/status/live"),
        (200, json!("I-AM-ALIVE"))
    );
    assert_eq!(api.get("/status"), (200, json!("I-AM-ALIVE")));
    let (status, doc) = api.get("/openapi.json");
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/m/lookup"]["get"].is_object());
    let (status, body) = api.get("/no/such/route");
    assert_eq!((status, body["code"].as_str()), (404, Some("no_route")));

    // Banks.
    assert_eq!(api.get("/c/banks"), (200, json!([])));
    assert_eq!(
        api.post("/c/banks", json!({"name": "KNOWN_IMAGES"})),
        (
            201,
            json!({"name": "KNOWN_IMAGES", "matching_enabled_ratio": 1.0})
        )
    );
    assert_eq!(api.post("/c/banks", json!({"name": "KNOWN_IMAGES"})).0, 403);
    assert_eq!(api.post("/c/banks", json!({"name": "lower-case"})).0, 400);
    assert_eq!(api.post("/c/banks", json!({"enabled_ratio": 1.0})).0, 422);
    assert_eq!(api.post_text("/c/banks", "name=X").0, 422);
    // HMA ignores `enabled: false`; hashwatch honours it.
    assert_eq!(
        api.post("/c/banks", json!({"name": "OFF", "enabled": false})),
        (201, json!({"name": "OFF", "matching_enabled_ratio": 0.0}))
    );
    assert_eq!(api.get("/c/bank/NOPE").0, 404);
    assert_eq!(
        api.put(
            "/c/bank/OFF",
            json!({"name": "RENAMED", "enabled_ratio": 0.5})
        ),
        (
            200,
            json!({"name": "RENAMED", "matching_enabled_ratio": 0.5})
        )
    );
    assert_eq!(api.get("/c/bank/OFF").0, 404);
    assert_eq!(
        api.put("/c/bank/RENAMED", json!({"name": "KNOWN_IMAGES"}))
            .0,
        403
    );
    assert_eq!(
        api.get("/c/banks").1,
        json!([
            {"name": "KNOWN_IMAGES", "matching_enabled_ratio": 1.0},
            {"name": "RENAMED", "matching_enabled_ratio": 0.5}
        ])
    );
    assert_eq!(
        api.delete("/c/bank/RENAMED"),
        (200, json!({"message": "Done"}))
    );
    assert_eq!(
        api.delete("/c/bank/NEVER_WAS"),
        (200, json!({"message": "Done"}))
    );

    // Signals.
    let (photo, reference) = corpus_image("sk_astronaut.png");
    let (status, added) = api.post(
        "/c/bank/KNOWN_IMAGES/signal",
        json!({"pdq": reference, "note": "from the corpus"}),
    );
    assert_eq!(status, 200);
    assert_eq!(added["signals"], json!({"pdq": reference}));
    let id = added["id"].as_u64().expect("id");
    // The same hash again answers the same content.
    let (status, again) = api.post(
        "/c/bank/KNOWN_IMAGES/signal",
        json!({"pdq": reference, "note": "from the corpus"}),
    );
    assert_eq!((status, &again["id"]), (200, &added["id"]));
    let (status, body) = api.post("/c/bank/KNOWN_IMAGES/signal", json!({"tmk": "ab"}));
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("unknown_signal_type"))
    );
    assert_eq!(
        api.post("/c/bank/KNOWN_IMAGES/signal", json!({"pdq": "12ab"}))
            .0,
        400
    );
    assert_eq!(
        api.post("/c/bank/KNOWN_IMAGES/signal", json!({"note": "x"}))
            .0,
        400
    );
    assert_eq!(
        api.post(
            "/c/bank/KNOWN_IMAGES/signal",
            json!(["not", "an", "object"])
        )
        .0,
        400
    );
    assert_eq!(
        api.post_text("/c/bank/KNOWN_IMAGES/signal", "pdq=00").0,
        415
    );
    assert_eq!(
        api.post("/c/bank/NOPE/signal", json!({"pdq": reference})).0,
        404
    );
    let (status, md5) = api.post(
        "/c/bank/KNOWN_IMAGES/signal",
        json!({"video_md5": " 900150983CD24FB0D6963F7D28E17F72 "}),
    );
    assert_eq!(status, 200);
    assert_eq!(
        md5["signals"],
        json!({"video_md5": "900150983cd24fb0d6963f7d28e17f72"})
    );

    // Lookups: live at once (the index follows the store), 31 matches and
    // 32 does not, distances are strings.
    let near = nearby(&reference, 31);
    api.until(&lookup_path(&near), Duration::from_secs(1), |b| {
        b != &json!({})
    });
    assert_eq!(
        api.get(&lookup_path(&near)),
        (
            200,
            json!({"KNOWN_IMAGES": [{"bank_content_id": id, "distance": "31"}]})
        )
    );
    assert_eq!(
        api.get(&lookup_path(&nearby(&reference, 32))),
        (200, json!({}))
    );
    assert_eq!(api.get("/m/lookup?signal_type=pdq&signal=zz").0, 400);
    assert_eq!(api.get("/m/lookup?signal_type=tmk&signal=00").0, 400);
    assert_eq!(api.get("/m/lookup").0, 400);
    assert_eq!(
        api.get("/m/lookup?signal_type=video_md5&signal=900150983cd24fb0d6963f7d28e17f72")
            .1,
        json!({"KNOWN_IMAGES": [{"bank_content_id": md5["id"], "distance": "-"}]})
    );
    assert_eq!(
        api.get(&format!("/m/raw_lookup?signal_type=pdq&signal={reference}")),
        (200, json!({"matches": [id]}))
    );
    assert_eq!(
        api.get(&format!(
            "/m/raw_lookup?signal_type=pdq&signal={near}&include_distance=true"
        ))
        .1,
        json!({"matches": [{"bank_content_id": id, "distance": "31"}]})
    );
    assert_eq!(api.get("/m/raw_lookup?signal_type=pdq").0, 422);
    assert_eq!(
        api.upload("/m/lookup", "photo", photo.clone()),
        (
            200,
            json!({"pdq": {"KNOWN_IMAGES": [{"bank_content_id": id, "distance": "0"}]}})
        )
    );

    // Compare: 31 inclusive; digests compare without a 500.
    assert_eq!(
        api.post("/m/compare", json!({"pdq": [reference, near]})),
        (200, json!({"pdq": [true, {"distance": 31}]}))
    );
    assert_eq!(
        api.post(
            "/m/compare",
            json!({"pdq": [reference, nearby(&reference, 32)]})
        )
        .1,
        json!({"pdq": [false, {"distance": 32}]})
    );
    let a = "900150983cd24fb0d6963f7d28e17f72";
    assert_eq!(
        api.post("/m/compare", json!({"video_md5": [a, a]})).1,
        json!({"video_md5": [true, {}]})
    );
    assert_eq!(api.post("/m/compare", json!({"pdq": [reference]})).0, 400);
    assert_eq!(api.post_text("/m/compare", "x").0, 415);

    // Hashing uploads: bit-exact with the reference; flat images hash to "".
    assert_eq!(
        api.upload("/h/hash", "photo", photo.clone()),
        (200, json!({"pdq": reference}))
    );
    assert_eq!(
        api.upload("/h/hash", "photo", flat_png()),
        (200, json!({"pdq": ""}))
    );
    let (status, body) = api.upload("/h/hash", "photo", b"not an image at all".to_vec());
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_image")));
    let truncated = photo[..photo.len() / 3].to_vec();
    assert_eq!(api.upload("/h/hash", "photo", truncated).0, 400);
    assert_eq!(api.upload("/h/hash", "document", photo.clone()).0, 400);
    assert_eq!(
        api.upload("/h/hash?types=pdq,sha256", "photo", photo.clone())
            .1["pdq"],
        json!(reference)
    );
    assert_eq!(api.get("/h/hash").0, 422);
    assert_eq!(api.get("/h/hash?url=ftp://example.org/a.png").0, 400);
    let (status, body) = api.get("/h/hash?url=http://example.org/a.png");
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("fetch_disabled"))
    );

    // Content by upload: low quality refused, metadata kept.
    assert_eq!(
        api.upload("/c/bank/KNOWN_IMAGES/content", "photo", flat_png())
            .0,
        400
    );
    let (bytes, camera) = corpus_image("sk_camera.png");
    let (status, content) = api.upload("/c/bank/KNOWN_IMAGES/content", "photo", bytes);
    assert_eq!(
        (status, &content["signals"]),
        (200, &json!({"pdq": camera}))
    );

    // Content: read, disable, enable, delete.
    let path = format!("/c/bank/KNOWN_IMAGES/content/{id}");
    let (status, record) = api.get(&format!("{path}?include_signals=true"));
    assert_eq!(status, 200);
    assert_eq!(
        record["bank"],
        json!({"name": "KNOWN_IMAGES", "matching_enabled_ratio": 1.0})
    );
    assert_eq!(record["signals"], json!({"pdq": reference}));
    assert_eq!(record["note"], "from the corpus");
    assert_eq!(record["disable_until_ts"], 1);
    assert!(api.get(&path).1.get("signals").is_none());
    let (status, updated) = api.put(&path, json!({"disable_until_ts": 0, "note": "paused"}));
    assert_eq!(status, 200);
    assert_eq!(updated["disable_until_ts"], 0);
    assert_eq!(updated["note"], "paused");
    for key in ["collab_metadata", "original_media_uri", "user_metadata"] {
        assert!(updated.get(key).is_some(), "{key} missing from {updated}");
    }
    api.until(&lookup_path(&reference), Duration::from_secs(1), |b| {
        b == &json!({})
    });
    api.put(&path, json!({"disable_until_ts": "1"}));
    api.until(&lookup_path(&reference), Duration::from_secs(1), |b| {
        b != &json!({})
    });
    assert_eq!(api.put(&path, json!({"disable_until_ts": -5})).0, 400);
    assert_eq!(
        api.put(&path, json!({"disable_until_ts": 99_999_999_999i64}))
            .0,
        400
    );
    assert_eq!(api.put(&path, json!({"disable_until_ts": "soon"})).0, 400);
    assert_eq!(api.get("/c/bank/KNOWN_IMAGES/content/999999").0, 404);

    // A content id of another bank is not this bank's (HMA deletes it).
    assert_eq!(api.post("/c/banks", json!({"name": "OTHER"})).0, 201);
    assert_eq!(
        api.delete(&format!("/c/bank/OTHER/content/{id}")),
        (200, json!({"deleted": 0}))
    );
    assert_eq!(api.get(&format!("/c/bank/OTHER/content/{id}")).0, 404);
    assert_eq!(api.get(&path).0, 200);
    assert_eq!(api.delete(&path), (200, json!({"deleted": 1})));
    assert_eq!(api.delete(&path), (200, json!({"deleted": 0})));
    api.until(&lookup_path(&reference), Duration::from_secs(1), |b| {
        b == &json!({})
    });
    assert_eq!(api.get(&path).0, 404);

    // Index status describes the loaded index.
    let (status, index) = api.get("/m/index/status?signal_type=pdq");
    assert_eq!(status, 200);
    assert_eq!(index["pdq"]["present"], true);
    assert_eq!(index["pdq"]["size"], 1, "{index}");
    assert_eq!(api.get("/m/index/status?signal_type=tmk").0, 400);
    let types: Value = api.get("/c/signal_type").1;
    assert!(types
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t["name"] == "video_md5")));

    // Metrics count what happened, for the instance's admins only.
    assert_eq!(api.get("/metrics").0, 403);
    let admin = db.key("admin", "default");
    let (status, metrics) = server.api(&admin).get("/metrics");
    assert_eq!(status, 200);
    let text = metrics.as_str().expect("text");
    assert!(text.contains("hashwatch_requests_total{route=\"GET /m/lookup\",status=\"200\"}"));
    assert!(
        text.contains("hashwatch_index_entries{signal_type=\"pdq\"} 1"),
        "{text}"
    );
    assert!(text.contains("hashwatch_matches_total"));
}

#[test]
fn hma_routes_sqlite() {
    hma_routes(Db::sqlite());
}

#[test]
fn hma_routes_postgres() {
    hma_routes(Db::postgres());
}

fn limits(db: Db) {
    let key = db.key("curator", "default");
    let server = Server::start(
        &db,
        &key,
        &[
            "--max-upload-bytes",
            "200000",
            "--max-pixels",
            "10000",
            "--rate-limit",
            "20",
        ],
    );
    let api = server.api(&key);
    let photo = {
        let img = image::RgbImage::from_fn(200, 200, |x, y| {
            image::Rgb([x as u8, y as u8, (x ^ y) as u8])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .expect("encodes");
        out.into_inner()
    };
    // curl, because it reads an answer that comes before the whole body
    // was sent (reqwest reports the closed connection instead).
    let dir = tempfile::tempdir().expect("temp dir");
    let big = crate::temp_file(&dir, "big.bin", &vec![0u8; 300_000]);
    let form = format!("photo=@{}", big.display());
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-H",
            &format!("Authorization: Bearer {key}"),
            "-F",
            &form,
        ])
        .arg(format!("{}/h/hash", server.base))
        .args(["-w", "\n%{http_code}"])
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').expect("status line");
    assert_eq!(status, "413", "{text}");
    let body: serde_json::Value = serde_json::from_str(body).expect("a JSON error");
    assert_eq!(body["code"], "too_large");
    let (status, body) = api.upload("/h/hash", "photo", photo);
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("bad_image")),
        "{body}"
    );
    // The bucket holds 20; the 30 requests come faster than it refills.
    let statuses: Vec<u16> = (0..30).map(|_| api.get("/c/banks").0).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(statuses[0], 200);
}

#[test]
fn limits_sqlite() {
    limits(Db::sqlite());
}

#[test]
fn limits_postgres() {
    limits(Db::postgres());
}
