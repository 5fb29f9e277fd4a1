//! Name resolution behind an interface: the system resolver in production,
//! a static hosts file where there is no outside network (tests).

use std::collections::HashMap;
use std::net::IpAddr;

/// Why a name gave no address. Only [`ResolveError::NoSuchName`] is an
/// answer about the name; anything else may pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// The name does not exist, or has no address (NXDOMAIN, NODATA).
    NoSuchName(String),
    /// The lookup failed (a timeout, SERVFAIL, no network).
    Failed(String),
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolveError::NoSuchName(why) | ResolveError::Failed(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for ResolveError {}

/// Resolves host names to addresses.
pub trait Resolver: Send + Sync {
    /// The addresses of `host` (an IP literal resolves to itself).
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError>;
}

/// The operating system's resolver (`getaddrinfo`, whose error codes tell
/// a name that does not exist from a lookup that failed).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        use dns_lookup::LookupErrorKind;
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let found = dns_lookup::getaddrinfo(Some(host), None, None).map_err(|e| {
            let why = format!("cannot resolve {host}: {:?}", e.kind());
            match e.kind() {
                LookupErrorKind::NoName | LookupErrorKind::NoData => ResolveError::NoSuchName(why),
                _ => ResolveError::Failed(why),
            }
        })?;
        let mut ips: Vec<IpAddr> = Vec::new();
        for info in found {
            let info =
                info.map_err(|e| ResolveError::Failed(format!("cannot resolve {host}: {e}")))?;
            if !ips.contains(&info.sockaddr.ip()) {
                ips.push(info.sockaddr.ip());
            }
        }
        if ips.is_empty() {
            return Err(ResolveError::NoSuchName(format!("{host} has no address")));
        }
        Ok(ips)
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
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        self.names
            .get(&host.to_ascii_lowercase())
            .cloned()
            .ok_or_else(|| ResolveError::NoSuchName(format!("{host} does not resolve")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_resolver_tells_a_missing_name_by_its_code() {
        // `.invalid` never resolves (RFC 6761).
        assert!(SystemResolver.resolve("no-such-name.invalid").is_err());
        assert_eq!(
            SystemResolver.resolve("127.0.0.1"),
            Ok(vec![IpAddr::from([127, 0, 0, 1])])
        );
    }

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
        assert!(matches!(
            hosts.resolve("unknown.example"),
            Err(ResolveError::NoSuchName(_))
        ));
        assert!(hosts.resolve("10.0.0.1").is_ok());
        assert!(StaticHosts::parse("nonsense name\n").is_err());
    }
}
