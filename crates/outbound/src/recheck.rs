//! What a re-check of a listed URL saw, and whether that means its
//! material is gone.

/// What a re-check of a listed URL saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recheck {
    /// The server answered with this HTTP status.
    Answered(u16),
    /// The URL's host name does not resolve any more.
    NotResolved(String),
    /// The request failed otherwise (refused, timed out, reset).
    Failed(String),
}

impl Recheck {
    /// Whether the material is gone: the server says so (404, 410), or the
    /// name no longer resolves. A refused or timed-out connection may be
    /// passing, so it does not count.
    pub fn gone(&self) -> bool {
        matches!(self, Recheck::Answered(404 | 410) | Recheck::NotResolved(_))
    }

    /// The re-check as kept on the case.
    pub fn describe(&self) -> String {
        match self {
            Recheck::Answered(status) => format!("answered {status}"),
            Recheck::NotResolved(why) => format!("does not resolve: {why}"),
            Recheck::Failed(why) => format!("failed: {why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_404_410_or_a_name_gone_means_removed() {
        assert!(Recheck::Answered(404).gone());
        assert!(Recheck::Answered(410).gone());
        assert!(Recheck::NotResolved("NXDOMAIN".into()).gone());
        for status in [200, 301, 403, 451, 500, 503] {
            assert!(!Recheck::Answered(status).gone(), "{status}");
        }
        // Text that merely mentions DNS is not a resolver's answer.
        assert!(!Recheck::Failed("dns server timed out".into()).gone());
        assert_eq!(Recheck::Answered(200).describe(), "answered 200");
    }
}
