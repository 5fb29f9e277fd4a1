//! Which addresses outbound requests may reach. A URL anyone else supplied
//! (a webhook, a reported URL, a feed, `?url=`) must not turn the service
//! into a way into its own network: loopback, private, link-local,
//! unique-local, CGNAT, unspecified, multicast and reserved addresses are
//! refused, and so are IPv4-mapped and NAT64 IPv6 addresses, which reach
//! IPv4 hosts the IPv4 rules would refuse. Only the operator can allow
//! ranges (`--outbound-allow`), for closed networks and tests.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// A refused destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// The address rules, with the ranges the operator allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guard {
    allowed: Vec<IpNet>,
}

fn v4_refused(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared (CGNAT)")
    } else if ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        Some("multicast or reserved")
    } else if a == 192 && b == 0 && ip.octets()[2] == 0 {
        Some("IETF protocol assignments")
    } else if a == 198 && (b & 0xfe) == 18 {
        Some("benchmarking")
    } else {
        None
    }
}

fn v6_refused(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.to_ipv4_mapped().is_some() {
        Some("IPv4-mapped")
    } else if first == 0x64 && ip.segments()[1] == 0xff9b {
        Some("NAT64")
    } else if first == 0x2002 {
        Some("6to4")
    } else if first == 0x2001 && ip.segments()[1] == 0 {
        Some("Teredo")
    } else if ip.segments()[..4] == [0; 4] && ip.segments()[4] == 0xffff && ip.segments()[5] == 0 {
        Some("IPv4-translated")
    } else if first & 0xfe00 == 0xfc00 {
        Some("unique-local")
    } else if first & 0xffc0 == 0xfe80 || first & 0xffc0 == 0xfec0 {
        Some("link-local")
    } else if first & 0xff00 == 0xff00 {
        Some("multicast")
    } else if ip.segments()[..6] == [0; 6] {
        Some("IPv4-compatible")
    } else {
        None
    }
}

impl Guard {
    /// The rules, plus the ranges the operator allows.
    pub fn allowing(allowed: Vec<IpNet>) -> Guard {
        Guard { allowed }
    }

    /// Whether `ip` may be connected to.
    pub fn check(&self, ip: IpAddr) -> Result<(), Refused> {
        if self.allowed.iter().any(|net| net.contains(&ip)) {
            return Ok(());
        }
        let kind = match ip {
            IpAddr::V4(v4) => v4_refused(v4),
            IpAddr::V6(v6) => v6_refused(v6),
        };
        match kind {
            Some(kind) => Err(Refused(format!(
                "{ip} is a {kind} address, which this service does not connect to"
            ))),
            None => Ok(()),
        }
    }

    /// Whether a URL may be requested before any name is resolved: http or
    /// https only, and an address given literally must pass [`Guard::check`]
    /// (names are checked when they resolve).
    pub fn check_url(&self, url: &url::Url) -> Result<(), Refused> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refused(format!(
                "{}: only http and https URLs are requested",
                url.scheme()
            )));
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.check(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => Ok(()),
            None => Err(Refused(format!("{url} names no host"))),
        }
    }

    /// Of `ips`, those that may be connected to; refused when none may.
    pub fn filter(&self, host: &str, ips: Vec<IpAddr>) -> Result<Vec<IpAddr>, Refused> {
        let mut first_refusal = None;
        let allowed: Vec<IpAddr> = ips
            .into_iter()
            .filter(|ip| match self.check(*ip) {
                Ok(()) => true,
                Err(e) => {
                    first_refusal.get_or_insert(e);
                    false
                }
            })
            .collect();
        match (allowed.is_empty(), first_refusal) {
            (true, Some(Refused(why))) => Err(Refused(format!("{host}: {why}"))),
            (true, None) => Err(Refused(format!("{host} has no address"))),
            (false, _) => Ok(allowed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn internal_addresses_are_refused() {
        let guard = Guard::default();
        for refused in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.0.170",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::a9fe:a9fe",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::127.0.0.1",
            "::ffff:0:a00:1",
            "2002:7f00:1::1",
            "2001:0:4136:e378::1",
            "198.18.0.1",
            "198.19.255.255",
        ] {
            assert!(guard.check(ip(refused)).is_err(), "{refused} passed");
        }
        for allowed in [
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "2001:4860::8888",
        ] {
            assert_eq!(guard.check(ip(allowed)), Ok(()), "{allowed}");
        }
    }

    #[test]
    fn the_operator_allows_ranges() {
        let guard = Guard::allowing(vec!["127.0.0.0/8".parse().expect("net")]);
        assert_eq!(guard.check(ip("127.0.0.1")), Ok(()));
        assert!(guard.check(ip("10.0.0.1")).is_err());
    }

    #[test]
    fn urls_are_checked_by_scheme_and_literal_address() {
        let guard = Guard::default();
        let url = |text: &str| url::Url::parse(text).expect("url");
        assert!(guard.check_url(&url("http://127.0.0.1:9/x")).is_err());
        assert!(guard.check_url(&url("http://[::1]/x")).is_err());
        assert!(guard.check_url(&url("http://0x7f.1/x")).is_err());
        assert!(guard.check_url(&url("http://2130706433/x")).is_err());
        assert!(guard.check_url(&url("file:///etc/passwd")).is_err());
        assert!(guard.check_url(&url("gopher://example.org/")).is_err());
        assert_eq!(guard.check_url(&url("https://example.org/x")), Ok(()));
        assert_eq!(
            guard.filter("mixed", vec![ip("10.0.0.1"), ip("8.8.8.8")]),
            Ok(vec![ip("8.8.8.8")])
        );
        assert!(guard.filter("inside", vec![ip("10.0.0.1")]).is_err());
    }
}
