//! Bad input: a clear error for the file, never a panic or a hang.

use std::path::{Path, PathBuf};

use hashwatch_video::{hash_file, Error, Options};

fn video(name: &str) -> PathBuf {
    hashwatch_testdata::video_corpus().join("videos").join(name)
}

/// Writes `bytes` to a file of the test's own and hashes it.
fn hash_bytes(name: &str, bytes: &[u8]) -> Result<Vec<hashwatch_video::Feature>, Error> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("writes");
    hash_file(&path, &Options::default())
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
    let whole = hash_file(&video("h264.ts"), &Options::default()).expect("hashes");
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
