//! Grouping a million entries: random hashes with clusters of near copies
//! (a tenth of them), the shape of a bank of series.
//!
//! `cargo bench -p hashwatch-series --bench series [-- --entries N]`

use std::time::Instant;

use hashwatch_pdq::Hash256;
use hashwatch_series::{Grouping, Member, DEFAULT_RADIUS};

fn main() {
    let mut entries = 1_000_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--entries" {
            entries = args
                .next()
                .and_then(|v| v.parse().ok())
                .expect("--entries N");
        }
    }
    let mut state = 0x1234_5678_9ABC_DEF0u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut members = Vec::with_capacity(entries);
    let mut base = Hash256::ZERO;
    for e in 0..entries {
        // Every tenth entry a near copy (up to 24 bits) of the one before.
        let hash = if e % 10 == 9 {
            let mut limbs = base.limbs();
            for _ in 0..(next() % 25) {
                let k = (next() % 256) as usize;
                limbs[k / 64] ^= 1 << (k % 64);
            }
            Hash256::from_limbs(limbs)
        } else {
            Hash256::from_limbs([next(), next(), next(), next()])
        };
        base = hash;
        members.push(Member {
            entry: e as u64 + 1,
            item: None,
            hash,
        });
    }
    let started = Instant::now();
    let grouping = Grouping::build(&members, DEFAULT_RADIUS);
    let seconds = started.elapsed().as_secs_f64();
    let series = grouping.series();
    let largest = series.iter().map(|(_, e)| e.len()).max().unwrap_or(0);
    println!(
        "{entries} entries, radius {DEFAULT_RADIUS}: {} series (largest {largest}) in {seconds:.1} s",
        series.len()
    );
}
