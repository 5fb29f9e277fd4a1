//! Reading hash lists: every recognised format, and errors that name the
//! file and line.

use std::path::{Path, PathBuf};

use hashwatch_exchange::{read_list, ListFormat, ReadOptions};
use hashwatch_model::SignalType;

const PDQ_A: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const PDQ_B: &str = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22";
const MD5: &str = "900150983cd24fb0d6963f7d28e17f72";
const SHA1: &str = "a9993e364706816aba3e25717850c26c9cd0d89d";
const SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().expect("temp dir"))
    }
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::write(&path, text).expect("writes");
        path
    }
}

fn read(path: &Path) -> hashwatch_exchange::ReadList {
    read_list(path, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn error(path: &Path, options: &ReadOptions) -> (Option<u64>, String) {
    let e = read_list(path, options).expect_err("must be refused");
    assert_eq!(e.path, path);
    assert!(e.to_string().starts_with(&path.display().to_string()));
    (e.line, e.message)
}

#[test]
fn plain_lists_take_the_type_from_the_length() {
    let dir = Dir::new();
    let path = dir.file(
        "list.txt",
        &format!(
            "# known hashes\n{PDQ_A}\n\n  {MD5}  \n{}\r\n",
            SHA1.to_uppercase()
        ),
    );
    let list = read(&path);
    assert_eq!(list.format, ListFormat::Plain);
    let types: Vec<SignalType> = list.entries.iter().map(|e| e.signal_type).collect();
    assert_eq!(types, [SignalType::Pdq, SignalType::Md5, SignalType::Sha1]);
    assert_eq!(SignalType::Sha1.format_value(&list.entries[2].value), SHA1);
    // 64 digits are PDQ unless told otherwise.
    let sha = read_list(
        &dir.file("sha.txt", &format!("{SHA256}\n")),
        &ReadOptions {
            signal_type: Some(SignalType::Sha256),
            category: Some("cat-a".to_string()),
            ..ReadOptions::default()
        },
    )
    .expect("reads");
    assert_eq!(sha.entries[0].signal_type, SignalType::Sha256);
    assert_eq!(sha.entries[0].category.as_deref(), Some("cat-a"));
}

#[test]
fn hash_output_gives_every_signal_with_quality() {
    let dir = Dir::new();
    let path = dir.file(
        "hashes.tsv",
        &format!(
            "path\tpdq\tquality\tmd5\tsha1\tsha256\twidth\theight\n\
             a/x.jpg\t{PDQ_A}\t87\t{MD5}\t{SHA1}\t{SHA256}\t640\t480\n"
        ),
    );
    let list = read(&path);
    assert_eq!(list.format, ListFormat::HashOutput);
    assert_eq!(list.entries.len(), 4);
    assert_eq!(list.entries[0].quality, Some(87));
    assert_eq!(list.entries[1].quality, None);
    assert!(list
        .entries
        .iter()
        .all(|e| e.content_id.as_deref() == Some("a/x.jpg")));
    let only_pdq = read_list(
        &path,
        &ReadOptions {
            signal_type: Some(SignalType::Pdq),
            ..ReadOptions::default()
        },
    )
    .expect("reads");
    assert_eq!(only_pdq.entries.len(), 1);
}

#[test]
fn named_columns_in_csv_and_tsv() {
    let dir = Dir::new();
    let csv = dir.file(
        "list.csv",
        &format!("id,\"image hash\",category\n1,{PDQ_A},\"cat, with comma\"\n2,{PDQ_B},\n"),
    );
    let options = ReadOptions {
        column: Some("image hash".to_string()),
        ..ReadOptions::default()
    };
    let list = read_list(&csv, &options).expect("reads");
    assert_eq!(list.format, ListFormat::Column);
    assert_eq!(list.entries.len(), 2);
    assert_eq!(list.entries[0].category.as_deref(), Some("cat, with comma"));
    let (line, message) = error(
        &csv,
        &ReadOptions {
            column: Some("hash".to_string()),
            ..ReadOptions::default()
        },
    );
    assert_eq!(line, Some(1));
    assert!(
        message.contains("no column \"hash\"") && message.contains("image hash"),
        "{message}"
    );
    let unknown = dir.file("unknown.tsv", "a\tb\nx\ty\n");
    let (_, message) = error(&unknown, &ReadOptions::default());
    assert!(message.contains("--column"), "{message}");
}

#[test]
fn typed_tables_skip_revoked_rows() {
    let dir = Dir::new();
    let path = dir.file(
        "export.tsv",
        &format!(
            "entry_id\tsignal_type\thash\tquality\tcontent_id\tcategory\tsource\tadded_at\tadded_version\trevoked_at\trevoke_reason\n\
             1\tpdq\t{PDQ_A}\t90\tc1\tcat\tsrc\t2026-01-01T00:00:00Z\t1\t\t\n\
             2\tmd5\t{MD5}\t\t\t\t\t2026-01-01T00:00:00Z\t1\t2026-02-01T00:00:00Z\twrong\n"
        ),
    );
    let list = read(&path);
    assert_eq!(list.format, ListFormat::Typed);
    assert_eq!(list.entries.len(), 1);
    assert_eq!(list.skipped_revoked, 1);
    let e = &list.entries[0];
    assert_eq!(
        (e.quality, e.content_id.as_deref(), e.source.as_deref()),
        (Some(90), Some("c1"), Some("src"))
    );
}

#[test]
fn bad_lines_are_named_and_refuse_the_whole_file() {
    let dir = Dir::new();
    let opts = ReadOptions::default();
    let cases = [
        (
            "bad-hex.txt",
            format!("{PDQ_A}\n{PDQ_B}\n{}zz\n", &PDQ_A[..62]),
            3,
            "not a hex",
        ),
        (
            "short.txt",
            format!("{PDQ_A}\n{}\n", &PDQ_A[..63]),
            2,
            "63 hex digits",
        ),
        (
            "dup.txt",
            format!("{PDQ_A}\n{MD5}\n{}\n", PDQ_A.to_uppercase()),
            3,
            "repeats line 1",
        ),
        (
            "bad-quality.tsv",
            format!(
                "path\tpdq\tquality\tmd5\tsha1\tsha256\nx\t{PDQ_A}\t101\t{MD5}\t{SHA1}\t{SHA256}\n"
            ),
            2,
            "quality",
        ),
        (
            "wrong-type.tsv",
            format!("signal_type\thash\npdq\t{PDQ_A}\nmd5\t{SHA1}\n"),
            3,
            "a md5 value has 32 hex digits, this one has 40",
        ),
        (
            "ragged.csv",
            format!("hash,category\n{PDQ_A},a\n{PDQ_B},b,extra\n"),
            3,
            "malformed row",
        ),
    ];
    for (name, text, line, needle) in cases {
        let path = dir.file(name, &text);
        let options = if name == "ragged.csv" {
            ReadOptions {
                column: Some("hash".to_string()),
                ..ReadOptions::default()
            }
        } else {
            opts.clone()
        };
        let (got_line, message) = error(&path, &options);
        assert_eq!(got_line, Some(line), "{name}: {message}");
        assert!(message.contains(needle), "{name}: {message}");
    }
    for (name, text) in [
        ("empty.txt", ""),
        ("comments.txt", "# nothing\n\n"),
        ("header-only.tsv", "signal_type\thash\n"),
    ] {
        let (_, message) = error(&dir.file(name, text), &opts);
        assert!(message.contains("no hashes"), "{name}: {message}");
    }
    let binary = dir.0.path().join("binary.txt");
    std::fs::write(&binary, [b'a', b'\n', 0xff, 0xfe]).expect("writes");
    assert_eq!(error(&binary, &opts).0, Some(2));
    // With --skip-duplicates the first of each value is kept.
    let dup = dir.file("dup2.txt", &format!("{PDQ_A}\n{PDQ_A}\n{MD5}\n"));
    let list = read_list(
        &dup,
        &ReadOptions {
            skip_duplicates: true,
            ..ReadOptions::default()
        },
    )
    .expect("reads");
    assert_eq!((list.entries.len(), list.skipped_duplicates), (2, 1));
}

/// Two files with one picture (the same image at two sizes, a re-save with
/// other metadata) are two items sharing a hash, not a malformed list.
#[test]
fn rows_of_hash_output_sharing_a_hash_are_kept_as_items() {
    let dir = Dir::new();
    let header = "path\tpdq\tquality\tmd5\tsha1\tsha256\twidth\theight\n";
    let other_md5 = "0cc175b9c0f1b6a831c399e269772661";
    let text = format!(
        "{header}\
         big.png\t{PDQ_A}\t100\t{MD5}\t{SHA1}\t{SHA256}\t3840\t2160\n\
         unrelated.png\t{PDQ_B}\t100\t{other_md5}\t{}\t{}\t10\t10\n\
         small.png\t{PDQ_A}\t100\t{}\t{}\t{}\t1920\t1080\n\
         copy.png\t{PDQ_A}\t100\t{MD5}\t{SHA1}\t{SHA256}\t3840\t2160\n",
        "1".repeat(40),
        "1".repeat(64),
        "2".repeat(32),
        "2".repeat(40),
        "2".repeat(64),
    );
    let list = read(&dir.file("known.tsv", &text));
    assert_eq!(list.format, ListFormat::HashOutput);
    assert_eq!(list.entries.len(), 16, "four signals of each of four files");
    assert_eq!(
        list.shared_rows, 2,
        "small.png and copy.png share with big.png"
    );
    assert_eq!(list.skipped_duplicates, 0);
    let items_with_a: Vec<&str> = list
        .entries
        .iter()
        .filter(|e| {
            e.signal_type == SignalType::Pdq && SignalType::Pdq.format_value(&e.value) == PDQ_A
        })
        .filter_map(|e| e.content_id.as_deref())
        .collect();
    assert_eq!(items_with_a, ["big.png", "small.png", "copy.png"]);

    // The same file listed twice is still a repeat, named by its line.
    let twice = format!(
        "{header}a.png\t{PDQ_A}\t100\t{MD5}\t{SHA1}\t{SHA256}\t1\t1\n\
         b.png\t{PDQ_B}\t100\t{other_md5}\t{}\t{}\t1\t1\n\
         a.png\t{PDQ_A}\t100\t{MD5}\t{SHA1}\t{SHA256}\t1\t1\n",
        "1".repeat(40),
        "1".repeat(64),
    );
    let (line, message) = error(&dir.file("twice.tsv", &twice), &ReadOptions::default());
    assert_eq!(line, Some(4), "{message}");
    assert!(message.contains("repeats line 2"), "{message}");

    // A malformed value is still refused with its line.
    let bad = format!("{header}a.png\t{PDQ_A}\t100\tnot-hex\t{SHA1}\t{SHA256}\t1\t1\n");
    let (line, message) = error(&dir.file("bad.tsv", &bad), &ReadOptions::default());
    assert_eq!(line, Some(2), "{message}");
}

/// One row is one item in every table format with items: an ICSE-style
/// list with two rows of one MD5 keeps both.
#[test]
fn rows_of_a_wide_table_sharing_a_hash_are_two_items() {
    let dir = Dir::new();
    let list = read(&dir.file("icse.csv", &format!("MD5;Category\n{MD5};1\n{MD5};2\n")));
    assert_eq!(list.entries.len(), 2);
    assert_eq!(list.shared_rows, 1);
    let items: Vec<&str> = list
        .entries
        .iter()
        .filter_map(|e| e.content_id.as_deref())
        .collect();
    assert_eq!(items, ["row 2", "row 3"]);
}
