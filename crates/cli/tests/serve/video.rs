//! Videos through the service: `/h/hash` and `/m/lookup` uploads in the
//! `video` field and by `?url=`, `/c/bank/<name>/content` banking a video,
//! lookups of a still inside a banked video, and bad videos answered with
//! a clear 4xx while the service goes on.

use serde_json::{json, Value};

use crate::fetch::web_server;
use crate::{Db, Server};

fn video(name: &str) -> Vec<u8> {
    std::fs::read(hashwatch_testdata::video_corpus().join("videos").join(name)).expect("reads")
}

fn features(name: &str) -> Vec<hashwatch_video::Feature> {
    let path = hashwatch_testdata::video_corpus().join("videos").join(name);
    hashwatch_video::hash_file(&path, &hashwatch_video::Options::default())
        .expect("hashes")
        .features
}

fn videos(db: Db) {
    let key = db.key("admin", "default");
    let mp4 = video("h264.mp4");
    let port = web_server(mp4.clone());
    let server = Server::start(&db, &key, &["--fetch-allow", "127.0.0.1"]);
    let api = server.api(&key);

    // Hashing: HMA's video_md5 and pytx's vpdq exchange form.
    let expected = hashwatch_video::to_pytx(
        &features("h264.mp4")
            .iter()
            .map(hashwatch_video::Feature::compact)
            .collect::<Vec<_>>(),
    );
    let md5 = hashwatch_signals::Digests::of(&mp4).md5_hex();
    let hashed = json!({"video_md5": md5, "vpdq": expected});
    assert_eq!(
        api.upload("/h/hash", "video", mp4.clone()),
        (200, hashed.clone())
    );
    let by_url = format!("/h/hash?url=http://127.0.0.1:{port}/a.png&content_type=video");
    assert_eq!(api.get(&by_url), (200, hashed));
    let (status, body) = api.upload("/h/hash?types=pdq", "video", mp4.clone());
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_signal_type"))
    );

    // Banking a video, then finding its clip, its re-encode and a still.
    assert_eq!(api.post("/c/banks", json!({"name": "VIDEOS"})).0, 201);
    let (status, added) = api.upload("/c/bank/VIDEOS/content", "video", mp4.clone());
    assert_eq!(status, 200, "{added}");
    let id = added["id"].as_u64().expect("id");
    let found = |answer: &Value| {
        answer["vpdq"]["VIDEOS"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["bank_content_id"] == id))
    };
    let clip = video("clip.mp4");
    let answer = api.until_upload_answer(&clip, found);
    let hit = &answer["vpdq"]["VIDEOS"][0];
    assert_eq!(hit["query_match_percent"], 100.0, "{answer}");
    assert_eq!(hit["compared_match_percent"], 60.0, "{answer}");
    let (status, answer) = api.upload("/m/lookup", "video", video("hevc.mkv"));
    assert!(status == 200 && found(&answer), "{answer}");
    let (status, answer) = api.upload("/m/lookup", "video", video("other.mp4"));
    assert_eq!(status, 200);
    assert!(!found(&answer), "{answer}");
    // A bank asking that most of its video be in the query turns the clip
    // (60 % of it) away; clearing the setting brings pytx's 0 % back.
    let (status, settings) = api.put(
        "/c/bank/VIDEOS/settings",
        json!({"video_compared_percent": 80.0}),
    );
    assert_eq!(
        (status, &settings["video_compared_percent"]),
        (200, &json!(80.0))
    );
    api.until_upload_answer(&clip, |answer| !found(answer));
    assert_eq!(
        api.put(
            "/c/bank/VIDEOS/settings",
            json!({"video_compared_percent": 101})
        )
        .0,
        400
    );
    api.put(
        "/c/bank/VIDEOS/settings",
        json!({"video_compared_percent": null}),
    );
    api.until_upload_answer(&clip, found);
    let lookup_url = format!("/m/lookup?url=http://127.0.0.1:{port}/a.png&content_type=video");
    let (status, answer) = api.get(&lookup_url);
    assert!(status == 200 && found(&answer), "{answer}");
    // A still of the clip's first frame is found in the banked video.
    let still = features("clip.mp4")[0].pdq.to_string();
    let (status, answer) = api.get(&format!("/m/lookup?signal_type=pdq&signal={still}"));
    assert_eq!(status, 200);
    assert!(
        answer["VIDEOS"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["bank_content_id"] == id)),
        "{answer}"
    );

    // Bad videos: a clear 4xx, nothing banked, the service goes on.
    for bad in [
        Vec::new(),
        b"not a video at all".to_vec(),
        mp4[..mp4.len() / 3].to_vec(),
    ] {
        let (status, body) = api.upload("/c/bank/VIDEOS/content", "video", bad);
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("bad_video")),
            "{body}"
        );
    }
    let (_, bank) = api.get("/c/bank/VIDEOS");
    assert!(bank.is_object());
    assert_eq!(api.get("/status").0, 200);
}

#[test]
fn videos_sqlite() {
    videos(Db::sqlite());
}

#[test]
fn videos_postgres() {
    videos(Db::postgres());
}

#[test]
fn long_videos_are_refused_by_the_limit() {
    let db = Db::sqlite();
    let key = db.key("curator", "default");
    let server = Server::start(&db, &key, &["--max-video-seconds", "1"]);
    let api = server.api(&key);
    let (status, body) = api.upload("/h/hash", "video", video("h264.mp4"));
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("bad_video")),
        "{body}"
    );
}

/// Uploads a video to `/m/lookup` until the answer satisfies `done` (the
/// index follows changes within moments); returns that answer.
trait UntilAnswer {
    fn until_upload_answer(&self, video: &[u8], done: impl Fn(&Value) -> bool) -> Value;
}

impl UntilAnswer for crate::Api {
    fn until_upload_answer(&self, video: &[u8], done: impl Fn(&Value) -> bool) -> Value {
        let started = std::time::Instant::now();
        loop {
            let (status, answer) = self.upload("/m/lookup", "video", video.to_vec());
            assert_eq!(status, 200, "{answer}");
            if done(&answer) {
                return answer;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "never so: {answer}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}
