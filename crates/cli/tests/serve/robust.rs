//! Robust matching in the service: a bank set to match uploads robustly
//! finds a bordered or cropped upload of a known picture and says which
//! view or derived hash matched; without the setting, and for lookups by
//! hash, matching is plain. A bank's series over HTTP.

use hashwatch_robust::{Picture, Rect};
use serde_json::{json, Value};

use crate::{Db, Server};

fn picture(name: &str) -> Picture {
    let rgb = image::open(hashwatch_testdata::corpus_images().join(name))
        .expect("corpus image")
        .to_rgb8();
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    Picture::from_rgb(w, h, rgb.into_raw()).expect("sizes agree")
}

fn png(picture: &Picture) -> Vec<u8> {
    let buffer = image::RgbImage::from_raw(
        picture.width() as u32,
        picture.height() as u32,
        picture.rgb().to_vec(),
    )
    .expect("sizes agree");
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(buffer)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encodes");
    out.into_inner()
}

/// Three corpus pictures, the astronaut first, letterboxed in a slideshow.
fn letterboxed_video() -> Vec<u8> {
    std::fs::read(hashwatch_testdata::video_corpus().join("robust/letterboxed.mp4"))
        .expect("reads the corpus video")
}

fn robust(db: Db) {
    let known = tempfile::tempdir().expect("temp dir");
    let astronaut = picture("sk_astronaut.png");
    std::fs::write(known.path().join("astronaut.png"), png(&astronaut)).expect("writes");
    std::fs::write(
        known.path().join("camera.png"),
        png(&picture("sk_camera.png")),
    )
    .expect("writes");
    let list = db.hashwatch(&[
        "hash",
        "--robust",
        "--no-progress",
        known.path().to_str().expect("utf-8"),
    ]);
    let list_path = known.path().join("known.tsv");
    std::fs::write(&list_path, list).expect("writes");
    db.hashwatch(&["bank", "create", "known"]);
    db.hashwatch(&[
        "bank",
        "import",
        "known",
        list_path.to_str().expect("utf-8"),
    ]);

    let key = db.key("admin", "default");
    let server = Server::start(&db, &key, &[]);
    let api = server.api(&key);

    let (w, h) = (astronaut.width(), astronaut.height());
    let mut bordered = Picture::filled(w + w / 5, h + h / 5, [0, 0, 0]);
    bordered.paste(&astronaut, w / 10, h / 10);
    let cropped = astronaut.crop(Rect {
        x: 0,
        y: 0,
        width: w * 9 / 10,
        height: h,
    });
    let matches = |answer: &Value| {
        answer["pdq"]["known"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };

    // Plain by default: the bordered upload is not found.
    let (status, answer) = api.upload("/m/lookup", "photo", png(&bordered));
    assert_eq!(status, 200, "{answer}");
    assert!(matches(&answer).is_empty(), "{answer}");
    let (status, answer) = api.upload("/m/lookup", "video", letterboxed_video());
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer
            .as_object()
            .expect("matches by signal")
            .values()
            .all(|by_bank| by_bank["known"].as_array().is_none_or(Vec::is_empty)),
        "a plain lookup finds the letterboxed still: {answer}"
    );

    let (status, settings) = api.put("/c/bank/known/settings", json!({"view_threshold": 99}));
    assert_eq!(status, 400, "{settings}");
    let (status, settings) = api.put("/c/bank/known/settings", json!({"robust": true}));
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["robust"], true);
    assert_eq!(api.get("/c/bank/known/settings").1["robust"], true);

    // Robust: found, with the view that matched.
    let found = (0..50)
        .find_map(|_| {
            let (_, answer) = api.upload("/m/lookup", "photo", png(&bordered));
            let m = matches(&answer);
            if m.is_empty() {
                // The service applies the settings change when it follows
                // the change log.
                std::thread::sleep(std::time::Duration::from_millis(100));
                None
            } else {
                Some(m)
            }
        })
        .expect("the bordered upload is found once the bank matches robustly");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        ["trim", "content"].contains(&found[0]["view"].as_str().unwrap_or("")),
        "{found:?}"
    );
    assert!(found[0]["distance"]
        .as_str()
        .and_then(|d| d.parse::<u32>().ok())
        .is_some_and(|d| d <= 20));

    let (_, answer) = api.upload("/m/lookup", "photo", png(&cropped));
    let m = matches(&answer);
    assert_eq!(m.len(), 1, "{answer}");
    assert_eq!(m[0]["derived"], "crop90l", "{answer}");

    // A video showing the astronaut letterboxed (and two pictures not in
    // the bank): found through its frames' trimmed views, at the
    // astronaut's frames.
    let (status, answer) = api.upload("/m/lookup", "video", letterboxed_video());
    assert_eq!(status, 200, "{answer}");
    let in_known: Vec<Value> = answer
        .as_object()
        .expect("matches by signal")
        .values()
        .filter_map(|by_bank| by_bank["known"].as_array())
        .flatten()
        .cloned()
        .collect();
    assert_eq!(in_known.len(), 1, "{answer}");
    assert_eq!(in_known[0]["view"], "trim", "{answer}");

    // A lookup by hash is plain whatever the bank says.
    let (_, hashed) = api.upload("/h/hash", "photo", png(&bordered));
    let pdq = hashed["pdq"].as_str().expect("a pdq hash").to_string();
    let (status, answer) = api.get(&format!("/m/lookup?signal_type=pdq&signal={pdq}"));
    assert_eq!(status, 200);
    assert!(matches(&answer).is_empty(), "{answer}");

    // Series: two unrelated pictures, two series of one.
    let (status, series) = api.get("/c/bank/known/series");
    assert_eq!(status, 200, "{series}");
    let all = series["series"].as_array().expect("series");
    assert_eq!(all.len(), 2, "{series}");
    assert!(all.iter().all(|s| s["size"] == 1));
    assert_eq!(api.get("/c/bank/known/series?radius=32").0, 400);
    assert_eq!(api.get("/c/bank/nope/series").0, 404);
}

#[test]
fn robust_sqlite() {
    robust(Db::sqlite());
}

#[test]
fn robust_postgres() {
    robust(Db::postgres());
}
