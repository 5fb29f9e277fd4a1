//! What a matching service holds in memory and what one lookup there may
//! see: the banks of the caller's tenant and those shared with it, each at
//! its own threshold, HMA's per-bank coinflip, and content that is not
//! disabled. [`LiveView`] keeps it in step with the store's change log.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock, RwLockReadGuard};

use hashwatch_model::{
    unix_now, Availability, BankKind, BankSettings, Change, ChangeKind, SignalType,
};

use crate::{BankSource, Error};

use crate::{MatchOptions, Matcher, Query, Thresholds, DEFAULT_VIEW_THRESHOLD};

/// The index and what lookups are matched under.
#[derive(Default)]
pub struct View {
    /// The index; `None` until the first load finishes.
    pub matcher: Option<Matcher>,
    /// Bank settings by bank name.
    pub settings: HashMap<String, BankSettings>,
    /// Content id → availability, for content not plainly enabled.
    pub disabled: HashMap<u64, Availability>,
    /// Entry id → content id, for entries banked with another.
    pub links: HashMap<u64, u64>,
    /// Unix time of the last successful sync with the store.
    pub synced_at: i64,
}

/// A match found for a caller, with HMA's content id.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The bank.
    pub bank: String,
    /// HMA's `bank_content_id`.
    pub content_id: u64,
    /// The entry.
    pub entry_id: u64,
    /// The signal type matched.
    pub signal_type: SignalType,
    /// Distance (0 for exact).
    pub distance: u32,
    /// For a video matching a banked video: how much of each matched.
    pub video: Option<crate::VideoScores>,
    /// For matches involving a video: which frames.
    pub frames: Option<crate::MatchedFrames>,
    /// For a robust match, the view of the upload that matched.
    pub view: Option<crate::View>,
    /// For a match of a derived hash, the view of the banked picture.
    pub derived: Option<String>,
    /// The content is disabled (only raw lookups answer such hits, as
    /// HMA's do; no match is recorded and no action runs for them).
    pub disabled: bool,
}

/// Which banks take part in a lookup.
#[derive(Debug, Clone, Default)]
pub struct BankFilter {
    /// Only these banks (`?banks=A,B`).
    pub only: Option<Vec<String>>,
    /// HMA's coinflip: banks with a lower `matching_enabled_ratio` sit the
    /// lookup out. `None` ignores ratios (raw lookups).
    pub coinflip: Option<f64>,
    /// Answer disabled content too, marked [`Hit::disabled`]: HMA's raw
    /// lookup answers the index as it is.
    pub include_disabled: bool,
}

/// The index has not finished loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotLoaded;

/// Which banks a query is matched robustly in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Robust {
    /// In the banks set to match robustly (the service).
    AsBankSays,
    /// In every bank (the command line's `--robust`, which asks for it).
    Everywhere,
}

impl View {
    /// A view of the named banks (every bank when `names` is empty), read
    /// from `store` once: what the command line matches under.
    pub fn load_from<S: BankSource + ?Sized>(
        store: &S,
        names: &[String],
        progress: &mut dyn FnMut(u64),
    ) -> Result<View, Error> {
        let matcher = Matcher::load(store, names, progress)?;
        let settings = store.bank_settings()?;
        let content = store.content_state()?;
        Ok(View {
            matcher: Some(matcher),
            settings,
            disabled: content.disabled.into_iter().collect(),
            links: content.links.into_iter().collect(),
            synced_at: unix_now(),
        })
    }

    /// What bank `bank` takes for a match, given `defaults`: its own PDQ
    /// threshold and video percentages where it has them, and robust
    /// matching at its own view threshold where asked. `None` for a bank
    /// without settings (made a moment ago, not yet followed).
    pub fn bank_thresholds(
        &self,
        bank: &str,
        defaults: &Thresholds,
        robust: Robust,
    ) -> Option<Thresholds> {
        let settings = self.settings.get(bank)?;
        let robust = robust == Robust::Everywhere || settings.robust;
        Some(Thresholds {
            pdq: settings.threshold.unwrap_or(defaults.pdq),
            video_query_percent: settings
                .video_query_percent
                .unwrap_or(defaults.video_query_percent),
            video_compared_percent: settings
                .video_compared_percent
                .unwrap_or(defaults.video_compared_percent),
            view: defaults
                .view
                .filter(|_| robust)
                .map(|t| settings.view_threshold.unwrap_or(t)),
        })
    }

    /// Whether the content an entry belongs to matches at `now`.
    pub fn entry_enabled(&self, entry: u64, now: i64) -> bool {
        self.enabled(self.content_of(entry), now)
    }

    /// The content an entry belongs to.
    pub fn content_of(&self, entry: u64) -> u64 {
        self.links.get(&entry).copied().unwrap_or(entry)
    }

    /// Whether a content item matches now.
    pub fn enabled(&self, content: u64, now: i64) -> bool {
        self.disabled
            .get(&content)
            .is_none_or(|availability| availability.enabled_at(now))
    }

    /// Active entries of the banks a tenant sees, by signal type; `None`
    /// until the index is loaded.
    pub fn sizes_for(&self, tenant: &str) -> Option<HashMap<SignalType, usize>> {
        let matcher = self.matcher.as_ref()?;
        Some(matcher.sizes_of(|name| {
            self.settings
                .get(name)
                .is_some_and(|s| s.visible_to(tenant))
        }))
    }

    /// The banks a tenant sees, by name.
    pub fn visible(&self, tenant: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .settings
            .iter()
            .filter(|(_, s)| s.visible_to(tenant))
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names
    }

    /// Whether some bank matches uploads robustly, so that an upload's
    /// views (a video's frames' above all) are worth taking.
    pub fn any_robust(&self) -> bool {
        self.settings.values().any(|s| s.robust)
    }

    /// Matches a query for a key of `tenant`: only banks the tenant sees
    /// (and `filter` lets through), each at its own threshold or
    /// `default_threshold`, skipping disabled content unless the filter
    /// asks for it. A bank without
    /// settings yet (made a moment ago, not followed in full) takes no part.
    pub fn lookup(
        &self,
        tenant: &str,
        query: &Query,
        filter: &BankFilter,
        default_threshold: u32,
    ) -> Result<Vec<Hit>, NotLoaded> {
        let matcher = self.matcher.as_ref().ok_or(NotLoaded)?;
        let options = MatchOptions {
            threshold: default_threshold,
            // A query with views (an upload hashed robustly) is matched
            // robustly in the banks set so; a lookup by hash never is.
            view_threshold: query.brings_views().then_some(DEFAULT_VIEW_THRESHOLD),
            ..MatchOptions::default()
        };
        let outcome = matcher.lookup_with(query, &options, &|bank| {
            let settings = self.settings.get(&bank.name)?;
            if !settings.visible_to(tenant) {
                return None;
            }
            if let Some(only) = &filter.only {
                if !only.iter().any(|n| n == &bank.name) {
                    return None;
                }
            }
            if let Some(coinflip) = filter.coinflip {
                // A negative bank always takes part: a known false positive
                // stays known whatever the draw.
                if bank.kind == BankKind::Positive && settings.enabled_ratio < coinflip {
                    return None;
                }
            }
            self.bank_thresholds(&bank.name, &options.thresholds(), Robust::AsBankSays)
        });
        let now = unix_now();
        Ok(outcome
            .matches
            .into_iter()
            .map(|m| Hit {
                content_id: self.content_of(m.entry_id),
                bank: m.bank,
                entry_id: m.entry_id,
                signal_type: m.signal_type,
                distance: m.distance,
                video: m.video,
                frames: m.frames,
                view: m.view,
                derived: m.derived,
                disabled: false,
            })
            .filter_map(|mut h| {
                h.disabled = !self.enabled(h.content_id, now);
                (!h.disabled || filter.include_disabled).then_some(h)
            })
            .collect())
    }
}

/// What a load brought in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    /// Active entries in the index.
    pub entries: usize,
    /// Banks with settings.
    pub banks: usize,
}

/// A [`View`] shared by a service's requests and kept in step with the
/// store: loaded once, then followed.
#[derive(Default)]
pub struct LiveView {
    view: RwLock<View>,
    // The background follower and a request catching up after its own
    // write take turns.
    following: Mutex<()>,
}

impl LiveView {
    /// An empty view: lookups answer [`NotLoaded`] until [`LiveView::load`].
    pub fn new() -> LiveView {
        LiveView::default()
    }

    /// The view, for reading.
    pub fn read(&self) -> RwLockReadGuard<'_, View> {
        self.view.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, View> {
        self.view.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Loads the index, bank settings and content state (blocking).
    pub fn load<S: BankSource + ?Sized>(&self, store: &S) -> Result<Loaded, Error> {
        let _turn = self.following.lock().unwrap_or_else(|p| p.into_inner());
        let loaded = View::load_from(store, &[], &mut |_| {})?;
        let entries = loaded
            .matcher
            .as_ref()
            .map_or(0, |m| m.sizes().values().sum());
        let banks = loaded.settings.len();
        *self.write() = loaded;
        Ok(Loaded { entries, banks })
    }

    /// Applies changes committed since the last sync, through any node
    /// (blocking). The store is read under the shared lock, so lookups go on
    /// meanwhile; only applying the changes in memory takes the exclusive
    /// lock. Returns how many changes were applied.
    pub fn follow<S: BankSource + ?Sized>(&self, store: &S) -> Result<usize, Error> {
        let _turn = self.following.lock().unwrap_or_else(|p| p.into_inner());
        let mut applied = 0;
        loop {
            let pending = {
                let view = self.read();
                let Some(matcher) = view.matcher.as_ref() else {
                    return Ok(0);
                };
                if store.last_change()? <= matcher.cursor() {
                    drop(view);
                    self.write().synced_at = unix_now();
                    return Ok(applied);
                }
                let pending = matcher.read_changes(store)?;
                // Changes this build cannot read (a newer node's kinds) are
                // left for the next follow rather than waited on here.
                if pending.is_empty() {
                    return Ok(applied);
                }
                pending
            };
            let mut settings_changed = false;
            let mut contents = Vec::new();
            let mut note = |change: &Change| match &change.kind {
                ChangeKind::ContentUpdated { content } => contents.push(*content),
                ChangeKind::BankCreated(_)
                | ChangeKind::BankDeleted
                | ChangeKind::BankUpdated { .. } => settings_changed = true,
                _ => {}
            };
            // Settings and content state are read after the index changes
            // are in, outside the lock; until they are, a new bank is left
            // out of lookups (it has no settings yet), never misread.
            let count = match self.write().matcher.as_mut() {
                Some(matcher) => matcher.apply_changes(pending, &mut note),
                None => 0,
            };
            applied += count;
            let settings = if settings_changed {
                Some(store.bank_settings()?)
            } else {
                None
            };
            let mut content_states = Vec::with_capacity(contents.len());
            for content in contents {
                content_states.push((content, store.content_links(content)?));
            }
            let mut view = self.write();
            if let Some(settings) = settings {
                view.settings = settings;
            }
            for (content, (availability, links)) in content_states {
                if availability == Availability::Enabled {
                    view.disabled.remove(&content);
                } else {
                    view.disabled.insert(content, availability);
                }
                for entry in links {
                    view.links.insert(entry, content);
                }
            }
            view.synced_at = unix_now();
        }
    }
}
