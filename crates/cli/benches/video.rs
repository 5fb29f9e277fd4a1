//! `cargo bench --bench video`: hashwatch's vPDQ against Meta's, in the same
//! run on the same machine.
//!
//! 1. Frames hashed per second on one core: every frame of each corpus
//!    video, hashwatch-video against `vpdq.computeHash` (PyPI, built
//!    against the same libav*), both decoding and hashing.
//! 2. Video lookups per second against a bank of videos of 60 frames
//!    (100,000 by default; `HASHWATCH_BENCH_VIDEOS` to change), half the
//!    queries edited copies of banked videos and half unrelated:
//!    hashwatch's frame index against python-threatexchange's `VPDQIndex`
//!    (faiss), and whether both found the same videos with the same
//!    percentages.
//!
//! The peer needs `pip install vpdq threatexchange faiss-cpu` (vpdq builds
//! against libavcodec-dev, libavformat-dev, libavdevice-dev,
//! libavfilter-dev, libswscale-dev); set `PYTHON` to that interpreter (for
//! example `target/vpdq-venv/bin/python`, which
//! `scripts/make-video-corpus.sh` makes). Without it only hashwatch's own
//! figures are printed.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::common::Peer;
use hashwatch_index::VpdqIndex;
use hashwatch_pdq::vpdq::VpdqFeature;
use hashwatch_pdq::Hash256;

const FRAMES_PER_VIDEO: usize = 60;
const QUERIES: usize = 40;

fn main() {
    let seconds: f64 = std::env::var("HASHWATCH_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let videos: usize = std::env::var("HASHWATCH_BENCH_VIDEOS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let peer = Peer::find(
        "import vpdq, faiss, threatexchange.extensions.vpdq",
        "vpdq_peer.py",
    );
    if peer.is_none() {
        println!("peer: python with vpdq, threatexchange and faiss not found (set PYTHON); printing hashwatch figures only");
    }

    println!("== vPDQ hashing, every frame, one core ==");
    let dir = hashwatch_testdata::video_corpus().join("videos");
    let ours = frames_per_second(&dir, seconds);
    println!("hashwatch      {ours:8.0} frames/s");
    if let Some(peer) = &peer {
        let theirs = peer.run(&["hash", path_str(&dir), &seconds.to_string()])["frames_per_s"]
            .as_f64()
            .unwrap_or(f64::NAN);
        println!("vpdq           {theirs:8.0} frames/s");
        println!("ratio          {:8.2}x", ours / theirs);
    }

    println!();
    println!("== Video lookups: {videos} banked videos of {FRAMES_PER_VIDEO} frames, {QUERIES} queries ==");
    let mut random = Random(0x2545_f491_4f6c_dd1d);
    let bank: Vec<Vec<Hash256>> = (0..videos)
        .map(|_| (0..FRAMES_PER_VIDEO).map(|_| random.hash()).collect())
        .collect();
    // Half are banked videos with a few bits of each frame changed (a
    // re-encode), half unrelated.
    let queries: Vec<Vec<Hash256>> = (0..QUERIES)
        .map(|q| {
            if q % 2 == 0 {
                let source = &bank[random.below(videos)];
                source.iter().map(|h| random.flip(*h, 8)).collect()
            } else {
                (0..FRAMES_PER_VIDEO).map(|_| random.hash()).collect()
            }
        })
        .collect();
    let features = |frames: &[Hash256]| -> Vec<VpdqFeature> {
        frames
            .iter()
            .enumerate()
            .map(|(i, h)| VpdqFeature {
                pdq: *h,
                quality: 100,
                timestamp: i as f64,
            })
            .collect()
    };
    let started = Instant::now();
    let index = VpdqIndex::build(
        50,
        bank.iter()
            .enumerate()
            .map(|(i, frames)| (i as u64, features(frames))),
    );
    let built = started.elapsed().as_secs_f64();
    let query_features: Vec<Vec<VpdqFeature>> = queries.iter().map(|q| features(q)).collect();
    let mut ours_found = Vec::new();
    let started = Instant::now();
    let mut rounds = 0;
    while started.elapsed().as_secs_f64() < seconds || rounds == 0 {
        ours_found = query_features
            .iter()
            .map(|q| {
                let mut found: Vec<(u64, f64, f64)> = index
                    .search(q, 31)
                    .into_iter()
                    .map(|m| (m.id, m.query_match_percent(), m.compared_match_percent()))
                    .filter(|(_, q, _)| *q >= 80.0)
                    .collect();
                found.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
                found
            })
            .collect();
        rounds += 1;
    }
    let ours = (QUERIES * rounds) as f64 / started.elapsed().as_secs_f64();
    println!(
        "hashwatch      {ours:10.1} lookups/s  (index built in {built:.1} s, {} MB)",
        index.heap_bytes() >> 20
    );
    if let Some(peer) = &peer {
        let work = tempfile::tempdir().expect("temp dir");
        let bank_file = work.path().join("bank.txt");
        let query_file = work.path().join("queries.txt");
        write_videos(&bank_file, &bank);
        write_videos(&query_file, &queries);
        let answer = peer.run(&["index", path_str(&bank_file), path_str(&query_file)]);
        let theirs = answer["lookups_per_s"].as_f64().unwrap_or(f64::NAN);
        println!(
            "pytx VPDQIndex {theirs:10.1} lookups/s  (index built in {:.1} s)",
            answer["build_s"].as_f64().unwrap_or(f64::NAN)
        );
        println!("ratio          {:10.1}x", ours / theirs);
        let theirs_found: Vec<Vec<(u64, f64, f64)>> = answer["matches"]
            .as_array()
            .map(|queries| {
                queries
                    .iter()
                    .map(|q| {
                        q.as_array()
                            .map(|ms| {
                                ms.iter()
                                    .map(|m| {
                                        (
                                            m[0].as_u64().unwrap_or(u64::MAX),
                                            m[1].as_f64().unwrap_or(f64::NAN),
                                            m[2].as_f64().unwrap_or(f64::NAN),
                                        )
                                    })
                                    .collect()
                            })
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "same matches   {}",
            if theirs_found == ours_found {
                "yes"
            } else {
                "NO"
            }
        );
    }
}

fn frames_per_second(dir: &Path, seconds: f64) -> f64 {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("lists")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    let options = hashwatch_video::Options {
        seconds_per_hash: 0.0,
        ..hashwatch_video::Options::default()
    };
    let started = Instant::now();
    let mut frames = 0;
    while started.elapsed().as_secs_f64() < seconds || frames == 0 {
        for path in &paths {
            frames += hashwatch_video::hash_file(path, &options)
                .expect("hashes")
                .features
                .len();
        }
    }
    frames as f64 / started.elapsed().as_secs_f64()
}

fn write_videos(path: &Path, videos: &[Vec<Hash256>]) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("creates"));
    for frames in videos {
        let line: Vec<String> = frames.iter().map(|h| h.to_string()).collect();
        writeln!(out, "{}", line.join(" ")).expect("writes");
    }
    out.flush().expect("writes");
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

/// xorshift64*, seeded: the same bank and queries every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn hash(&mut self) -> Hash256 {
        Hash256::from_limbs([self.next(), self.next(), self.next(), self.next()])
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn flip(&mut self, h: Hash256, bits: usize) -> Hash256 {
        let mut out = h;
        for _ in 0..bits {
            let k = self.below(256);
            let mut limbs = out.limbs();
            limbs[k / 64] ^= 1 << (k % 64);
            out = Hash256::from_limbs(limbs);
        }
        out
    }
}
