//! Finding known hashes: every PDQ hash within a Hamming radius of a query,
//! with exact recall, and exact lookup of MD5/SHA-1/SHA-256 values.
//!
//! [`PdqIndex`] holds PDQ hashes under caller-chosen `u64` ids. A search
//! returns every live hash within the radius, never an approximation: large
//! sets use multi-index hashing (the 256 bits split into 16 slots of 16 bits;
//! by pigeonhole a hash within radius `r` agrees with the query to within
//! `r / 16` bits in at least one slot), small sets and large radii a linear
//! scan, chosen per query. Inserts and removals take effect at once, with no
//! rebuild. [`ExactIndex`] maps exact digests to ids. [`VpdqIndex`] finds
//! videos by their frames. [`PdqIndex::write_to`] and [`PdqIndex::read_from`]
//! keep an index in a file between runs.
//!
//! ```
//! use hashwatch_index::PdqIndex;
//! use hashwatch_pdq::Hash256;
//!
//! let known = Hash256::from_limbs([1, 2, 3, 4]);
//! let mut index = PdqIndex::new();
//! index.insert(7, known);
//! let mut query = known;
//! query.set_bit(200);
//! let found = index.search(&query, 31);
//! assert_eq!(found.len(), 1);
//! assert_eq!((found[0].id, found[0].distance), (7, 1));
//! index.remove(7);
//! assert!(index.search(&query, 31).is_empty());
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod exact;
mod join;
mod mih;
mod pdq;
mod snapshot;
mod vpdq;

pub use crate::exact::ExactIndex;
pub use crate::join::near_pairs;
pub use crate::pdq::{DihedralMatch, Match, PdqIndex, Strategy};
pub use crate::snapshot::SnapshotError;
pub use crate::vpdq::{FrameMatch, FramePair, VideoMatch, VpdqIndex};
