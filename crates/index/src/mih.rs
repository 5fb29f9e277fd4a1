//! Multi-index hashing over a fixed set of positions, stored compactly: for
//! each of the 16 slots, the positions grouped by their 16-bit slot value
//! (offsets into one flat array, as a counting sort lays them out).

use std::sync::OnceLock;

/// 256 bits in 16 slots of 16 bits.
pub(crate) const SLOTS: usize = 16;
const KEYS: usize = 1 << 16;

/// The 16-bit value of slot `s` of a hash.
#[inline(always)]
pub(crate) fn slot_value(limbs: &[u64; 4], s: usize) -> u16 {
    (limbs[s / 4] >> ((s % 4) * 16)) as u16
}

/// All 16-bit masks of at most `weight` bits, lightest first.
pub(crate) fn masks_up_to(weight: u32) -> &'static [u16] {
    static BY_WEIGHT: OnceLock<Vec<u16>> = OnceLock::new();
    let all = BY_WEIGHT.get_or_init(|| {
        let mut masks: Vec<u16> = (0..=u16::MAX).collect();
        masks.sort_by_key(|m| m.count_ones());
        masks
    });
    let end = all.partition_point(|m| m.count_ones() <= weight);
    &all[..end]
}

pub(crate) struct Slot {
    /// `positions[offsets[v]..offsets[v + 1]]` have slot value `v`.
    offsets: Vec<u32>,
    positions: Vec<u32>,
}

impl Slot {
    #[inline(always)]
    pub(crate) fn bucket(&self, value: u16) -> &[u32] {
        let v = value as usize;
        &self.positions[self.offsets[v] as usize..self.offsets[v + 1] as usize]
    }
}

/// The slots over positions `0..len` of a hash array.
pub(crate) struct Mih {
    pub(crate) slots: Vec<Slot>,
}

impl Mih {
    pub(crate) fn empty() -> Mih {
        Mih::build(&[])
    }

    /// Counting sort of every position by each slot's value.
    pub(crate) fn build(hashes: &[[u64; 4]]) -> Mih {
        let slots = (0..SLOTS)
            .map(|s| {
                let mut offsets = vec![0u32; KEYS + 1];
                for h in hashes {
                    offsets[slot_value(h, s) as usize + 1] += 1;
                }
                for v in 0..KEYS {
                    offsets[v + 1] += offsets[v];
                }
                let mut next = offsets.clone();
                let mut positions = vec![0u32; hashes.len()];
                for (p, h) in hashes.iter().enumerate() {
                    let v = slot_value(h, s) as usize;
                    positions[next[v] as usize] = p as u32;
                    next[v] += 1;
                }
                Slot { offsets, positions }
            })
            .collect();
        Mih { slots }
    }

    /// Bytes held, for memory reports.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots
            .iter()
            .map(|s| 4 * (s.offsets.capacity() + s.positions.capacity()))
            .sum()
    }
}
