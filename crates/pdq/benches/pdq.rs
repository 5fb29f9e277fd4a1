//! `cargo bench -p hashwatch-pdq`: PDQ throughput on generated images of
//! common sizes, single-threaded, with no decoding and no peer. (The
//! comparison with Meta's reference is `cargo bench -p hashwatch`.)

use std::time::{Duration, Instant};

use hashwatch_pdq::{Hasher, Image};

fn main() {
    let mut hasher = Hasher::new();
    for (width, height) in [(512, 512), (1200, 900), (1920, 1080), (4000, 3000)] {
        let mut state = 1u64;
        let rgb: Vec<u8> = (0..width * height * 3)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                (state >> 56) as u8
            })
            .collect();
        let image = Image::rgb(&rgb, width, height).expect("sized");
        let mut best = Duration::MAX;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(1) {
            let t = Instant::now();
            std::hint::black_box(hasher.hash(std::hint::black_box(&image)));
            best = best.min(t.elapsed());
        }
        let mpx = (width * height) as f64 / 1e6;
        println!(
            "{width:>5}x{height:<5} best {:7.2} ms  {:7.1} Mpx/s",
            best.as_secs_f64() * 1e3,
            mpx / best.as_secs_f64()
        );
    }
}
