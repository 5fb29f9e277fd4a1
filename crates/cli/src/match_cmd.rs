//! `hashwatch match`: hash queries, look them up, print matches in order.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use hashwatch_matcher::{MatchOptions, MatchRecord, Matcher, Outcome, Query};
use hashwatch_pdq::{Hash256, Hasher};
use hashwatch_signals::{SignalHasher, SignalHasherBuilder};
use hashwatch_store::{SignalType, Store};
use serde_json::{json, Value};

use crate::flags::{DbFlags, MatchFlags};
use crate::hash::{hash_entry, Failure};
use crate::output::{message_line, Message, Table};
use crate::progress::Progress;
use crate::walk::{self, Entry};
use crate::{db, hashes, parallel};

const COLUMNS: [&str; 8] = [
    "query",
    "bank",
    "entry_id",
    "item",
    "signal_type",
    "hash",
    "distance",
    "variant",
];

/// One query: a hash given as text, or a file found from a path.
enum Item {
    Hash { text: String, query: Box<Query> },
    File(Entry),
}

impl Item {
    fn label(&self) -> String {
        match self {
            Item::Hash { text, .. } => text.clone(),
            Item::File(entry) => entry.path().to_string_lossy().into_owned(),
        }
    }
}

fn hash_query(signals: Vec<(SignalType, Vec<u8>)>) -> Query {
    let mut query = Query::default();
    for (t, value) in signals {
        match t {
            SignalType::Pdq => {
                let bytes: Option<[u8; 32]> = value.as_slice().try_into().ok();
                query.pdq = bytes.map(|b| (Hash256::from_be_bytes(b), None));
            }
            _ => query.exact.push((t, value)),
        }
    }
    query
}

pub fn run(flags: &MatchFlags, db_flags: &DbFlags) -> anyhow::Result<ExitCode> {
    let store = db::open(db_flags)?;
    let mut items = Vec::new();
    for text in &flags.queries {
        let path = PathBuf::from(text);
        if path.exists() {
            items.extend(walk::expand(&[path], false).into_iter().map(Item::File));
        } else if let Some(signals) = hashes::parse(text) {
            items.push(Item::Hash {
                text: text.clone(),
                query: Box::new(hash_query(signals)),
            });
        } else {
            items.push(Item::File(Entry::Unreadable {
                path,
                reason: "no such file, and not a hash (TYPE:HEX or 32/40/64 hex digits)"
                    .to_string(),
            }));
        }
    }

    let total: u64 = if flags.banks.is_empty() {
        store.banks()?.iter().map(|b| b.active).sum()
    } else {
        flags
            .banks
            .iter()
            .map(|b| store.bank(b).map(|b| b.active))
            .sum::<Result<u64, _>>()?
    };
    let mut loading = Progress::new(total, !flags.no_progress);
    let matcher = Matcher::load(&*store, &flags.banks, &mut |n| loading.set(n))?;
    loading.finish();

    let hasher = SignalHasherBuilder::new()
        .dihedral(flags.dihedral)
        .max_pixels(flags.max_pixels)
        .build();
    let options = MatchOptions {
        threshold: flags.threshold,
        quality_floor: flags.quality_floor,
    };
    let columns = if flags.dihedral {
        &COLUMNS[..]
    } else {
        &COLUMNS[..7]
    };
    let table = Table::new(flags.format, columns);
    let mut out = BufWriter::new(io::stdout().lock());
    table.header(&mut out)?;
    let mut progress = Progress::new(items.len() as u64, !flags.no_progress);
    let (mut matched, mut failed) = (false, false);
    let mut item_of = HashMap::new();
    let result = parallel::ordered(
        &items,
        flags.threads,
        Hasher::new,
        |pdq, item| lookup(&matcher, &hasher, pdq, item, &options),
        |i, outcome| {
            let label = items[i].label();
            progress.tick(outcome.is_err());
            match outcome {
                Err(failure) => {
                    failed = true;
                    progress.eprintln(&message_line(
                        flags.format,
                        Message::Error,
                        "query",
                        &label,
                        failure.code,
                        &failure.message,
                        Value::Null,
                    ));
                }
                Ok(outcome) => {
                    report_notices(flags, &label, &outcome, &progress);
                    let mut matches = outcome.matches;
                    look_up_items(&*store, &matches, &mut item_of).map_err(io::Error::other)?;
                    if flags.per_item {
                        matches = nearest_per_item(matches, &item_of);
                    }
                    if matches.is_empty() && flags.unmatched {
                        // Numbers are null, not "", in JSON lines.
                        let mut row = vec![Value::from(label.clone())];
                        row.resize(columns.len(), Value::Null);
                        table.row(&mut out, row)?;
                    }
                    for m in matches {
                        matched = true;
                        let item = item_of.get(&m.entry_id).cloned().flatten();
                        let mut row = vec![
                            Value::from(label.clone()),
                            Value::from(m.bank),
                            Value::from(m.entry_id),
                            Value::from(item.unwrap_or_default()),
                            Value::from(m.signal_type.name()),
                            Value::from(m.hash),
                            Value::from(m.distance),
                        ];
                        if flags.dihedral {
                            row.push(Value::from(m.variant.unwrap_or("")));
                        }
                        table.row(&mut out, row)?;
                    }
                }
            }
            Ok(())
        },
    );
    progress.finish();
    result?;
    out.flush()?;
    Ok(ExitCode::from(if failed {
        2
    } else if matched {
        0
    } else {
        1
    }))
}

/// Adds the item (content id) of each matched entry not yet in `items`,
/// read from the store (the index holds only ids and hashes); kept across
/// queries, so a hash that many uploads match is read once.
fn look_up_items(
    store: &dyn Store,
    matches: &[MatchRecord],
    items: &mut HashMap<u64, Option<String>>,
) -> Result<(), hashwatch_store::Error> {
    for m in matches {
        if items.contains_key(&m.entry_id) {
            continue;
        }
        let mut item = None;
        store.entries_in(m.entry_id, m.entry_id, true, &mut |e| {
            item = e.signal.content_id
        })?;
        items.insert(m.entry_id, item);
    }
    Ok(())
}

/// Keeps each (bank, item)'s nearest match, in the matcher's order
/// (nearest first). Entries without an item stand for themselves.
fn nearest_per_item(
    matches: Vec<MatchRecord>,
    items: &HashMap<u64, Option<String>>,
) -> Vec<MatchRecord> {
    let mut matches = matches;
    // Exact digests first among equals: they say the file is the same.
    matches.sort_by_key(|m| (m.distance, m.signal_type == SignalType::Pdq));
    let mut seen = HashSet::new();
    matches
        .into_iter()
        .filter(|m| {
            let item = match items.get(&m.entry_id).cloned().flatten() {
                Some(item) => item,
                None => format!("entry {}", m.entry_id),
            };
            seen.insert((m.bank.clone(), item))
        })
        .collect()
}

fn lookup(
    matcher: &Matcher,
    hasher: &SignalHasher,
    pdq: &mut Hasher,
    item: &Item,
    options: &MatchOptions,
) -> Result<Outcome, Failure> {
    match item {
        Item::Hash { query, .. } => Ok(matcher.lookup(query, options)),
        Item::File(entry) => {
            let signals = hash_entry(hasher, pdq, entry)?;
            let query = Query {
                pdq: Some((signals.pdq.hash, Some(signals.pdq.quality))),
                dihedral: signals.dihedral,
                exact: vec![
                    (SignalType::Md5, signals.digests.md5.to_vec()),
                    (SignalType::Sha1, signals.digests.sha1.to_vec()),
                    (SignalType::Sha256, signals.digests.sha256.to_vec()),
                ],
            };
            Ok(matcher.lookup(&query, options))
        }
    }
}

/// Low quality and suppression are said on stderr, once per query.
fn report_notices(flags: &MatchFlags, label: &str, outcome: &Outcome, progress: &Progress) {
    if let Some(quality) = outcome.low_quality {
        progress.eprintln(&message_line(
            flags.format,
            Message::Notice,
            "query",
            label,
            "low_quality",
            &format!(
                "PDQ quality {quality} is below the floor {}: not matched by PDQ (digests still are)",
                flags.quality_floor
            ),
            json!({"quality": quality, "quality_floor": flags.quality_floor}),
        ));
    }
    if outcome.suppressed > 0 || !outcome.suppressed_by.is_empty() {
        let by: Vec<String> = outcome
            .suppressed_by
            .iter()
            .map(|m| format!("{} entry {} ({})", m.bank, m.entry_id, m.signal_type))
            .collect();
        let by_json: Vec<Value> = outcome
            .suppressed_by
            .iter()
            .map(|m| json!({"bank": m.bank, "entry_id": m.entry_id, "signal_type": m.signal_type.name()}))
            .collect();
        progress.eprintln(&message_line(
            flags.format,
            Message::Notice,
            "query",
            label,
            "suppressed",
            &format!(
                "{} match(es) suppressed by negative {}",
                outcome.suppressed,
                by.join(", ")
            ),
            json!({"suppressed": outcome.suppressed, "by": by_json}),
        ));
    }
}
