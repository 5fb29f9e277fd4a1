//! The `hashwatch` binary as users run it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use hashwatch_pdq::Dihedral;
use hashwatch_testdata::{corpus, parse_tsv, read_tsv};

fn hashwatch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hashwatch"))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("hashwatch runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("utf-8 output")
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn dihedral_tsv_matches_the_reference_corpus() {
    let dir = corpus();
    let out = run(hashwatch()
        .args(["hash", "--dihedral"])
        .arg(dir.join("images")));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.lines().next(),
        Some(
            "path\tpdq\tquality\tmd5\tsha1\tsha256\twidth\theight\tvideo_md5\tvpdq\t\
             pdq_rot90\tpdq_rot180\tpdq_rot270\tpdq_flipx\tpdq_flipy\tpdq_flipplus1\tpdq_flipminus1"
        )
    );
    let got: HashMap<String, HashMap<String, String>> = parse_tsv(&stdout)
        .into_iter()
        .map(|r| (file_name(&r["path"]), r))
        .collect();
    let reference = read_tsv(&dir.join("pdq.tsv"));
    let dihedral = read_tsv(&dir.join("dihedral.tsv"));
    assert_eq!(got.len(), reference.len());
    for r in &reference {
        let g = &got[&r["file"]];
        assert_eq!(g["pdq"], r["pdq_hex"], "{}", r["file"]);
        assert_eq!(g["quality"], r["quality"], "{}", r["file"]);
    }
    for r in &dihedral {
        let g = &got[&r["file"]];
        // The original is the `pdq` column; the other seven have their own.
        for name in &Dihedral::NAMES[1..] {
            assert_eq!(g[&format!("pdq_{name}")], r[*name], "{} {name}", r["file"]);
        }
    }
    // Exact digests agree with the coreutils on one file.
    let astronaut = &got["sk_astronaut.png"];
    assert_eq!(
        (astronaut["width"].as_str(), astronaut["height"].as_str()),
        ("512", "512")
    );
    let sha256sum = run(Command::new("sha256sum").arg(dir.join("images/sk_astronaut.png")));
    let expected = text(&sha256sum.stdout);
    assert_eq!(
        Some(astronaut["sha256"].as_str()),
        expected.split_whitespace().next()
    );
    let md5sum = run(Command::new("md5sum").arg(dir.join("images/sk_astronaut.png")));
    assert_eq!(
        Some(astronaut["md5"].as_str()),
        text(&md5sum.stdout).split_whitespace().next()
    );
}

#[test]
fn json_lines_carry_the_same_fields_as_tsv() {
    let dir = corpus().join("images");
    let tsv = run(hashwatch().args(["hash", "--dihedral"]).arg(&dir));
    let json = run(hashwatch()
        .args(["hash", "--dihedral", "--format", "json"])
        .arg(&dir));
    assert!(json.status.success());
    let tsv_rows = parse_tsv(&text(&tsv.stdout));
    let json_lines: Vec<serde_json::Value> = text(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(json_lines.len(), tsv_rows.len());
    for (j, t) in json_lines.iter().zip(&tsv_rows) {
        let object = j.as_object().expect("an object per line");
        assert_eq!(object.len(), t.len());
        for (key, value) in t {
            let field = &object[key];
            // What does not apply (an image's video columns) is null in
            // JSON and empty in TSV.
            let as_text = match field {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            assert_eq!(&as_text, value, "{key}");
        }
        assert!(object["quality"].is_u64() && object["width"].is_u64());
    }
}

#[test]
fn a_bad_file_gets_one_error_line_and_the_rest_are_hashed() {
    let corpus = corpus().join("images");
    let dir = tempfile::tempdir().expect("temp dir");
    let nested = dir.path().join("b/nested");
    std::fs::create_dir_all(&nested).expect("mkdir");
    std::fs::copy(corpus.join("sk_camera.png"), dir.path().join("a.png")).expect("copy");
    std::fs::copy(corpus.join("jpg_hubble_q70.jpg"), nested.join("c.jpg")).expect("copy");
    std::fs::write(
        dir.path().join("b/broken.png"),
        b"\x89PNG\r\n\x1a\nnot really",
    )
    .expect("write");
    std::fs::write(dir.path().join("b/empty.jpg"), b"").expect("write");

    let out = run(hashwatch().arg("hash").arg(dir.path()));
    assert_eq!(out.status.code(), Some(1));
    let got = parse_tsv(&text(&out.stdout));
    let names: Vec<String> = got.iter().map(|r| file_name(&r["path"])).collect();
    // Sorted by name, recursively.
    assert_eq!(names, ["a.png", "c.jpg"]);
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].contains("broken.png") && lines[0].contains("invalid PNG"),
        "{stderr}"
    );
    assert!(
        lines[1].contains("empty.jpg") && lines[1].contains("empty file"),
        "{stderr}"
    );

    let json = run(hashwatch()
        .args(["hash", "--format", "json"])
        .arg(dir.path()));
    assert_eq!(json.status.code(), Some(1));
    let errors: Vec<serde_json::Value> = text(&json.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON error line"))
        .collect();
    assert_eq!(errors[0]["error"], "decode");
    assert_eq!(errors[1]["error"], "empty_file");
    assert!(errors[1]["path"]
        .as_str()
        .is_some_and(|p| p.ends_with("empty.jpg")));

    let missing = run(hashwatch().arg("hash").arg(dir.path().join("nope.png")));
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("nope.png"));

    let good = run(hashwatch()
        .arg("hash")
        .arg(dir.path().join("a.png"))
        .arg(&nested));
    assert_eq!(good.status.code(), Some(0), "{}", text(&good.stderr));
    assert_eq!(parse_tsv(&text(&good.stdout)).len(), 2);
}

#[test]
fn thread_count_does_not_change_output() {
    let dir = corpus().join("images");
    let one = run(hashwatch().args(["hash", "--threads", "1"]).arg(&dir));
    let many = run(hashwatch().args(["hash", "--threads", "4"]).arg(&dir));
    assert!(one.status.success() && many.status.success());
    assert_eq!(one.stdout, many.stdout);
}

#[test]
fn usage_errors_exit_two() {
    let out = run(hashwatch().arg("hash"));
    assert_eq!(out.status.code(), Some(2));
    let out = run(hashwatch().args(["hash", "--format", "xml", "x.png"]));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let mut child = hashwatch()
        .arg("hash")
        .arg(corpus().join("images"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let stdout = child.stdout.take().expect("piped");
    let first = BufReader::new(stdout).lines().next();
    assert!(first.is_some_and(|l| l.is_ok_and(|l| l.starts_with("path\t"))));
    let out = child.wait_with_output().expect("exits");
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
