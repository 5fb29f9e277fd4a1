//! Finding videos by their frames: every banked video's prepared vPDQ
//! frames (quality floor, first of each distinct hash, as
//! python-threatexchange prepares them) in one [`PdqIndex`], each distinct
//! hash once however many videos hold it; a query video's frames are
//! searched there, never compared with every banked video.

use std::collections::{HashMap, HashSet};

use hashwatch_pdq::vpdq::{prepare, VpdqFeature};
use hashwatch_pdq::Hash256;

use crate::PdqIndex;

/// One banked video's frame under a distinct hash.
#[derive(Debug, Clone, Copy)]
struct Owner {
    video: u64,
    timestamp: f64,
}

/// Banked videos' frames under caller-chosen `u64` video ids.
#[derive(Default)]
pub struct VpdqIndex {
    frames: PdqIndex,
    slot_of: HashMap<Hash256, u64>,
    owners: HashMap<u64, Vec<Owner>>,
    /// Each video's distinct frames (by slot), in order.
    videos: HashMap<u64, Vec<u64>>,
    next_slot: u64,
    quality_floor: u8,
}

/// How one banked video matched a query video.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoMatch {
    /// The banked video's id.
    pub id: u64,
    /// The query's prepared frames within the radius of one of the video's.
    pub query_matched: usize,
    /// The query's prepared frames.
    pub query_frames: usize,
    /// The video's prepared frames within the radius of one of the query's.
    pub compared_matched: usize,
    /// The video's prepared frames.
    pub compared_frames: usize,
    /// The nearest pair of frames.
    pub nearest: FramePair,
}

impl VideoMatch {
    /// Percentage of the query's frames found in the banked video.
    pub fn query_match_percent(&self) -> f64 {
        self.query_matched as f64 * 100.0 / self.query_frames as f64
    }

    /// Percentage of the banked video's frames found in the query.
    pub fn compared_match_percent(&self) -> f64 {
        self.compared_matched as f64 * 100.0 / self.compared_frames as f64
    }
}

/// Two frames that matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FramePair {
    /// The query frame's timestamp.
    pub query_timestamp: f64,
    /// The banked frame's hash.
    pub hash: Hash256,
    /// The banked frame's timestamp.
    pub timestamp: f64,
    /// Their Hamming distance.
    pub distance: u32,
}

/// A banked video one of whose frames is near a still image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameMatch {
    /// The banked video's id.
    pub id: u64,
    /// The nearest of its frames.
    pub hash: Hash256,
    /// That frame's timestamp.
    pub timestamp: f64,
    /// The distance.
    pub distance: u32,
}

impl VpdqIndex {
    /// An empty index keeping frames of at least `quality_floor` (pytx's
    /// is 50).
    pub fn new(quality_floor: u8) -> VpdqIndex {
        VpdqIndex {
            quality_floor,
            ..VpdqIndex::default()
        }
    }

    /// Builds the index in one pass.
    pub fn build(
        quality_floor: u8,
        videos: impl IntoIterator<Item = (u64, Vec<VpdqFeature>)>,
    ) -> VpdqIndex {
        let mut index = VpdqIndex::new(quality_floor);
        let mut new_frames = Vec::new();
        for (id, features) in videos {
            index.remove(id);
            index.add(id, &features, &mut |slot, hash| {
                new_frames.push((slot, hash))
            });
        }
        index.frames = new_frames.into_iter().collect();
        index
    }

    /// How many videos are held.
    pub fn len(&self) -> usize {
        self.videos.len()
    }

    /// Whether no video is held.
    pub fn is_empty(&self) -> bool {
        self.videos.is_empty()
    }

    /// How many distinct frame hashes are held.
    pub fn frames(&self) -> usize {
        self.frames.len()
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.frames.heap_bytes()
            + self.slot_of.capacity() * 48
            + self.owners.capacity() * 48
            + self
                .owners
                .values()
                .map(|o| o.capacity() * 16)
                .sum::<usize>()
            + self
                .videos
                .values()
                .map(|v| v.capacity() * 8 + 40)
                .sum::<usize>()
    }

    /// Adds or replaces the video `id`. A video with no frame of the
    /// quality floor is held but can never match (as in pytx).
    pub fn insert(&mut self, id: u64, features: &[VpdqFeature]) {
        self.remove(id);
        let mut new_frames = Vec::new();
        self.add(id, features, &mut |slot, hash| {
            new_frames.push((slot, hash))
        });
        for (slot, hash) in new_frames {
            self.frames.insert(slot, hash);
        }
    }

    fn add(&mut self, id: u64, features: &[VpdqFeature], new_frame: &mut dyn FnMut(u64, Hash256)) {
        let prepared = prepare(features, self.quality_floor);
        let mut slots = Vec::with_capacity(prepared.len());
        for f in prepared {
            let slot = match self.slot_of.get(&f.pdq) {
                Some(&slot) => slot,
                None => {
                    let slot = self.next_slot;
                    self.next_slot += 1;
                    self.slot_of.insert(f.pdq, slot);
                    new_frame(slot, f.pdq);
                    slot
                }
            };
            self.owners.entry(slot).or_default().push(Owner {
                video: id,
                timestamp: f.timestamp,
            });
            slots.push(slot);
        }
        self.videos.insert(id, slots);
    }

    /// Removes the video `id`; returns whether it was there.
    pub fn remove(&mut self, id: u64) -> bool {
        let Some(slots) = self.videos.remove(&id) else {
            return false;
        };
        for slot in slots {
            let Some(owners) = self.owners.get_mut(&slot) else {
                continue;
            };
            owners.retain(|o| o.video != id);
            if owners.is_empty() {
                self.owners.remove(&slot);
                if let Some(hash) = self.frames.get(slot) {
                    self.slot_of.remove(&hash);
                }
                self.frames.remove(slot);
            }
        }
        true
    }

    /// The quality floor frames are kept at.
    pub fn quality_floor(&self) -> u8 {
        self.quality_floor
    }

    /// Every held video with at least one frame within `radius` of one of
    /// the query's, with pytx's match percentages, in no order. `query`
    /// is prepared here as banked videos are; a query with no frame of
    /// the quality floor matches nothing.
    pub fn search(&self, query: &[VpdqFeature], radius: u32) -> Vec<VideoMatch> {
        let query = prepare(query, self.quality_floor);
        struct Tally {
            query: HashSet<usize>,
            compared: HashSet<u64>,
            nearest: FramePair,
        }
        let mut tallies: HashMap<u64, Tally> = HashMap::new();
        for (q, frame) in query.iter().enumerate() {
            for m in self.frames.search(&frame.pdq, radius) {
                let Some(owners) = self.owners.get(&m.id) else {
                    continue;
                };
                let hash = self.frames.get(m.id).unwrap_or_default();
                for owner in owners {
                    let pair = FramePair {
                        query_timestamp: frame.timestamp,
                        hash,
                        timestamp: owner.timestamp,
                        distance: m.distance,
                    };
                    let tally = tallies.entry(owner.video).or_insert_with(|| Tally {
                        query: HashSet::new(),
                        compared: HashSet::new(),
                        nearest: pair,
                    });
                    tally.query.insert(q);
                    tally.compared.insert(m.id);
                    if pair.distance < tally.nearest.distance {
                        tally.nearest = pair;
                    }
                }
            }
        }
        tallies
            .into_iter()
            .map(|(id, tally)| VideoMatch {
                id,
                query_matched: tally.query.len(),
                query_frames: query.len(),
                compared_matched: tally.compared.len(),
                compared_frames: self.videos.get(&id).map_or(0, Vec::len),
                nearest: tally.nearest,
            })
            .collect()
    }

    /// Every held video with a frame within `radius` of `hash` (a still
    /// image), with its nearest such frame, in no order.
    pub fn search_frame(&self, hash: &Hash256, radius: u32) -> Vec<FrameMatch> {
        let mut nearest: HashMap<u64, FrameMatch> = HashMap::new();
        for m in self.frames.search(hash, radius) {
            let Some(owners) = self.owners.get(&m.id) else {
                continue;
            };
            let frame_hash = self.frames.get(m.id).unwrap_or_default();
            for owner in owners {
                let candidate = FrameMatch {
                    id: owner.video,
                    hash: frame_hash,
                    timestamp: owner.timestamp,
                    distance: m.distance,
                };
                nearest
                    .entry(owner.video)
                    .and_modify(|best| {
                        if candidate.distance < best.distance {
                            *best = candidate;
                        }
                    })
                    .or_insert(candidate);
            }
        }
        nearest.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(seed: u64) -> Hash256 {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut limbs = [0u64; 4];
        for limb in &mut limbs {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *limb = x;
        }
        Hash256::from_limbs(limbs)
    }

    fn video(seeds: &[u64]) -> Vec<VpdqFeature> {
        seeds
            .iter()
            .enumerate()
            .map(|(i, &s)| VpdqFeature {
                pdq: hash(s),
                quality: 100,
                timestamp: i as f64,
            })
            .collect()
    }

    /// pytx's brute matcher, as written there: every pair compared.
    fn brute(
        query: &[VpdqFeature],
        compared: &[VpdqFeature],
        floor: u8,
        radius: u32,
    ) -> (f64, f64) {
        let q = prepare(query, floor);
        let c = prepare(compared, floor);
        let found_in = |a: &[VpdqFeature], b: &[VpdqFeature]| {
            a.iter()
                .filter(|x| b.iter().any(|y| x.pdq.distance(&y.pdq) <= radius))
                .count()
        };
        (
            found_in(&q, &c) as f64 * 100.0 / q.len() as f64,
            found_in(&c, &q) as f64 * 100.0 / c.len() as f64,
        )
    }

    #[test]
    fn percentages_equal_the_brute_matchers() {
        let banked = [
            video(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
            video(&[5, 6, 7, 8]),
            video(&[1, 1, 1, 2]),
            video(&[100, 101, 102]),
        ];
        let index = VpdqIndex::build(
            50,
            banked
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, v)| (i as u64, v)),
        );
        let mut low = video(&[3, 4]);
        low[0].quality = 10;
        for query in [
            video(&[3, 4, 5, 6]),
            video(&[1, 2, 200]),
            video(&[6, 6, 7]),
            low,
        ] {
            let found = index.search(&query, 31);
            for (i, b) in banked.iter().enumerate() {
                let ours = found.iter().find(|m| m.id == i as u64);
                let (q, c) = brute(&query, b, 50, 31);
                match ours {
                    Some(m) => assert_eq!(
                        (m.query_match_percent(), m.compared_match_percent()),
                        (q, c)
                    ),
                    None => assert_eq!((q, c), (0.0, 0.0)),
                }
            }
        }
    }

    #[test]
    fn removal_and_shared_frames() {
        let mut index = VpdqIndex::new(50);
        index.insert(1, &video(&[1, 2, 3]));
        index.insert(2, &video(&[3, 4]));
        assert_eq!(index.frames(), 4);
        assert_eq!(index.search_frame(&hash(3), 0).len(), 2);
        assert!(index.remove(1));
        assert!(!index.remove(1));
        assert_eq!(index.frames(), 2);
        let found = index.search_frame(&hash(3), 0);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].id, found[0].timestamp), (2, 0.0));
        assert!(index.search(&video(&[1, 2]), 0).is_empty());
        // Replacing a video replaces its frames.
        index.insert(2, &video(&[9]));
        assert!(index.search_frame(&hash(3), 0).is_empty());
        assert_eq!(index.len(), 1);
    }
}
