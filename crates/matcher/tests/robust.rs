//! Robust matching in the matcher: a bordered still is found among banked
//! pictures and inside a banked video only when the bank is matched
//! robustly and the query brings its views; derived hashes never match a
//! plain lookup; a query's crop never meets a banked crop.

use hashwatch_matcher::{MatchOptions, Matcher, Query, View, ViewHasher};
use hashwatch_pdq::vpdq::{to_pytx, VpdqFeature};
use hashwatch_pdq::{Hash256, Hasher, Image};
use hashwatch_robust::Picture;
use hashwatch_store::{BankKind, NewEntry, SignalType, SqliteStore, Store};

/// A photo-like picture: smooth shapes over a gradient, different per seed.
fn picture(seed: u64, width: usize, height: usize) -> Picture {
    let mut p = Picture::filled(width, height, [0, 0, 0]);
    for y in 0..height {
        for x in 0..width {
            let fx = x as f64 / width as f64;
            let fy = y as f64 / height as f64;
            let s = seed as f64;
            // Smooth shapes and a fine texture, so that crops keep their
            // PDQ quality.
            let block =
                ((x / 8) as u64 * 73_856_093) ^ ((y / 8) as u64 * 19_349_663) ^ (seed * 83_492_791);
            let grain = (block.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as f64 * 4.0;
            let v = |k: f64| {
                (100.0
                    + grain
                    + 100.0 * ((fx * (3.0 + k) + s).sin() * (fy * (2.0 + k * 0.7) - s).cos()))
                    as u8
            };
            p.set_pixel(x, y, [v(1.0), v(2.3), v(3.1)]);
        }
    }
    p
}

fn pdq(hasher: &mut Hasher, p: &Picture) -> (Hash256, u8) {
    let image = Image::rgb(p.rgb(), p.width(), p.height()).expect("sizes agree");
    let h = hasher.hash(&image);
    (h.hash, h.quality)
}

fn pdq_entry(hash: Hash256, quality: u8, item: &str, derived: Option<View>) -> NewEntry {
    let mut e = NewEntry::new(SignalType::Pdq, hash.to_be_bytes().to_vec());
    e.quality = Some(quality);
    e.content_id = Some(item.to_string());
    e.derived = derived.map(|v| v.name());
    e
}

#[test]
fn edited_stills_match_robustly_only() {
    let mut hasher = Hasher::new();
    let views = ViewHasher::default();
    let known = picture(1, 400, 300);
    let other = picture(7, 400, 300);
    let store = SqliteStore::open_in_memory().expect("opens");
    store
        .create_bank("pictures", BankKind::Positive, None)
        .expect("creates");
    store
        .create_bank("videos", BankKind::Positive, None)
        .expect("creates");
    let (hash, quality) = pdq(&mut hasher, &known);
    let mut entries = vec![pdq_entry(hash, quality, "known", None)];
    for d in views.derived(&mut hasher, &known) {
        entries.push(pdq_entry(d.hash, d.quality, "known", Some(d.view)));
    }
    let (other_hash, other_quality) = pdq(&mut hasher, &other);
    entries.push(pdq_entry(other_hash, other_quality, "other", None));
    store
        .import("pictures", &entries, None, &mut |_| {})
        .expect("imports");
    // A video whose second frame is the known picture.
    let frames: Vec<VpdqFeature> = [other_hash, hash, other_hash]
        .iter()
        .enumerate()
        .map(|(i, h)| VpdqFeature {
            pdq: *h,
            quality: 100,
            timestamp: i as f64,
        })
        .collect();
    let mut video = NewEntry::new(
        SignalType::Vpdq,
        SignalType::Vpdq
            .parse_value(&to_pytx(&frames))
            .expect("parses"),
    );
    video.content_id = Some("slideshow".to_string());
    store
        .import("videos", &[video], None, &mut |_| {})
        .expect("imports");
    let matcher = Matcher::load(&store, &[], &mut |_| {}).expect("loads");

    // A letterboxed copy.
    let (w, h) = (known.width(), known.height());
    let mut letterboxed = Picture::filled(w, h + h / 3, [0, 0, 0]);
    letterboxed.paste(&known, 0, h / 6);
    let (query_hash, query_quality) = pdq(&mut hasher, &letterboxed);
    let query = Query {
        pdq: Some((query_hash, Some(query_quality))),
        views: Some(views.query_views(&mut hasher, &letterboxed)),
        ..Query::default()
    };
    let plain = MatchOptions::default();
    assert!(
        matcher.lookup(&query, &plain).matches.is_empty(),
        "plain PDQ misses it"
    );
    let robust = MatchOptions {
        view_threshold: Some(hashwatch_matcher::DEFAULT_VIEW_THRESHOLD),
        ..MatchOptions::default()
    };
    let found = matcher.lookup(&query, &robust).matches;
    let mut item_of = std::collections::HashMap::new();
    store
        .entries("pictures", false, &mut |e| {
            item_of.insert(e.id, e.signal.content_id.unwrap_or_default());
        })
        .expect("reads");
    for m in found.iter().filter(|m| m.bank == "pictures") {
        assert_eq!(item_of[&m.entry_id], "known", "{m:?}");
    }
    let own = found
        .iter()
        .find(|m| m.bank == "pictures" && m.derived.is_none())
        .expect("the known picture's own hash");
    assert_eq!((own.view, own.distance), (Some(View::Trim), 0), "{own:?}");
    let in_video = found
        .iter()
        .find(|m| m.signal_type == SignalType::Vpdq)
        .expect("found in the video");
    assert_eq!(in_video.frames.and_then(|f| f.bank_timestamp), Some(1.0));
    assert_eq!(in_video.view, Some(View::Trim));

    // A crop of the known picture meets its derived hash; as a plain
    // lookup (no views), never.
    let crop = known.crop(hashwatch_robust::Rect::centre(w, h, 80));
    let (crop_hash, crop_quality) = pdq(&mut hasher, &crop);
    let mut query = Query {
        pdq: Some((crop_hash, Some(crop_quality))),
        views: Some(views.query_views(&mut hasher, &crop)),
        ..Query::default()
    };
    let found = matcher.lookup(&query, &robust).matches;
    let derived = found
        .iter()
        .find(|m| m.derived.is_some())
        .expect("the derived crop");
    assert_eq!(
        (derived.derived.as_deref(), derived.distance),
        (Some("crop80"), 0)
    );
    query.views = None;
    for options in [&robust, &plain] {
        let found = matcher.lookup(&query, options).matches;
        assert!(
            found
                .iter()
                .all(|m| m.derived.is_none() && m.view.is_none()),
            "{found:?}"
        );
    }
}

#[test]
fn same_views_never_pair() {
    assert!(!hashwatch_robust::pairs(
        Some(View::Crop(90)),
        Some(View::Crop(90))
    ));
    assert!(!hashwatch_robust::pairs(Some(View::Trim), Some(View::Trim)));
    assert!(!hashwatch_robust::pairs(None, None));
    assert!(hashwatch_robust::pairs(Some(View::Trim), None));
    assert!(hashwatch_robust::pairs(None, Some(View::Crop(80))));
    assert!(hashwatch_robust::pairs(
        Some(View::Trim),
        Some(View::Crop(90))
    ));
}
