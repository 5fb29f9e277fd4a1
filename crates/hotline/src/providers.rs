//! The hosting-provider registry: IP ranges and ASNs to the provider, its
//! abuse contact and jurisdiction, read from a JSON file the hotline keeps.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Deserialize;

/// A hosting provider.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Provider {
    /// Its name.
    pub name: String,
    /// Where notices go (an email address).
    pub abuse: String,
    /// Country (ISO 3166 code) whose law applies.
    pub jurisdiction: String,
    /// A URL notices are also POSTed to as JSON.
    #[serde(default)]
    pub webhook: Option<String>,
    /// Its autonomous system numbers.
    #[serde(default)]
    pub asns: Vec<u32>,
    /// Address ranges it hosts, as CIDR.
    #[serde(default)]
    pub ranges: Vec<String>,
}

#[derive(Deserialize)]
struct AsnRanges {
    asn: u32,
    ranges: Vec<String>,
}

#[derive(Deserialize)]
struct File {
    providers: Vec<Provider>,
    /// Which ranges each ASN announces (from a routing-table dump).
    #[serde(default)]
    asn_ranges: Vec<AsnRanges>,
}

/// Providers by address: the most specific range wins; failing a
/// provider's own range, the ASN announcing the address names it.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    providers: Vec<Provider>,
    /// (range, provider index)
    ranges: Vec<(IpNet, usize)>,
    /// (range, ASN)
    asn_ranges: Vec<(IpNet, u32)>,
}

fn parse_net(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is not an IP range (CIDR)"))
}

impl Registry {
    /// Reads a registry file:
    /// `{"providers": [{"name", "abuse", "jurisdiction", "webhook"?, "asns"?,
    /// "ranges"?}], "asn_ranges"?: [{"asn", "ranges"}]}`.
    pub fn parse(text: &str) -> Result<Registry, String> {
        let file: File =
            serde_json::from_str(text).map_err(|e| format!("not a provider registry: {e}"))?;
        let mut registry = Registry::default();
        for (i, p) in file.providers.iter().enumerate() {
            if p.name.trim().is_empty() || p.abuse.trim().is_empty() {
                return Err(format!(
                    "provider {} needs a name and an abuse contact",
                    i + 1
                ));
            }
            for r in &p.ranges {
                registry.ranges.push((parse_net(r)?, i));
            }
        }
        for a in &file.asn_ranges {
            for r in &a.ranges {
                registry.asn_ranges.push((parse_net(r)?, a.asn));
            }
        }
        registry.providers = file.providers;
        Ok(registry)
    }

    /// How many providers it lists.
    pub fn len(&self) -> usize {
        self.providers.len()
    }

    /// Whether it lists none.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// The provider hosting `ip`, if the registry knows.
    pub fn provider_for(&self, ip: IpAddr) -> Option<&Provider> {
        let own = self
            .ranges
            .iter()
            .filter(|(net, _)| net.contains(&ip))
            .max_by_key(|(net, _)| net.prefix_len())
            .map(|(_, i)| &self.providers[*i]);
        own.or_else(|| {
            let asn = self
                .asn_ranges
                .iter()
                .filter(|(net, _)| net.contains(&ip))
                .max_by_key(|(net, _)| net.prefix_len())?
                .1;
            self.providers.iter().find(|p| p.asns.contains(&asn))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{
        "providers": [
            {"name": "Big Host", "abuse": "abuse@big.example", "jurisdiction": "NL",
             "ranges": ["203.0.113.0/24"], "asns": [64500]},
            {"name": "Reseller", "abuse": "abuse@resell.example", "jurisdiction": "DE",
             "ranges": ["203.0.113.128/25", "2001:db8::/32"]}
        ],
        "asn_ranges": [{"asn": 64500, "ranges": ["198.51.100.0/24"]}]
    }"#;

    #[test]
    fn the_most_specific_range_then_the_asn() {
        let r = Registry::parse(FILE).expect("parses");
        let name = |ip: &str| {
            r.provider_for(ip.parse().expect("ip"))
                .map(|p| p.name.as_str())
        };
        assert_eq!(name("203.0.113.5"), Some("Big Host"));
        assert_eq!(name("203.0.113.200"), Some("Reseller"));
        assert_eq!(name("2001:db8::7"), Some("Reseller"));
        assert_eq!(name("198.51.100.9"), Some("Big Host"), "by ASN");
        assert_eq!(name("192.0.2.1"), None);
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(Registry::parse("{}").is_err());
        assert!(Registry::parse(r#"{"providers": [{"name": "x", "abuse": "a", "jurisdiction": "NL", "ranges": ["nope"]}]}"#).is_err());
        assert!(Registry::parse(
            r#"{"providers": [{"name": "", "abuse": "a", "jurisdiction": "NL"}]}"#
        )
        .is_err());
    }
}
