//! Series: a bank's pictures grouped by near matches, so that identifying
//! one picture points to the others of its series.
//!
//! Two entries are in one series when a chain of near PDQ matches (within
//! a radius) links them, or when they are hashes of one item. The pairs
//! come from [`hashwatch_index::near_pairs`], never from comparing all
//! pairs, so a million entries group in seconds.
//!
//! A series is named by its oldest entry (the smallest id). Entries only
//! ever get larger ids, so adding entries never renames a series, except
//! when a new entry links two or more: they merge under the oldest name,
//! and [`Grouping::merges`] says which entry merged which. Grouping is
//! derived data: the same entries always give the same series, so it can
//! be recomputed at any time and needs no storage of its own.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::HashMap;

use hashwatch_pdq::Hash256;

/// The usual radius: PDQ's match threshold.
pub const DEFAULT_RADIUS: u32 = 31;

/// One banked hash to group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The entry's id.
    pub entry: u64,
    /// The item (content id) the entry belongs to, if any.
    pub item: Option<String>,
    /// Its PDQ hash.
    pub hash: Hash256,
}

/// A new entry that linked series which were apart before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    /// The entry that linked them.
    pub entry: u64,
    /// The series they became (the oldest of them).
    pub into: u64,
    /// The other series, now part of `into`.
    pub merged: Vec<u64>,
}

/// Entries grouped into series.
#[derive(Debug, Clone, Default)]
pub struct Grouping {
    /// Each entry's series id.
    series: HashMap<u64, u64>,
    /// Items per series.
    sizes: HashMap<u64, usize>,
    /// Merges, in the order the linking entries were added.
    merges: Vec<Merge>,
    /// Each entry's item, and the series of each item.
    items: HashMap<u64, String>,
    item_series: HashMap<String, u64>,
}

/// Union-find over positions, keeping the smallest position as the root.
struct Sets(Vec<u32>);

impl Sets {
    fn root(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let parent = self.0[x as usize];
            self.0[x as usize] = self.0[parent as usize];
            x = parent;
        }
        x
    }

    fn join(&mut self, a: u32, b: u32) {
        let (a, b) = (self.root(a), self.root(b));
        let (low, high) = (a.min(b), a.max(b));
        self.0[high as usize] = low;
    }
}

impl Grouping {
    /// Groups `members` (in any order) by near matches within `radius`.
    pub fn build(members: &[Member], radius: u32) -> Grouping {
        let mut members: Vec<&Member> = members.iter().collect();
        members.sort_unstable_by_key(|m| m.entry);
        let n = members.len();
        // Links to earlier entries, by the later one: entries with one
        // hash (joined once, not pair by pair: a hash banked ten thousand
        // times would otherwise make fifty million pairs), near pairs of
        // distinct hashes, and entries of one item.
        let mut links: Vec<(u32, u32)> = Vec::new();
        let mut first_of_hash: HashMap<Hash256, u32> = HashMap::new();
        let mut distinct: Vec<(Hash256, u32)> = Vec::new();
        for (i, m) in members.iter().enumerate() {
            let first = *first_of_hash.entry(m.hash).or_insert_with(|| {
                distinct.push((m.hash, i as u32));
                i as u32
            });
            if first != i as u32 {
                links.push((i as u32, first));
            }
        }
        let hashes: Vec<Hash256> = distinct.iter().map(|d| d.0).collect();
        hashwatch_index::near_pairs(&hashes, radius, &mut |a, b, _| {
            let (a, b) = (distinct[a].1, distinct[b].1);
            links.push((a.max(b), a.min(b)));
        });
        let mut first_of_item: HashMap<&str, u32> = HashMap::new();
        for (i, m) in members.iter().enumerate() {
            if let Some(item) = m.item.as_deref() {
                let first = *first_of_item.entry(item).or_insert(i as u32);
                if first != i as u32 {
                    links.push((i as u32, first));
                }
            }
        }
        links.sort_unstable();
        let mut sets = Sets((0..n as u32).collect());
        let mut merges = Vec::new();
        let mut at = 0;
        for later in 0..n as u32 {
            let mut roots = Vec::new();
            while at < links.len() && links[at].0 == later {
                roots.push(sets.root(links[at].1));
                at += 1;
            }
            roots.sort_unstable();
            roots.dedup();
            for &r in &roots {
                sets.join(later, r);
            }
            if roots.len() > 1 {
                let name = |r: u32| members[r as usize].entry;
                merges.push(Merge {
                    entry: members[later as usize].entry,
                    into: name(roots[0]),
                    merged: roots[1..].iter().map(|&r| name(r)).collect(),
                });
            }
        }
        let mut series = HashMap::with_capacity(n);
        let mut entry_items = HashMap::new();
        let mut item_series = HashMap::new();
        let mut items: HashMap<u64, std::collections::HashSet<&str>> = HashMap::new();
        let mut loose: HashMap<u64, usize> = HashMap::new();
        for (i, m) in members.iter().enumerate() {
            let id = members[sets.root(i as u32) as usize].entry;
            series.insert(m.entry, id);
            match m.item.as_deref() {
                Some(item) => {
                    items.entry(id).or_default().insert(item);
                    entry_items.insert(m.entry, item.to_string());
                    item_series.entry(item.to_string()).or_insert(id);
                }
                None => *loose.entry(id).or_default() += 1,
            }
        }
        let mut sizes: HashMap<u64, usize> = loose;
        for (id, set) in items {
            *sizes.entry(id).or_default() += set.len();
        }
        Grouping {
            series,
            sizes,
            merges,
            items: entry_items,
            item_series,
        }
    }

    /// The series of an entry, and how many items it has.
    pub fn series_of(&self, entry: u64) -> Option<(u64, usize)> {
        let id = *self.series.get(&entry)?;
        Some((id, self.sizes.get(&id).copied().unwrap_or(1)))
    }

    /// The series of an item (for its entries outside the grouping:
    /// derived hashes, digests), and how many items it has.
    pub fn series_of_item(&self, item: &str) -> Option<(u64, usize)> {
        let id = *self.item_series.get(item)?;
        Some((id, self.sizes.get(&id).copied().unwrap_or(1)))
    }

    /// The item an entry belongs to, if it has one.
    pub fn item_of(&self, entry: u64) -> Option<&str> {
        self.items.get(&entry).map(String::as_str)
    }

    /// Every series id with its entries, oldest series first, entries in
    /// id order.
    pub fn series(&self) -> Vec<(u64, Vec<u64>)> {
        let mut by_series: HashMap<u64, Vec<u64>> = HashMap::new();
        for (&entry, &id) in &self.series {
            by_series.entry(id).or_default().push(entry);
        }
        let mut out: Vec<(u64, Vec<u64>)> = by_series.into_iter().collect();
        for (_, entries) in &mut out {
            entries.sort_unstable();
        }
        out.sort_unstable_by_key(|(id, _)| *id);
        out
    }

    /// The merges, in the order the linking entries were added.
    pub fn merges(&self) -> &[Merge] {
        &self.merges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(seed: u64) -> Hash256 {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut limb = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        Hash256::from_limbs([limb(), limb(), limb(), limb()])
    }

    fn near(h: Hash256, bits: usize, salt: usize) -> Hash256 {
        let mut limbs = h.limbs();
        for b in 0..bits {
            let k = (b * 41 + salt * 7) % 256;
            limbs[k / 64] ^= 1 << (k % 64);
        }
        Hash256::from_limbs(limbs)
    }

    fn member(entry: u64, hash: Hash256) -> Member {
        Member {
            entry,
            item: Some(format!("item-{entry}")),
            hash,
        }
    }

    #[test]
    fn chains_of_near_matches_are_one_series_named_by_the_oldest() {
        let a = hash(1);
        let b = hash(2);
        let members = vec![
            member(10, a),
            member(11, near(a, 20, 1)),
            // Near 11 but 40 from 10: joined through 11.
            member(12, near(near(a, 20, 1), 20, 2)),
            member(20, b),
            member(21, hash(3)),
        ];
        let g = Grouping::build(&members, 31);
        assert_eq!(g.series_of(10), Some((10, 3)));
        assert_eq!(g.series_of(12), Some((10, 3)));
        assert_eq!(g.series_of(20), Some((20, 1)));
        assert_eq!(g.series_of(99), None);
        assert!(g.merges().is_empty());
        assert_eq!(g.series().len(), 3);
    }

    #[test]
    fn ids_survive_additions_and_a_linking_entry_merges_and_says_so() {
        let a = hash(4);
        let b = near(a, 50, 3);
        let mut members = vec![member(1, a), member(2, b), member(3, hash(5))];
        let before = Grouping::build(&members, 31);
        assert_eq!(before.series_of(1).map(|s| s.0), Some(1));
        assert_eq!(before.series_of(2).map(|s| s.0), Some(2));
        // An unrelated addition renames nothing.
        members.push(member(4, hash(6)));
        let after = Grouping::build(&members, 31);
        for e in 1..=3 {
            assert_eq!(after.series_of(e), before.series_of(e));
        }
        // A picture between a and b links their series: b's joins a's.
        let mut between = a;
        let mut limbs = between.limbs();
        let diff: Vec<usize> = (0..256).filter(|&k| a.bit(k) != b.bit(k)).collect();
        for &k in &diff[..diff.len() / 2] {
            limbs[k / 64] ^= 1 << (k % 64);
        }
        between = Hash256::from_limbs(limbs);
        members.push(member(5, between));
        let merged = Grouping::build(&members, 31);
        assert_eq!(merged.series_of(2), Some((1, 3)));
        assert_eq!(
            merged.merges(),
            &[Merge {
                entry: 5,
                into: 1,
                merged: vec![2]
            }]
        );
    }

    #[test]
    fn repeated_hashes_are_one_series() {
        let mut members: Vec<Member> = (1..=500).map(|e| member(e, hash(9))).collect();
        members.push(member(501, near(hash(9), 10, 4)));
        members.push(member(502, hash(10)));
        let g = Grouping::build(&members, 31);
        assert_eq!(g.series_of(501), Some((1, 501)));
        assert_eq!(g.series_of(502), Some((502, 1)));
        assert!(g.merges().is_empty());
    }

    #[test]
    fn one_item_counts_once_and_links_its_entries() {
        let members = vec![
            Member {
                entry: 1,
                item: Some("x".to_string()),
                hash: hash(7),
            },
            Member {
                entry: 2,
                item: Some("x".to_string()),
                hash: hash(8),
            },
            Member {
                entry: 3,
                item: None,
                hash: near(hash(8), 3, 1),
            },
        ];
        let g = Grouping::build(&members, 31);
        assert_eq!(g.series_of(3), Some((1, 2)));
    }
}
