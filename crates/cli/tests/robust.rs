//! Robust matching and series through the real binary: `hash --robust`
//! writes derived hashes that `bank import` keeps, `match --robust` finds
//! bordered, captioned, cropped and turned copies that plain matching
//! misses and says which view or derived hash matched, exports mark or
//! leave out derived hashes, and `bank series` / `match --series` group
//! near copies.

#![allow(missing_docs)]

use std::path::Path;
use std::process::Command;

use hashwatch_robust::{Picture, Rect};
use serde_json::Value;

fn hashwatch(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hashwatch"))
        .env_remove("HASHWATCH_DB")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// Writes `hashed` (`hash` output) to `list` and imports it into a new
/// bank `bank`.
fn bank_list(db: &Path, bank: &str, list: &Path, hashed: &str) {
    std::fs::write(list, hashed).expect("writes");
    assert_eq!(hashwatch(db, &["bank", "create", bank]).0, 0);
    let (code, _, err) = hashwatch(db, &["bank", "import", bank, list.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
}

/// The file stem of a match's item (the banked file's path).
fn item_stem(m: &Value) -> String {
    let item = m["item"].as_str().expect("item").to_string();
    Path::new(&item)
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("a file name")
        .to_string()
}

fn load(path: &Path) -> Picture {
    let rgb = image::open(path).expect("corpus image").to_rgb8();
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    Picture::from_rgb(w, h, rgb.into_raw()).expect("sizes agree")
}

fn save(picture: &Picture, path: &Path) {
    let buffer = image::RgbImage::from_raw(
        picture.width() as u32,
        picture.height() as u32,
        picture.rgb().to_vec(),
    )
    .expect("sizes agree");
    image::DynamicImage::ImageRgb8(buffer)
        .save(path)
        .expect("writes");
}

/// The edits: a black border, a white caption banner with dark marks,
/// the right 90 %, and a 5° turn on an enlarged black canvas.
fn edits(picture: &Picture) -> Vec<(&'static str, Picture)> {
    let (w, h) = (picture.width(), picture.height());
    let mut bordered = Picture::filled(w + w / 6, h + h / 6, [0, 0, 0]);
    bordered.paste(picture, w / 12, h / 12);
    let band = h / 5;
    let mut captioned = Picture::filled(w, h + band, [255, 255, 255]);
    captioned.paste(picture, 0, band);
    for y in (band / 4..band * 3 / 4).step_by(2) {
        for x in (w / 10..w * 9 / 10).step_by(5) {
            captioned.fill(
                Rect {
                    x,
                    y,
                    width: 2,
                    height: 1,
                },
                [20, 20, 20],
            );
        }
    }
    let cropped = picture.crop(Rect {
        x: w / 10,
        y: 0,
        width: w - w / 10,
        height: h,
    });
    let (tw, th) = picture.rotated_size(5.0);
    let turned = picture.rotate(5.0, tw, th, [0, 0, 0]);
    vec![
        ("bordered", bordered),
        ("captioned", captioned),
        ("cropped", cropped),
        ("turned", turned),
    ]
}

#[test]
fn edited_copies_are_found_robustly_and_near_copies_form_series() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("robust.db");
    let known = dir.path().join("known");
    let uploads = dir.path().join("uploads");
    std::fs::create_dir_all(&known).expect("mkdir");
    std::fs::create_dir_all(&uploads).expect("mkdir");
    let images = hashwatch_testdata::corpus_images();
    let mut sources = Vec::new();
    for name in [
        "sk_astronaut.png",
        "sk_camera.png",
        "sk_coins.png",
        "sk_moon.png",
    ] {
        let picture = load(&images.join(name));
        let stem = name.trim_end_matches(".png");
        save(&picture, &known.join(format!("{stem}.png")));
        for (edit, copy) in edits(&picture) {
            save(&copy, &uploads.join(format!("{stem}.{edit}.png")));
        }
        sources.push(stem);
    }
    // A near copy of one known picture, banked too: one series of two.
    let astronaut = load(&known.join("sk_astronaut.png"));
    save(
        &astronaut.resize(astronaut.width() * 3 / 4, astronaut.height() * 3 / 4),
        &known.join("sk_astronaut_small.png"),
    );

    let list = dir.path().join("known.tsv");
    let (code, hashed, err) = hashwatch(
        &db,
        &[
            "hash",
            "--robust",
            "--no-progress",
            known.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let header: Vec<&str> = hashed.lines().next().expect("header").split('\t').collect();
    assert_eq!(header.last(), Some(&"pdq_derived"));
    bank_list(&db, "known", &list, &hashed);

    let upload_dir = uploads.to_str().expect("utf-8");
    let item_of = item_stem;
    let query_of = |m: &Value| {
        let query = m["query"].as_str().expect("query").to_string();
        let name = Path::new(&query)
            .file_name()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        name.split('.').next().expect("stem").to_string()
    };

    // Plain matching misses the edited copies.
    let matches = |extra: &[&str]| {
        let mut args = vec![
            "match",
            "--bank",
            "known",
            "--format",
            "json",
            "--no-progress",
        ];
        args.extend(extra);
        args.push(upload_dir);
        let (code, out, err) = hashwatch(&db, &args);
        assert!(code <= 1, "{err}");
        json_lines(&out)
    };
    let plain = matches(&[]);
    assert!(
        plain.len() <= 2,
        "plain PDQ finds almost none of the edits: {plain:?}"
    );

    // Robust matching finds each edit of each picture, as its own item.
    let robust = matches(&["--robust", "--series", "--per-item"]);
    for stem in &sources {
        for (edit, _) in edits(&Picture::filled(8, 8, [0, 0, 0])) {
            let query = format!("{stem}.{edit}.png");
            let hits: Vec<&Value> = robust
                .iter()
                .filter(|m| m["query"].as_str().is_some_and(|q| q.ends_with(&query)))
                .collect();
            assert!(!hits.is_empty(), "{query} not found robustly");
            for m in &hits {
                assert!(
                    item_of(m) == *stem
                        || (item_of(m) == "sk_astronaut_small" && *stem == "sk_astronaut"),
                    "{query} matched another picture: {m}"
                );
                assert!(m["distance"].as_u64().expect("distance") <= 20);
            }
            let m = hits[0];
            assert!(
                !m["view"].is_null() || !m["derived"].is_null(),
                "{query}: a robust match says which view or derived hash matched: {m}"
            );
            assert!(m["series"].as_u64().is_some(), "{m}");
        }
    }
    let kinds = |edit: &str, field: &str| -> Vec<String> {
        robust
            .iter()
            .filter(|m| m["query"].as_str().is_some_and(|q| q.contains(edit)))
            .filter_map(|m| m[field].as_str().map(str::to_string))
            .collect()
    };
    assert!(
        kinds(".bordered", "view")
            .iter()
            .all(|v| v == "trim" || v == "content"),
        "{:?}",
        kinds(".bordered", "view")
    );
    assert!(kinds(".captioned", "view").iter().all(|v| v == "content"));
    assert!(
        kinds(".cropped", "derived").iter().all(|v| v == "crop90r"),
        "{:?}",
        kinds(".cropped", "derived")
    );
    assert!(
        kinds(".turned", "view").iter().all(|v| v == "turn+5"),
        "{:?}",
        kinds(".turned", "view")
    );
    let astronaut_series: Vec<u64> = robust
        .iter()
        .filter(|m| query_of(m) == "sk_astronaut")
        .map(|m| m["series_size"].as_u64().expect("size"))
        .collect();
    assert!(
        astronaut_series.iter().all(|&s| s == 2),
        "{astronaut_series:?}"
    );

    // Lookups by hash stay plain: a bordered copy's own hash finds nothing.
    let (_, bordered_hash, _) = hashwatch(
        &db,
        &[
            "hash",
            "--no-progress",
            "--format",
            "json",
            uploads
                .join("sk_camera.bordered.png")
                .to_str()
                .expect("utf-8"),
        ],
    );
    let pdq = json_lines(&bordered_hash)[0]["pdq"]
        .as_str()
        .expect("pdq")
        .to_string();
    let (code, by_hash, _) = hashwatch(
        &db,
        &[
            "match",
            "--robust",
            "--bank",
            "known",
            &format!("pdq:{pdq}"),
        ],
    );
    assert_eq!(code, 1, "{by_hash}");

    // Derived hashes are marked in hashwatch's export and left out of
    // lists that could not mark them.
    let (_, export, _) = hashwatch(&db, &["bank", "export", "known", "--format", "json"]);
    let export = json_lines(&export);
    let derived: Vec<&Value> = export
        .iter()
        .filter(|e| e["derived"].as_str().is_some_and(|d| !d.is_empty()))
        .collect();
    assert!(
        derived.len() >= 5 * 8,
        "derived hashes kept: {}",
        derived.len()
    );
    let own_pdq = export
        .iter()
        .filter(|e| e["signal_type"] == "pdq" && e["derived"].as_str().is_none_or(str::is_empty))
        .count();
    assert_eq!(own_pdq, 5);
    let (_, plain_list, _) = hashwatch(&db, &["bank", "export", "known", "--format", "plain"]);
    assert_eq!(
        plain_list.lines().filter(|l| l.starts_with("pdq ")).count(),
        5
    );

    // Series: the astronaut and its smaller copy are one series named by
    // the older entry; the others are alone.
    let (code, series, err) = hashwatch(&db, &["bank", "series", "known", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let series = json_lines(&series);
    assert_eq!(series.len(), 5, "one row per own PDQ entry: {series:?}");
    let of = |stem: &str| {
        series
            .iter()
            .find(|r| {
                r["item"]
                    .as_str()
                    .is_some_and(|i| i.ends_with(&format!("/{stem}.png")))
            })
            .cloned()
            .expect("a row")
    };
    let (big, small) = (of("sk_astronaut"), of("sk_astronaut_small"));
    assert_eq!(big["series"], small["series"]);
    assert_eq!(big["size"], 2);
    assert_eq!(of("sk_moon")["size"], 1);
    let oldest = big["entry_id"].as_u64().min(small["entry_id"].as_u64());
    assert_eq!(big["series"].as_u64(), oldest);

    // Malformed derived hashes are refused with the line, and nothing is
    // imported.
    let bad = dir.path().join("bad.tsv");
    let mut text = hashed.clone();
    text = text.replacen("crop90:", "crop900:", 1);
    std::fs::write(&bad, text).expect("writes");
    assert_eq!(hashwatch(&db, &["bank", "create", "other"]).0, 0);
    let (code, _, err) = hashwatch(
        &db,
        &["bank", "import", "other", bad.to_str().expect("utf-8")],
    );
    assert_ne!(code, 0);
    assert!(err.contains("unknown view"), "{err}");
    let (_, other, _) = hashwatch(&db, &["bank", "export", "other"]);
    assert_eq!(other.lines().count(), 1, "only the header: {other}");
}

/// Stills shown letterboxed in a slideshow (`tests/corpus/robust/
/// letterboxed.mp4`: three corpus pictures, 1.5 s each, with black bars
/// above and below): plain matching misses them, robust matching finds
/// each in its own frames through the frames' trimmed views.
#[test]
fn letterboxed_stills_in_a_video_are_found_robustly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("video.db");
    let known = dir.path().join("known");
    std::fs::create_dir_all(&known).expect("mkdir");
    let images = hashwatch_testdata::corpus_images();
    let shown = ["sk_astronaut", "jpg_chelsea_q95_444", "sk_coins"];
    for (name, ext) in [
        ("sk_astronaut", "png"),
        ("jpg_chelsea_q95_444", "jpg"),
        ("sk_coins", "png"),
        ("sk_camera", "png"),
    ] {
        std::fs::copy(
            images.join(format!("{name}.{ext}")),
            known.join(format!("{name}.{ext}")),
        )
        .expect("copies");
    }
    let (code, hashed, err) = hashwatch(
        &db,
        &["hash", "--no-progress", known.to_str().expect("utf-8")],
    );
    assert_eq!(code, 0, "{err}");
    bank_list(&db, "stills", &dir.path().join("known.tsv"), &hashed);

    let video = hashwatch_testdata::video_corpus().join("robust/letterboxed.mp4");
    let video = video.to_str().expect("utf-8");
    let matches = |extra: &[&str]| {
        let mut args = vec!["match", "--format", "json", "--no-progress"];
        args.extend(extra);
        args.push(video);
        let (code, out, err) = hashwatch(&db, &args);
        assert!(code <= 1, "{err}");
        json_lines(&out)
    };
    let item_of = item_stem;
    let plain = matches(&[]);
    assert!(
        plain.iter().all(|m| !shown.contains(&item_of(m).as_str())),
        "plain matching finds a letterboxed still: {plain:?}"
    );
    let robust = matches(&["--robust"]);
    for (k, stem) in shown.iter().enumerate() {
        let hit = robust
            .iter()
            .find(|m| item_of(m) == *stem)
            .unwrap_or_else(|| panic!("{stem} not found in the video robustly: {robust:?}"));
        let at = hit["timestamp"].as_f64().expect("a frame's timestamp");
        assert!(
            (1.5 * k as f64..1.5 * (k + 1) as f64).contains(&at),
            "{stem} found at {at} s, outside its 1.5 s: {hit}"
        );
        assert_eq!(hit["view"], "trim", "{hit}");
    }
    assert!(
        robust.iter().all(|m| item_of(m) != "sk_camera"),
        "a picture not in the video matched: {robust:?}"
    );
}

/// `bank import --series` says which imported entry linked two series:
/// two hashes 40 bits apart are two series; a third 20 bits from each
/// joins them, into the older one's.
#[test]
fn an_import_says_which_entry_merged_two_series() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("series.db");
    let first: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(97) ^ 0x5A);
    let flip = |bits: std::ops::Range<usize>| {
        let mut h = first;
        for b in bits {
            h[b / 8] ^= 1 << (b % 8);
        }
        h.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let write = |name: &str, hashes: &[String]| {
        let path = dir.path().join(name);
        std::fs::write(&path, hashes.join("\n") + "\n").expect("writes");
        path
    };
    let import = |file: &Path, series: bool| {
        let mut args = vec!["bank", "import", "--create", "--no-progress"];
        if series {
            args.push("--series");
        }
        args.extend(["hashes", file.to_str().expect("utf-8")]);
        let (code, _, err) = hashwatch(&db, &args);
        assert_eq!(code, 0, "{err}");
        err
    };
    let err = import(&write("two.txt", &[flip(0..0), flip(0..40)]), true);
    assert!(!err.contains("merged series"), "{err}");
    let err = import(&write("linking.txt", &[flip(0..20)]), true);
    let line = err
        .lines()
        .find(|l| l.contains("merged series"))
        .unwrap_or_else(|| panic!("no merge said: {err}"));
    assert!(line.starts_with("entry 3 "), "{line}");
    assert!(line.contains("merged series 2 into series 1"), "{line}");
    // Without --series, nothing is said, though the second hash here links
    // the first's new series to series 1.
    let err = import(
        &write("again.txt", &[flip(100..140), flip(100..120)]),
        false,
    );
    assert!(!err.contains("series"), "{err}");
}
