//! `hashwatch audit verify` against a database edited underneath the
//! service, on SQLite and PostgreSQL.

#![allow(missing_docs)]

use std::process::Command;

use hashwatch_testdata::TestPostgres;
use serde_json::Value;

enum Db {
    Sqlite(tempfile::TempDir),
    Postgres(TestPostgres),
}

impl Db {
    fn spec(&self) -> String {
        match self {
            Db::Sqlite(dir) => dir.path().join("audit.db").to_string_lossy().into_owned(),
            Db::Postgres(pg) => pg.url.clone(),
        }
    }

    /// Runs SQL on the database directly, as someone with file or
    /// database access would.
    fn edit(&self, sql: &str) {
        match self {
            Db::Postgres(pg) => postgres::Client::connect(&pg.url, postgres::NoTls)
                .expect("connects")
                .batch_execute(sql)
                .expect("edits"),
            Db::Sqlite(_) => edit_sqlite(&self.spec(), sql),
        }
    }

    fn hashwatch(&self, args: &[&str]) -> (i32, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_hashwatch"))
            .env_remove("HASHWATCH_DB")
            .arg("--db")
            .arg(self.spec())
            .args(args)
            .output()
            .expect("runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    /// Five audited changes (key creations), then a check.
    fn with_entries() -> impl Fn(Db) -> Db {
        |db: Db| {
            for n in 0..5 {
                let name = format!("k{n}");
                let (code, _) = db.hashwatch(&["key", "create", "--name", &name]);
                assert_eq!(code, 0);
            }
            db
        }
    }

    fn verify(&self) -> (i32, Value) {
        let (code, out) = self.hashwatch(&["audit", "verify", "--format", "json"]);
        (code, serde_json::from_str(out.trim()).expect("json"))
    }
}

/// An edit straight into the SQLite file (the sqlite3 shell is not on a
/// bare machine; the library is).
fn edit_sqlite(path: &str, sql: &str) {
    let store = hashwatch_store::SqliteStore::open(std::path::Path::new(path)).expect("opens");
    hashwatch_store::sql::write(&store, |tx| {
        for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            tx.exec(statement, &[])?;
        }
        Ok(())
    })
    .expect("edits");
}

fn every_edit_shows(make: fn() -> Db) {
    let fresh = || Db::with_entries()(make());

    let db = fresh();
    let (code, answer) = db.verify();
    assert_eq!(
        (code, &answer["ok"], &answer["entries"]),
        (0, &Value::Bool(true), &Value::from(5))
    );

    let db = fresh();
    db.edit("UPDATE audit SET actor = 'someone else' WHERE id = 2");
    let (code, answer) = db.verify();
    assert_eq!((code, &answer["entry"]), (1, &Value::from(2)), "{answer}");
    assert!(answer["problem"]
        .as_str()
        .is_some_and(|p| p.contains("changed")));

    let db = fresh();
    db.edit("DELETE FROM audit WHERE id = 3");
    let (code, answer) = db.verify();
    assert_eq!((code, &answer["entry"]), (1, &Value::from(4)), "{answer}");

    let db = fresh();
    // Two entries' places swapped: their contents and links move together.
    db.edit(
        "UPDATE audit SET id = 100 WHERE id = 2;
         UPDATE audit SET id = 2 WHERE id = 3;
         UPDATE audit SET id = 3 WHERE id = 100",
    );
    let (code, answer) = db.verify();
    assert_eq!((code, &answer["entry"]), (1, &Value::from(2)), "{answer}");

    let db = fresh();
    db.edit("DELETE FROM audit WHERE id = 5");
    let (code, answer) = db.verify();
    assert_eq!((code, &answer["entry"]), (1, &Value::from(4)), "{answer}");
    assert!(answer["problem"]
        .as_str()
        .is_some_and(|p| p.contains("removed")));
}

/// The check prints the chain's head, to keep elsewhere; given back with
/// `--kept-head`, it shows a tail cut off with the head moved back, which
/// the log alone cannot.
fn the_head_is_printed_and_checked(make: fn() -> Db) {
    let db = Db::with_entries()(make());
    let (code, answer) = db.verify();
    assert_eq!((code, &answer["newest"]), (0, &Value::from(5)), "{answer}");
    let kept = answer["head"].as_str().expect("a head").to_string();
    assert_eq!(kept.len(), 64);
    let (code, text) = db.hashwatch(&["audit", "verify"]);
    assert!(code == 0 && text.contains(&kept), "{text}");
    let (code, _) = db.hashwatch(&["audit", "verify", "--kept-head", &kept]);
    assert_eq!(code, 0);
    let (code, _) = db.hashwatch(&["audit", "verify", "--kept-head", "not-a-head"]);
    assert_eq!(code, 2, "a malformed head is a usage error");

    db.edit(
        "DELETE FROM audit WHERE id = 5;
         UPDATE audit_chain SET head = (SELECT hash FROM audit WHERE id = 4)",
    );
    let (code, _) = db.verify();
    assert_eq!(code, 0, "the log alone cannot tell");
    let (code, out) = db.hashwatch(&["audit", "verify", "--format", "json", "--kept-head", &kept]);
    let answer: Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!((code, &answer["ok"]), (1, &Value::Bool(false)), "{answer}");
    assert!(answer["problem"]
        .as_str()
        .is_some_and(|p| p.contains(&kept)));
}

#[test]
fn audit_verify_prints_and_checks_the_head_on_sqlite() {
    the_head_is_printed_and_checked(|| Db::Sqlite(tempfile::tempdir().expect("dir")));
}

#[test]
fn audit_verify_prints_and_checks_the_head_on_postgres() {
    the_head_is_printed_and_checked(|| Db::Postgres(TestPostgres::new()));
}

#[test]
fn audit_verify_finds_edits_on_sqlite() {
    every_edit_shows(|| Db::Sqlite(tempfile::tempdir().expect("dir")));
}

#[test]
fn audit_verify_finds_edits_on_postgres() {
    every_edit_shows(|| Db::Postgres(TestPostgres::new()));
}
