//! `hashwatch feed …`: keys, subscriptions and opinions; the pulling and
//! verifying live in `hashwatch-server` and `hashwatch-feed`.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use hashwatch_feed::{FeedKey, PublicKey};
use hashwatch_server::feeds::{self, SyncReport};
use hashwatch_store::{feeds as store_feeds, BankKind, ErrorKind, Store, Subscription};
use serde_json::{json, Value};

use crate::db;
use crate::flags::{DbFlags, FeedCommand};
use crate::hashes;
use crate::output::Table;
use crate::progress::Progress;

const STATUS_COLUMNS: [&str; 7] = [
    "url",
    "bank",
    "public_key",
    "feed",
    "checkpoint",
    "synced_at",
    "last_error",
];

pub fn run(command: &FeedCommand, db_flags: &DbFlags) -> anyhow::Result<ExitCode> {
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
            let store: Arc<dyn Store + Send + Sync> = Arc::from(db::open(db_flags)?);
            match store.bank(bank) {
                Err(e) if matches!(e.kind(), ErrorKind::NoSuchBank(_)) => {
                    store.create_bank(bank, BankKind::Positive, Some(&format!("feed {url}")))?;
                }
                other => {
                    other?;
                }
            }
            let sub = store_feeds(store.as_ref()).subscribe(
                url,
                bank,
                &key.to_string(),
                api_key.as_deref(),
            )?;
            eprintln!("subscribed bank {bank:?} to {url}");
            if !no_sync {
                return sync_all(store, vec![sub], *page_size, !no_progress);
            }
        }
        FeedCommand::Sync {
            url,
            page_size,
            no_progress,
        } => {
            let store: Arc<dyn Store + Send + Sync> = Arc::from(db::open(db_flags)?);
            let feeds = store_feeds(store.as_ref());
            let subs = match url {
                Some(url) => vec![feeds.subscription(url)?],
                None => feeds.subscriptions()?,
            };
            // Partner hotlines' assessments are pulled by `serve`.
            let subs = subs.into_iter().filter(|s| s.kind == "bank").collect();
            return sync_all(store, subs, *page_size, !no_progress);
        }
        FeedCommand::Status { format } => {
            let store = db::open(db_flags)?;
            let table = Table::new(*format, &STATUS_COLUMNS);
            let mut out = std::io::stdout().lock();
            table.header(&mut out)?;
            for s in store_feeds(store.as_ref()).subscriptions()? {
                let row = feeds::subscription_json(&s);
                table.row(
                    &mut out,
                    STATUS_COLUMNS.iter().map(|c| row[c].clone()).collect(),
                )?;
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
                .block_on(feeds::send_opinion(
                    &feeds::client(),
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

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?)
}

/// Pulls each subscription; exit status 1 when any failed (the others are
/// still pulled).
fn sync_all(
    store: Arc<dyn Store + Send + Sync>,
    subs: Vec<Subscription>,
    page_size: usize,
    bar: bool,
) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    let http = feeds::client();
    let mut failed = false;
    for sub in subs {
        let mut progress = Progress::new(0, bar);
        let start = sub.checkpoint;
        let result = runtime.block_on(feeds::sync(
            &http,
            store.clone(),
            &sub,
            page_size,
            &mut |r: &SyncReport| {
                progress.set_total(r.head.saturating_sub(start));
                progress.set(r.checkpoint - start);
            },
        ));
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
