//! The decodes' memory budget, measured on a real `hashwatch serve`
//! process: uploads of photos whose headers claim the pixel limit cost
//! about a gigabyte each to decode, and parallel ones must not add up.

use std::io::Cursor;

use crate::{Db, Server};

/// A small PNG (about 300 KB) that inflates to `side`² RGB pixels.
fn bomb_png(side: u32) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::RgbImage::new(side, side)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encodes");
    out.into_inner()
}

/// A process's peak resident memory so far (`VmHWM`), in MiB.
fn peak_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("reads status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kib / 1024
}

/// Four at-limit photos sent at once by one key: the budget lets one
/// decode hold its memory at a time (the others wait their turn), so the
/// service's peak stays under the budget and what it holds besides.
/// Before, two decodes (one per core) ran side by side and the peak passed
/// 2 GB.
#[test]
fn parallel_at_limit_uploads_stay_within_the_decode_budget() {
    const BUDGET_MIB: u64 = 1300;
    // The service's own memory besides decodes (index, runtime, four
    // request bodies) stays well under this.
    const BESIDES_MIB: u64 = 300;
    let db = Db::sqlite();
    let key = db.key("matcher", "acme");
    let budget = format!("{BUDGET_MIB}MiB");
    let server = Server::start(
        &db,
        &key,
        &[
            "--max-pixels",
            "100000000",
            "--decode-memory",
            &budget,
            "--decode-memory-per-request",
            &budget,
            "--decode-memory-wait",
            "60s",
        ],
    );
    let pid = server.child.id();
    let before = peak_mib(pid);
    let bomb = bomb_png(10_000);
    let answers: Vec<(u16, serde_json::Value)> = std::thread::scope(|scope| {
        let uploads: Vec<_> = (0..4)
            .map(|_| {
                let (api, bomb) = (server.api(&key), bomb.clone());
                scope.spawn(move || api.upload("/h/hash", "photo", bomb))
            })
            .collect();
        uploads
            .into_iter()
            .map(|u| u.join().expect("uploads"))
            .collect()
    });
    for (status, answer) in &answers {
        assert_eq!(*status, 200, "{answer}");
    }
    let peak = peak_mib(pid);
    eprintln!("peak resident memory: {before} MiB before, {peak} MiB with four at-limit photos");
    assert!(
        peak < BUDGET_MIB + BESIDES_MIB,
        "peak {peak} MiB, over {BUDGET_MIB} MiB of budget and {BESIDES_MIB} MiB besides"
    );
}
