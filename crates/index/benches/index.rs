//! `cargo bench -p hashwatch-index`: 10M uniformly random PDQ hashes plus
//! planted near-duplicates at distances 0..=40 around 1,000 queries; build
//! time, memory, single-threaded latency at radius 31, recall against brute
//! force, throughput on all cores; and faiss (IndexBinaryFlat,
//! IndexBinaryMultiHash) on the same hashes in the same run.
//!
//! `HASHWATCH_BENCH_HASHES` sets the number of random hashes (default
//! 10,000,000). The peer needs `pip install faiss-cpu numpy`.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use hashwatch_index::PdqIndex;
use hashwatch_pdq::Hash256;
use hashwatch_testdata::Rng;

const QUERIES: usize = 1000;
const RADIUS: u32 = 31;
/// faiss's flat index scans everything per query; fewer queries keep the
/// run short.
const FLAT_QUERIES: usize = 100;

fn main() {
    let random: usize = std::env::var("HASHWATCH_BENCH_HASHES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let mut rng = Rng::new(42);
    let mut hashes: Vec<Hash256> = (0..random).map(|_| rng.hash()).collect();
    let queries: Vec<Hash256> = (0..QUERIES).map(|_| rng.hash()).collect();
    for q in &queries {
        for d in 0..=40 {
            hashes.push(rng.near(q, d));
        }
    }
    println!(
        "{} hashes ({random} random + {} planted at distances 0..=40 around {QUERIES} queries), radius {RADIUS}",
        hashes.len(),
        QUERIES * 41
    );

    let rss_before = rss_mb();
    let start = Instant::now();
    let index: PdqIndex = hashes
        .iter()
        .enumerate()
        .map(|(i, h)| (i as u64, *h))
        .collect();
    let build = start.elapsed().as_secs_f64();
    let rss_index = rss_mb() - rss_before;

    let mut latencies = Vec::with_capacity(QUERIES);
    let mut found = Vec::with_capacity(QUERIES);
    for q in &queries {
        let t = Instant::now();
        let m = index.search(q, RADIUS);
        latencies.push(t.elapsed().as_secs_f64() * 1e3);
        found.push(m.len());
    }
    let (p50, p99) = percentiles(&mut latencies);

    let truth = brute_force_counts(&hashes, &queries);
    let true_total: usize = truth.iter().sum();
    let found_total: usize = found.iter().sum();
    let exact = found.iter().zip(&truth).all(|(f, t)| f == t);

    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let qps = all_core_qps(&index, &queries, threads);

    println!("hashwatch-index  build {build:6.2} s  memory {rss_index:7.0} MB (index {:.0} MB)  p50 {p50:7.3} ms  p99 {p99:7.3} ms  recall {}/{} ({})  {qps:8.0} queries/s on {threads} cores",
        index.heap_bytes() as f64 / 1e6, found_total, true_total, if exact { "exact" } else { "MISSED" });

    let Some(peer) = faiss_peer(&hashes, &queries) else {
        println!("faiss: python3 with faiss-cpu and numpy not found; skipped");
        return;
    };
    let field = |k: &str| peer[k].as_f64().unwrap_or(f64::NAN);
    let recall = |k: &str, n: usize| -> (usize, usize) {
        let counts: Vec<usize> = peer[k]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_u64())
                    .map(|v| v as usize)
                    .collect()
            })
            .unwrap_or_default();
        (counts.iter().sum(), truth[..n].iter().sum())
    };
    let (mh_found, mh_true) = recall("multihash_counts", QUERIES);
    println!(
        "faiss MultiHash  build {:6.2} s  memory {:7.0} MB                 p50 {:7.3} ms  p99 {:7.3} ms  recall {mh_found}/{mh_true} (nflip 1)",
        field("multihash_build_s"), field("multihash_rss_mb"), field("multihash_p50_ms"), field("multihash_p99_ms")
    );
    let (mh0_found, mh0_true) = recall("multihash0_counts", QUERIES);
    println!(
        "faiss MultiHash                                                 p50 {:7.3} ms  p99 {:7.3} ms  recall {mh0_found}/{mh0_true} (default nflip 0)",
        field("multihash0_p50_ms"), field("multihash0_p99_ms")
    );
    let (fl_found, fl_true) = recall("flat_counts", FLAT_QUERIES);
    println!(
        "faiss Flat       build {:6.2} s                                p50 {:7.3} ms  p99 {:7.3} ms  recall {fl_found}/{fl_true} ({FLAT_QUERIES} queries)",
        field("flat_build_s"), field("flat_p50_ms"), field("flat_p99_ms")
    );
    println!(
        "ratios (faiss / hashwatch): p50 latency vs exact MultiHash {:.1}x, vs Flat {:.1}x; build vs MultiHash {:.1}x",
        field("multihash_p50_ms") / p50,
        field("flat_p50_ms") / p50,
        field("multihash_build_s") / build
    );
}

fn percentiles(ms: &mut [f64]) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.99))
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// How many hashes lie within the radius of each query, by comparing every
/// pair, on all cores.
fn brute_force_counts(hashes: &[Hash256], queries: &[Hash256]) -> Vec<usize> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let chunk = queries.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = queries
            .chunks(chunk)
            .map(|qs| {
                s.spawn(move || {
                    let mut counts = vec![0usize; qs.len()];
                    for h in hashes {
                        for (c, q) in counts.iter_mut().zip(qs) {
                            *c += usize::from(h.distance(q) <= RADIUS);
                        }
                    }
                    counts
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

fn all_core_qps(index: &PdqIndex, queries: &[Hash256], threads: usize) -> f64 {
    let rounds = 5;
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                for _ in 0..rounds {
                    for q in queries.iter().skip(t).step_by(threads) {
                        std::hint::black_box(index.search(q, RADIUS));
                    }
                }
            });
        }
    });
    (rounds * queries.len()) as f64 / start.elapsed().as_secs_f64()
}

fn faiss_peer(hashes: &[Hash256], queries: &[Hash256]) -> Option<serde_json::Value> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let ok = Command::new(&python)
        .args(["-c", "import faiss, numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        return None;
    }
    let dir = std::env::temp_dir().join(format!("hashwatch-index-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let write = |name: &str, hs: &[Hash256]| -> Option<String> {
        let path = dir.join(name);
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).ok()?);
        for h in hs {
            f.write_all(&h.to_be_bytes()).ok()?;
        }
        f.flush().ok()?;
        Some(path.to_string_lossy().into_owned())
    };
    let hashes_path = write("hashes.bin", hashes)?;
    let queries_path = write("queries.bin", queries)?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/faiss_peer.py");
    let out = Command::new(&python)
        .arg(script)
        .args([
            &hashes_path,
            &queries_path,
            &RADIUS.to_string(),
            &FLAT_QUERIES.to_string(),
        ])
        .output()
        .ok();
    let _ = std::fs::remove_dir_all(&dir);
    let out = out?;
    if !out.status.success() {
        eprintln!(
            "faiss peer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}
