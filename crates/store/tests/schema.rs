//! The two dialects' migrations stay in step: after migrating, SQLite and
//! PostgreSQL have the same tables, the same columns (name and whether
//! they may be null) and the same named indexes.

use std::collections::BTreeMap;

use hashwatch_store::{sql, PostgresStore, SqliteStore, Store};
use hashwatch_testdata::TestPostgres;

/// Table → columns as `name` or `name NOT NULL`, in name order.
type Schema = BTreeMap<String, Vec<String>>;

fn columns(store: &dyn Store, query: &str) -> Schema {
    sql::read(store, |tx| {
        let mut out = Schema::new();
        for r in tx.query(query, &[])? {
            let (table, column, not_null) = (r.req_text(0)?, r.req_text(1)?, r.req_int(2)?);
            let column = if not_null != 0 {
                format!("{column} NOT NULL")
            } else {
                column
            };
            out.entry(table).or_default().push(column);
        }
        for c in out.values_mut() {
            c.sort();
        }
        Ok(out)
    })
    .expect("reads the schema")
}

fn names(store: &dyn Store, query: &str) -> Vec<String> {
    let mut out: Vec<String> = sql::read(store, |tx| {
        tx.query(query, &[])?
            .iter()
            .map(|r| r.req_text(0))
            .collect()
    })
    .expect("reads the indexes");
    out.sort();
    out
}

#[test]
fn both_dialects_migrate_to_the_same_schema() {
    let pg = TestPostgres::new();
    let postgres = PostgresStore::connect(&pg.url).expect("connects");
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = SqliteStore::open(&dir.path().join("schema.db")).expect("opens");

    // SQLite counts a primary key as nullable unless it is an integer
    // rowid alias; PostgreSQL never does: primary keys count as NOT NULL.
    let sqlite_columns = columns(
        &sqlite,
        "SELECT m.name, c.name, CASE WHEN c.\"notnull\" = 1 OR c.pk > 0 THEN 1 ELSE 0 END
         FROM sqlite_master m, pragma_table_info(m.name) c
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    );
    let postgres_columns = columns(
        &postgres,
        "SELECT table_name::TEXT, column_name::TEXT,
                CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END
         FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name <> 'hashwatch_schema'",
    );
    assert_eq!(
        sqlite_columns.keys().collect::<Vec<_>>(),
        postgres_columns.keys().collect::<Vec<_>>(),
        "tables differ"
    );
    for (table, columns) in &sqlite_columns {
        assert_eq!(
            Some(columns),
            postgres_columns.get(table),
            "table {table} differs (SQLite left, PostgreSQL right)"
        );
    }
    assert!(sqlite_columns.len() >= 20, "{sqlite_columns:?}");

    let sqlite_indexes = names(
        &sqlite,
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'",
    );
    // Indexes PostgreSQL makes for primary keys and UNIQUE columns are
    // SQLite's automatic ones, left out on both sides.
    let postgres_indexes = names(
        &postgres,
        "SELECT indexname::TEXT FROM pg_indexes
         WHERE schemaname = current_schema()
           AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'",
    );
    // PostgreSQL's B-tree entries are bounded, so it finds values (vPDQ's
    // run to kilobytes) through a hash index of its own; SQLite's unique
    // index on the value serves there.
    let postgres_indexes: Vec<String> = postgres_indexes
        .into_iter()
        .filter(|name| name != "entries_by_value")
        .collect();
    assert_eq!(sqlite_indexes, postgres_indexes);
}
