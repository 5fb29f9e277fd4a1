//! `cargo bench --bench hashing`: hashwatch against Meta's reference, in the
//! same run on the same machine.
//!
//! 1. PDQ from decoded pixels, single-threaded, against `pdqhash.compute`
//!    on the same pixels.
//! 2. An end-to-end scan of a directory (read, MD5/SHA-1/SHA-256, decode,
//!    PDQ), single-threaded, against Pillow + hashlib + `pdqhash`, then
//!    hashwatch's scaling with threads.
//!
//! The peer needs `pip install pdqhash pillow numpy`; without it only
//! hashwatch's own figures are printed. Set `HASHWATCH_BENCH_SECONDS` to
//! change how long each measurement runs (default 3).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::Peer;
use hashwatch_media::{Decoded, DecoderBuilder, Pixels};
use hashwatch_pdq::{Hasher, Image};

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let seconds: f64 = std::env::var("HASHWATCH_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let corpus = hashwatch_testdata::corpus_images();
    let peer = Peer::find("import pdqhash, PIL, numpy", "peer.py");
    if peer.is_none() {
        println!("peer: python3 with pdqhash, pillow and numpy not found; printing hashwatch figures only");
    }
    let work = tempfile::tempdir().expect("temp dir");

    println!("== PDQ from decoded pixels, single-threaded ==");
    let images = decode_dir(&corpus);
    let ours = pdq_megapixels_per_s(&images, seconds);
    println!(
        "hashwatch      {ours:8.1} Mpx/s  ({} images, {:.1} Mpx)",
        images.len(),
        megapixels(&images)
    );
    if let Some(peer) = &peer {
        let raw = work.path().join("raw");
        dump_raw(&images, &raw);
        let theirs = peer.run(&["pixels", path_str(&raw), &seconds.to_string()])
            ["megapixels_per_s"]
            .as_f64()
            .unwrap_or(f64::NAN);
        println!("pdqhash        {theirs:8.1} Mpx/s");
        println!("ratio          {:8.2}x  (target >= 5x)", ours / theirs);
    }

    println!();
    println!("== End-to-end scan: read, MD5/SHA-1/SHA-256, decode, PDQ; best of 3 ==");
    let sets = make_scan_sets(&corpus, &work.path().join("scan"));
    let rounds = 3;
    let mut mixed_one_thread = f64::NAN;
    for (label, dir) in &sets {
        let files = count_files(dir);
        let ours = scan_seconds(dir, 1, rounds);
        print!("{label:<34} {files:3} files  hashwatch {ours:6.3} s");
        if let Some(peer) = &peer {
            let theirs = peer.run(&["scan", path_str(dir), &rounds.to_string()])["seconds"]
                .as_f64()
                .unwrap_or(f64::NAN);
            print!(
                "  Pillow+pdqhash {theirs:6.3} s  ratio {:5.2}x",
                theirs / ours
            );
        }
        println!();
        mixed_one_thread = ours;
    }
    println!("(target >= 3x single-threaded)");
    let (label, mixed) = sets.last().expect("sets");
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    for threads in (2..=cores).filter(|t| t.is_power_of_two() || *t == cores) {
        let t = scan_seconds(mixed, threads, rounds);
        println!(
            "{label}, {threads} threads: {t:6.3} s, {:.2}x one thread",
            mixed_one_thread / t
        );
    }
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

fn decode_dir(dir: &Path) -> Vec<Decoded> {
    let decoder = DecoderBuilder::new().build();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| decoder.decode(&std::fs::read(p).ok()?).ok())
        .map(|mut d| {
            // Both sides hash RGB, as the binding only takes three channels.
            if let Pixels::Grey(g) = &d.pixels {
                d.pixels = Pixels::Rgb(g.iter().flat_map(|&v| [v, v, v]).collect());
            }
            d
        })
        .collect()
}

fn megapixels(images: &[Decoded]) -> f64 {
    images
        .iter()
        .map(|d| d.width as f64 * d.height as f64)
        .sum::<f64>()
        / 1e6
}

fn pdq_megapixels_per_s(images: &[Decoded], seconds: f64) -> f64 {
    let mut hasher = Hasher::new();
    let views: Vec<Image<'_>> = images
        .iter()
        .filter_map(|d| match &d.pixels {
            Pixels::Rgb(p) => Image::rgb(p, d.width as usize, d.height as usize).ok(),
            Pixels::Grey(_) => None,
        })
        .collect();
    let start = Instant::now();
    let mut rounds = 0u32;
    while start.elapsed() < Duration::from_secs_f64(seconds) {
        for v in &views {
            std::hint::black_box(hasher.hash(std::hint::black_box(v)));
        }
        rounds += 1;
    }
    megapixels(images) * rounds as f64 / start.elapsed().as_secs_f64()
}

fn dump_raw(images: &[Decoded], dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for (i, d) in images.iter().enumerate() {
        if let Pixels::Rgb(p) = &d.pixels {
            let name = format!("{i:03}.{}x{}.rgb", d.width, d.height);
            std::fs::write(dir.join(name), p).expect("write raw pixels");
        }
    }
}

/// Three directories: photo-sized JPEGs (made from the corpus's pictures,
/// 1200x900, quality 85), the corpus's PNGs, and everything together.
fn make_scan_sets(corpus: &Path, root: &Path) -> Vec<(&'static str, PathBuf)> {
    let photos = root.join("photos");
    let pngs = root.join("png");
    let all = root.join("all");
    for dir in [&photos, &pngs, &all] {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    let mut sources: Vec<PathBuf> = std::fs::read_dir(corpus)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    sources.sort();
    for src in &sources {
        let name = src.file_name().expect("file name");
        std::fs::copy(src, all.join(name)).expect("copy");
        let stem = src.file_stem().expect("stem").to_string_lossy();
        if src.extension().is_some_and(|e| e == "png") {
            std::fs::copy(src, pngs.join(name)).expect("copy");
        }
        if stem.starts_with("sk_") {
            let Ok(img) = image::open(src) else { continue };
            let big = img
                .resize_exact(1200, 900, image::imageops::FilterType::Triangle)
                .to_rgb8();
            let mut bytes = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 85)
                .encode_image(&big)
                .expect("encode JPEG");
            let name = format!("photo_{stem}.jpg");
            std::fs::write(photos.join(&name), &bytes).expect("write");
            std::fs::write(all.join(&name), &bytes).expect("write");
        }
    }
    vec![
        ("photos (JPEG 1200x900)", photos),
        ("PNG (corpus)", pngs),
        ("mixed (corpus + photos)", all),
    ]
}

/// Best wall time of `rounds` runs of the real binary.
fn scan_seconds(dir: &Path, threads: usize, rounds: usize) -> f64 {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            let out = Command::new(env!("CARGO_BIN_EXE_hashwatch"))
                .args(["hash", "--no-progress", "--threads", &threads.to_string()])
                .arg(dir)
                .output()
                .expect("hashwatch runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}
