//! `hashwatch match`: hash queries, look them up, print matches in order.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use hashwatch_matcher::live::{Robust, View};
use hashwatch_matcher::{MatchOptions, MatchRecord, Matcher, Outcome, Query};
use hashwatch_model::SignalType;
use hashwatch_operations::{Caller, OpError, Operations};
use hashwatch_pdq::{Hash256, Hasher};
use hashwatch_signals::{SignalHasher, SignalHasherBuilder};
use serde_json::{json, Value};

use crate::flags::{DbFlags, MatchFlags};
use crate::hash::{hash_entry, Failure};
use crate::output::{message_line, Message, Table};
use crate::progress::{MediaProgress, Progress};
use crate::walk::{self, Entry};
use crate::{db, hashes, parallel};

const COLUMNS: [&str; 7] = [
    "query",
    "bank",
    "entry_id",
    "item",
    "signal_type",
    "hash",
    "distance",
];

/// Where in a video a match is: python-threatexchange's percentages for a
/// video matching a banked video, the query video's nearest frame (number
/// and timestamp) and the banked video's (timestamp: the exchange form
/// keeps no frame numbers).
const VIDEO_COLUMNS: [&str; 5] = [
    "query_match_percent",
    "compared_match_percent",
    "frame",
    "timestamp",
    "bank_timestamp",
];

/// One query: a hash given as text, or a file found from a path.
enum Item {
    Hash { text: String, query: Box<Query> },
    File(Entry),
}

/// A query's outcome, with a video query's frames (to name the frame a
/// match is at).
struct Looked {
    outcome: Outcome,
    frames: Vec<hashwatch_video::Feature>,
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
            SignalType::Vpdq => {
                let text = String::from_utf8_lossy(&value);
                query.vpdq = hashwatch_pdq::vpdq::parse_pytx(&text).ok();
            }
            _ => query.exact.push((t, value)),
        }
    }
    query
}

pub fn run(flags: &MatchFlags, db_flags: &DbFlags) -> anyhow::Result<ExitCode> {
    let ops = db::operations(db_flags)?;
    let operator = Caller::operator();
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

    let total = ops.match_entries(&operator, &flags.banks)?;
    let mut loading = Progress::new(total, !flags.no_progress);
    // The banks' own thresholds and their content's disabling apply here
    // as they do in the service.
    let view = ops.load_view(&operator, &flags.banks, &mut |n| loading.set(n))?;
    loading.finish();

    let mut builder = SignalHasherBuilder::new();
    builder
        .dihedral(flags.dihedral)
        .query_views(flags.robust)
        .max_pixels(flags.max_pixels);
    flags.video.apply(&mut builder);
    let hasher = builder.build();
    let options = MatchOptions {
        threshold: flags.threshold,
        quality_floor: flags.quality_floor,
        video_query_percent: flags.video_query_percent,
        video_compared_percent: flags.video_compared_percent,
        view_threshold: flags.robust.then_some(flags.view_threshold),
    };
    let mut columns = COLUMNS.to_vec();
    if flags.dihedral {
        columns.push("variant");
    }
    if flags.robust {
        columns.extend(["view", "derived"]);
    }
    if flags.series {
        columns.extend(["series", "series_size"]);
    }
    let series = if flags.series {
        series_by_bank(&ops, &operator, &view, flags.series_radius)?
    } else {
        HashMap::new()
    };
    columns.extend(VIDEO_COLUMNS);
    let columns = &columns[..];
    let table = Table::new(flags.format, columns);
    let mut out = BufWriter::new(io::stdout().lock());
    table.header(&mut out)?;
    let mut progress = Progress::new(items.len() as u64, !flags.no_progress);
    let media_progress = progress.media();
    let (mut matched, mut failed) = (false, false);
    let mut item_of = HashMap::new();
    let result = parallel::ordered(
        &items,
        flags.threads,
        Hasher::new,
        |pdq, item| lookup(&view, &hasher, pdq, item, &options, &media_progress),
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
                Ok(Looked { outcome, frames }) => {
                    report_notices(flags, &label, &outcome, &progress);
                    let mut matches = outcome.matches;
                    look_up_items(&ops, &operator, &matches, &mut item_of)
                        .map_err(io::Error::other)?;
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
                        let video = video_values(&m, &frames);
                        let mut row = vec![
                            Value::from(label.clone()),
                            Value::from(m.bank.clone()),
                            Value::from(m.entry_id),
                            Value::from(item.clone().unwrap_or_default()),
                            Value::from(m.signal_type.name()),
                            Value::from(m.hash),
                            Value::from(m.distance),
                        ];
                        if flags.dihedral {
                            row.push(Value::from(m.variant.unwrap_or("")));
                        }
                        if flags.robust {
                            row.push(m.view.map_or(Value::Null, |v| Value::from(v.name())));
                            row.push(m.derived.clone().map_or(Value::Null, Value::from));
                        }
                        if flags.series {
                            let found = series.get(&m.bank).and_then(|g| {
                                g.series_of(m.entry_id)
                                    .or_else(|| g.series_of_item(item.as_deref()?))
                            });
                            row.push(found.map_or(Value::Null, |s| Value::from(s.0)));
                            row.push(found.map_or(Value::Null, |s| Value::from(s.1)));
                        }
                        row.extend(video);
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

/// The series of every loaded bank.
fn series_by_bank(
    ops: &Operations,
    operator: &Caller,
    view: &View,
    radius: u32,
) -> anyhow::Result<HashMap<String, hashwatch_matcher::Grouping>> {
    let mut out = HashMap::new();
    for bank in view.matcher.iter().flat_map(Matcher::banks) {
        let grouping = ops.bank_series(operator, &bank.name, radius)?;
        out.insert(bank.name.clone(), grouping);
    }
    Ok(out)
}

/// Adds the item (content id) of each matched entry not yet in `items`,
/// read from the store (the index holds only ids and hashes); kept across
/// queries, so a hash that many uploads match is read once.
fn look_up_items(
    ops: &Operations,
    operator: &Caller,
    matches: &[MatchRecord],
    items: &mut HashMap<u64, Option<String>>,
) -> Result<(), OpError> {
    for m in matches {
        if items.contains_key(&m.entry_id) {
            continue;
        }
        let item = ops.entry_content(operator, m.entry_id)?;
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

/// The video columns of a match, in `VIDEO_COLUMNS` order (null where
/// they do not apply).
fn video_values(m: &MatchRecord, frames: &[hashwatch_video::Feature]) -> Vec<Value> {
    let percent = |p: Option<f64>| p.map_or(Value::Null, Value::from);
    let at = m.frames.as_ref();
    let query_timestamp = at.and_then(|f| f.query_timestamp);
    // The matcher names a query frame by its timestamp; the frame number
    // is the hashed frame's at that timestamp.
    let frame = query_timestamp.and_then(|t| {
        frames
            .iter()
            .find(|f| f64::from(f.timestamp) == t)
            .map(|f| f.frame)
    });
    vec![
        percent(m.video.map(|v| v.query_match_percent)),
        percent(m.video.map(|v| v.compared_match_percent)),
        frame.map_or(Value::Null, Value::from),
        percent(query_timestamp),
        percent(at.and_then(|f| f.bank_timestamp)),
    ]
}

/// Matches a query in every loaded bank at the bank's own thresholds
/// (the flags' where it has none), leaving out disabled content.
fn match_in(view: &View, query: &Query, options: &MatchOptions) -> Outcome {
    let Some(matcher) = view.matcher.as_ref() else {
        return Outcome::default();
    };
    let defaults = options.thresholds();
    let mut outcome = matcher.lookup_with(query, options, &|bank| {
        view.bank_thresholds(&bank.name, &defaults, Robust::Everywhere)
    });
    let now = hashwatch_model::unix_now();
    outcome
        .matches
        .retain(|m| view.entry_enabled(m.entry_id, now));
    outcome
}

fn lookup(
    view: &View,
    hasher: &SignalHasher,
    pdq: &mut Hasher,
    item: &Item,
    options: &MatchOptions,
    progress: &MediaProgress,
) -> Result<Looked, Failure> {
    match item {
        Item::Hash { query, .. } => Ok(Looked {
            outcome: match_in(view, query, options),
            frames: Vec::new(),
        }),
        Item::File(entry) => {
            let signals = hash_entry(hasher, pdq, entry, progress)?;
            let digests = signals.digests();
            let image = signals.image();
            let video = signals.video();
            let query = Query {
                pdq: image.map(|i| (i.pdq.hash, Some(i.pdq.quality))),
                dihedral: image.and_then(|i| i.dihedral),
                exact: vec![
                    (SignalType::Md5, digests.md5.to_vec()),
                    (SignalType::Sha1, digests.sha1.to_vec()),
                    (SignalType::Sha256, digests.sha256.to_vec()),
                ],
                vpdq: video.map(|v| v.video.compact()),
                views: image
                    .filter(|_| options.view_threshold.is_some())
                    .map(|i| i.views.clone()),
                frame_views: video
                    .filter(|_| options.view_threshold.is_some())
                    .map(|v| v.video.views.clone())
                    .unwrap_or_default(),
            };
            Ok(Looked {
                outcome: match_in(view, &query, options),
                frames: video.map(|v| v.video.features.clone()).unwrap_or_default(),
            })
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
