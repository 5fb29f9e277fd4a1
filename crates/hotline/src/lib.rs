//! Hotline logic that needs no database and no network: the case state
//! machine and the four-eyes rule ([`case`]), what a reported URL
//! canonically is ([`canonical_url`]), who hosts it ([`Registry`],
//! through a [`Resolver`]), when notices go, what a re-check means and when
//! a takedown is given up ([`takedown`]), what a notice says
//! ([`notice_text`]), and how long removals take ([`percentile`]).
//!
//! The store keeps the cases; the server's handlers and takedown worker do
//! the I/O around these decisions.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod canonical;
pub mod case;
mod notice;
mod providers;
mod resolve;
pub mod takedown;

pub use crate::canonical::{canonical_url, CanonicalUrl};
pub use crate::notice::{notice_text, Notice};
pub use crate::providers::{Provider, Registry};
pub use crate::resolve::{Resolver, StaticHosts, SystemResolver};

/// The `p`th percentile (0-100) of `values` by nearest rank; `None` when
/// there are none.
pub fn percentile(values: &[i64], p: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7], 90.0), Some(7));
        assert_eq!(percentile(&[5, 1, 3, 2, 4], 50.0), Some(3));
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90.0), Some(9));
        assert_eq!(percentile(&[1, 2, 3, 4], 50.0), Some(2));
    }
}
