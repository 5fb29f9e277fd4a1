//! The audit log's hash chain: each entry carries the hash of the one
//! before it, so that an entry changed, removed or moved underneath the
//! service shows. A retention purge removes entries too: in the same
//! transaction it writes a chained entry (`retention.purge`, a
//! [`PurgeRecord`]) naming each link it cut and its cutoff. A check accepts
//! a break in the chain only where such an entry, written after the break,
//! names that very link, and only for entries older than the retention
//! minimum allows: what is cut outside the chain, or cut too young, shows.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{AuditAction, NewAudit, Purged};

/// The shortest retention: a purge may remove no entry younger than this
/// (records must outlive reports about them). 90 days.
pub const MIN_RETENTION_SECS: i64 = 90 * 86_400;

/// How far an entry's time may run behind the entry before it: a writer
/// takes the time before it waits for the chain's lock. A cut whose kept
/// entry before it is newer than the purge's cutoff by more than this
/// removed entries that were not old enough.
pub const CLOCK_SLACK_SECS: i64 = 3_600;

/// The actor and tenant of the entries that may account for cuts: the
/// service's own.
const SERVICE_ACTOR: &str = "service";
const SERVICE_TENANT: &str = "*";

/// The hash of an entry written at `at` after the entry hashed `prev`
/// (empty for the first): SHA-256 over every field, each length-prefixed so
/// that no two entries share their bytes.
pub fn chain_hash(prev: &str, at: i64, e: &NewAudit) -> String {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    let optional = |v: &Option<String>| v.clone().unwrap_or_else(|| "\u{0}none".into());
    field(b"hashwatch-audit-v1");
    field(prev.as_bytes());
    field(&at.to_be_bytes());
    field(e.tenant.as_bytes());
    field(
        e.key_id
            .map_or_else(|| "none".to_string(), |k| k.to_string())
            .as_bytes(),
    );
    field(e.actor.as_bytes());
    field(e.action.as_bytes());
    field(optional(&e.bank).as_bytes());
    field(optional(&e.target).as_bytes());
    field(optional(&e.detail).as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One link a purge cut: the entries `first` to `last` went, so the
/// entry kept after them names `last_hash` as its predecessor, though the
/// entry kept before them is `after_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cut {
    /// The newest entry kept before the removed ones (0: none was).
    pub after_id: i64,
    /// Its hash (empty when none).
    pub after: String,
    /// The first entry removed.
    pub first: i64,
    /// The last entry removed.
    pub last: i64,
    /// The last removed entry's hash.
    pub last_hash: String,
}

/// What a retention purge's entry says (its `detail`): the cutoff, the
/// counts and the links it cut.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PurgeRecord {
    /// Records written before this Unix time went, unless held.
    pub cutoff: i64,
    /// What went.
    #[serde(flatten)]
    pub purged: Purged,
}

impl PurgeRecord {
    /// The entry's detail.
    pub fn detail(&self) -> String {
        // Integers and strings only: writing them cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A cut recorded before cuts were chained (`audit_cuts`), as the entry
/// that took them into the chain names it: `entry` followed the entry
/// hashed `after` (`None`: that entry is the one naming the cut).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyCut {
    /// The entry after the cut.
    pub entry: Option<i64>,
    /// The hash of the entry kept before it.
    pub after: String,
}

/// The detail of the entry that took the older, unchained cuts into the
/// chain (`audit.cuts_chained`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CutsChained {
    /// The cuts, as they were recorded.
    pub legacy_cuts: Vec<LegacyCut>,
}

impl CutsChained {
    /// The entry's detail.
    pub fn detail(&self) -> String {
        // Integers and strings only: writing them cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// An entry as stored, with its links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEntry {
    /// Its id.
    pub id: i64,
    /// When it was written.
    pub at: i64,
    /// What it says.
    pub event: NewAudit,
    /// The hash it claims of the entry before it (`None`: written before
    /// the chain existed).
    pub prev_hash: Option<String>,
    /// Its own hash as stored.
    pub hash: Option<String>,
}

/// What a check of the chain found wrong, at the first entry where it
/// shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    /// The entry's content is not what was hashed when it was written.
    Changed(i64),
    /// The entry does not follow the one before it, and no purge entry
    /// accounts for the gap: an entry between was removed, or entries were
    /// moved.
    Unlinked(i64),
    /// The entry is dated in the future, or well before the entry before
    /// it: a date written past the service (which a purge's age rules
    /// would otherwise trust).
    Misdated(i64),
    /// The newest entry is not the chain's recorded head: entries at the
    /// end were removed.
    Truncated {
        /// The newest entry left (0: none).
        last: i64,
    },
    /// A head kept elsewhere is no entry's hash: the entries after it were
    /// removed and the head moved back, or the chain was written anew.
    KeptHeadGone {
        /// The head that was kept.
        kept: String,
    },
}

impl Broken {
    /// The entry where the break shows.
    pub fn entry(&self) -> i64 {
        match self {
            Broken::Changed(id) | Broken::Unlinked(id) | Broken::Misdated(id) => *id,
            Broken::Truncated { last } => *last,
            Broken::KeptHeadGone { .. } => 0,
        }
    }
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Broken::Changed(id) => write!(f, "audit entry {id} was changed"),
            Broken::Unlinked(id) => write!(
                f,
                "audit entry {id} does not follow the entry before it, and no purge entry accounts for the gap: an entry was removed or entries were reordered"
            ),
            Broken::Misdated(id) => write!(
                f,
                "audit entry {id} is dated in the future or well before the entry before it"
            ),
            Broken::Truncated { last } => write!(
                f,
                "entries after audit entry {last} were removed: the chain's head is not there"
            ),
            Broken::KeptHeadGone { kept } => write!(
                f,
                "the head kept elsewhere ({kept}) is no entry's hash: entries after it were removed and the head moved back, or the chain was written anew"
            ),
        }
    }
}

/// What a check of the chain saw when nothing was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verified {
    /// Entries checked.
    pub entries: u64,
    /// Entries written before the chain existed, not checked.
    pub unchained: u64,
    /// Cuts accounted for by purge entries (and older cuts taken into the
    /// chain).
    pub cuts: u64,
    /// The newest entry (0: none).
    pub newest: i64,
    /// The chain's head, the newest entry's hash: kept elsewhere, it shows
    /// later whether entries were rewritten since.
    pub head: String,
}

/// The entry kept before a break.
#[derive(Clone, Copy)]
struct Kept<'a> {
    id: i64,
    hash: &'a str,
    at: Option<i64>,
}

impl<'a> Kept<'a> {
    /// None yet: the start of the log.
    const NONE: Kept<'static> = Kept {
        id: 0,
        hash: "",
        at: None,
    };

    fn entry(entry: &ChainedEntry, hash: &'a str) -> Kept<'a> {
        Kept {
            id: entry.id,
            hash,
            at: Some(entry.at),
        }
    }
}

/// The breaks that chained entries account for.
#[derive(Default)]
struct Allowed {
    /// (purge entry, its cutoff, a link it cut).
    purged: Vec<(i64, i64, Cut)>,
    /// (the entry that took it into the chain, an older cut).
    legacy: Vec<(i64, LegacyCut)>,
}

impl Allowed {
    /// The cuts the service's chained entries name. A purge entry whose
    /// cutoff is inside the retention minimum accounts for nothing.
    fn of(entries: &[ChainedEntry]) -> Allowed {
        let mut allowed = Allowed::default();
        let mut legacy_seen = false;
        for entry in entries {
            let e = &entry.event;
            if entry.hash.is_none() || e.actor != SERVICE_ACTOR || e.tenant != SERVICE_TENANT {
                continue;
            }
            let Some(detail) = &e.detail else { continue };
            if e.action == AuditAction::RetentionPurge.name() {
                let Ok(record) = serde_json::from_str::<PurgeRecord>(detail) else {
                    continue;
                };
                if record.cutoff > entry.at.saturating_sub(MIN_RETENTION_SECS) {
                    continue;
                }
                for cut in record.purged.cuts {
                    allowed.purged.push((entry.id, record.cutoff, cut));
                }
            } else if e.action == AuditAction::AuditCutsChained.name() {
                // The upgrade writes one; any later one was not its.
                if legacy_seen {
                    continue;
                }
                legacy_seen = true;
                let Ok(chained) = serde_json::from_str::<CutsChained>(detail) else {
                    continue;
                };
                for cut in chained.legacy_cuts {
                    allowed.legacy.push((entry.id, cut));
                }
            }
        }
        allowed
    }

    /// Whether `entry`, following `kept` though it names `prev` as its
    /// predecessor, is a cut an entry written at or after it accounts for.
    fn accounts_for(&self, kept: &Kept<'_>, entry: &ChainedEntry, prev: &str) -> bool {
        let purged = self.purged.iter().any(|(by, cutoff, cut)| {
            *by >= entry.id
                && cut.after_id == kept.id
                && cut.after == kept.hash
                && cut.last_hash == prev
                && kept.id < cut.first
                && cut.first <= cut.last
                && cut.last < entry.id
                // The removed entries came after the kept one, so it is
                // no newer than they were: older than the cutoff.
                && kept.at.is_none_or(|at| at < cutoff.saturating_add(CLOCK_SLACK_SECS))
        });
        purged
            || self.legacy.iter().any(|(by, cut)| {
                *by >= entry.id && cut.entry.unwrap_or(*by) == entry.id && cut.after == kept.hash
            })
    }
}

/// The links of the chain a purge cuts, to name in its entry: `before`
/// is the log before the purge, in id order, and `removed` tells the
/// entries the purge removed. Each gap the purge leaves between two kept
/// entries (or before the first) is one cut. Gaps earlier purges cut are
/// named again, inside a new cut or on their own, since the purge may
/// remove the entry that named them; a gap nothing accounted for is never
/// named, so that it still shows.
pub fn cuts_after(before: &[ChainedEntry], removed: impl Fn(i64) -> bool) -> Vec<Cut> {
    let allowed = Allowed::of(before);
    let mut cuts = Vec::new();
    let mut kept = Kept::NONE;
    // The entry before, removed or kept, as `Kept` for the check of the
    // link into the next.
    let mut previous = Kept::NONE;
    // The ids removed since the last kept entry, and whether every link
    // among them was the chain's own or accounted for.
    let mut run: Option<(i64, i64)> = None;
    let mut sound = true;
    for entry in before {
        let (Some(prev), Some(hash)) = (&entry.prev_hash, &entry.hash) else {
            continue;
        };
        if prev != previous.hash && !allowed.accounts_for(&previous, entry, prev) {
            sound = false;
        }
        if removed(entry.id) {
            run = Some((run.map_or(entry.id, |(first, _)| first), entry.id));
        } else {
            if prev != kept.hash && sound {
                let (first, last) = run.unwrap_or((kept.id + 1, entry.id - 1));
                cuts.push(Cut {
                    after_id: kept.id,
                    after: kept.hash.to_string(),
                    first,
                    last,
                    last_hash: prev.clone(),
                });
            }
            kept = Kept::entry(entry, hash);
            run = None;
            sound = true;
        }
        previous = Kept::entry(entry, hash);
    }
    // Removed entries at the end: the purge's own entry follows them.
    if let (Some((first, last)), true) = (run, sound) {
        cuts.push(Cut {
            after_id: kept.id,
            after: kept.hash.to_string(),
            first,
            last,
            last_hash: previous.hash.to_string(),
        });
    }
    cuts
}

/// Checks entries in id order against the chain's head: each follows the
/// one before it, or the gap is a cut a purge entry written after it
/// names. `earlier_head` is a head printed by an earlier check and kept elsewhere:
/// it must still be an entry's hash (a purge may remove it only once it is
/// past retention).
pub fn verify(
    entries: &[ChainedEntry],
    head: &str,
    earlier_head: Option<&str>,
    now: i64,
) -> Result<Verified, Broken> {
    let allowed = Allowed::of(entries);
    let mut seen = Verified::default();
    let mut kept = Kept::NONE;
    for entry in entries {
        let (Some(prev), Some(hash)) = (&entry.prev_hash, &entry.hash) else {
            if seen.entries > 0 {
                // An unchained entry after chained ones was edited in.
                return Err(Broken::Changed(entry.id));
            }
            seen.unchained += 1;
            continue;
        };
        if chain_hash(prev, entry.at, &entry.event) != *hash {
            return Err(Broken::Changed(entry.id));
        }
        let backwards = kept
            .at
            .is_some_and(|at| entry.at.saturating_add(CLOCK_SLACK_SECS) < at);
        if backwards || entry.at > now.saturating_add(CLOCK_SLACK_SECS) {
            return Err(Broken::Misdated(entry.id));
        }
        if prev != kept.hash {
            if !allowed.accounts_for(&kept, entry, prev) {
                return Err(Broken::Unlinked(entry.id));
            }
            seen.cuts += 1;
        }
        kept = Kept::entry(entry, hash);
        seen.entries += 1;
    }
    if kept.hash != head {
        return Err(Broken::Truncated { last: kept.id });
    }
    if let Some(earlier) = earlier_head {
        if !entries.iter().any(|e| e.hash.as_deref() == Some(earlier)) {
            return Err(Broken::KeptHeadGone {
                kept: earlier.to_string(),
            });
        }
    }
    seen.newest = kept.id;
    seen.head = kept.hash.to_string();
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Actor;

    const DAY: i64 = 86_400;
    const NOW: i64 = 1_000 * DAY;

    /// A log written entry by entry, as the store chains it.
    #[derive(Default)]
    struct Log {
        entries: Vec<ChainedEntry>,
        head: String,
        written: i64,
    }

    impl Log {
        fn write_as(&mut self, at: i64, event: NewAudit) -> i64 {
            self.written += 1;
            let hash = chain_hash(&self.head, at, &event);
            self.entries.push(ChainedEntry {
                id: self.written,
                at,
                event,
                prev_hash: Some(self.head.clone()),
                hash: Some(hash.clone()),
            });
            self.head = hash;
            self.written
        }

        fn write(&mut self, at: i64) -> i64 {
            let action = format!("act{}", self.written + 1);
            self.write_as(
                at,
                NewAudit {
                    tenant: "t".into(),
                    actor: "a".into(),
                    action,
                    ..NewAudit::default()
                },
            )
        }

        fn hash(&self, id: i64) -> String {
            self.entries
                .iter()
                .find(|e| e.id == id)
                .and_then(|e| e.hash.clone())
                .expect("entry")
        }

        /// Removes entries `first..=last`, returning the cut as a purge
        /// names it.
        fn cut(&mut self, first: i64, last: i64) -> Cut {
            let after_id = self
                .entries
                .iter()
                .filter(|e| e.id < first)
                .map(|e| e.id)
                .max()
                .unwrap_or(0);
            let cut = Cut {
                after_id,
                after: if after_id == 0 {
                    String::new()
                } else {
                    self.hash(after_id)
                },
                first,
                last,
                last_hash: self.hash(last),
            };
            self.entries.retain(|e| e.id < first || e.id > last);
            cut
        }

        fn purge_entry(&mut self, actor: &Actor, at: i64, cutoff: i64, cuts: Vec<Cut>) -> i64 {
            let record = PurgeRecord {
                cutoff,
                purged: Purged {
                    cuts,
                    ..Purged::default()
                },
            };
            let event = actor.audit(
                "*",
                AuditAction::RetentionPurge,
                None,
                None,
                Some(record.detail()),
            );
            self.write_as(at, event)
        }

        /// A service purge at `at` removing `ids`, its cuts as
        /// [`cuts_after`] names them.
        fn purge(&mut self, at: i64, cutoff: i64, ids: &[i64]) -> Vec<Cut> {
            let cuts = cuts_after(&self.entries, |id| ids.contains(&id));
            self.entries.retain(|e| !ids.contains(&e.id));
            self.purge_entry(&Actor::Service, at, cutoff, cuts.clone());
            cuts
        }

        fn verify(&self) -> Result<Verified, Broken> {
            verify(&self.entries, &self.head, None, NOW)
        }
    }

    /// Five entries a day apart, from day 1.
    fn old_log() -> Log {
        let mut log = Log::default();
        for day in 1..=5 {
            log.write(day * DAY);
        }
        log
    }

    #[test]
    fn changes_removals_and_reorders_show_at_the_first_entry() {
        let log = old_log();
        let checked = log.verify().expect("holds");
        assert_eq!((checked.entries, checked.cuts, checked.newest), (5, 0, 5));
        assert_eq!(checked.head, log.head);
        let mut changed = log.entries.clone();
        changed[2].event.actor = "someone else".into();
        assert_eq!(
            verify(&changed, &log.head, None, NOW),
            Err(Broken::Changed(3))
        );
        let mut removed = log.entries.clone();
        removed.remove(1);
        assert_eq!(
            verify(&removed, &log.head, None, NOW),
            Err(Broken::Unlinked(3))
        );
        let mut swapped = log.entries.clone();
        swapped.swap(1, 2);
        assert_eq!(
            verify(&swapped, &log.head, None, NOW),
            Err(Broken::Unlinked(3))
        );
        assert_eq!(
            verify(&log.entries[..4], &log.head, None, NOW),
            Err(Broken::Truncated { last: 4 })
        );
        // With the head moved back too, only a head kept elsewhere shows it.
        let moved_back = log.hash(4);
        assert!(verify(&log.entries[..4], &moved_back, None, NOW).is_ok());
        assert_eq!(
            verify(&log.entries[..4], &moved_back, Some(&log.head), NOW),
            Err(Broken::KeptHeadGone {
                kept: log.head.clone()
            })
        );
        assert!(verify(&log.entries, &log.head, Some(&moved_back), NOW).is_ok());
    }

    #[test]
    fn a_purge_entry_accounts_for_the_links_it_names() {
        let now = 400 * DAY;
        let cutoff = now - 100 * DAY;
        // The middle and the end go, and the start.
        let mut log = old_log();
        let cuts = vec![log.cut(1, 1), log.cut(3, 3), log.cut(5, 5)];
        log.purge_entry(&Actor::Service, now, cutoff, cuts);
        let checked = log.verify().expect("the purge names every cut");
        assert_eq!((checked.entries, checked.cuts), (3, 3));
        log.write(now + 1);
        assert!(log.verify().is_ok(), "entries after the purge follow it");
    }

    #[test]
    fn a_cut_no_purge_entry_names_shows() {
        let now = 400 * DAY;
        let cutoff = now - 100 * DAY;

        // Removed with no purge entry at all.
        let mut log = old_log();
        log.cut(3, 3);
        assert_eq!(log.verify(), Err(Broken::Unlinked(4)));

        // A purge that cut 2 does not account for 3, removed as well.
        let mut log = old_log();
        let cut = log.cut(2, 2);
        log.cut(3, 3);
        log.purge_entry(&Actor::Service, now, cutoff, vec![cut]);
        assert_eq!(log.verify(), Err(Broken::Unlinked(4)));

        // A purge that removed 2 and 3 does not account for 4, removed
        // beside them: the entry after names another predecessor.
        let mut log = old_log();
        let cut = log.cut(2, 3);
        log.cut(4, 4);
        log.purge_entry(&Actor::Service, now, cutoff, vec![cut]);
        assert_eq!(log.verify(), Err(Broken::Unlinked(5)));

        // Only the service's entry counts: not a key's.
        let mut log = old_log();
        let cut = log.cut(3, 3);
        let key = Actor::Key {
            id: 1,
            name: "service-ish".into(),
        };
        log.purge_entry(&key, now, cutoff, vec![cut]);
        assert_eq!(log.verify(), Err(Broken::Unlinked(4)));
    }

    #[test]
    fn a_cut_of_young_entries_shows() {
        let now = 400 * DAY;
        // A cutoff inside the retention minimum accounts for nothing.
        let mut log = old_log();
        let cut = log.cut(3, 3);
        log.purge_entry(&Actor::Service, now, now - 89 * DAY, vec![cut]);
        assert_eq!(log.verify(), Err(Broken::Unlinked(4)));

        // Entries written after the cutoff cannot have been purged: the
        // entry kept before them is newer than the cutoff.
        let mut log = old_log();
        let cutoff = 3 * DAY - CLOCK_SLACK_SECS - 1;
        let cut = log.cut(4, 4);
        log.purge_entry(&Actor::Service, now, cutoff, vec![cut.clone()]);
        assert_eq!(log.verify(), Err(Broken::Unlinked(5)));
        // The same cut with a later cutoff holds.
        let mut log = old_log();
        let cut = log.cut(4, 4);
        log.purge_entry(&Actor::Service, now, 4 * DAY + 1, vec![cut]);
        assert!(log.verify().is_ok());
    }

    #[test]
    fn older_cuts_taken_into_the_chain_hold_before_that_entry_only() {
        let mut log = old_log();
        let after = log.hash(2);
        log.cut(3, 3);
        let legacy = CutsChained {
            legacy_cuts: vec![LegacyCut {
                entry: Some(4),
                after: after.clone(),
            }],
        };
        let event = Actor::Service.audit(
            "*",
            AuditAction::AuditCutsChained,
            None,
            None,
            Some(legacy.detail()),
        );
        log.write_as(10 * DAY, event);
        assert_eq!(log.verify().map(|v| v.cuts), Ok(1));
        // A cut made after that entry is not covered by it.
        log.write(11 * DAY);
        log.write(12 * DAY);
        log.cut(7, 7);
        assert_eq!(log.verify(), Err(Broken::Unlinked(8)));
    }

    #[test]
    fn a_purge_names_again_the_cuts_of_purges_it_removes() {
        let mut log = old_log();
        // The first purge cuts 2; the second removes 1 and the first
        // purge's own entry, which named that cut.
        let first = log.purge(400 * DAY, 300 * DAY, &[2]);
        assert_eq!(first.len(), 1);
        log.write(401 * DAY);
        assert!(log.verify().is_ok());
        let second = log.purge(600 * DAY, 500 * DAY, &[1, 6]);
        let named: Vec<(i64, i64)> = second.iter().map(|c| (c.after_id, c.first)).collect();
        assert_eq!(named, vec![(0, 1), (5, 6)]);
        assert_eq!(log.verify().map(|v| v.cuts), Ok(2));
    }

    #[test]
    fn a_purge_does_not_name_a_gap_nothing_accounted_for() {
        let mut log = old_log();
        log.cut(4, 4);
        let cuts = log.purge(400 * DAY, 300 * DAY, &[2]);
        assert_eq!(cuts.len(), 1, "only its own: {cuts:?}");
        assert_eq!(log.verify(), Err(Broken::Unlinked(5)));
        // Nor when it removes entries on both sides of it.
        let mut log = old_log();
        log.cut(3, 3);
        log.purge(400 * DAY, 300 * DAY, &[2, 4]);
        assert_eq!(log.verify(), Err(Broken::Unlinked(5)));
    }

    #[test]
    fn dates_written_past_the_service_show() {
        let mut log = old_log();
        log.write(NOW + 2 * DAY);
        assert_eq!(log.verify(), Err(Broken::Misdated(6)));
        let mut log = old_log();
        log.write(DAY / 2);
        assert_eq!(log.verify(), Err(Broken::Misdated(6)));
        // Within an hour of the entry before: clocks and lock waits.
        let mut log = old_log();
        log.write(5 * DAY - CLOCK_SLACK_SECS);
        assert!(log.verify().is_ok());
    }
}
