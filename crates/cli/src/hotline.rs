//! `hashwatch hotline …`: canonical URLs, cases and the blocklist from the
//! database, and a check of the provider registry.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use hashwatch_feed::Pulled;
use hashwatch_hotline::{canonical_url, Registry};
use hashwatch_model::CaseState;
use hashwatch_operations::feeds::{Fills, NewSubscription};
use hashwatch_operations::Caller;
use serde_json::{json, Value};

use crate::db;
use crate::flags::{DbFlags, HotlineCommand, OutboundFlags};
use crate::output::Table;

const CASE_COLUMNS: [&str; 9] = [
    "id",
    "state",
    "url",
    "category",
    "provider",
    "jurisdiction",
    "notices",
    "reports",
    "removed_at",
];

pub fn run(
    command: &HotlineCommand,
    db_flags: &DbFlags,
    outbound: &OutboundFlags,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut status = ExitCode::SUCCESS;
    match command {
        HotlineCommand::Canonical { urls, format } => {
            let table = Table::new(*format, &["input", "url", "sha256"]);
            table.header(&mut out)?;
            for input in urls {
                match canonical_url(input) {
                    Ok(c) => {
                        table.row(&mut out, vec![json!(input), json!(c.url), json!(c.sha256)])?
                    }
                    Err(e) => {
                        eprintln!("hashwatch: {e}");
                        status = ExitCode::from(1);
                    }
                }
            }
        }
        HotlineCommand::Cases {
            state,
            limit,
            format,
        } => {
            let state = match state.as_deref() {
                Some(name) => Some(CaseState::parse(name).with_context(|| {
                    let names: Vec<&str> = CaseState::ALL.iter().map(|s| s.name()).collect();
                    format!("{name:?} is not a case state: {}", names.join(", "))
                })?),
                None => None,
            };
            let cases = db::operations(db_flags)?.cases(&Caller::operator(), state, *limit)?;
            let table = Table::new(*format, &CASE_COLUMNS);
            table.header(&mut out)?;
            for c in cases {
                let row: Vec<Value> = vec![
                    json!(c.id),
                    json!(c.state.name()),
                    json!(c.url),
                    json!(c.category),
                    json!(c.provider),
                    json!(c.jurisdiction),
                    json!(c.notices),
                    json!(c.reports),
                    json!(c.removed_at),
                ];
                table.row(&mut out, row)?;
            }
        }
        HotlineCommand::Blocklist { format } => {
            let (_, list) = db::operations(db_flags)?.blocklist(&Caller::operator())?;
            for c in list {
                let line = if format == "sha256" {
                    c.url_sha256
                } else {
                    c.url
                };
                writeln!(out, "{line}")?;
            }
        }
        HotlineCommand::Subscribe {
            url,
            public_key,
            api_key,
            no_sync,
        } => {
            let key = hashwatch_feed::PublicKey::parse(public_key)?;
            let ops = db::operations(db_flags)?;
            let operator = Caller::operator();
            let sub = ops.subscribe(
                &operator,
                &NewSubscription {
                    url: url.clone(),
                    fills: Fills::Hotline,
                    public_key: key.to_string(),
                    sealed_api_key: crate::feed::seal_api_key(outbound, api_key.as_deref())?,
                },
            )?;
            eprintln!("subscribed to the shared assessments at {url}");
            if !no_sync {
                let runtime = crate::feed::runtime()?;
                let result = crate::feed::pull(
                    &runtime,
                    outbound,
                    &ops,
                    &sub,
                    hashwatch_feed::pull::DEFAULT_PAGE,
                    &mut |_| {},
                );
                // The store (a PostgreSQL client in particular) closes off
                // the runtime.
                drop(runtime);
                match result {
                    Ok(Pulled::Assessments(taken)) => {
                        writeln!(out, "{}", json!({"url": url, "taken": taken}))?
                    }
                    Ok(Pulled::Bank(_)) => {
                        eprintln!("hashwatch: {url} is a bank's feed, not a partner hotline's");
                        status = ExitCode::from(1);
                    }
                    Err(e) => {
                        eprintln!("hashwatch: {e}");
                        status = ExitCode::from(1);
                    }
                }
            }
        }
        HotlineCommand::Providers { file, ips } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let registry =
                Registry::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            eprintln!("{}: {} providers", file.display(), registry.len());
            for ip in ips {
                match registry.provider_for(*ip) {
                    Some(p) => writeln!(out, "{ip}\t{}\t{}\t{}", p.name, p.abuse, p.jurisdiction)?,
                    None => {
                        writeln!(out, "{ip}\tunknown")?;
                        status = ExitCode::from(1);
                    }
                }
            }
        }
    }
    out.flush()?;
    Ok(status)
}
