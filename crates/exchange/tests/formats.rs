//! The exchange formats read real-looking files, keep what they do not use
//! as metadata, and write back what reads in again: VICS JSON, ICSE CSV,
//! python-threatexchange's CSV and lines, plain lists and hashwatch's TSV.

use std::path::PathBuf;

use hashwatch_exchange::{read_list, write_list, ExportFormat, ListFormat, ReadOptions};
use hashwatch_model::{Entry, NewEntry, SignalType};
use serde_json::{json, Value};

const MD5: &str = "900150983cd24fb0d6963f7d28e17f72";
const MD5_B: &str = "d41d8cd98f00b204e9800998ecf8427e";
const SHA1: &str = "a9993e364706816aba3e25717850c26c9cd0d89d";
const PDQ: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const PHOTODNA: &str = "AAEBAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLzA=";

fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("writes");
    path
}

fn read(path: &std::path::Path) -> hashwatch_exchange::ReadList {
    read_list(path, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// Entries as a store would hand them back.
fn stored(entries: &[NewEntry]) -> Vec<Entry> {
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| Entry {
            id: i as u64 + 1,
            signal: e.clone(),
            added_at: "2026-11-24T00:00:00Z".into(),
            added_version: 1,
            revoked_at: None,
            revoke_reason: None,
        })
        .collect()
}

/// What a round trip must keep: type, value, item, category, metadata.
fn essence(entries: &[NewEntry]) -> Vec<(SignalType, String, Option<String>, Option<Value>)> {
    let mut out: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                e.signal_type,
                e.signal_type.format_value(&e.value),
                e.category.clone(),
                e.metadata
                    .as_deref()
                    .map(|m| serde_json::from_str(m).expect("json")),
            )
        })
        .collect();
    out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    out
}

fn round_trip(format: ExportFormat, entries: &[NewEntry]) -> Vec<NewEntry> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut out = Vec::new();
    write_list(&mut out, format, &stored(entries)).expect("writes");
    let path = file(&dir, "list", &String::from_utf8(out).expect("utf-8"));
    read(&path).entries
}

const VICS: &str = r#"{
  "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media",
  "value": [
    {
      "MediaID": 17,
      "Category": 1,
      "MD5": "900150983CD24FB0D6963F7D28E17F72",
      "SHA1": "a9993e364706816aba3e25717850c26c9cd0d89d",
      "PhotoDNA": "AAEBAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLzA=",
      "Series": "benign-test-series",
      "VictimIdentified": true,
      "OffenderIdentified": false,
      "MediaFiles": [{"FileName": "a.jpg"}]
    },
    {
      "MediaID": 18,
      "Category": 2,
      "MD5": "d41d8cd98f00b204e9800998ecf8427e"
    }
  ]
}"#;

#[test]
fn vics_records_become_items_with_metadata_and_write_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let list = read(&file(&dir, "vics.json", VICS));
    assert_eq!(list.format, ListFormat::Vics);
    assert_eq!(list.entries.len(), 4);
    let first = &list.entries[0];
    assert_eq!(first.content_id.as_deref(), Some("17"));
    assert_eq!(first.category.as_deref(), Some("1"));
    let metadata: Value =
        serde_json::from_str(first.metadata.as_deref().expect("metadata")).expect("json");
    assert_eq!(metadata["Series"], "benign-test-series");
    assert_eq!(metadata["VictimIdentified"], true);
    assert_eq!(metadata["OffenderIdentified"], false);
    assert_eq!(metadata["MediaFiles"], json!([{"FileName": "a.jpg"}]));
    let photodna = list
        .entries
        .iter()
        .find(|e| e.signal_type == SignalType::PhotoDna)
        .expect("PhotoDNA kept");
    assert_eq!(photodna.value, PHOTODNA.as_bytes());

    // Out and in again: the same items, signals and metadata.
    let back = round_trip(ExportFormat::Vics, &list.entries);
    assert_eq!(essence(&back), essence(&list.entries));
    let mut out = Vec::new();
    write_list(&mut out, ExportFormat::Vics, &stored(&list.entries)).expect("writes");
    let written: Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(written["value"][0]["MediaID"], 17);
    assert_eq!(written["value"][0]["Series"], "benign-test-series");
    assert_eq!(written["value"][1]["MD5"], MD5_B);
}

#[test]
fn a_bad_vics_record_names_its_line_and_nothing_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = VICS.replace("d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e98009");
    let path = file(&dir, "bad.json", &bad);
    let e = read_list(&path, &ReadOptions::default()).expect_err("refused");
    assert_eq!(e.line, Some(18), "{e}");
    assert!(e.message.contains("record 2"), "{e}");
    let broken = file(&dir, "broken.json", "{\"value\": [ {\"MD5\": ");
    let e = read_list(&broken, &ReadOptions::default()).expect_err("refused");
    assert!(e.message.contains("not valid JSON"), "{e}");
}

#[test]
fn icse_csv_rows_are_items_and_unknown_columns_are_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "MD5;SHA1;PhotoDNA;Series;Category;Notes\n{MD5};{SHA1};{PHOTODNA};s1;1;first\n{MD5_B};;;;2;\n"
    );
    let list = read(&file(&dir, "icse.csv", &text));
    assert_eq!(list.format, ListFormat::Wide);
    assert_eq!(list.entries.len(), 4);
    assert_eq!(list.entries[0].category.as_deref(), Some("1"));
    let metadata: Value =
        serde_json::from_str(list.entries[0].metadata.as_deref().expect("metadata")).expect("json");
    assert_eq!(metadata, json!({"Series": "s1", "Notes": "first"}));
    assert_eq!(
        list.entries[0].content_id, list.entries[2].content_id,
        "one row, one item"
    );
    assert_ne!(list.entries[0].content_id, list.entries[3].content_id);
    let back = round_trip(ExportFormat::Icse, &list.entries);
    assert_eq!(essence(&back), essence(&list.entries));

    let bad = file(
        &dir,
        "bad.csv",
        &format!("MD5;Category\n{MD5};1\nnot-a-hash;2\n"),
    );
    let e = read_list(&bad, &ReadOptions::default()).expect_err("refused");
    assert_eq!(e.line, Some(3), "{e}");
}

#[test]
fn pytx_csv_and_lines_read_and_write_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "collab,signal_type,signal_str,category,tags\nSample Data,pdq,{PDQ},INVESTIGATION_SEED,a b\nSample Data,video_md5,{MD5},POSITIVE_CLASS,\n"
    );
    let list = read(&file(&dir, "pytx.csv", &text));
    assert_eq!(list.format, ListFormat::Typed);
    assert_eq!(list.entries[1].signal_type, SignalType::Md5);
    assert_eq!(
        list.entries[0].category.as_deref(),
        Some("INVESTIGATION_SEED")
    );
    let metadata: Value =
        serde_json::from_str(list.entries[0].metadata.as_deref().expect("metadata")).expect("json");
    assert_eq!(metadata, json!({"collab": "Sample Data", "tags": "a b"}));
    let back = round_trip(ExportFormat::Pytx, &list.entries);
    assert_eq!(essence(&back), essence(&list.entries));

    // `threatexchange dataset -P -S` lines.
    let lines = read(&file(
        &dir,
        "lines.txt",
        &format!("pdq {PDQ}\nvideo_md5 {MD5}\nsha1,{SHA1}\n"),
    ));
    assert_eq!(lines.format, ListFormat::Plain);
    let types: Vec<SignalType> = lines.entries.iter().map(|e| e.signal_type).collect();
    assert_eq!(types, [SignalType::Pdq, SignalType::Md5, SignalType::Sha1]);
    let back = round_trip(ExportFormat::Plain, &lines.entries);
    assert_eq!(essence(&back), essence(&lines.entries));
}

#[test]
fn hashwatch_tsv_keeps_everything_including_metadata() {
    let mut a = NewEntry::new(
        SignalType::Pdq,
        SignalType::Pdq.parse_value(PDQ).expect("pdq"),
    );
    a.quality = Some(88);
    a.content_id = Some("case-1".into());
    a.category = Some("cat".into());
    a.source = Some("src".into());
    a.metadata = Some(json!({"Series": "x", "n": 2}).to_string());
    let b = NewEntry::new(SignalType::PhotoDna, PHOTODNA.as_bytes().to_vec());
    let back = round_trip(ExportFormat::Tsv, &[a.clone(), b.clone()]);
    assert_eq!(back, vec![a, b]);
}
