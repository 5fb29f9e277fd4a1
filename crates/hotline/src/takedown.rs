//! Takedown scheduling: who hosts a listed URL, when the next notice is due and when the takedown is given up.
//! Pure decisions over a case and the clock; the service's takedown worker
//! does the resolving, fetching, sending and storing around them.

use std::net::IpAddr;
use std::time::Duration;

use hashwatch_model::Case;

use crate::{Notice, Registry};

/// Who hosts a case's URL, as far as the provider registry knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The provider's name, `unknown` when no range matched.
    pub provider: String,
    /// Where its abuse notices go.
    pub abuse: String,
    /// Its jurisdiction, `unknown` when no range matched.
    pub jurisdiction: String,
    /// Where its notices are posted, when it takes them by webhook.
    pub webhook: Option<String>,
    /// The address that matched (or the first one resolved).
    pub ip: String,
}

/// Attributes a URL from its host's addresses: the first address a
/// registered provider announces names the provider.
pub fn attribute(addresses: &[IpAddr], registry: Option<&Registry>) -> Attribution {
    let found = registry.and_then(|registry| {
        addresses
            .iter()
            .find_map(|ip| registry.provider_for(*ip).map(|p| (p, *ip)))
    });
    match found {
        Some((p, ip)) => Attribution {
            provider: p.name.clone(),
            abuse: p.abuse.clone(),
            jurisdiction: p.jurisdiction.clone(),
            webhook: p.webhook.clone(),
            ip: ip.to_string(),
        },
        None => Attribution {
            provider: "unknown".into(),
            abuse: String::new(),
            jurisdiction: "unknown".into(),
            webhook: None,
            ip: addresses
                .first()
                .map(ToString::to_string)
                .unwrap_or_default(),
        },
    }
}

/// When open takedowns are re-checked, when notices go, when a removal
/// counts and when a takedown is given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Time between notices while the URL is still up.
    pub notice_interval: Duration,
    /// Time after confirmation when the takedown is given up (the URL
    /// stays listed).
    pub expiry: Duration,
    /// Time between re-checks of every open takedown.
    pub recheck_interval: Duration,
    /// How far apart two re-checks must both find a URL's material gone
    /// before it counts as removed and is delisted.
    pub confirm_removal_after: Duration,
}

/// What a takedown round does next for an open case, after its re-check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Give up: the case expires, the URL stays listed.
    Expire,
    /// Send this notice.
    Notify(Notice),
    /// Nothing until the next round.
    Wait,
}

impl Schedule {
    /// [`Schedule::confirm_removal_after`] in seconds.
    pub fn confirm_removal_seconds(&self) -> i64 {
        secs(self.confirm_removal_after)
    }

    /// What to do for an open case at `now` (Unix seconds), on behalf of
    /// `hotline`.
    pub fn next(&self, case: &Case, now: i64, hotline: &str) -> Next {
        let confirmed = case.confirmed_at.unwrap_or(now);
        if now.saturating_sub(confirmed) > secs(self.expiry) {
            return Next::Expire;
        }
        let due = case
            .last_notice_at
            .is_none_or(|at| now.saturating_sub(at) >= secs(self.notice_interval));
        if !due {
            return Next::Wait;
        }
        Next::Notify(Notice {
            case: case.id,
            url: case.url.clone(),
            category: case.category.clone(),
            provider: case.provider.clone().unwrap_or_default(),
            abuse: case.abuse.clone().unwrap_or_default(),
            jurisdiction: case.jurisdiction.clone().unwrap_or_default(),
            attempt: crate::case::next_notice(case),
            confirmed_at: case.confirmed_at.unwrap_or_default(),
            hotline: hotline.to_string(),
        })
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use hashwatch_model::CaseState;

    /// A confirmed case, for tests of the hotline's rules.
    pub(crate) fn case(confirmed_at: i64, last_notice_at: Option<i64>, notices: i64) -> Case {
        Case {
            id: 7,
            url: "http://a.example/x".into(),
            url_sha256: String::new(),
            host: "a.example".into(),
            state: CaseState::Confirmed,
            verdict: Some("illegal".into()),
            category: Some("A1".into()),
            first_assessor: None,
            first_verdict: None,
            confirmed_at: Some(confirmed_at),
            provider: Some("Host Co".into()),
            abuse: Some("abuse@host.example".into()),
            jurisdiction: Some("NL".into()),
            webhook: None,
            ip: None,
            notices,
            first_notice_at: last_notice_at,
            last_notice_at,
            last_check_at: None,
            last_check: None,
            removed_at: None,
            gone_since: None,
            reports: 1,
            created_at: confirmed_at,
        }
    }

    const DAY: u64 = 24 * 3600;

    fn schedule() -> Schedule {
        Schedule {
            notice_interval: Duration::from_secs(DAY),
            expiry: Duration::from_secs(90 * DAY),
            recheck_interval: Duration::from_secs(3600),
            confirm_removal_after: Duration::from_secs(3600),
        }
    }

    #[test]
    fn the_first_notice_goes_at_once_then_one_per_interval() {
        let s = schedule();
        let now = 1_000_000;
        match s.next(&case(now, None, 0), now, "HL") {
            Next::Notify(n) => {
                assert_eq!((n.case, n.attempt, n.hotline.as_str()), (7, 1, "HL"));
                assert_eq!(n.provider, "Host Co");
            }
            other => panic!("{other:?}"),
        }
        let sent = now;
        let almost = now + DAY as i64 - 1;
        assert_eq!(s.next(&case(now, Some(sent), 1), almost, "HL"), Next::Wait);
        match s.next(&case(now, Some(sent), 1), almost + 1, "HL") {
            Next::Notify(n) => assert_eq!(n.attempt, 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_takedown_is_given_up_after_the_expiry_and_not_before() {
        let s = schedule();
        let confirmed = 1_000_000;
        let limit = confirmed + 90 * DAY as i64;
        assert_ne!(
            s.next(&case(confirmed, Some(limit), 3), limit, "HL"),
            Next::Expire
        );
        assert_eq!(
            s.next(&case(confirmed, Some(limit), 3), limit + 1, "HL"),
            Next::Expire
        );
    }

    #[test]
    fn attribution_takes_the_first_registered_address() {
        let registry = Registry::parse(
            r#"{"providers": [{"name": "Host Co", "abuse": "abuse@host.example",
                 "jurisdiction": "NL", "ranges": ["192.0.2.0/24"]}]}"#,
        )
        .expect("registry");
        let addresses: Vec<IpAddr> = vec![
            "198.51.100.1".parse().expect("ip"),
            "192.0.2.9".parse().expect("ip"),
        ];
        let a = attribute(&addresses, Some(&registry));
        assert_eq!(
            (a.provider.as_str(), a.ip.as_str()),
            ("Host Co", "192.0.2.9")
        );
        let none = attribute(&addresses, None);
        assert_eq!(
            (
                none.provider.as_str(),
                none.jurisdiction.as_str(),
                none.ip.as_str()
            ),
            ("unknown", "unknown", "198.51.100.1")
        );
        assert_eq!(attribute(&[], Some(&registry)).ip, "");
    }
}
