//! `hashwatch hold`: legal holds, placed and released by the local
//! operator through the same operation as `POST /holds`.

use std::io::Write;
use std::process::ExitCode;

use hashwatch_model::{Hold, HoldKind};
use hashwatch_operations::holds::NewHold;
use hashwatch_operations::Caller;
use serde_json::{json, Value};

use crate::db;
use crate::flags::{DbFlags, HoldCommand, HoldKindFlag};
use crate::output::Table;

const COLUMNS: [&str; 8] = [
    "id",
    "tenant",
    "kind",
    "target",
    "reason",
    "placed_by",
    "placed_at",
    "released_at",
];

fn row(hold: &Hold) -> Vec<Value> {
    vec![
        json!(hold.id),
        json!(hold.tenant),
        json!(hold.kind.name()),
        json!(hold.target),
        json!(hold.reason),
        json!(hold.placed_by),
        json!(hold.placed_at),
        json!(hold.released_at),
    ]
}

fn kind_of(flag: HoldKindFlag) -> HoldKind {
    match flag {
        HoldKindFlag::Bank => HoldKind::Bank,
        HoldKindFlag::Content => HoldKind::Content,
        HoldKindFlag::Match => HoldKind::Match,
        HoldKindFlag::Case => HoldKind::Case,
    }
}

pub fn run(command: &HoldCommand, db_flags: &DbFlags) -> anyhow::Result<ExitCode> {
    let caller = Caller::operator();
    let mut out = std::io::stdout().lock();
    match command {
        HoldCommand::Place {
            kind,
            target,
            reason,
            hotline_tenant,
            format,
        } => {
            if !hashwatch_model::valid_tenant(hotline_tenant) {
                anyhow::bail!("--hotline-tenant {hotline_tenant:?} is not a tenant's name");
            }
            let policy = hashwatch_access::Policy::with_hotline_tenant(hotline_tenant);
            let ops = db::operations_with(db_flags, policy)?;
            let new = NewHold {
                kind: kind_of(*kind),
                target: target.clone(),
                reason: reason.clone(),
            };
            let hold = ops.place_hold(&caller, &new)?;
            let table = Table::new(*format, &COLUMNS);
            table.header(&mut out)?;
            table.row(&mut out, row(&hold))?;
        }
        HoldCommand::List { format } => {
            let ops = db::operations(db_flags)?;
            let table = Table::new(*format, &COLUMNS);
            table.header(&mut out)?;
            for hold in ops.holds(&caller)? {
                table.row(&mut out, row(&hold))?;
            }
        }
        HoldCommand::Release { id } => {
            let ops = db::operations(db_flags)?;
            let hold = ops.release_hold(&caller, *id)?;
            writeln!(
                out,
                "released hold {} on {} {:?}",
                hold.id,
                hold.kind.name(),
                hold.target
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
