//! Videos through the `hashwatch` binary: `hash` (by content, JSON and
//! TSV, limits and bad files), `bank import`/`export`/`revoke` of vPDQ
//! signals, and `match` of clips, re-encodes, resized copies and stills.

use std::path::PathBuf;

use hashwatch_testdata::{parse_tsv, read_tsv};
use serde_json::Value;

mod common;
use common::{s, Env};

fn video(name: &str) -> PathBuf {
    hashwatch_testdata::video_corpus().join("videos").join(name)
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn videos_are_hashed_by_content_as_the_reference_hashes_them() {
    let env = Env::new();
    // A video named like an image is still a video.
    let disguised = env.file_bytes(
        "holiday.jpg",
        &std::fs::read(video("vp9.webm")).expect("reads"),
    );
    let reference = read_tsv(&hashwatch_testdata::video_corpus().join("vpdq.tsv"));
    let out = env.ok(&[
        "hash",
        "--no-progress",
        "--format",
        "json",
        s(&disguised),
        s(&video("h264.mp4")),
    ]);
    let records = json_lines(&out);
    assert_eq!(records.len(), 2);
    for (record, name) in records.iter().zip(["vp9.webm", "h264.mp4"]) {
        let expected: Vec<(u64, String, u64)> = reference
            .iter()
            .filter(|r| r["file"] == name && r["seconds_per_hash"] == "1.0")
            .map(|r| {
                (
                    r["frame"].parse().expect("frame"),
                    r["pdq"].clone(),
                    r["quality"].parse().expect("quality"),
                )
            })
            .collect();
        let ours: Vec<(u64, String, u64)> = record["vpdq"]
            .as_array()
            .expect("a vpdq list")
            .iter()
            .map(|f| {
                (
                    f["frame"].as_u64().expect("frame"),
                    f["pdq"].as_str().expect("pdq").to_string(),
                    f["quality"].as_u64().expect("quality"),
                )
            })
            .collect();
        assert_eq!(ours, expected, "{name}");
        assert_eq!(record["video_md5"], record["md5"]);
        assert!(record["pdq"].is_null(), "a video has no still PDQ");
        assert_eq!(
            (record["width"].as_u64(), record["height"].as_u64()),
            (Some(256), Some(192))
        );
    }

    // TSV: one column in python-threatexchange's exchange form, which
    // reads back to the same frames; two hashes a second as the
    // reference's option gives them.
    let tsv = parse_tsv(&env.ok(&[
        "hash",
        "--no-progress",
        "--seconds-per-hash",
        "0.5",
        s(&video("h264.mp4")),
    ]));
    let features = hashwatch_pdq::vpdq::parse_pytx(&tsv[0]["vpdq"]).expect("exchange form");
    let expected: Vec<String> = reference
        .iter()
        .filter(|r| r["file"] == "h264.mp4" && r["seconds_per_hash"] == "0.5")
        .map(|r| r["pdq"].clone())
        .collect();
    let ours: Vec<String> = features.iter().map(|f| f.pdq.to_string()).collect();
    assert_eq!(ours, expected);
    assert!(tsv[0]["pdq"].is_empty());

    // An animated GIF is an image (its first frame's PDQ, as HMA hashes
    // it) and a video.
    let gif = &json_lines(&env.ok(&[
        "hash",
        "--no-progress",
        "--format",
        "json",
        s(&video("animated.gif")),
    ]))[0];
    assert!(gif["pdq"].is_string());
    assert!(gif["vpdq"].as_array().is_some_and(|f| f.len() > 1));
}

#[test]
fn bad_and_oversized_videos_fail_alone() {
    let env = Env::new();
    let mp4 = std::fs::read(video("h264.mp4")).expect("reads");
    let dir = env.dir.path().join("mixed");
    std::fs::create_dir(&dir).expect("creates");
    std::fs::write(dir.join("a_good.mp4"), &mp4).expect("writes");
    std::fs::write(dir.join("b_truncated.mp4"), &mp4[..mp4.len() / 3]).expect("writes");
    let mut header_only = mp4[..64].to_vec();
    header_only.resize(4096, 0);
    std::fs::write(dir.join("c_header_only.mp4"), &header_only).expect("writes");
    std::fs::write(dir.join("d_empty.mkv"), b"").expect("writes");
    std::fs::copy(video("other.mp4"), dir.join("e_good.mp4")).expect("copies");
    let out = env.run(&["hash", "--no-progress", "--format", "json", s(&dir)]);
    assert_eq!(out.status.code(), Some(1), "failures exit 1");
    let hashed: Vec<String> = json_lines(&String::from_utf8_lossy(&out.stdout))
        .iter()
        .map(|r| {
            r["path"]
                .as_str()
                .expect("path")
                .rsplit('/')
                .next()
                .expect("name")
                .to_string()
        })
        .collect();
    assert_eq!(hashed, ["a_good.mp4", "e_good.mp4"]);
    let errors = json_lines(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(errors.len(), 3, "{errors:?}");
    for e in &errors {
        assert!(e["error"].is_string() && e["message"].is_string(), "{e}");
    }

    // Limits: a clear error per file, checked before decoding.
    let out = env.run(&[
        "hash",
        "--no-progress",
        "--format",
        "json",
        "--max-video-seconds",
        "1",
        s(&video("h264.mp4")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let errors = json_lines(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(errors[0]["error"], "video_too_long");
    let out = env.run(&[
        "hash",
        "--no-progress",
        "--format",
        "json",
        "--max-frame-pixels",
        "1000",
        s(&video("h264.mp4")),
    ]);
    assert_eq!(
        json_lines(&String::from_utf8_lossy(&out.stderr))[0]["error"],
        "frame_too_large"
    );
    let out = env.run(&[
        "hash",
        "--no-progress",
        "--format",
        "json",
        "--max-video-size",
        "1000",
        s(&video("h264.mp4")),
    ]);
    assert_eq!(
        json_lines(&String::from_utf8_lossy(&out.stderr))[0]["error"],
        "too_many_bytes"
    );
}

#[test]
fn banked_videos_are_matched_exported_and_revoked() {
    let env = Env::new();
    let list = env.ok(&[
        "hash",
        "--no-progress",
        s(&video("h264.mp4")),
        s(&video("other.mp4")),
    ]);
    let list_file = env.file_bytes("known.tsv", list.as_bytes());
    env.ok(&[
        "bank",
        "import",
        "known",
        s(&list_file),
        "--create",
        "--no-progress",
    ]);

    // A clip of a banked video: all of its frames are in the bank, 60 %
    // of the banked video's are in it (python-threatexchange's figures).
    let lines = json_lines(&env.ok(&[
        "match",
        "--no-progress",
        "--format",
        "json",
        s(&video("clip.mp4")),
    ]));
    let hit = lines
        .iter()
        .find(|l| l["signal_type"] == "vpdq")
        .expect("a vpdq match");
    assert!(
        hit["item"]
            .as_str()
            .is_some_and(|i| i.ends_with("h264.mp4")),
        "{hit}"
    );
    assert_eq!(hit["query_match_percent"], 100.0);
    assert_eq!(hit["compared_match_percent"], 60.0);
    // The nearest frames: the clip starts one second into the banked video,
    // and its frame numbers run at ten a second.
    let at = |key: &str| hit[key].as_f64().expect("a number");
    assert_eq!(at("bank_timestamp") - at("timestamp"), 1.0, "{hit}");
    assert_eq!(at("frame"), at("timestamp") * 10.0, "{hit}");

    // Re-encodes and a smaller copy match; the unrelated video is not
    // matched by them.
    for copy in ["hevc.mkv", "vp8.webm", "small.mp4", "animated.gif"] {
        let lines = json_lines(&env.ok(&[
            "match",
            "--no-progress",
            "--format",
            "json",
            s(&video(copy)),
        ]));
        let items: Vec<&str> = lines
            .iter()
            .filter(|l| l["signal_type"] == "vpdq")
            .filter_map(|l| l["item"].as_str())
            .collect();
        assert!(!items.is_empty(), "{copy}");
        assert!(
            items.iter().all(|i| i.ends_with("h264.mp4")),
            "{copy}: {items:?}"
        );
    }
    // The clip cut between sampled frames is missed, as by the reference.
    let out = env.run(&["match", "--no-progress", s(&video("clip_offset.mp4"))]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Exported in pytx's form, imported again elsewhere, and revoked.
    let export = env.ok(&["bank", "export", "known", "--format", "pytx"]);
    assert!(
        export.lines().filter(|l| l.contains(",vpdq,")).count() == 2,
        "{export}"
    );
    let export_file = env.file_bytes("known.csv", export.as_bytes());
    env.ok(&[
        "bank",
        "import",
        "again",
        s(&export_file),
        "--create",
        "--no-progress",
    ]);
    let again = json_lines(&env.ok(&[
        "match",
        "--no-progress",
        "--format",
        "json",
        "--bank",
        "again",
        s(&video("clip.mp4")),
    ]));
    assert!(again.iter().any(|l| l["signal_type"] == "vpdq"));
    let vpdq = parse_tsv(&list)[0]["vpdq"].clone();
    env.ok(&[
        "bank",
        "revoke",
        "again",
        &format!("vpdq:{vpdq}"),
        "--reason",
        "test",
    ]);
    let out = env.run(&[
        "match",
        "--no-progress",
        "--bank",
        "again",
        s(&video("clip.mp4")),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "revoked: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}
