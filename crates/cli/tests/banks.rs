//! `hashwatch bank` and `hashwatch match` as users run them, on a real
//! SQLite file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hashwatch_testdata::parse_tsv;

mod common;
use common::{s, Env};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/images")
}

#[test]
fn hashes_imported_into_a_bank_are_matched_and_round_trip_through_export() {
    let env = Env::new();
    let hashes = env.ok(&["hash", s(&examples())]);
    let hash_file = env.file("known.tsv", &hashes);
    env.ok(&["bank", "create", "known", "--description", "examples"]);
    let out = env.run(&[
        "bank",
        "import",
        "known",
        s(&hash_file),
        "--category",
        "test",
    ]);
    assert!(out.status.success());
    let files = parse_tsv(&hashes).len() as u64;
    assert_eq!(env.active("known"), 4 * files);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("imported {} entries", 4 * files))
    );

    // Every example matches itself: PDQ at distance 0 and its three digests.
    let horse = examples().join("sk_horse.png");
    let out = env.run(&["match", s(&horse)]);
    assert_eq!(out.status.code(), Some(0));
    let rows = parse_tsv(&String::from_utf8_lossy(&out.stdout));
    let types: Vec<&str> = rows.iter().map(|r| r["signal_type"].as_str()).collect();
    assert_eq!(types, ["pdq", "md5", "sha1", "sha256"]);
    assert!(rows
        .iter()
        .all(|r| r["distance"] == "0" && r["bank"] == "known"));

    // The resized JPEG copy of the phantom is a near match of the original.
    let small = examples().join("sk_shepp_logan_phantom_small.jpg");
    let phantom = &parse_tsv(&hashes)
        .into_iter()
        .find(|r| r["path"].ends_with("sk_shepp_logan_phantom.png"))
        .expect("phantom hashed")["pdq"]
        .clone();
    let out = env.ok(&["match", "--format", "json", s(&small)]);
    let near: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .filter(|m: &serde_json::Value| m["hash"] == phantom.as_str())
        .collect();
    assert_eq!(near.len(), 1);
    assert!(near[0]["distance"]
        .as_u64()
        .is_some_and(|d| d > 0 && d <= 31));

    // Export, import into another bank: the same entries.
    let export = env.ok(&["bank", "export", "known"]);
    let exported = parse_tsv(&export);
    assert_eq!(exported.len() as u64, 4 * files);
    assert!(exported.iter().all(|r| r["category"] == "test"));
    let export_file = env.file("export.tsv", &export);
    env.ok(&["bank", "import", "copy", s(&export_file), "--create"]);
    let copy = parse_tsv(&env.ok(&["bank", "export", "copy"]));
    let key = |r: &std::collections::HashMap<String, String>| {
        (
            r["signal_type"].clone(),
            r["hash"].clone(),
            r["category"].clone(),
            r["content_id"].clone(),
        )
    };
    let mut a: Vec<_> = exported.iter().map(key).collect();
    let mut b: Vec<_> = copy.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn a_bad_line_imports_nothing_and_names_file_and_line() {
    let env = Env::new();
    env.ok(&["bank", "create", "known"]);
    let good = env.file("good.txt", &format!("{}\n", "ab".repeat(32)));
    env.ok(&["bank", "import", "known", s(&good)]);
    let lines: Vec<String> = (0..100u32)
        .map(|i| format!("{:064x}", u128::from(i) + 1))
        .collect();
    let mut text = lines[..50].join("\n");
    text.push_str("\nnot-a-hash\n");
    text.push_str(&lines[50..].join("\n"));
    let bad = env.file("bad.txt", &text);
    let out = env.run(&["bank", "import", "known", s(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.txt:51:"), "{stderr}");
    assert_eq!(env.active("known"), 1);
    // Repeats and empty files too.
    let dup = env.file(
        "dup.txt",
        &format!("{}\n{}\n{}\n", lines[0], lines[1], lines[0]),
    );
    let out = env.run(&["bank", "import", "known", s(&dup)]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("dup.txt:3: pdq"));
    let empty = env.file("empty.txt", "");
    let out = env.run(&["bank", "import", "known", s(&empty)]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty file"));
    assert_eq!(env.active("known"), 1);
    // A missing bank is an error, not a silent creation.
    let out = env.run(&["bank", "import", "nope", s(&good)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bank \"nope\" not found"));
}

#[test]
fn match_exit_codes_and_notices() {
    let env = Env::new();
    let horse = examples().join("sk_horse.png");
    let gradient = examples().join("syn_gradient_256x256.png");
    let hashes = env.ok(&["hash", s(&horse), s(&gradient)]);
    env.ok(&[
        "bank",
        "import",
        "known",
        s(&env.file("k.tsv", &hashes)),
        "--create",
        "--signal-type",
        "pdq",
    ]);
    let rows = parse_tsv(&hashes);
    let horse_pdq = rows[0]["pdq"].clone();

    // A hash query: 64 hex digits are matched as PDQ (and as SHA-256).
    let out = env.run(&["match", &horse_pdq]);
    assert_eq!(out.status.code(), Some(0));
    // Nothing matches: exit 1.
    let out = env.run(&["match", &format!("md5:{}", "0".repeat(32))]);
    assert_eq!(out.status.code(), Some(1));
    // The flat gradient's PDQ is low quality: reported, not matched.
    let out = env.run(&["match", "--format", "json", s(&gradient)]);
    assert_eq!(out.status.code(), Some(1));
    let notice: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stderr).trim()).expect("json notice");
    assert_eq!(notice["notice"], "low_quality");
    assert_eq!(notice["quality"], 0);
    let out = env.run(&["match", "--quality-floor", "0", s(&gradient)]);
    assert_eq!(out.status.code(), Some(0));
    // A query that is neither a file nor a hash: exit 2, others still run.
    let out = env.run(&["match", "no-such-thing", &horse_pdq]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(parse_tsv(&String::from_utf8_lossy(&out.stdout)).len(), 1);
    // An unknown bank is an error.
    assert_eq!(
        env.run(&["match", "--bank", "nope", &horse_pdq])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn negative_banks_and_revocation_from_the_command_line() {
    let env = Env::new();
    let horse = examples().join("sk_horse.png");
    let hashes = env.ok(&["hash", s(&horse)]);
    let list = env.file("h.tsv", &hashes);
    env.ok(&["bank", "import", "known", s(&list), "--create"]);
    let pdq = parse_tsv(&hashes)[0]["pdq"].clone();

    env.ok(&["bank", "create", "allow", "--negative"]);
    env.ok(&[
        "bank",
        "import",
        "allow",
        s(&env.file("fp.txt", &format!("{pdq}\n"))),
    ]);
    let out = env.run(&["match", s(&horse)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("suppressed by negative allow entry"),
        "{stderr}"
    );
    let rows = parse_tsv(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(rows.len(), 3, "the digests still match");
    assert!(rows.iter().all(|r| r["signal_type"] != "pdq"));

    // Revoke the PDQ entry by hash: gone from matching, kept in history.
    env.ok(&["bank", "delete", "allow"]);
    let out = env.run(&["bank", "revoke", "known", &pdq]);
    assert_eq!(out.status.code(), Some(2), "a reason is required");
    env.ok(&["bank", "revoke", "known", &pdq, "--reason", "test"]);
    let rows = parse_tsv(&env.ok(&["match", "--bank", "known", s(&horse)]));
    assert!(rows.iter().all(|r| r["signal_type"] != "pdq"));
    let history = parse_tsv(&env.ok(&["bank", "export", "known", "--include-revoked"]));
    let revoked: Vec<_> = history
        .iter()
        .filter(|r| !r["revoked_at"].is_empty())
        .collect();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["revoke_reason"], "test");
    // Revoke by entry id.
    let md5_id = history
        .iter()
        .find(|r| r["signal_type"] == "md5")
        .expect("md5")["entry_id"]
        .clone();
    env.ok(&["bank", "revoke", "known", &md5_id, "--reason", "by id"]);
    assert_eq!(env.active("known"), 2);
}

/// Kills an import with SIGKILL while its transaction is being written, then
/// reopens the bank: it holds what it held before, and a new import works.
#[test]
fn an_import_killed_midway_leaves_the_bank_as_it_was() {
    let env = Env::new();
    env.ok(&["bank", "create", "known"]);
    env.ok(&[
        "bank",
        "import",
        "known",
        s(&env.file(
            "three.txt",
            &format!(
                "{}\n{}\n{}\n",
                "1".repeat(64),
                "2".repeat(64),
                "3".repeat(64)
            ),
        )),
    ]);
    let big = env.dir.path().join("big.txt");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big).expect("creates"));
        let mut x = 0x1234_5678_9abc_def0_u64;
        for _ in 0..1_000_000 {
            let mut line = String::with_capacity(65);
            for _ in 0..4 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                line.push_str(&format!("{x:016x}"));
            }
            writeln!(f, "{line}").expect("writes");
        }
    }
    let mut child = env
        .cmd()
        .args(["bank", "import", "known", s(&big), "--no-progress"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    // The write-ahead log grows once the transaction spills pages to it.
    let wal = env.dir.path().join("banks.db-wal");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waits") {
            panic!(
                "the import finished ({status}) before it could be killed: make the file larger"
            );
        }
        let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if size > 4 << 20 || start.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert_eq!(
        env.active("known"),
        3,
        "the killed import left nothing behind"
    );
    env.ok(&["bank", "import", "known", s(&big), "--no-progress"]);
    assert_eq!(env.active("known"), 1_000_003);
}

/// The same commands against a PostgreSQL database: two "nodes" (separate
/// processes) share it.
#[test]
fn banks_in_postgres_behave_as_in_sqlite() {
    let pg = hashwatch_testdata::TestPostgres::new();
    let env = Env::new();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hashwatch"))
            .env_remove("HASHWATCH_DB")
            .args(args)
            .args(["--db", &pg.url])
            .output()
            .expect("hashwatch runs")
    };
    let horse = examples().join("sk_horse.png");
    let hashes = env.ok(&["hash", s(&examples())]);
    let list = env.file("known.tsv", &hashes);
    assert!(run(&["bank", "import", "known", s(&list), "--create"])
        .status
        .success());
    let out = run(&["match", "--format", "json", s(&horse)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let matches: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(matches.len(), 4);
    let pdq = matches[0]["hash"].as_str().expect("hash").to_string();
    assert!(run(&["bank", "revoke", "known", &pdq, "--reason", "test"])
        .status
        .success());
    let out = run(&["match", s(&horse)]);
    assert_eq!(parse_tsv(&String::from_utf8_lossy(&out.stdout)).len(), 3);
    // A bad file imports nothing here too.
    let bad = env.file("bad.txt", &format!("{pdq}\nnope\n"));
    let out = run(&["bank", "import", "known", s(&bad)]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.txt:2:"));
    let export = String::from_utf8(run(&["bank", "export", "known", "--include-revoked"]).stdout)
        .expect("utf-8");
    assert_eq!(
        parse_tsv(&export).len() as u64,
        4 * parse_tsv(&hashes).len() as u64
    );
}

/// A VICS list goes into a bank and comes back out with its items,
/// PhotoDNA and metadata; the same through ICSE.
#[test]
fn vics_and_icse_lists_round_trip_through_a_bank() {
    let env = Env::new();
    let vics = env.file(
        "list.json",
        r#"{"value": [
            {"MediaID": 5, "Category": 1, "MD5": "900150983cd24fb0d6963f7d28e17f72",
             "SHA1": "a9993e364706816aba3e25717850c26c9cd0d89d", "PhotoDNA": "AAEBAgME+/8=",
             "Series": "benign", "VictimIdentified": false},
            {"MediaID": 6, "Category": 2, "MD5": "d41d8cd98f00b204e9800998ecf8427e"}
        ]}"#,
    );
    env.ok(&["bank", "create", "vics"]);
    env.ok(&[
        "bank",
        "import",
        "vics",
        vics.to_str().expect("utf-8"),
        "--no-progress",
    ]);
    assert_eq!(env.active("vics"), 4);
    let out = env.ok(&["bank", "export", "vics", "--format", "vics"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let first = &doc["value"][0];
    assert_eq!(first["MediaID"], 5);
    assert_eq!(first["PhotoDNA"], "AAEBAgME+/8=");
    assert_eq!(first["Series"], "benign");
    assert_eq!(first["VictimIdentified"], false);
    assert_eq!(doc["value"][1]["MD5"], "d41d8cd98f00b204e9800998ecf8427e");

    let icse = env.ok(&["bank", "export", "vics", "--format", "icse"]);
    let path = env.file("list.csv", &icse);
    env.ok(&["bank", "create", "again"]);
    env.ok(&[
        "bank",
        "import",
        "again",
        path.to_str().expect("utf-8"),
        "--no-progress",
    ]);
    let again = env.ok(&["bank", "export", "again", "--format", "vics"]);
    let again: serde_json::Value = serde_json::from_str(&again).expect("json");
    assert_eq!(again["value"][0]["PhotoDNA"], "AAEBAgME+/8=");
    assert_eq!(again["value"][0]["Series"], "benign");
    assert_eq!(again["value"][0]["MediaID"], 5);
    assert_eq!(again["value"].as_array().map(Vec::len), Some(2));
}

fn example(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(folder)
}

/// The README's flow on a folder holding one picture twice (a copy with
/// other metadata): the import succeeds, says so, and a match names both
/// items.
#[test]
fn importing_hash_output_with_repeated_pictures_keeps_every_file() {
    let env = Env::new();
    let known = example("known");
    let (hashes, out) = env.import_folder("known", &known);
    let rows = parse_tsv(&hashes);
    let pdq_of = |name: &str| {
        rows.iter()
            .find(|r| r["path"].ends_with(name))
            .map(|r| r["pdq"].clone())
            .expect("hashed")
    };
    assert_eq!(pdq_of("coffee.jpg"), pdq_of("coffee-copy.jpg"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 file shared a hash with an earlier row"),
        "{stderr}"
    );
    assert_eq!(env.active("known"), 4 * rows.len() as u64);

    let out = env.ok(&["match", "--no-progress", s(&known.join("coffee.jpg"))]);
    let matches = parse_tsv(&out);
    let mut pdq_items: Vec<&str> = matches
        .iter()
        .filter(|r| r["signal_type"] == "pdq")
        .map(|r| r["item"].as_str())
        .collect();
    pdq_items.sort();
    assert_eq!(pdq_items.len(), 2, "{out}");
    assert!(pdq_items[0].ends_with("coffee-copy.jpg") && pdq_items[1].ends_with("coffee.jpg"));
    // The digests are the file's own: only coffee.jpg has them.
    assert!(matches
        .iter()
        .filter(|r| r["signal_type"] != "pdq")
        .all(|r| r["item"].ends_with("/coffee.jpg")));

    // Importing the same list again adds nothing: every item has its value.
    let (_, out) = env.import_folder("known", &known);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("imported 0 entries"), "{stderr}");

    // A list without items names the shared hash once, so it reads back.
    for format in ["plain", "pytx"] {
        let export = env.ok(&["bank", "export", "known", "--format", format]);
        let file = env.file(&format!("known.{format}"), &export);
        let out = env.run(&[
            "bank",
            "import",
            format,
            s(&file),
            "--create",
            "--no-progress",
        ]);
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(env.active(format), 4 * rows.len() as u64 - 1, "{format}");
    }
}

/// What `scripts/example.sh` shows: each edited copy among the uploads
/// matches the picture it was made from, through the right variant, and
/// the unrelated uploads match nothing.
#[test]
fn example_uploads_match_the_known_pictures_they_were_made_from() {
    let env = Env::new();
    let (_, out) = env.import_folder("known", &example("known"));
    assert!(out.status.success());
    let out = env.run(&[
        "match",
        "--dihedral",
        "--per-item",
        "--unmatched",
        "--no-progress",
        s(&example("uploads")),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let rows = parse_tsv(&String::from_utf8_lossy(&out.stdout));
    let file = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let mut found: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (file(&r["query"]), file(&r["item"]), r["variant"].clone()))
        .collect();
    found.sort();
    let want = [
        ("astronaut-border.jpg", "astronaut.jpg", "original"),
        ("astronaut-recompressed.jpg", "astronaut.jpg", "original"),
        ("brick.jpg", "", ""),
        ("camera-cropped.jpg", "camera.jpg", "original"),
        ("chelsea-resized.jpg", "chelsea.jpg", "original"),
        ("coffee-rotated.jpg", "coffee-copy.jpg", "rot270"),
        ("coffee-rotated.jpg", "coffee.jpg", "rot270"),
        ("coins.jpg", "", ""),
        ("horse.jpg", "", ""),
        ("moon.jpg", "", ""),
        ("rocket-mirrored.jpg", "rocket.jpg", "flipy"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(found, want);
    assert!(rows
        .iter()
        .filter(|r| !r["bank"].is_empty())
        .all(|r| r["distance"].parse::<u32>().is_ok_and(|d| d <= 31)));
}
