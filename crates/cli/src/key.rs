//! `hashwatch key`: API keys for the service, made and revoked on the
//! database directly (an administrator's tool, audited as `cli`).

use std::io::Write;
use std::process::ExitCode;

use hashwatch_store::{records, NewAudit, Roles};
use serde_json::{json, Value};

use crate::db;
use crate::flags::{DbFlags, KeyCommand, OutputFormat};
use crate::output::Table;

const COLUMNS: [&str; 6] = ["id", "tenant", "name", "role", "created_at", "revoked_at"];

fn row(key: &hashwatch_store::ApiKey) -> Vec<Value> {
    vec![
        json!(key.id),
        json!(key.tenant),
        json!(key.name),
        json!(key.roles.to_string()),
        json!(key.created_at),
        json!(key.revoked_at),
    ]
}

fn audit(key: &hashwatch_store::ApiKey, action: &str) -> NewAudit {
    NewAudit {
        tenant: key.tenant.clone(),
        key_id: None,
        actor: "cli".into(),
        action: action.into(),
        bank: None,
        target: Some(key.id.to_string()),
        detail: Some(json!({"name": key.name, "role": key.roles.to_string()}).to_string()),
    }
}

pub fn run(command: &KeyCommand, db_flags: &DbFlags) -> anyhow::Result<ExitCode> {
    let store = db::open(db_flags)?;
    let records = records(store.as_ref());
    let mut out = std::io::stdout().lock();
    match command {
        KeyCommand::Create {
            name,
            roles,
            tenant,
            format,
        } => {
            let roles = Roles::of(&roles.iter().flat_map(|r| r.iter()).collect::<Vec<_>>());
            let (key, secret) = records.create_key(tenant, name, roles)?;
            records.audit(&[audit(&key, "key.create")])?;
            match format {
                OutputFormat::Tsv => writeln!(out, "{secret}")?,
                OutputFormat::Json => {
                    let mut object = serde_json::Map::new();
                    for (c, v) in COLUMNS.iter().zip(row(&key)) {
                        object.insert(c.to_string(), v);
                    }
                    object.insert("key".into(), json!(secret));
                    writeln!(out, "{}", Value::Object(object))?;
                }
            }
            let _ = writeln!(
                std::io::stderr(),
                "hashwatch: key {} ({}, {} of tenant {}) created; the secret is shown only now",
                key.id,
                key.name,
                key.roles,
                key.tenant
            );
        }
        KeyCommand::List { tenant, format } => {
            let table = Table::new(*format, &COLUMNS);
            table.header(&mut out)?;
            for key in records.keys(tenant.as_deref())? {
                table.row(&mut out, row(&key))?;
            }
        }
        KeyCommand::Revoke { id } => {
            let key = records.revoke_key(*id)?;
            records.audit(&[audit(&key, "key.revoke")])?;
            writeln!(out, "revoked key {} ({})", key.id, key.name)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
