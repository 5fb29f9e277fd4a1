//! `hashwatch feed …`: keys, subscriptions and opinions. The pulling and
//! verifying are hashwatch-feed's, over hashwatch-outbound's transport,
//! into the store.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context};
use hashwatch_access::secrets::{open_stored, Purpose};
use hashwatch_feed::{FeedKey, PublicKey, PullError, Pulled, SyncReport};
use hashwatch_model::Subscription;
use hashwatch_operations::feeds::{Fills, NewSubscription};
use hashwatch_operations::{Caller, Operations};
use serde_json::{json, Value};

use crate::db;
use crate::flags::{DbFlags, FeedCommand, OutboundFlags};
use crate::hashes;
use crate::output::Table;
use crate::progress::Progress;

const STATUS_COLUMNS: [&str; 9] = [
    "url",
    "bank",
    "public_key",
    "feed",
    "checkpoint",
    "synced_at",
    "fresh_at",
    "stale",
    "last_error",
];

pub fn run(
    command: &FeedCommand,
    db_flags: &DbFlags,
    outbound: &OutboundFlags,
) -> anyhow::Result<ExitCode> {
    let guard = outbound.guard();
    match command {
        FeedCommand::Keygen { out } => {
            let key = FeedKey::generate()?;
            key.save(out)?;
            println!("{}", key.public_key());
            eprintln!(
                "wrote the secret key to {}; give subscribers the public key above",
                out.display()
            );
        }
        FeedCommand::PublicKey { key } => println!("{}", FeedKey::load(key)?.public_key()),
        FeedCommand::Subscribe {
            url,
            bank,
            public_key,
            api_key,
            page_size,
            no_sync,
            no_progress,
        } => {
            let key = PublicKey::parse(public_key)?;
            let ops = db::operations(db_flags)?;
            // The bank is made when missing; both are audited.
            let sub = ops.subscribe(
                &Caller::operator(),
                &NewSubscription {
                    url: url.clone(),
                    fills: Fills::Bank(bank.clone()),
                    public_key: key.to_string(),
                    sealed_api_key: seal_api_key(outbound, api_key.as_deref())?,
                },
            )?;
            eprintln!("subscribed bank {bank:?} to {url}");
            if !no_sync {
                return sync_all(&ops, outbound, vec![sub], *page_size, !no_progress);
            }
        }
        FeedCommand::Sync {
            url,
            page_size,
            no_progress,
        } => {
            let ops = db::operations(db_flags)?;
            let operator = Caller::operator();
            let subs = match url {
                Some(url) => vec![ops.subscription(&operator, url)?],
                None => ops.subscriptions(&operator)?,
            };
            // Partner hotlines' assessments are pulled by `serve`.
            let subs = subs
                .into_iter()
                .filter(|s| s.kind == hashwatch_model::SubscriptionKind::Bank)
                .collect();
            return sync_all(&ops, outbound, subs, *page_size, !no_progress);
        }
        FeedCommand::Status { max_lag, format } => {
            let now = hashwatch_model::unix_now();
            let subs = db::operations(db_flags)?.subscriptions(&Caller::operator())?;
            let table = Table::new(*format, &STATUS_COLUMNS);
            let mut out = std::io::stdout().lock();
            table.header(&mut out)?;
            for s in subs {
                let row = STATUS_COLUMNS
                    .iter()
                    .map(|column| match *column {
                        "url" => json!(s.url),
                        "bank" => json!(s.bank),
                        "public_key" => json!(s.public_key),
                        "feed" => json!(s.feed_id),
                        "checkpoint" => json!(s.checkpoint),
                        "synced_at" => json!(s.synced_at),
                        "fresh_at" => json!(s.fresh_at),
                        "stale" => json!(hashwatch_feed::pull::stale(
                            &s,
                            now,
                            max_lag.as_secs() as i64
                        )),
                        _ => json!(s.last_error),
                    })
                    .collect();
                table.row(&mut out, row)?;
            }
            out.flush()?;
        }
        FeedCommand::Opinion {
            url,
            hash,
            false_positive,
            true_positive: _,
            note,
            api_key,
        } => {
            let signals = hashes::parse(hash)
                .with_context(|| format!("{hash:?} is not a hash (TYPE:HEX or hex)"))?;
            let Some((signal_type, value)) = signals.into_iter().next() else {
                bail!("{hash:?} is not a hash");
            };
            let opinion = json!({
                "signal_type": signal_type.name(),
                "value": signal_type.format_value(&value),
                "opinion": if *false_positive { "false_positive" } else { "true_positive" },
                "note": note,
            });
            let answer = runtime()?
                .block_on(hashwatch_outbound::send_opinion(
                    &hashwatch_outbound::feed_client(guard.clone()),
                    url,
                    api_key.as_deref(),
                    &opinion,
                ))
                .map_err(|e| anyhow::anyhow!(e))?;
            eprintln!("the publisher recorded opinion {}", answer["id"]);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The runtime outbound requests run on.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?)
}

/// Pulls each subscription; exit status 1 when any failed (the others are
/// still pulled).
fn sync_all(
    ops: &Operations,
    outbound: &OutboundFlags,
    subs: Vec<Subscription>,
    page_size: usize,
    bar: bool,
) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    let mut failed = false;
    for sub in subs {
        let mut progress = Progress::new(0, bar);
        let start = sub.checkpoint;
        let result = pull(
            &runtime,
            outbound,
            ops,
            &sub,
            page_size,
            &mut |r: &SyncReport| {
                progress.set_total(r.head.saturating_sub(start));
                progress.set(r.checkpoint - start);
            },
        )
        .and_then(|pulled| match pulled {
            Pulled::Bank(report) => Ok(report),
            Pulled::Assessments(_) => Err(PullError::Refused(format!(
                "{} is a partner hotline's feed, not a bank's",
                sub.url
            ))),
        });
        progress.finish();
        match result {
            Ok(r) => {
                let line: Value = json!({
                    "url": sub.url, "bank": sub.bank, "pages": r.pages, "added": r.added,
                    "removed": r.removed, "checkpoint": r.checkpoint, "head": r.head,
                });
                println!("{line}");
            }
            Err(e) => {
                eprintln!("hashwatch: {e}");
                failed = true;
            }
        }
    }
    // The store (a PostgreSQL client in particular) closes off the runtime.
    drop(runtime);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Pulls one subscription to its publisher's head on this thread (its
/// requests run on `runtime`), noting a failure on the subscription; each
/// page that changes something is audited.
pub fn pull(
    runtime: &tokio::runtime::Runtime,
    outbound: &OutboundFlags,
    ops: &Operations,
    sub: &Subscription,
    page_size: usize,
    progress: &mut dyn FnMut(&SyncReport),
) -> Result<Pulled, PullError> {
    let mut sub = sub.clone();
    if let Some(stored) = &sub.api_key {
        let key = outbound
            .secrets_key()
            .map_err(|e| PullError::Refused(e.to_string()))?;
        let opened = open_stored(key.as_ref(), Purpose::Subscription, stored)
            .map_err(|e| PullError::Refused(e.to_string()))?;
        sub.api_key = Some(opened);
    }
    let transport = hashwatch_outbound::FeedTransport::new(
        hashwatch_outbound::feed_client(outbound.guard()),
        runtime.handle().clone(),
    );
    ops.pull(&Caller::operator(), &transport, &sub, page_size, progress)
        .map_err(|e| PullError::Refused(e.to_string()))?
}

/// A subscription's API key as it is stored: sealed with the secrets key.
pub fn seal_api_key(
    outbound: &OutboundFlags,
    api_key: Option<&str>,
) -> anyhow::Result<Option<String>> {
    let Some(api_key) = api_key else {
        return Ok(None);
    };
    let Some(key) = outbound.secrets_key()? else {
        anyhow::bail!(
            "an API key is stored only sealed: give --secrets-key-file FILE (made when missing) \
             or HASHWATCH_SECRETS_KEY_FILE"
        );
    };
    Ok(Some(key.seal(Purpose::Subscription, api_key)?))
}
