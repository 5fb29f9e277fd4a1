//! Name resolution behind an interface: the system resolver in production,
//! a static hosts file where there is no outside network (tests).

use std::collections::HashMap;
use std::net::{IpAddr, ToSocketAddrs};

/// Resolves host names to addresses.
pub trait Resolver: Send + Sync {
    /// The addresses of `host` (an IP literal resolves to itself).
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, String>;
}

/// The operating system's resolver.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let addrs = (host, 0)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {host}: {e}"))?;
        Ok(addrs.map(|a| a.ip()).collect())
    }
}

/// Names from a hosts file (`ADDRESS NAME…` per line, `#` comments); any
/// other name does not resolve.
#[derive(Debug, Clone, Default)]
pub struct StaticHosts {
    names: HashMap<String, Vec<IpAddr>>,
}

impl StaticHosts {
    /// Reads hosts-file text.
    pub fn parse(text: &str) -> Result<StaticHosts, String> {
        let mut names: HashMap<String, Vec<IpAddr>> = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut fields = line.split_whitespace();
            let ip: IpAddr = fields
                .next()
                .and_then(|f| f.parse().ok())
                .ok_or_else(|| format!("line {}: no address", n + 1))?;
            for name in fields {
                names.entry(name.to_ascii_lowercase()).or_default().push(ip);
            }
        }
        Ok(StaticHosts { names })
    }
}

impl Resolver for StaticHosts {
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        self.names
            .get(&host.to_ascii_lowercase())
            .cloned()
            .ok_or_else(|| format!("{host} does not resolve"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_file_names_and_literals() {
        let hosts =
            StaticHosts::parse("# test\n127.0.0.1 Bad.Example other.example\n::1 six.example\n")
                .expect("parses");
        assert_eq!(
            hosts.resolve("bad.example").expect("resolves"),
            ["127.0.0.1".parse::<IpAddr>().expect("ip")]
        );
        assert!(hosts.resolve("six.example").is_ok());
        assert!(hosts.resolve("unknown.example").is_err());
        assert!(hosts.resolve("10.0.0.1").is_ok());
        assert!(StaticHosts::parse("nonsense name\n").is_err());
    }
}
