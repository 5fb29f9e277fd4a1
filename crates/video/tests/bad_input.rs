//! Bad input: a clear error for the file, never a panic or a hang.

use std::path::{Path, PathBuf};

use std::time::Instant;

use hashwatch_media::Cancel;
use hashwatch_video::{hash_file, Error, Limits, Options};

fn video(name: &str) -> PathBuf {
    hashwatch_testdata::video_corpus().join("videos").join(name)
}

/// Writes `bytes` to a file of the test's own and hashes it.
fn hash_bytes(name: &str, bytes: &[u8]) -> Result<Vec<hashwatch_video::Feature>, Error> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("writes");
    let from_file = hash_file(&path, &Options::default()).map(|v| v.features);
    // From memory the answer is the same.
    let from_memory = hashwatch_video::hash_bytes(bytes, &Options::default()).map(|v| v.features);
    assert_eq!(from_file, from_memory, "{name}");
    from_file
}

fn with_limits(limits: Limits) -> Options {
    Options {
        limits,
        ..Options::default()
    }
}

/// A second of 8 kHz mono silence as a WAV file: audio, no video.
fn wav() -> Vec<u8> {
    let samples = 8_000u32;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + samples * 2).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8_000u32.to_le_bytes());
    out.extend_from_slice(&16_000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(samples * 2).to_le_bytes());
    out.resize(out.len() + (samples * 2) as usize, 0);
    out
}

#[test]
fn empty_and_garbage_files_are_refused() {
    assert!(matches!(hash_bytes("empty.mp4", b""), Err(Error::Open(_))));
    let garbage: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let outcome = hash_bytes("garbage.mkv", &garbage);
    assert!(
        matches!(outcome, Err(Error::Open(_) | Error::NoVideoStream)),
        "{outcome:?}"
    );
    assert!(hash_file(Path::new("/nonexistent/video.mp4"), &Options::default()).is_err());
}

#[test]
fn a_file_without_video_says_so() {
    assert_eq!(hash_bytes("silence.wav", &wav()), Err(Error::NoVideoStream));
}

#[test]
fn a_truncated_stream_hashes_what_it_holds() {
    let whole = hash_file(&video("h264.ts"), &Options::default())
        .expect("hashes")
        .features;
    let bytes = std::fs::read(video("h264.ts")).expect("reads");
    // MPEG-TS is read packet by packet: the first half holds a prefix of
    // the frames, hashed exactly as in the whole file.
    let half = hash_bytes("half.ts", &bytes[..bytes.len() / 2]).expect("hashes");
    assert!(
        !half.is_empty() && half.len() < whole.len(),
        "{} of {}",
        half.len(),
        whole.len()
    );
    assert_eq!(&whole[..half.len() - 1], &half[..half.len() - 1]);
    // An MP4 cut before its index is refused as a whole.
    let mp4 = std::fs::read(video("h264.mp4")).expect("reads");
    let cut = hash_bytes("cut.mp4", &mp4[..mp4.len() / 2]);
    assert!(
        cut.is_err() || cut.as_ref().is_ok_and(|f| f.len() <= whole.len()),
        "{cut:?}"
    );
}

#[test]
fn corrupt_bytes_cost_at_most_the_file() {
    for name in [
        "h264.mp4",
        "vp9.webm",
        "mpeg4.avi",
        "hevc.mkv",
        "animated.gif",
    ] {
        let mut bytes = std::fs::read(video(name)).expect("reads");
        let start = bytes.len() / 3;
        for (i, b) in bytes[start..start + 2_000].iter_mut().enumerate() {
            *b ^= (i as u8).wrapping_mul(37) | 1;
        }
        // Decoded or refused, never a panic; frames stay in order.
        if let Ok(features) = hash_bytes(name, &bytes) {
            assert!(
                features.windows(2).all(|w| w[0].frame < w[1].frame),
                "{name}"
            );
        }
    }
}

#[test]
fn a_stream_without_frames_is_refused() {
    // A Matroska file cut where its first cluster of frames begins: the
    // headers declare a video stream that holds nothing.
    let bytes = std::fs::read(video("hevc.mkv")).expect("reads");
    let cluster = bytes
        .windows(4)
        .position(|w| w == [0x1f, 0x43, 0xb6, 0x75])
        .expect("a cluster");
    // libavformat may refuse it while probing (no frame to probe) or open
    // it and find no frame: an error for the file either way.
    let outcome = hash_bytes("empty.mkv", &bytes[..cluster]);
    assert!(
        matches!(outcome, Err(Error::Open(_) | Error::NoFrames)),
        "{outcome:?}"
    );
}

#[test]
fn limits_are_checked_from_the_container_and_from_the_frames() {
    let mp4 = video("h264.mp4");
    let whole = hash_file(&mp4, &Options::default()).expect("hashes");
    // Declared by the container, before decoding.
    let short = with_limits(Limits {
        max_seconds: 0.5,
        ..Limits::default()
    });
    assert!(matches!(
        hash_file(&mp4, &short),
        Err(Error::TooLong { .. })
    ));
    let few = with_limits(Limits {
        max_frames: whole.frames - 1,
        ..Limits::default()
    });
    assert_eq!(
        hash_file(&mp4, &few),
        Err(Error::TooManyFrames {
            limit: whole.frames - 1
        })
    );
    let small = with_limits(Limits {
        max_frame_pixels: u64::from(whole.width * whole.height) - 1,
        ..Limits::default()
    });
    assert!(matches!(
        hash_file(&mp4, &small),
        Err(Error::FrameTooLarge { .. })
    ));
    // MPEG-TS declares no frame count: the decoded frames are counted.
    let ts = hash_file(&video("h264.ts"), &Options::default()).expect("hashes");
    let few = with_limits(Limits {
        max_frames: ts.frames / 2,
        ..Limits::default()
    });
    assert_eq!(
        hash_file(&video("h264.ts"), &few),
        Err(Error::TooManyFrames {
            limit: ts.frames / 2
        })
    );
}

#[test]
fn a_cancelled_or_late_decode_stops() {
    let cancel = Cancel::new();
    cancel.cancel();
    let cancelled = Options {
        cancel: Some(cancel),
        ..Options::default()
    };
    assert_eq!(
        hash_file(&video("vp9.webm"), &cancelled),
        Err(Error::Cancelled)
    );
    let late = Options {
        deadline: Some(Instant::now()),
        ..Options::default()
    };
    assert_eq!(hash_file(&video("vp9.webm"), &late), Err(Error::TimedOut));
}

/// A video's memory is charged once its frame size is known, before a
/// frame is decoded: more than one request may hold is refused, a budget
/// other decodes hold turns it away, and the charge goes back after.
#[test]
fn a_video_charges_its_frames_memory_first() {
    use hashwatch_media::{BudgetLimits, MemoryBudget, OverBudget};
    let mp4 = video("h264.mp4");
    let whole = hash_file(&mp4, &Options::default()).expect("hashes");
    let budget = |total: u64, per_request: u64| {
        MemoryBudget::new(BudgetLimits {
            total,
            per_request,
            wait: std::time::Duration::ZERO,
        })
    };
    let within = |budget: &MemoryBudget| Options {
        budget: Some(budget.clone()),
        ..Options::default()
    };
    // What it needs: its frames at 8-bit 4:2:0, and the decoder's own.
    let need = match hash_file(&mp4, &within(&budget(1, 1))) {
        Err(Error::OverBudget(OverBudget::TooLarge { need, .. })) => need,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        need,
        hashwatch_video::frame_memory(whole.width, whole.height, 1.5)
    );
    let fits = budget(need, need);
    assert_eq!(
        hash_file(&mp4, &within(&fits)).map(|v| v.features),
        Ok(whole.features)
    );
    assert_eq!(fits.held(), 0, "given back");
    assert_eq!(
        hash_file(&mp4, &within(&budget(need, need - 1))),
        Err(Error::OverBudget(OverBudget::TooLarge {
            need,
            limit: need - 1
        }))
    );
    let shared = budget(need, need);
    let _photo = shared
        .charge(1, &Cancel::new())
        .expect("a photo holds a byte");
    assert!(matches!(
        hash_file(&mp4, &within(&shared)),
        Err(Error::OverBudget(OverBudget::Busy { .. }))
    ));
}
