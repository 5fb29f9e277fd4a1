//! `hashwatch key`: API keys for the service, made and revoked by the
//! local operator (audited as `cli`).

use std::io::Write;
use std::process::ExitCode;

use hashwatch_model::Roles;
use hashwatch_operations::Caller;
use serde_json::{json, Value};

use crate::db;
use crate::flags::{DbFlags, KeyCommand, OutputFormat};
use crate::output::Table;

const COLUMNS: [&str; 6] = ["id", "tenant", "name", "role", "created_at", "revoked_at"];

fn row(key: &hashwatch_model::ApiKey) -> Vec<Value> {
    vec![
        json!(key.id),
        json!(key.tenant),
        json!(key.name),
        json!(key.roles.to_string()),
        json!(key.created_at),
        json!(key.revoked_at),
    ]
}

pub fn run(command: &KeyCommand, db_flags: &DbFlags) -> anyhow::Result<ExitCode> {
    let ops = db::operations(db_flags)?;
    let caller = Caller::operator();
    let mut out = std::io::stdout().lock();
    match command {
        KeyCommand::Create {
            name,
            roles,
            tenant,
            format,
        } => {
            let roles = Roles::of(&roles.iter().flat_map(|r| r.iter()).collect::<Vec<_>>());
            let (key, secret) = ops.create_key(&caller, tenant, name, roles)?;
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
            for key in ops.keys(&caller, tenant.as_deref())? {
                table.row(&mut out, row(&key))?;
            }
        }
        KeyCommand::Revoke { id } => {
            let key = ops.revoke_key(&caller, *id)?;
            writeln!(out, "revoked key {} ({})", key.id, key.name)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
