//! `cargo bench -p hashwatch --bench load`: `hashwatch serve` under load on
//! loopback, against the in-process index as the same-run peer (the ceiling
//! a lookup route could reach without HTTP).
//!
//! Loads `HASHWATCH_LOAD_HASHES` random PDQ hashes (default 1,000,000) into
//! a SQLite bank, starts the real binary, then for each concurrency drives
//! `GET /m/lookup` (1 in 100 queries is a near copy of a banked hash, so
//! matches are recorded, audited and acted on as in production) and
//! multipart `POST /m/lookup` uploads of corpus images, for
//! `HASHWATCH_BENCH_SECONDS` each (default 5). A sustained run
//! (`HASHWATCH_SUSTAIN_SECONDS`, default 30) samples the server's resident
//! memory to show whether it grows. The client runs on the same machine and
//! takes its share of the cores. Results go to stdout and, as JSON, to
//! `target/load-bench.json`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hashwatch_index::PdqIndex;
use hashwatch_pdq::Hash256;
use hashwatch_testdata::Rng;
use serde_json::{json, Value};

use common::{env_number, hashwatch};

mod common;

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[derive(Clone, Copy)]
enum Load {
    Lookup,
    Upload,
}

struct Round {
    requests: usize,
    errors: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

async fn drive(
    base: Arc<String>,
    key: Arc<String>,
    load: Load,
    concurrency: usize,
    seconds: f64,
    planted: Arc<Vec<Hash256>>,
    images: Arc<Vec<Vec<u8>>>,
) -> Round {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let (client, base, key, stop) = (client.clone(), base.clone(), key.clone(), stop.clone());
        let (planted, images) = (planted.clone(), images.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(1000 + t as u64);
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let request = match load {
                    Load::Lookup => {
                        let hash = if i % 100 == 0 {
                            let known = planted[(rng.next_u64() % planted.len() as u64) as usize];
                            rng.near(&known, 8)
                        } else {
                            rng.hash()
                        };
                        client.get(format!("{base}/m/lookup?signal_type=pdq&signal={hash}"))
                    }
                    Load::Upload => {
                        let bytes = images[i % images.len()].clone();
                        let part = reqwest::multipart::Part::bytes(bytes).file_name("upload");
                        let form = reqwest::multipart::Form::new().part("photo", part);
                        client.post(format!("{base}/m/lookup")).multipart(form)
                    }
                };
                let sent = Instant::now();
                let ok = match request.bearer_auth(key.as_str()).send().await {
                    Ok(r) => {
                        let status = r.status();
                        let body = r.bytes().await;
                        if !status.is_success() && errors == 0 {
                            eprintln!(
                                "first error: {status} {}",
                                body.as_ref()
                                    .map(|b| String::from_utf8_lossy(b).into_owned())
                                    .unwrap_or_default()
                            );
                        }
                        status.is_success() && body.is_ok()
                    }
                    Err(e) => {
                        if errors == 0 {
                            eprintln!("first error: {e}");
                        }
                        false
                    }
                };
                latencies.push(sent.elapsed().as_micros() as u32);
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.expect("task");
        all.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    Round {
        requests: all.len(),
        errors,
        seconds: elapsed,
        p50_ms: percentile(&all, 0.5),
        p99_ms: percentile(&all, 0.99),
    }
}

fn main() {
    let n = env_number("HASHWATCH_LOAD_HASHES", 1_000_000.0) as usize;
    let seconds = env_number("HASHWATCH_BENCH_SECONDS", 5.0);
    let sustain = env_number("HASHWATCH_SUSTAIN_SECONDS", 30.0);
    let work = tempfile::tempdir().expect("temp dir");
    let db = work.path().join("load.db");

    println!("== setup: {n} random PDQ hashes in a SQLite bank ==");
    let mut rng = Rng::new(7);
    let hashes: Vec<Hash256> = (0..n).map(|_| rng.hash()).collect();
    let list = work.path().join("hashes.txt");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&list).expect("creates"));
        for h in &hashes {
            writeln!(out, "{h}").expect("writes");
        }
    }
    hashwatch(&db, &["bank", "create", "LOAD"]);
    hashwatch(
        &db,
        &[
            "bank",
            "import",
            "LOAD",
            list.to_str().expect("utf-8"),
            "--no-progress",
        ],
    );
    let key = hashwatch(
        &db,
        &["key", "create", "--name", "bench", "--role", "matcher"],
    )
    .trim()
    .to_string();

    // The same-run peer: the index in process, one thread.
    let index: PdqIndex = hashes
        .iter()
        .enumerate()
        .map(|(i, h)| (i as u64, *h))
        .collect();
    let peer_started = Instant::now();
    let mut peer_queries = 0u64;
    let mut prng = Rng::new(99);
    while peer_started.elapsed() < Duration::from_secs(2) {
        std::hint::black_box(index.search(&prng.hash(), 31));
        peer_queries += 1;
    }
    let peer_qps = peer_queries as f64 / peer_started.elapsed().as_secs_f64();
    drop(index);

    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hashwatch"))
        .env_remove("HASHWATCH_DB")
        .env("RUST_LOG", "warn")
        .arg("--db")
        .arg(&db)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--rate-limit",
            "0",
            "--flood-limit",
            "0",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let pid = child.id();
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("reads");
    let base = Arc::new(line.trim().trim_start_matches("listening on ").to_string());
    let key = Arc::new(key);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let http = reqwest::blocking::Client::new();
    loop {
        let ok = http
            .get(format!("{base}/status"))
            .bearer_auth(key.as_str())
            .send()
            .is_ok_and(|r| r.status().is_success());
        if ok {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "index never loaded"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let load_seconds = started.elapsed().as_secs_f64();
    let rss_loaded = rss_mib(pid);
    println!("server ready in {load_seconds:.1} s; resident memory {rss_loaded:.0} MiB");
    println!("peer: the index in process, one thread: {peer_qps:.0} lookups/s");

    let planted = Arc::new(hashes);
    // Images HMA would refuse to match (PDQ quality under 50) are left out:
    // they answer 400 by design.
    let corpus = hashwatch_testdata::corpus();
    let names: Vec<_> = hashwatch_testdata::read_tsv(&corpus.join("pdq.tsv"))
        .iter()
        .filter(|r| r["quality"].parse::<u32>().is_ok_and(|q| q >= 50))
        .map(|r| hashwatch_testdata::corpus_images().join(&r["file"]))
        .collect();
    let images: Arc<Vec<Vec<u8>>> =
        Arc::new(names.iter().filter_map(|p| std::fs::read(p).ok()).collect());
    let mean_kib = images.iter().map(Vec::len).sum::<usize>() as f64 / images.len() as f64 / 1024.0;

    let mut results = Vec::new();
    println!(
        "\n{:<8} {:>5} {:>10} {:>9} {:>9} {:>7}  vs peer",
        "load", "conc", "req/s", "p50 ms", "p99 ms", "errors"
    );
    let rounds: [(Load, &str, &[usize]); 2] = [
        (Load::Lookup, "lookup", &[1, 4, 16, 64]),
        (Load::Upload, "upload", &[1, 4, 16]),
    ];
    for (load, name, levels) in rounds {
        for &c in levels {
            let round = runtime.block_on(drive(
                base.clone(),
                key.clone(),
                load,
                c,
                seconds,
                planted.clone(),
                images.clone(),
            ));
            let rps = round.requests as f64 / round.seconds;
            // The peer looks up hashes; uploads also decode and hash.
            let ratio = match load {
                Load::Lookup => format!("{:.2}", rps / peer_qps),
                Load::Upload => "-".to_string(),
            };
            println!(
                "{name:<8} {c:>5} {rps:>10.0} {:>9.2} {:>9.2} {:>7}  {ratio}",
                round.p50_ms, round.p99_ms, round.errors
            );
            results.push(json!({
                "load": name, "concurrency": c, "requests_per_s": rps,
                "p50_ms": round.p50_ms, "p99_ms": round.p99_ms, "errors": round.errors,
                "ratio_to_peer": rps / peer_qps,
            }));
        }
    }
    println!(
        "(uploads: {} corpus images, mean {mean_kib:.0} KiB, hashed on the server)",
        images.len()
    );

    println!("\n== sustained lookups, concurrency 16, {sustain:.0} s ==");
    let before = rss_mib(pid);
    let mut samples = vec![before];
    let slices = 6;
    let mut total = 0usize;
    let mut errors = 0usize;
    for _ in 0..slices {
        let round = runtime.block_on(drive(
            base.clone(),
            key.clone(),
            Load::Lookup,
            16,
            sustain / slices as f64,
            planted.clone(),
            images.clone(),
        ));
        total += round.requests;
        errors += round.errors;
        samples.push(rss_mib(pid));
    }
    let after = rss_mib(pid);
    println!(
        "{total} lookups, {errors} errors; resident memory MiB: {}",
        samples
            .iter()
            .map(|s| format!("{s:.0}"))
            .collect::<Vec<_>>()
            .join(" → ")
    );
    let report: Value = json!({
        "hashes": n,
        "server_ready_s": load_seconds,
        "rss_loaded_mib": rss_loaded,
        "peer_in_process_lookups_per_s": peer_qps,
        "rounds": results,
        "sustained": {"seconds": sustain, "requests": total, "errors": errors, "rss_mib_samples": samples, "rss_before_mib": before, "rss_after_mib": after},
    });
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/load-bench.json");
    let _ = std::fs::write(
        &out,
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    );
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    let _ = child.wait();
}
