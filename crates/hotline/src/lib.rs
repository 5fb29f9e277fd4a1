//! Hotline logic that needs no database and no network: the case state
//! machine and the four-eyes rule ([`case`]), what a reported URL
//! canonically is ([`canonical_url`]), who hosts it ([`Registry`], from
//! the addresses `hashwatch-outbound`'s resolver gives), when notices go
//! and when a takedown is given up ([`takedown`]), what a notice says
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
pub mod takedown;

pub use crate::canonical::{canonical_url, CanonicalUrl};
pub use crate::notice::{notice_text, Notice};
pub use crate::providers::{Provider, Registry};

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

/// How long removals took in one group (a provider or a jurisdiction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalGroup {
    /// The provider's or jurisdiction's name.
    pub name: String,
    /// Removals counted.
    pub removed: usize,
    /// Median seconds from first notice to removal.
    pub median_seconds: Option<i64>,
    /// 90th percentile of the same.
    pub p90_seconds: Option<i64>,
}

/// Removal times grouped by provider and by jurisdiction, names in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RemovalTimes {
    /// Per provider.
    pub by_provider: Vec<RemovalGroup>,
    /// Per jurisdiction.
    pub by_jurisdiction: Vec<RemovalGroup>,
}

/// Groups removals (provider, jurisdiction, seconds from first notice to
/// removal) and takes the median and 90th percentile of each group.
pub fn removal_times(removals: &[(String, String, i64)]) -> RemovalTimes {
    let group = |key: fn(&(String, String, i64)) -> &str| -> Vec<RemovalGroup> {
        let mut groups: std::collections::BTreeMap<&str, Vec<i64>> = Default::default();
        for r in removals {
            groups.entry(key(r)).or_default().push(r.2);
        }
        groups
            .into_iter()
            .map(|(name, seconds)| RemovalGroup {
                name: name.to_string(),
                removed: seconds.len(),
                median_seconds: percentile(&seconds, 50.0),
                p90_seconds: percentile(&seconds, 90.0),
            })
            .collect()
    };
    RemovalTimes {
        by_provider: group(|r| &r.0),
        by_jurisdiction: group(|r| &r.1),
    }
}

#[cfg(test)]
mod tests {
    use super::{percentile, removal_times};

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7], 90.0), Some(7));
        assert_eq!(percentile(&[5, 1, 3, 2, 4], 50.0), Some(3));
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90.0), Some(9));
        assert_eq!(percentile(&[1, 2, 3, 4], 50.0), Some(2));
    }

    #[test]
    fn removal_times_group_by_provider_and_jurisdiction() {
        let removals = [
            ("Host Co".to_string(), "NL".to_string(), 3600),
            ("Host Co".to_string(), "NL".to_string(), 60),
            ("Other".to_string(), "NL".to_string(), 600),
        ];
        let times = removal_times(&removals);
        let providers: Vec<(&str, usize, Option<i64>, Option<i64>)> = times
            .by_provider
            .iter()
            .map(|g| (g.name.as_str(), g.removed, g.median_seconds, g.p90_seconds))
            .collect();
        assert_eq!(
            providers,
            [
                ("Host Co", 2, Some(60), Some(3600)),
                ("Other", 1, Some(600), Some(600))
            ]
        );
        assert_eq!(times.by_jurisdiction.len(), 1);
        assert_eq!(times.by_jurisdiction[0].removed, 3);
        assert_eq!(times.by_jurisdiction[0].median_seconds, Some(600));
        assert_eq!(removal_times(&[]), Default::default());
    }
}
