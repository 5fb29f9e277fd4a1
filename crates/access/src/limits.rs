//! How much one client may ask: who the client is behind a proxy, which
//! addresses count as one, and token buckets that forget the least
//! recently seen clients first instead of all at once.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::Instant;

pub use ipnet::IpNet;

/// The address a request came from: the peer, or, when the peer is a
/// trusted proxy, the last address in `X-Forwarded-For` that is not one
/// (proxies append, so everything left of the first untrusted hop could
/// have been written by the client itself).
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    let mut client = peer;
    for hop in header.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // A hop that is not an address ends what can be believed.
            Err(_) => break,
        }
    }
    client
}

/// What one client is counted as: an IPv4 address, or an IPv6 /64 (one
/// subscriber's prefix: counting its addresses one by one would give a
/// single host 2^64 buckets). IPv4-mapped IPv6 counts as the IPv4 address.
pub fn bucket_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

/// Token buckets by key, holding at most `capacity` keys: past that, the
/// tenth least recently used are forgotten. A flood of new keys never
/// resets the buckets of the clients being limited.
#[derive(Debug)]
pub struct Buckets<K> {
    map: HashMap<K, (f64, Instant)>,
    capacity: usize,
}

impl<K: Hash + Eq + Clone> Buckets<K> {
    /// Buckets for at most `capacity` keys (at least 10).
    pub fn new(capacity: usize) -> Buckets<K> {
        Buckets {
            map: HashMap::new(),
            capacity: capacity.max(10),
        }
    }

    /// How many keys are held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Takes a token from `key`'s bucket (holding up to `burst`, refilled
    /// at `per_second`); false when it is empty.
    pub fn take(&mut self, key: K, burst: f64, per_second: f64) -> bool {
        self.take_at(key, burst, per_second, Instant::now())
    }

    fn take_at(&mut self, key: K, burst: f64, per_second: f64, now: Instant) -> bool {
        if !self.map.contains_key(&key) && self.map.len() >= self.capacity {
            self.evict();
        }
        let (tokens, last) = self.map.entry(key).or_insert((burst, now));
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * per_second).min(burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether `key`'s bucket is empty now, without taking from it.
    pub fn is_exhausted(&self, key: &K, burst: f64, per_second: f64) -> bool {
        self.map.get(key).is_some_and(|(tokens, last)| {
            let refill = last.elapsed().as_secs_f64() * per_second;
            (tokens + refill).min(burst) < 1.0
        })
    }

    /// Forgets the least recently used tenth (more on ties).
    fn evict(&mut self) {
        let mut times: Vec<Instant> = self.map.values().map(|(_, at)| *at).collect();
        let cut = times.len() / 10;
        let (_, cutoff, _) = times.select_nth_unstable(cut);
        let cutoff = *cutoff;
        self.map.retain(|_, (_, at)| *at > cutoff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        let xff = Some("198.51.100.7, 10.1.1.1");
        assert_eq!(
            client_address(ip("203.0.113.9"), xff, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), xff, &trusted),
            ip("198.51.100.7")
        );
        // A client cannot pick its address by writing the header first.
        let forged = Some("1.2.3.4, 198.51.100.7");
        assert_eq!(
            client_address(ip("10.0.0.2"), forged, &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), Some("junk"), &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), None, &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn ipv6_counts_by_64() {
        assert_eq!(
            bucket_of(ip("2001:db8:1:2:aaaa::1")),
            bucket_of(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            bucket_of(ip("2001:db8:1:2::1")),
            bucket_of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(bucket_of(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_ne!(bucket_of(ip("192.0.2.1")), bucket_of(ip("192.0.2.2")));
    }

    #[test]
    fn a_flood_of_new_keys_does_not_reset_a_limited_one() {
        let mut buckets = Buckets::new(1000);
        let start = Instant::now();
        assert!(buckets.take_at(0u32, 1.0, 0.001, start));
        assert!(!buckets.take_at(0u32, 1.0, 0.001, start));
        for k in 1..100_000u32 {
            // The limited client keeps coming back; the flood does not.
            let now = start + Duration::from_micros(u64::from(k));
            buckets.take_at(k, 1.0, 0.001, now);
            if k % 100 == 0 {
                assert!(!buckets.take_at(0, 1.0, 0.001, now), "reset at {k}");
            }
            assert!(buckets.len() <= 1000);
        }
    }
}
