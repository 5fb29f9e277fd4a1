//! The PDQ index: a compact multi-index over a sorted base, a small delta
//! searched linearly, and tombstones for removals.

use std::collections::HashMap;

use hashwatch_pdq::Hash256;

use crate::mih::Mih;

/// One hash found by a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Match {
    /// Its id.
    pub id: u64,
    /// Bits in which it differs from the query.
    pub distance: u32,
}

/// One hash found by a dihedral search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DihedralMatch {
    /// Its id.
    pub id: u64,
    /// Bits in which it differs from the closest variant.
    pub distance: u32,
    /// Which of the query's variants was closest, as an index into
    /// `hashwatch_pdq::Dihedral::NAMES` (0 is the original).
    pub variant: usize,
}

/// How a search visits the hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Look up the query's near slot values and check those candidates.
    MultiIndex,
    /// Check every hash.
    Linear,
}

/// Delta sizes below this are never merged; above, merging waits until the
/// delta is an eighth of the base, so merges cost O(1) per insert amortised.
const MIN_MERGE: usize = 1 << 16;

/// After a batch ([`PdqIndex::extend`]), a delta this large (and at least
/// a 64th of the base) is merged at once: every query scans the delta, so a
/// bulk load should not leave tens of thousands of hashes there.
const BATCH_MERGE: usize = 1 << 12;

/// PDQ hashes under `u64` ids, searchable by Hamming radius with exact
/// recall. See the crate documentation.
pub struct PdqIndex {
    /// Hashes by position: `0..base_len` are the base (sorted by id and
    /// indexed by `mih`), the rest the delta.
    hashes: Vec<[u64; 4]>,
    ids: Vec<u64>,
    /// Tombstones: a removed position stays until the next merge.
    alive: Vec<bool>,
    base_len: usize,
    mih: Mih,
    /// Positions of delta ids; base ids are found by binary search.
    delta_positions: HashMap<u64, u32>,
    live: usize,
}

impl Default for PdqIndex {
    fn default() -> PdqIndex {
        PdqIndex::new()
    }
}

impl FromIterator<(u64, Hash256)> for PdqIndex {
    /// Builds the index in one pass. A repeated id keeps its last hash.
    fn from_iter<I: IntoIterator<Item = (u64, Hash256)>>(entries: I) -> PdqIndex {
        let mut entries: Vec<(u64, [u64; 4])> =
            entries.into_iter().map(|(id, h)| (id, h.limbs())).collect();
        // Stable sort, then keep the last of each id.
        entries.sort_by_key(|(id, _)| *id);
        let mut deduped: Vec<(u64, [u64; 4])> = Vec::with_capacity(entries.len());
        for e in entries {
            match deduped.last_mut() {
                Some(last) if last.0 == e.0 => *last = e,
                _ => deduped.push(e),
            }
        }
        let ids: Vec<u64> = deduped.iter().map(|(id, _)| *id).collect();
        let hashes: Vec<[u64; 4]> = deduped.into_iter().map(|(_, h)| h).collect();
        let n = hashes.len();
        PdqIndex {
            mih: Mih::build(&hashes),
            alive: vec![true; n],
            hashes,
            ids,
            base_len: n,
            delta_positions: HashMap::new(),
            live: n,
        }
    }
}

impl PdqIndex {
    /// An empty index.
    pub fn new() -> PdqIndex {
        PdqIndex {
            hashes: Vec::new(),
            ids: Vec::new(),
            alive: Vec::new(),
            base_len: 0,
            mih: Mih::empty(),
            delta_positions: HashMap::new(),
            live: 0,
        }
    }

    /// How many hashes are live.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no hash is live.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.hashes.capacity() * 32
            + self.ids.capacity() * 8
            + self.alive.capacity()
            + self.delta_positions.capacity() * 16
            + self.mih.heap_bytes()
    }

    fn position(&self, id: u64) -> Option<usize> {
        match self.ids[..self.base_len].binary_search(&id) {
            Ok(p) if self.alive[p] => Some(p),
            // Removed from the base, perhaps inserted again since.
            _ => self.delta_positions.get(&id).map(|&p| p as usize),
        }
    }

    /// Adds or replaces the hash under `id`; searchable as soon as this
    /// returns.
    pub fn insert(&mut self, id: u64, hash: Hash256) {
        self.remove(id);
        let p = self.hashes.len();
        self.hashes.push(hash.limbs());
        self.ids.push(id);
        self.alive.push(true);
        self.delta_positions.insert(id, p as u32);
        self.live += 1;
        let delta = self.hashes.len() - self.base_len;
        if delta >= MIN_MERGE.max(self.base_len / 8) {
            self.merge();
        }
    }

    /// Adds or replaces many hashes, as repeated [`PdqIndex::insert`]s
    /// would, then merges when the batch left a large delta, so searches
    /// right after a bulk load run at full speed. Into an empty index the
    /// batch is built directly.
    pub fn extend(&mut self, entries: impl IntoIterator<Item = (u64, Hash256)>) {
        if self.hashes.is_empty() {
            *self = entries.into_iter().collect();
            return;
        }
        for (id, hash) in entries {
            self.insert(id, hash);
        }
        let delta = self.hashes.len() - self.base_len;
        if delta >= BATCH_MERGE.max(self.base_len / 64) {
            self.merge();
        }
    }

    /// Removes `id`; it no longer matches as soon as this returns. Returns
    /// whether it was there.
    pub fn remove(&mut self, id: u64) -> bool {
        let Some(p) = self.position(id) else {
            return false;
        };
        self.alive[p] = false;
        if p >= self.base_len {
            self.delta_positions.remove(&id);
        }
        self.live -= 1;
        true
    }

    /// The hash under `id`, if live.
    pub fn get(&self, id: u64) -> Option<Hash256> {
        self.position(id)
            .map(|p| Hash256::from_limbs(self.hashes[p]))
    }

    /// Every live entry, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = (u64, Hash256)> + '_ {
        (0..self.hashes.len())
            .filter(|&p| self.alive[p])
            .map(|p| (self.ids[p], Hash256::from_limbs(self.hashes[p])))
    }

    /// Rebuilds the base from every live hash, dropping tombstones and
    /// emptying the delta. Searches are exact before and after; this only
    /// restores speed after many changes, and `insert` calls it as needed.
    pub fn merge(&mut self) {
        let live: Vec<(u64, Hash256)> = self.entries().collect();
        *self = live.into_iter().collect();
    }

    /// The strategy a search at `radius` would use.
    pub fn strategy(&self, radius: u32) -> Strategy {
        // A random memory access costs about as much as comparing several
        // hashes in a sequential scan.
        match self.mih.cost(radius) {
            Some(accesses) if 4 * accesses < self.base_len => Strategy::MultiIndex,
            _ => Strategy::Linear,
        }
    }

    /// Every live hash within `radius` bits of `query`, nearest first (ties
    /// by id).
    pub fn search(&self, query: &Hash256, radius: u32) -> Vec<Match> {
        let mut found = Vec::new();
        self.search_into(query, radius, self.strategy(radius), &mut found);
        found.sort_by_key(|m| (m.distance, m.id));
        found
    }

    /// [`PdqIndex::search`] with a chosen strategy (for tests and benchmarks).
    pub fn search_with(&self, query: &Hash256, radius: u32, strategy: Strategy) -> Vec<Match> {
        let mut found = Vec::new();
        self.search_into(query, radius, strategy, &mut found);
        found.sort_by_key(|m| (m.distance, m.id));
        found
    }

    fn search_into(
        &self,
        query: &Hash256,
        radius: u32,
        strategy: Strategy,
        found: &mut Vec<Match>,
    ) {
        let q = query.limbs();
        match strategy {
            Strategy::Linear => self.scan(&q, radius, 0..self.base_len, found),
            Strategy::MultiIndex if self.mih.cost(radius).is_none() => {
                self.scan(&q, radius, 0..self.base_len, found)
            }
            Strategy::MultiIndex => {
                let slot_radius = self.mih.slot_radius(radius);
                let start = found.len();
                // Two passes of independent loads: every probe's bucket
                // first, then every candidate's hash, so many cache misses
                // are in flight at once instead of each probe waiting on
                // its bucket before its candidates.
                let mut buckets: Vec<&[u32]> = Vec::with_capacity(320);
                for slot in &self.mih.slots {
                    let value = slot.value(&q);
                    for &mask in self.mih.probes(slot.width(), slot_radius) {
                        buckets.push(slot.bucket(value ^ mask));
                    }
                }
                for bucket in buckets {
                    for &p in bucket {
                        let p = p as usize;
                        let d = distance(&self.hashes[p], &q);
                        if d <= radius && self.alive[p] {
                            found.push(Match {
                                id: self.ids[p],
                                distance: d,
                            });
                        }
                    }
                }
                // A hash near in several slots is found once per slot.
                found[start..].sort_unstable_by_key(|m| m.id);
                let mut seen = start;
                for i in start..found.len() {
                    if i == start || found[i].id != found[seen - 1].id {
                        found[seen] = found[i];
                        seen += 1;
                    }
                }
                found.truncate(seen);
            }
        }
        self.scan(&q, radius, self.base_len..self.hashes.len(), found);
    }

    fn scan(
        &self,
        q: &[u64; 4],
        radius: u32,
        range: std::ops::Range<usize>,
        found: &mut Vec<Match>,
    ) {
        let hashes = &self.hashes[range.clone()];
        for (i, h) in hashes.iter().enumerate() {
            let d = distance(h, q);
            if d <= radius {
                let p = range.start + i;
                if self.alive[p] {
                    found.push(Match {
                        id: self.ids[p],
                        distance: d,
                    });
                }
            }
        }
    }

    /// Searches all eight dihedral variants of a query (as
    /// `hashwatch_pdq::Dihedral::hashes`) in one call; each id is reported
    /// once, with its closest variant. Nearest first.
    pub fn search_dihedral(&self, variants: &[Hash256; 8], radius: u32) -> Vec<DihedralMatch> {
        let mut best: HashMap<u64, DihedralMatch> = HashMap::new();
        for (variant, query) in variants.iter().enumerate() {
            for m in self.search(query, radius) {
                let candidate = DihedralMatch {
                    id: m.id,
                    distance: m.distance,
                    variant,
                };
                best.entry(m.id)
                    .and_modify(|b| {
                        if m.distance < b.distance {
                            *b = candidate;
                        }
                    })
                    .or_insert(candidate);
            }
        }
        let mut out: Vec<DihedralMatch> = best.into_values().collect();
        out.sort_by_key(|m| (m.distance, m.id));
        out
    }

    /// The `k` live hashes nearest to `query` (ties by id), exactly.
    pub fn nearest(&self, query: &Hash256, k: usize) -> Vec<Match> {
        if k == 0 || self.live == 0 {
            return Vec::new();
        }
        // Widen the radius until k are inside it: everything within the
        // radius is found, so the k nearest of those are the k nearest.
        for radius in [15, 31, 47] {
            if self.strategy(radius) == Strategy::Linear {
                break;
            }
            let mut found = self.search(query, radius);
            if found.len() >= k {
                found.truncate(k);
                return found;
            }
        }
        // Far from everything: rank all, but select the k nearest in
        // linear time rather than sorting every hash.
        let mut all = Vec::with_capacity(self.live);
        self.search_into(query, 256, Strategy::Linear, &mut all);
        let key = |m: &Match| (m.distance, m.id);
        if all.len() > k {
            all.select_nth_unstable_by_key(k - 1, key);
            all.truncate(k);
        }
        all.sort_by_key(key);
        all
    }
}

#[inline(always)]
fn distance(a: &[u64; 4], b: &[u64; 4]) -> u32 {
    (a[0] ^ b[0]).count_ones()
        + (a[1] ^ b[1]).count_ones()
        + (a[2] ^ b[2]).count_ones()
        + (a[3] ^ b[3]).count_ones()
}
