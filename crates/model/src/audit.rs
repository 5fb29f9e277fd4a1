//! The audit log's hash chain: each entry carries the hash of the one
//! before it, so that an entry changed, removed or moved underneath the
//! service shows. A retention purge removes entries too; it records each
//! link it cut, and only those cuts are accepted.

use sha2::{Digest, Sha256};

use crate::NewAudit;

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
    /// The entry does not follow the one before it: an entry between was
    /// removed, or entries were moved.
    Unlinked(i64),
    /// The newest entry is not the chain's recorded head: entries at the
    /// end were removed.
    Truncated {
        /// The newest entry left (0: none).
        last: i64,
    },
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Broken::Changed(id) => write!(f, "audit entry {id} was changed"),
            Broken::Unlinked(id) => write!(
                f,
                "audit entry {id} does not follow the entry before it: one was removed or entries were reordered"
            ),
            Broken::Truncated { last } => write!(
                f,
                "entries after audit entry {last} were removed: the chain's head is not there"
            ),
        }
    }
}

/// What a check of the chain saw when nothing was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Verified {
    /// Entries checked.
    pub entries: u64,
    /// Entries written before the chain existed, not checked.
    pub unchained: u64,
}

/// Checks entries in id order against the chain's head and the links a
/// purge cut (`cut(id, after)`: a purge removed the entries between the
/// one hashed `after` and entry `id`; id 0 is the entry not yet written).
pub fn verify(
    entries: &[ChainedEntry],
    head: &str,
    cut: impl Fn(i64, &str) -> bool,
) -> Result<Verified, Broken> {
    let mut seen = Verified::default();
    let mut last_hash = String::new();
    let mut last_id = 0;
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
        if *prev != last_hash && !cut(entry.id, &last_hash) {
            return Err(Broken::Unlinked(entry.id));
        }
        last_hash = hash.clone();
        last_id = entry.id;
        seen.entries += 1;
    }
    // The newest entries may be gone by a purge that recorded it (as a
    // cut before the entry not yet written, id 0).
    if last_hash != head && !cut(0, &last_hash) {
        return Err(Broken::Truncated { last: last_id });
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<ChainedEntry> {
        let mut prev = String::new();
        (1..=n)
            .map(|id| {
                let event = NewAudit {
                    tenant: "t".into(),
                    actor: "a".into(),
                    action: format!("act{id}"),
                    ..NewAudit::default()
                };
                let hash = chain_hash(&prev, id * 10, &event);
                let entry = ChainedEntry {
                    id,
                    at: id * 10,
                    event,
                    prev_hash: Some(prev.clone()),
                    hash: Some(hash.clone()),
                };
                prev = hash;
                entry
            })
            .collect()
    }

    #[test]
    fn changes_removals_and_reorders_show_at_the_first_entry() {
        let entries = chain(5);
        let head = entries[4].hash.clone().expect("hash");
        let none = |_: i64, _: &str| false;
        assert_eq!(
            verify(&entries, &head, none),
            Ok(Verified {
                entries: 5,
                unchained: 0
            })
        );
        let mut changed = entries.clone();
        changed[2].event.actor = "someone else".into();
        assert_eq!(verify(&changed, &head, none), Err(Broken::Changed(3)));
        let mut removed = entries.clone();
        removed.remove(1);
        assert_eq!(verify(&removed, &head, none), Err(Broken::Unlinked(3)));
        let mut swapped = entries.clone();
        swapped.swap(1, 2);
        assert_eq!(verify(&swapped, &head, none), Err(Broken::Unlinked(3)));
        let truncated = &entries[..4];
        assert_eq!(
            verify(truncated, &head, none),
            Err(Broken::Truncated { last: 4 })
        );
        // A cut the purge recorded is accepted, and only that one.
        let after = entries[0].hash.clone().expect("hash");
        let purged_cut = |id: i64, prev: &str| id == 3 && prev == after;
        assert!(verify(&removed, &head, purged_cut).is_ok());
        assert!(verify(&removed[1..], &head, purged_cut).is_err());
    }
}
