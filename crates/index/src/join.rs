//! All pairs of near hashes in one set, without comparing all pairs.
//!
//! Multi-index hashing turned on itself: split each hash into sixteen
//! 16-bit slots. Two hashes within `radius` agree to within
//! `radius / 16` bits in at least one slot (pigeonhole), so for each slot
//! the hashes are bucketed by that slot's value and only buckets within
//! `radius / 16` bits of each other are compared. Buckets are laid out in
//! slot order with a copy of their hashes, so the comparisons read memory
//! in sequence. A pair is kept from the first slot that finds it only.

use hashwatch_pdq::Hash256;

const SLOTS: usize = 16;
const BUCKETS: usize = 1 << 16;

fn slot(hash: &Hash256, k: usize) -> u16 {
    (hash.limbs()[k / 4] >> (16 * (k % 4))) as u16
}

/// Every 16-bit mask of at most `bits` set bits.
fn masks(bits: u32) -> Vec<u16> {
    (0..=u16::MAX).filter(|m| m.count_ones() <= bits).collect()
}

/// Calls `pair(i, j, distance)` once for every pair of positions `i < j`
/// in `hashes` within `radius` bits of each other.
pub fn near_pairs(hashes: &[Hash256], radius: u32, pair: &mut dyn FnMut(usize, usize, u32)) {
    let slot_radius = radius / SLOTS as u32;
    let masks = masks(slot_radius);
    let n = hashes.len();
    let mut starts = vec![0u32; BUCKETS + 1];
    let mut order = vec![0u32; n];
    let mut sorted = vec![Hash256::ZERO; n];
    for k in 0..SLOTS {
        // Counting sort by this slot's value.
        starts.iter_mut().for_each(|s| *s = 0);
        for h in hashes {
            starts[usize::from(slot(h, k)) + 1] += 1;
        }
        for b in 0..BUCKETS {
            starts[b + 1] += starts[b];
        }
        let mut next = starts.clone();
        for (i, h) in hashes.iter().enumerate() {
            let b = usize::from(slot(h, k));
            order[next[b] as usize] = i as u32;
            next[b] += 1;
        }
        for (s, &i) in sorted.iter_mut().zip(&order) {
            *s = hashes[i as usize];
        }
        let range = |b: usize| starts[b] as usize..starts[b + 1] as usize;
        for b in 0..BUCKETS {
            let here = range(b);
            if here.is_empty() {
                continue;
            }
            for &mask in &masks {
                let other = b ^ usize::from(mask);
                // Each pair of buckets once: the bucket itself, or the
                // higher one from the lower.
                if other < b {
                    continue;
                }
                let there = range(other);
                for x in here.clone() {
                    let from = if other == b { x + 1 } else { there.start };
                    for y in from..there.end {
                        let distance = sorted[x].distance(&sorted[y]);
                        if distance > radius {
                            continue;
                        }
                        let (i, j) = (order[x] as usize, order[y] as usize);
                        // Found by an earlier slot already?
                        let earlier = (0..k).any(|e| {
                            (slot(&hashes[i], e) ^ slot(&hashes[j], e)).count_ones() <= slot_radius
                        });
                        if !earlier {
                            pair(i.min(j), i.max(j), distance);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random(seed: &mut u64) -> Hash256 {
        let mut limb = || {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *seed ^ (*seed >> 29)
        };
        Hash256::from_limbs([limb(), limb(), limb(), limb()])
    }

    fn flip(h: Hash256, bits: &[usize]) -> Hash256 {
        let mut limbs = h.limbs();
        for &b in bits {
            limbs[b / 64] ^= 1 << (b % 64);
        }
        Hash256::from_limbs(limbs)
    }

    #[test]
    fn the_join_finds_every_near_pair_once() {
        let mut seed = 7;
        let mut hashes = Vec::new();
        for c in 0..200 {
            let base = random(&mut seed);
            hashes.push(base);
            // Near copies at growing distances, some spread over slots.
            for d in [0usize, 1, 9, 17, 30, 31, 32, 45] {
                let bits: Vec<usize> = (0..d).map(|b| (b * 37 + c) % 256).collect();
                hashes.push(flip(base, &bits));
            }
        }
        for radius in [0, 15, 31, 40] {
            let mut found = Vec::new();
            near_pairs(&hashes, radius, &mut |i, j, d| found.push((i, j, d)));
            found.sort_unstable();
            let mut expected = Vec::new();
            for i in 0..hashes.len() {
                for j in i + 1..hashes.len() {
                    let d = hashes[i].distance(&hashes[j]);
                    if d <= radius {
                        expected.push((i, j, d));
                    }
                }
            }
            assert_eq!(found, expected, "radius {radius}");
            assert!(!expected.is_empty());
        }
    }
}
