//! A [`PdqIndex`] written to bytes and read back: the live entries only, so
//! a snapshot is as small as the set it holds and loads into a merged base.
//!
//! The format is `HWPDQIX1`, the entry count (u64, little-endian), each
//! entry as its id (u64, little-endian) and hash (32 bytes, big-endian as
//! the hex form reads), and an FNV-1a 64 checksum of everything before it.
//! A truncated, altered or foreign file is refused, never half-loaded.

use std::fmt;
use std::io::{self, Read, Write};

use hashwatch_pdq::Hash256;

use crate::PdqIndex;

const MAGIC: &[u8; 8] = b"HWPDQIX1";
const ENTRY_BYTES: usize = 8 + 32;

/// Why a snapshot could not be read or written.
#[derive(Debug)]
#[non_exhaustive]
pub enum SnapshotError {
    /// Reading or writing failed.
    Io(io::Error),
    /// The bytes do not start as a hashwatch index snapshot does.
    NotASnapshot,
    /// The bytes end before the entries they announce.
    Truncated,
    /// The checksum does not match: the bytes were altered.
    Checksum,
    /// An id appears more than once.
    DuplicateIds,
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Io(e) => write!(f, "{e}"),
            SnapshotError::NotASnapshot => f.write_str("not a hashwatch PDQ index snapshot"),
            SnapshotError::Truncated => f.write_str("the index snapshot is truncated"),
            SnapshotError::Checksum => {
                f.write_str("the index snapshot's checksum does not match: it was altered")
            }
            SnapshotError::DuplicateIds => f.write_str("the index snapshot holds an id twice"),
        }
    }
}

impl std::error::Error for SnapshotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SnapshotError::Io(e) => Some(e),
            _ => None,
        }
    }
}

fn read_error(e: io::Error) -> SnapshotError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        SnapshotError::Truncated
    } else {
        SnapshotError::Io(e)
    }
}

/// FNV-1a, 64 bits: enough to catch damage, not meant to resist forgery
/// (a snapshot is a local file, not an exchange format).
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl PdqIndex {
    /// Writes the live entries as a snapshot; [`PdqIndex::read_from`]
    /// reads it back.
    pub fn write_to(&self, out: &mut impl Write) -> Result<(), SnapshotError> {
        let mut sum = Fnv::new();
        let mut put = |out: &mut dyn Write, bytes: &[u8]| {
            sum.update(bytes);
            out.write_all(bytes).map_err(SnapshotError::Io)
        };
        put(out, MAGIC)?;
        put(out, &(self.len() as u64).to_le_bytes())?;
        let mut entry = [0u8; ENTRY_BYTES];
        for (id, hash) in self.entries() {
            entry[..8].copy_from_slice(&id.to_le_bytes());
            entry[8..].copy_from_slice(&hash.to_be_bytes());
            put(out, &entry)?;
        }
        out.write_all(&sum.0.to_le_bytes())
            .map_err(SnapshotError::Io)
    }

    /// Reads a snapshot [`PdqIndex::write_to`] wrote.
    pub fn read_from(input: &mut impl Read) -> Result<PdqIndex, SnapshotError> {
        let mut sum = Fnv::new();
        let mut magic = [0u8; 8];
        input
            .read_exact(&mut magic)
            .map_err(|e| match read_error(e) {
                SnapshotError::Truncated => SnapshotError::NotASnapshot,
                other => other,
            })?;
        if &magic != MAGIC {
            return Err(SnapshotError::NotASnapshot);
        }
        sum.update(&magic);
        let mut count = [0u8; 8];
        input.read_exact(&mut count).map_err(read_error)?;
        sum.update(&count);
        let count = u64::from_le_bytes(count);
        // The count is not trusted for allocation: a damaged one would ask
        // for anything. Entries arrive as they are read.
        let mut entries: Vec<(u64, Hash256)> = Vec::with_capacity(count.min(1 << 20) as usize);
        let mut entry = [0u8; ENTRY_BYTES];
        for _ in 0..count {
            input.read_exact(&mut entry).map_err(read_error)?;
            sum.update(&entry);
            let mut id = [0u8; 8];
            id.copy_from_slice(&entry[..8]);
            let mut hash = [0u8; 32];
            hash.copy_from_slice(&entry[8..]);
            entries.push((u64::from_le_bytes(id), Hash256::from_be_bytes(hash)));
        }
        let mut stored = [0u8; 8];
        input.read_exact(&mut stored).map_err(read_error)?;
        if u64::from_le_bytes(stored) != sum.0 {
            return Err(SnapshotError::Checksum);
        }
        // Building keeps one entry per id, so fewer live entries than read
        // means an id came twice.
        let read = entries.len();
        let index: PdqIndex = entries.into_iter().collect();
        if index.len() != read {
            return Err(SnapshotError::DuplicateIds);
        }
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PdqIndex {
        let mut index: PdqIndex = (0..100u64)
            .map(|i| (i * 7, Hash256::from_limbs([i, !i, i << 3, i ^ 0x5555])))
            .collect();
        index.remove(14);
        index.insert(1_000_000, Hash256::from_limbs([9, 9, 9, 9]));
        index
    }

    fn bytes_of(index: &PdqIndex) -> Vec<u8> {
        let mut out = Vec::new();
        index.write_to(&mut out).expect("write");
        out
    }

    #[test]
    fn a_snapshot_reads_back_to_the_same_live_entries() {
        let index = sample();
        let loaded = PdqIndex::read_from(&mut bytes_of(&index).as_slice()).expect("read");
        let mut want: Vec<_> = index.entries().collect();
        let mut got: Vec<_> = loaded.entries().collect();
        want.sort();
        got.sort();
        assert_eq!(got, want);
        assert_eq!(loaded.len(), 100);
        assert_eq!(loaded.get(14), None, "a removed id stays removed");
        let q = Hash256::from_limbs([9, 9, 9, 9]);
        assert_eq!(loaded.search(&q, 0)[0].id, 1_000_000);
    }

    #[test]
    fn damaged_snapshots_are_refused() {
        let good = bytes_of(&sample());
        for cut in [0, 5, 8, 12, 16, 100, good.len() - 1] {
            let Err(err) = PdqIndex::read_from(&mut &good[..cut]) else {
                panic!("a snapshot cut at {cut} was read");
            };
            assert!(
                matches!(err, SnapshotError::Truncated | SnapshotError::NotASnapshot),
                "cut at {cut}: {err}"
            );
        }
        let mut flipped = good.clone();
        flipped[40] ^= 1;
        assert!(matches!(
            PdqIndex::read_from(&mut flipped.as_slice()),
            Err(SnapshotError::Checksum)
        ));
        let mut foreign = good;
        foreign[0] = b'X';
        assert!(matches!(
            PdqIndex::read_from(&mut foreign.as_slice()),
            Err(SnapshotError::NotASnapshot)
        ));
        // A huge announced count with no entries is a truncation, not an
        // allocation of the announced size.
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(
            PdqIndex::read_from(&mut huge.as_slice()),
            Err(SnapshotError::Truncated)
        ));
    }
}
