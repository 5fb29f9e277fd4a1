//! Matching signals against banks.
//!
//! A [`Matcher`] loads the active entries of some banks from a
//! [`BankSource`] (the store implements it) into per-bank indexes (PDQ by Hamming radius,
//! digests exactly) and answers [`Query`]s with an [`Outcome`]: every match,
//! the matches a negative bank suppressed, and whether the query's PDQ hash
//! was too low in quality to match at all. Low-quality hashes are reported,
//! never silently matched or dropped.
//!
//! [`Matcher::follow`] applies the store's change log since the load (or the
//! last follow): entries added, revoked, banks created and deleted, through
//! this process or any other sharing the database. Each change touches only
//! what it names; nothing is rebuilt.
//!
//! [`live`] owns what one lookup in a service may see: its tenant's banks
//! and those shared with it, each bank's threshold, HMA's coinflip, and
//! content that is not disabled, kept in step with the change log.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod live;

use std::collections::HashMap;

use hashwatch_index::{ExactIndex, PdqIndex, VpdqIndex};
pub use hashwatch_model::source::{BankSource, SourceError as Error};
use hashwatch_model::{Bank, BankKind, Change, ChangeKind, Entry, SignalType};
use hashwatch_pdq::vpdq::{prepare, VpdqFeature};
use hashwatch_pdq::{Dihedral, Hash256};
pub use hashwatch_robust::{FrameViews, View, ViewHash, ViewHasher, DEFAULT_VIEW_THRESHOLD};
pub use hashwatch_series::{Grouping, Member, Merge, DEFAULT_RADIUS as DEFAULT_SERIES_RADIUS};

/// HMA's and ThreatExchange's usual PDQ match threshold.
pub const DEFAULT_THRESHOLD: u32 = 31;
/// The largest threshold accepted anywhere: past a quarter of the 256
/// bits, visually unrelated images start to match, and a bank set that
/// high would flag whatever is uploaded.
pub const MAX_THRESHOLD: u32 = 63;
/// HMA's quality floor: flatter images' hashes collide by accident.
pub const DEFAULT_QUALITY_FLOOR: u8 = hashwatch_model::QUALITY_FLOOR;
/// python-threatexchange's least share of a query video's frames found in
/// a banked video for a match.
pub const DEFAULT_VIDEO_QUERY_PERCENT: f64 = 80.0;
/// python-threatexchange's least share of a banked video's frames found in
/// the query (none: a short clip of a long video matches).
pub const DEFAULT_VIDEO_COMPARED_PERCENT: f64 = 0.0;

/// How to match.
#[derive(Debug, Clone, Copy)]
pub struct MatchOptions {
    /// Largest PDQ distance that matches (frames of videos too).
    pub threshold: u32,
    /// PDQ hashes of lower quality are not matched (and are reported);
    /// video frames of lower quality are left out, as pytx does.
    pub quality_floor: u8,
    /// Least percentage of a query video's frames found in a banked one.
    pub video_query_percent: f64,
    /// Least percentage of a banked video's frames found in the query.
    pub video_compared_percent: f64,
    /// Robust matching: the query's views and the banks' derived hashes
    /// also match, at this largest distance (`None`: plain matching only);
    /// a view against a derived hash at [`hashwatch_robust::pair_radius`]
    /// of it, less.
    pub view_threshold: Option<u32>,
}

impl Default for MatchOptions {
    fn default() -> MatchOptions {
        MatchOptions {
            threshold: DEFAULT_THRESHOLD,
            quality_floor: DEFAULT_QUALITY_FLOOR,
            video_query_percent: DEFAULT_VIDEO_QUERY_PERCENT,
            video_compared_percent: DEFAULT_VIDEO_COMPARED_PERCENT,
            view_threshold: None,
        }
    }
}

impl MatchOptions {
    /// The thresholds of a bank without its own.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            pdq: self.threshold,
            video_query_percent: self.video_query_percent,
            video_compared_percent: self.video_compared_percent,
            view: self.view_threshold,
        }
    }
}

/// What one bank takes for a match.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Largest PDQ distance (frames of videos too).
    pub pdq: u32,
    /// Least percentage of a query video's frames found in a banked one.
    pub video_query_percent: f64,
    /// Least percentage of a banked video's frames found in the query.
    pub video_compared_percent: f64,
    /// Largest distance of a robust match (a query view or a derived
    /// hash); `None`: the bank is matched plainly.
    pub view: Option<u32>,
}

/// The signals of one query.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// A PDQ hash, with its quality when it came from an image.
    pub pdq: Option<(Hash256, Option<u8>)>,
    /// The eight dihedral variants, to match rotated and flipped copies.
    pub dihedral: Option<Dihedral>,
    /// Exact digests.
    pub exact: Vec<(SignalType, Vec<u8>)>,
    /// A video's frames: matched against banked videos (pytx's vPDQ
    /// semantics) and, frame by frame, against banked images.
    pub vpdq: Option<Vec<VpdqFeature>>,
    /// Views of the query picture (trimmed, content, turn undone), when
    /// it was hashed for robust matching (an upload, a file): banks
    /// matched robustly then also match them, and the picture's own hash
    /// against their derived hashes. `None` for a hash given as such,
    /// which is matched plainly. (Some pictures have no views: `Some` of
    /// an empty list still matches derived hashes.)
    pub views: Option<Vec<ViewHash>>,
    /// Views of a query video's hashed frames, when it was hashed for
    /// robust matching: banks matched robustly find a still shown
    /// letterboxed, framed or turned in the video.
    pub frame_views: Vec<FrameViews>,
}

impl Query {
    /// Whether the query was hashed for robust matching (a picture's or
    /// a video's frames' views).
    pub fn brings_views(&self) -> bool {
        self.views.is_some() || !self.frame_views.is_empty()
    }
}

/// How much of two videos matched (pytx's `VPDQMatchResult`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoScores {
    /// Percentage of the query's frames found in the banked video.
    pub query_match_percent: f64,
    /// Percentage of the banked video's frames found in the query.
    pub compared_match_percent: f64,
}

/// Where in a video a match is: the nearest pair of frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchedFrames {
    /// The query video's frame, by its timestamp in seconds (none for a
    /// still query).
    pub query_timestamp: Option<f64>,
    /// The banked video's frame, by its timestamp (none for a banked
    /// image).
    pub bank_timestamp: Option<f64>,
}

/// One match.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchRecord {
    /// The bank.
    pub bank: String,
    /// The matching entry.
    pub entry_id: u64,
    /// The signal type that matched.
    pub signal_type: SignalType,
    /// The entry's value, as hex.
    pub hash: String,
    /// PDQ distance (0 for exact matches).
    pub distance: u32,
    /// For dihedral PDQ matches, the query variant that matched
    /// (`Dihedral::NAMES`).
    pub variant: Option<&'static str>,
    /// For a video matching a banked video: how much of each matched.
    pub video: Option<VideoScores>,
    /// For matches involving a video: which frames (the `hash` is then the
    /// banked frame's or image's PDQ, the `distance` theirs).
    pub frames: Option<MatchedFrames>,
    /// For a robust match, the view of the query that matched (`None`: the
    /// query's own hash).
    pub view: Option<View>,
    /// For a match of a derived hash, the view of the banked picture that
    /// made it (the `hash` is then the derived hash, never the item's own).
    pub derived: Option<String>,
}

impl MatchRecord {
    /// A match with nothing said of variants or video frames.
    fn new(
        bank: &str,
        entry_id: u64,
        signal_type: SignalType,
        hash: String,
        distance: u32,
    ) -> MatchRecord {
        MatchRecord {
            bank: bank.to_string(),
            entry_id,
            signal_type,
            hash,
            distance,
            variant: None,
            video: None,
            frames: None,
            view: None,
            derived: None,
        }
    }
}

/// What a query found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Matches in positive banks, nearest first.
    pub matches: Vec<MatchRecord>,
    /// Matches in negative banks, which suppressed every positive match of
    /// the same signal type.
    pub suppressed_by: Vec<MatchRecord>,
    /// How many positive matches were suppressed.
    pub suppressed: usize,
    /// Set when the query's PDQ hash was below the quality floor and so was
    /// not matched: its quality.
    pub low_quality: Option<u8>,
}

struct LoadedBank {
    bank: Bank,
    pdq: PdqIndex,
    /// Derived PDQ hashes, matched only robustly, with their views.
    derived: PdqIndex,
    derived_views: HashMap<u64, View>,
    vpdq: VpdqIndex,
    exact: HashMap<SignalType, ExactIndex>,
}

/// Banked video frames below pytx's quality floor never match.
const VIDEO_QUALITY_FLOOR: u8 = DEFAULT_QUALITY_FLOOR;

impl LoadedBank {
    fn empty(bank: Bank) -> LoadedBank {
        LoadedBank {
            bank,
            pdq: PdqIndex::new(),
            derived: PdqIndex::new(),
            derived_views: HashMap::new(),
            vpdq: VpdqIndex::new(VIDEO_QUALITY_FLOOR),
            exact: HashMap::new(),
        }
    }

    fn add(&mut self, entry: &Entry) {
        if let (Some(hash), Some(name)) = (entry.pdq(), &entry.signal.derived) {
            // A view this build does not know (written by a newer one) is
            // passed over rather than matched as something else.
            if let Ok(view) = name.parse::<View>() {
                self.derived.insert(entry.id, hash);
                self.derived_views.insert(entry.id, view);
            }
        } else if let Some(hash) = entry.pdq() {
            self.pdq.insert(entry.id, hash);
        } else if let Some(features) = entry.vpdq() {
            self.vpdq.insert(entry.id, &features);
        } else {
            self.exact
                .entry(entry.signal.signal_type)
                .or_default()
                .insert(entry.id, &entry.signal.value);
        }
    }

    fn remove(&mut self, entry: &Entry) {
        match entry.signal.signal_type {
            SignalType::Pdq if entry.signal.derived.is_some() => {
                self.derived.remove(entry.id);
                self.derived_views.remove(&entry.id);
            }
            SignalType::Pdq => {
                self.pdq.remove(entry.id);
            }
            SignalType::Vpdq => {
                self.vpdq.remove(entry.id);
            }
            t => {
                if let Some(index) = self.exact.get_mut(&t) {
                    index.remove(entry.id, &entry.signal.value);
                }
            }
        }
    }
}

/// Changes read from the store with what applying them needs; see
/// [`Matcher::read_changes`].
pub struct PendingChanges(Vec<(Change, Fetched)>);

impl PendingChanges {
    /// Whether there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

enum Fetched {
    Nothing,
    Bank(Bank),
    Entries(Vec<Entry>),
}

/// How many changes one round trip asks for.
const CHANGES_PER_FETCH: usize = 1000;

/// Banks loaded for matching.
pub struct Matcher {
    banks: Vec<LoadedBank>,
    /// Banks asked for by name; empty means every bank, new ones included.
    names: Vec<String>,
    /// The last change applied.
    cursor: u64,
}

impl Matcher {
    /// Loads the active entries of the named banks (every bank when `names`
    /// is empty). `progress` is called with entries loaded so far.
    pub fn load<S: BankSource + ?Sized>(
        store: &S,
        names: &[String],
        progress: &mut dyn FnMut(u64),
    ) -> Result<Matcher, Error> {
        // Taken before loading, so that a change committed during the load
        // is applied again by `follow` (applying a change twice is harmless)
        // rather than missed.
        let cursor = store.last_change()?;
        let banks = if names.is_empty() {
            store.banks()?
        } else {
            names
                .iter()
                .map(|n| {
                    store
                        .bank(n)?
                        .ok_or_else(|| Error::new(format!("no bank named {n:?}")))
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        let mut loaded = Vec::with_capacity(banks.len());
        let mut count = 0u64;
        for bank in banks {
            // PDQ hashes are collected and indexed in one build; digests go
            // straight into their maps.
            let mut pdq = Vec::new();
            let mut videos = Vec::new();
            let name = bank.name.clone();
            let mut loaded_bank = LoadedBank::empty(bank);
            let mut derived = Vec::new();
            store.entries(&name, false, &mut |entry| {
                if let (Some(hash), Some(view)) = (entry.pdq(), &entry.signal.derived) {
                    // Unknown views (a newer build's) are passed over.
                    if let Ok(view) = view.parse::<View>() {
                        derived.push((entry.id, hash));
                        loaded_bank.derived_views.insert(entry.id, view);
                    }
                } else if let Some(hash) = entry.pdq() {
                    pdq.push((entry.id, hash));
                } else if let Some(features) = entry.vpdq() {
                    videos.push((entry.id, features));
                } else {
                    loaded_bank.add(&entry);
                }
                count += 1;
                if count % 65536 == 0 {
                    progress(count);
                }
            })?;
            loaded_bank.pdq = pdq.into_iter().collect();
            loaded_bank.derived = derived.into_iter().collect();
            loaded_bank.vpdq = VpdqIndex::build(VIDEO_QUALITY_FLOOR, videos);
            loaded.push(loaded_bank);
        }
        progress(count);
        Ok(Matcher {
            banks: loaded,
            names: names.to_vec(),
            cursor,
        })
    }

    /// The last change applied (the store's `seq`).
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Applies every change committed since the load or the last follow;
    /// returns how many there were.
    pub fn follow<S: BankSource + ?Sized>(&mut self, store: &S) -> Result<usize, Error> {
        self.follow_with(store, &mut |_| {})
    }

    /// As [`Matcher::follow`], and shows each change to `seen` once it is
    /// applied (a service keeps its own view of settings in step this way).
    pub fn follow_with<S: BankSource + ?Sized>(
        &mut self,
        store: &S,
        seen: &mut dyn FnMut(&Change),
    ) -> Result<usize, Error> {
        let mut applied = 0;
        loop {
            let pending = self.read_changes(store)?;
            if pending.is_empty() {
                return Ok(applied);
            }
            applied += self.apply_changes(pending, seen);
        }
    }

    /// Reads the next changes and what applying them needs (new entries,
    /// bank records) without changing anything, so that a service can read
    /// under a shared lock and apply under a short exclusive one.
    pub fn read_changes<S: BankSource + ?Sized>(&self, store: &S) -> Result<PendingChanges, Error> {
        let changes = store.changes_since(self.cursor, CHANGES_PER_FETCH)?;
        let mut names = self.names.clone();
        let mut out = Vec::with_capacity(changes.len());
        for change in changes {
            let looked_up = match &change.kind {
                ChangeKind::BankUpdated {
                    previous: Some(previous),
                } => previous.clone(),
                _ => change.bank.clone(),
            };
            let wanted = names.is_empty() || names.contains(&looked_up);
            let fetched = match &change.kind {
                _ if !wanted => Fetched::Nothing,
                ChangeKind::BankCreated(_) | ChangeKind::BankUpdated { .. } => {
                    match store.bank(&change.bank)? {
                        Some(bank) => Fetched::Bank(bank),
                        // Gone again since; a later change says so.
                        None => Fetched::Nothing,
                    }
                }
                ChangeKind::Imported { first, last } => {
                    let mut entries = Vec::new();
                    store.entries_in(*first, *last, false, &mut |e| entries.push(e))?;
                    Fetched::Entries(entries)
                }
                ChangeKind::Revoked { entry } => {
                    let mut entries = Vec::new();
                    store.entries_in(*entry, *entry, true, &mut |e| entries.push(e))?;
                    Fetched::Entries(entries)
                }
                _ => Fetched::Nothing,
            };
            if let (true, ChangeKind::BankUpdated { previous: Some(p) }) = (wanted, &change.kind) {
                if let Some(n) = names.iter_mut().find(|n| *n == p) {
                    *n = change.bank.clone();
                }
            }
            out.push((change, fetched));
        }
        Ok(PendingChanges(out))
    }

    /// Applies changes read by [`Matcher::read_changes`], in order; returns
    /// how many there were.
    pub fn apply_changes(
        &mut self,
        pending: PendingChanges,
        seen: &mut dyn FnMut(&Change),
    ) -> usize {
        let mut applied = 0;
        for (change, fetched) in pending.0 {
            // Changes already applied (read twice) are skipped.
            if change.seq <= self.cursor {
                continue;
            }
            self.apply(&change, fetched);
            self.cursor = change.seq;
            seen(&change);
            applied += 1;
        }
        applied
    }

    fn wanted(&self, bank: &str) -> bool {
        self.names.is_empty() || self.names.iter().any(|n| n == bank)
    }

    fn apply(&mut self, change: &Change, fetched: Fetched) {
        let looked_up = match &change.kind {
            ChangeKind::BankUpdated {
                previous: Some(previous),
            } => previous,
            _ => &change.bank,
        };
        if !self.wanted(looked_up) {
            return;
        }
        let position = self.banks.iter().position(|b| &b.bank.name == looked_up);
        match (&change.kind, position, fetched) {
            (ChangeKind::BankUpdated { .. }, Some(i), Fetched::Bank(bank)) => {
                if let Some(name) = self.names.iter_mut().find(|n| *n == looked_up) {
                    *name = bank.name.clone();
                }
                self.banks[i].bank = bank;
            }
            (ChangeKind::BankCreated(_), None, Fetched::Bank(bank)) => {
                self.banks.push(LoadedBank::empty(bank));
            }
            (ChangeKind::BankDeleted, Some(i), _) => {
                self.banks.remove(i);
            }
            (ChangeKind::Imported { .. }, Some(i), Fetched::Entries(entries)) => {
                entries.iter().for_each(|e| self.banks[i].add(e));
            }
            (ChangeKind::Revoked { .. }, Some(i), Fetched::Entries(entries)) => {
                entries.iter().for_each(|e| self.banks[i].remove(e));
            }
            // A bank already loaded, or a change to one not loaded.
            _ => {}
        }
    }

    /// Active entries held in memory, by signal type.
    pub fn sizes(&self) -> HashMap<SignalType, usize> {
        self.sizes_of(|_| true)
    }

    /// Active entries held in memory of the banks `include` names, by
    /// signal type (a tenant's figures are of the banks it sees).
    pub fn sizes_of(&self, include: impl Fn(&str) -> bool) -> HashMap<SignalType, usize> {
        let mut sizes = HashMap::new();
        for b in self.banks.iter().filter(|b| include(&b.bank.name)) {
            *sizes.entry(SignalType::Pdq).or_default() += b.pdq.len();
            *sizes.entry(SignalType::Vpdq).or_default() += b.vpdq.len();
            for (t, index) in &b.exact {
                *sizes.entry(*t).or_default() += index.len();
            }
        }
        sizes
    }

    /// Heap bytes of the PDQ and vPDQ indexes.
    pub fn heap_bytes(&self) -> usize {
        self.banks
            .iter()
            .map(|b| b.pdq.heap_bytes() + b.derived.heap_bytes() + b.vpdq.heap_bytes())
            .sum()
    }

    /// The banks loaded.
    pub fn banks(&self) -> impl Iterator<Item = &Bank> {
        self.banks.iter().map(|b| &b.bank)
    }

    /// Matches one query.
    pub fn lookup(&self, query: &Query, options: &MatchOptions) -> Outcome {
        let thresholds = options.thresholds();
        self.lookup_with(query, options, &|_| Some(thresholds))
    }

    /// Matches one query in the banks `thresholds` accepts, each at the
    /// thresholds it gives (`None` leaves a bank out).
    pub fn lookup_with(
        &self,
        query: &Query,
        options: &MatchOptions,
        thresholds: &dyn Fn(&Bank) -> Option<Thresholds>,
    ) -> Outcome {
        let mut outcome = Outcome::default();
        let mut found: Vec<(BankKind, MatchRecord)> = Vec::new();
        let pdq = match query.pdq {
            Some((_, Some(q))) if q < options.quality_floor => {
                outcome.low_quality = Some(q);
                None
            }
            other => other.map(|(h, _)| h),
        };
        // A video's frames as pytx counts them.
        let frames = query
            .vpdq
            .as_ref()
            .map(|features| prepare(features, options.quality_floor.max(VIDEO_QUALITY_FLOOR)));
        for loaded in &self.banks {
            let Some(limits) = thresholds(&loaded.bank) else {
                continue;
            };
            let radius = limits.pdq;
            let record =
                |id, t, hash, distance| MatchRecord::new(&loaded.bank.name, id, t, hash, distance);
            let kind = loaded.bank.kind;
            let banked_hash = |id| {
                loaded
                    .pdq
                    .get(id)
                    .map(|h| h.to_string())
                    .unwrap_or_default()
            };
            match (pdq, &query.dihedral) {
                (Some(_), Some(d)) => {
                    for m in loaded.pdq.search_dihedral(&d.hashes, radius) {
                        let mut r = record(m.id, SignalType::Pdq, banked_hash(m.id), m.distance);
                        r.variant = Some(Dihedral::NAMES[m.variant]);
                        found.push((kind, r));
                    }
                }
                (Some(h), None) => {
                    for m in loaded.pdq.search(&h, radius) {
                        found.push((
                            kind,
                            record(m.id, SignalType::Pdq, banked_hash(m.id), m.distance),
                        ));
                    }
                }
                (None, _) => {}
            }
            let mut videos = match &frames {
                Some(frames) => video_matches(loaded, frames, &limits),
                None => Vec::new(),
            };
            // Robustly, the frames' views against banked pictures: a still
            // shown letterboxed in a slideshow.
            if let (Some(view_radius), BankKind::Positive) = (limits.view, kind) {
                let view_radius = view_radius.min(radius);
                let robust = frame_view_matches(
                    loaded,
                    &query.frame_views,
                    options.quality_floor.max(VIDEO_QUALITY_FLOOR),
                    view_radius,
                );
                let plain: Vec<u64> = videos.iter().map(|m| m.entry_id).collect();
                videos.extend(robust.into_iter().filter(|m| !plain.contains(&m.entry_id)));
            }
            // A still found among banked videos' frames (unless the query
            // is an animated image already matched as a video).
            // Robustly, the still's views too (a letterboxed still of a
            // banked video's frame), each video once at its nearest.
            if let Some(h) = pdq {
                let robust_views = match (limits.view, &query.views, kind) {
                    (Some(view_radius), Some(views), BankKind::Positive) => views
                        .iter()
                        .filter(|v| v.quality >= options.quality_floor)
                        .map(|v| (Some(v.view), v.hash, view_radius.min(radius)))
                        .collect(),
                    _ => Vec::new(),
                };
                let mut nearest: HashMap<u64, MatchRecord> = HashMap::new();
                for (view, hash, r) in std::iter::once((None, h, radius)).chain(robust_views) {
                    for m in loaded.vpdq.search_frame(&hash, r) {
                        if videos
                            .iter()
                            .any(|v| v.entry_id == m.id && v.signal_type == SignalType::Vpdq)
                        {
                            continue;
                        }
                        let mut r = record(m.id, SignalType::Vpdq, m.hash.to_string(), m.distance);
                        r.view = view;
                        r.frames = Some(MatchedFrames {
                            query_timestamp: None,
                            bank_timestamp: Some(m.timestamp),
                        });
                        match nearest.get(&m.id) {
                            Some(best) if best.distance <= r.distance => {}
                            _ => {
                                nearest.insert(m.id, r);
                            }
                        }
                    }
                }
                found.extend(nearest.into_values().map(|r| (kind, r)));
            }
            found.extend(videos.into_iter().map(|m| (kind, m)));
            // Negative banks match plainly: a loose match must not
            // suppress a close one.
            let robust = (limits.view, &query.views, kind == BankKind::Positive);
            if let (Some(h), (Some(view_radius), Some(views), true)) = (pdq, robust) {
                // Views never get more room than the bank's threshold.
                let view_radius = view_radius.min(radius);
                let plain: Vec<u64> = found
                    .iter()
                    .filter(|(_, m)| m.bank == loaded.bank.name)
                    .map(|(_, m)| m.entry_id)
                    .collect();
                let robust = robust_matches(loaded, h, views, options.quality_floor, view_radius);
                found.extend(
                    robust
                        .into_iter()
                        .filter(|m| !plain.contains(&m.entry_id))
                        .map(|m| (kind, m)),
                );
            }
            for (t, value) in &query.exact {
                if let Some(index) = loaded.exact.get(t) {
                    for &id in index.get(value) {
                        found.push((kind, record(id, *t, t.format_value(value), 0)));
                    }
                }
            }
        }
        // A negative match suppresses positive matches of its signal type.
        let negative_types: Vec<SignalType> = found
            .iter()
            .filter(|(k, _)| *k == BankKind::Negative)
            .map(|(_, m)| m.signal_type)
            .collect();
        for (kind, m) in found {
            match kind {
                BankKind::Negative => outcome.suppressed_by.push(m),
                BankKind::Positive if negative_types.contains(&m.signal_type) => {
                    outcome.suppressed += 1
                }
                BankKind::Positive => outcome.matches.push(m),
            }
        }
        outcome.matches.sort_by(|a, b| {
            (a.distance, &a.bank, a.entry_id).cmp(&(b.distance, &b.bank, b.entry_id))
        });
        outcome
    }
}

/// A query picture's robust matches in one bank: its views against the
/// banked hashes, and its own hash and views against the derived hashes;
/// each entry once, at its nearest.
fn robust_matches(
    loaded: &LoadedBank,
    pdq: Hash256,
    views: &[ViewHash],
    quality_floor: u8,
    radius: u32,
) -> Vec<MatchRecord> {
    let mut nearest: HashMap<u64, MatchRecord> = HashMap::new();
    let mut keep = |r: MatchRecord| {
        let entry = nearest.entry(r.entry_id).or_insert_with(|| r.clone());
        if r.distance < entry.distance {
            *entry = r;
        }
    };
    let queries = std::iter::once((None, pdq)).chain(
        views
            .iter()
            .filter(|v| v.quality >= quality_floor)
            .map(|v| (Some(v.view), v.hash)),
    );
    // A PDQ match of `index`, with the banked hash and the query's view.
    let record = |index: &PdqIndex, m: hashwatch_index::Match, view: Option<View>| {
        let banked = index.get(m.id).unwrap_or_default();
        let mut r = MatchRecord::new(
            &loaded.bank.name,
            m.id,
            SignalType::Pdq,
            banked.to_string(),
            m.distance,
        );
        r.view = view;
        r
    };
    for (view, hash) in queries {
        if view.is_some() {
            for m in loaded.pdq.search(&hash, radius) {
                keep(record(&loaded.pdq, m, view));
            }
        }
        for m in loaded.derived.search(&hash, radius) {
            let Some(&derived) = loaded.derived_views.get(&m.id) else {
                continue;
            };
            let pair = hashwatch_robust::pair_radius(view, Some(derived), radius);
            if pair.is_none_or(|r| m.distance > r) {
                continue;
            }
            let mut r = record(&loaded.derived, m, view);
            r.derived = Some(derived.name());
            keep(r);
        }
    }
    nearest.into_values().collect()
}

/// A query video's matches in one bank: banked videos as pytx's vPDQ
/// index decides (each side's share of frames found in the other, against
/// the bank's percentages), and banked images that one of its frames is
/// near (the nearest frame reported).
fn video_matches(
    loaded: &LoadedBank,
    frames: &[VpdqFeature],
    limits: &Thresholds,
) -> Vec<MatchRecord> {
    let mut out = Vec::new();
    let record = |id, t, hash: Hash256, distance| {
        MatchRecord::new(&loaded.bank.name, id, t, hash.to_string(), distance)
    };
    for m in loaded.vpdq.search(frames, limits.pdq) {
        let scores = VideoScores {
            query_match_percent: m.query_match_percent(),
            compared_match_percent: m.compared_match_percent(),
        };
        if scores.query_match_percent < limits.video_query_percent
            || scores.compared_match_percent < limits.video_compared_percent
        {
            continue;
        }
        let mut r = record(m.id, SignalType::Vpdq, m.nearest.hash, m.nearest.distance);
        r.video = Some(scores);
        r.frames = Some(MatchedFrames {
            query_timestamp: Some(m.nearest.query_timestamp),
            bank_timestamp: Some(m.nearest.timestamp),
        });
        out.push(r);
    }
    // Banked images, each with the query frame nearest to it.
    let mut nearest: HashMap<u64, (u32, usize)> = HashMap::new();
    for (i, frame) in frames.iter().enumerate() {
        for m in loaded.pdq.search(&frame.pdq, limits.pdq) {
            let best = nearest.entry(m.id).or_insert((m.distance, i));
            if m.distance < best.0 {
                *best = (m.distance, i);
            }
        }
    }
    for (id, (distance, i)) in nearest {
        let hash = loaded.pdq.get(id).unwrap_or_default();
        let mut r = record(id, SignalType::Pdq, hash, distance);
        r.frames = Some(MatchedFrames {
            query_timestamp: Some(frames[i].timestamp),
            bank_timestamp: None,
        });
        out.push(r);
    }
    out
}

/// A query video's frames' views against a bank's pictures: each picture
/// once, with the frame and view nearest to it. A view repeating one
/// already looked up (a still held for many frames) is looked up once:
/// each lookup is a chance for an unrelated picture to match.
fn frame_view_matches(
    loaded: &LoadedBank,
    frames: &[FrameViews],
    quality_floor: u8,
    radius: u32,
) -> Vec<MatchRecord> {
    let mut nearest: HashMap<u64, MatchRecord> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for frame in frames {
        let views = frame.views.iter().filter(|v| v.quality >= quality_floor);
        for view in views.filter(|v| seen.insert(v.hash)) {
            for m in loaded.pdq.search(&view.hash, radius) {
                if nearest
                    .get(&m.id)
                    .is_some_and(|best| best.distance <= m.distance)
                {
                    continue;
                }
                let hash = loaded.pdq.get(m.id).unwrap_or_default();
                let mut r = MatchRecord::new(
                    &loaded.bank.name,
                    m.id,
                    SignalType::Pdq,
                    hash.to_string(),
                    m.distance,
                );
                r.view = Some(view.view);
                r.frames = Some(MatchedFrames {
                    query_timestamp: Some(frame.timestamp),
                    bank_timestamp: None,
                });
                nearest.insert(m.id, r);
            }
        }
    }
    nearest.into_values().collect()
}

/// A bank's series: its own PDQ hashes (not derived ones, not revoked
/// ones) grouped by near matches within `radius`.
pub fn bank_series<S: BankSource + ?Sized>(
    store: &S,
    bank: &str,
    radius: u32,
) -> Result<Grouping, Error> {
    let mut members = Vec::new();
    store.entries(bank, false, &mut |entry| {
        if entry.signal.derived.is_some() {
            return;
        }
        if let Some(hash) = entry.pdq() {
            members.push(Member {
                entry: entry.id,
                item: entry.signal.content_id.clone(),
                hash,
            });
        }
    })?;
    Ok(Grouping::build(&members, radius))
}
