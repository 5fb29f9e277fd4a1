//! Multi-index hashing over a fixed set of positions, stored compactly: the
//! 256 bits are cut into slots, and for each slot the positions are grouped
//! by their slot value (offsets into one flat array, as a counting sort lays
//! them out).
//!
//! Slot width trades bucket lookups against candidates: a hash within radius
//! `r` is within `r / slots` bits of the query in some slot, so each slot
//! probes every value that close, and each probe yields about
//! `n / 2^width` candidates, each a random memory access. Small indexes use
//! 16 slots of 16 bits (at radius 31: 17 probes per slot); from 1M hashes,
//! 12 slots of 21-22 bits (at radius 31: about 240 probes per slot but a
//! quarter of the candidates), which at 1M answered radius-31 queries in
//! 124 µs against 162 µs (for 176 MB of slots against 68 MB).

/// Largest per-slot radius probed; wider searches scan linearly.
pub(crate) const MAX_SLOT_RADIUS: u32 = 3;

/// Where a slot's bits are in the hash.
#[derive(Clone, Copy)]
struct SlotBits {
    offset: u32,
    width: u32,
}

impl SlotBits {
    /// The slot's value in a hash.
    #[inline(always)]
    fn value(self, limbs: &[u64; 4]) -> u32 {
        let word = (self.offset / 64) as usize;
        let shift = self.offset % 64;
        let mut v = limbs[word] >> shift;
        if shift + self.width > 64 {
            v |= limbs[word + 1] << (64 - shift);
        }
        (v & ((1u64 << self.width) - 1)) as u32
    }
}

/// Slot widths for an index of `n` hashes, summing to 256.
fn widths_for(n: usize) -> Vec<u32> {
    if n < 1_000_000 {
        vec![16; 16]
    } else {
        let mut w = vec![22; 4];
        w.extend([21; 8]);
        w
    }
}

/// All `width`-bit masks of at most `MAX_SLOT_RADIUS` bits, lightest first.
fn masks(width: u32) -> Vec<u32> {
    let mut out = vec![0u32];
    for a in 0..width {
        out.push(1 << a);
    }
    for a in 0..width {
        for b in a + 1..width {
            out.push(1 << a | 1 << b);
        }
    }
    for a in 0..width {
        for b in a + 1..width {
            for c in b + 1..width {
                out.push(1 << a | 1 << b | 1 << c);
            }
        }
    }
    out
}

pub(crate) struct Slot {
    bits: SlotBits,
    /// `positions[offsets[v]..offsets[v + 1]]` have slot value `v`.
    offsets: Vec<u32>,
    positions: Vec<u32>,
}

impl Slot {
    #[inline(always)]
    pub(crate) fn value(&self, limbs: &[u64; 4]) -> u32 {
        self.bits.value(limbs)
    }

    #[inline(always)]
    pub(crate) fn bucket(&self, value: u32) -> &[u32] {
        let v = value as usize;
        &self.positions[self.offsets[v] as usize..self.offsets[v + 1] as usize]
    }

    pub(crate) fn width(&self) -> u32 {
        self.bits.width
    }
}

/// The slots over positions `0..len` of a hash array.
pub(crate) struct Mih {
    pub(crate) slots: Vec<Slot>,
    /// Probe masks by slot width, lightest first.
    masks: Vec<(u32, Vec<u32>)>,
    len: usize,
}

impl Mih {
    pub(crate) fn empty() -> Mih {
        Mih::build(&[])
    }

    /// Counting sort of every position by each slot's value.
    pub(crate) fn build(hashes: &[[u64; 4]]) -> Mih {
        let widths = widths_for(hashes.len());
        let mut offset = 0;
        let mut masks: Vec<(u32, Vec<u32>)> = Vec::new();
        let slots = widths
            .iter()
            .map(|&width| {
                let bits = SlotBits { offset, width };
                offset += width;
                if !masks.iter().any(|(w, _)| *w == width) {
                    masks.push((width, self::masks(width)));
                }
                let keys = 1usize << width;
                let mut offsets = vec![0u32; keys + 1];
                for h in hashes {
                    offsets[bits.value(h) as usize + 1] += 1;
                }
                for v in 0..keys {
                    offsets[v + 1] += offsets[v];
                }
                let mut next = offsets.clone();
                let mut positions = vec![0u32; hashes.len()];
                for (p, h) in hashes.iter().enumerate() {
                    let v = bits.value(h) as usize;
                    positions[next[v] as usize] = p as u32;
                    next[v] += 1;
                }
                Slot {
                    bits,
                    offsets,
                    positions,
                }
            })
            .collect();
        debug_assert_eq!(offset, 256);
        Mih {
            slots,
            masks,
            len: hashes.len(),
        }
    }

    /// Per-slot search radius that guarantees exact recall at `radius`.
    pub(crate) fn slot_radius(&self, radius: u32) -> u32 {
        radius / self.slots.len() as u32
    }

    /// The probe masks for a slot of `width` bits at `slot_radius`.
    pub(crate) fn probes(&self, width: u32, slot_radius: u32) -> &[u32] {
        let all = self
            .masks
            .iter()
            .find(|(w, _)| *w == width)
            .map(|(_, m)| m.as_slice())
            .unwrap_or(&[]);
        let end = all.partition_point(|m| m.count_ones() <= slot_radius);
        &all[..end]
    }

    /// Expected random accesses of a search at `radius` (probes plus
    /// candidates), or `None` when the slots cannot serve it.
    pub(crate) fn cost(&self, radius: u32) -> Option<usize> {
        let t = self.slot_radius(radius);
        if t > MAX_SLOT_RADIUS {
            return None;
        }
        Some(
            self.slots
                .iter()
                .map(|s| {
                    let probes = self.probes(s.width(), t).len();
                    probes + probes * self.len / (1usize << s.width())
                })
                .sum(),
        )
    }

    /// Bytes held, for memory reports.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots
            .iter()
            .map(|s| 4 * (s.offsets.capacity() + s.positions.capacity()))
            .sum()
    }
}
