//! Webhook deliveries: how a body is signed, how one attempt is sent and
//! described, and when a failed one is tried again. The worker that
//! claims deliveries and records attempts is the service's; these rules
//! are the same for every sender.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The `X-Hashwatch-Signature` value: `sha256=` and the hex HMAC-SHA256
/// of the body under the bank's webhook secret.
pub fn signature(secret: &str, body: &str) -> String {
    // HMAC takes keys of any length, so this never fails.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC accepts keys of any length")
    };
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// Sends delivery `id`'s body, signed, to `url` with `client` (one of
/// [`crate::webhook_client`]'s). `None` when the receiver answered 2xx,
/// else what went wrong, told by kind only: an error's own text could tell
/// a tenant about networks it cannot reach.
pub async fn send(
    client: &crate::Client,
    url: &str,
    secret: &str,
    id: i64,
    body: &str,
) -> Option<String> {
    let request = match client.post(url) {
        Ok(request) => request,
        Err(refused) => return Some(format!("refused: {refused}")),
    };
    let result = request
        .header("content-type", "application/json")
        .header("x-hashwatch-signature", signature(secret, body))
        .header("x-hashwatch-delivery", id.to_string())
        .body(body.to_string())
        .send()
        .await;
    match result {
        Ok(r) if r.status().is_success() => None,
        Ok(r) => Some(format!("answered {}", r.status())),
        Err(e) if e.is_timeout() => Some("timed out".to_string()),
        Err(e) if e.is_connect() => Some("could not connect".to_string()),
        Err(_) => Some("the request failed".to_string()),
    }
}

/// How often a failed delivery is tried again: up to `attempts` in all,
/// the first retry after `backoff`, each next one after twice the last
/// delay, never more than an hour apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all before the delivery goes to the dead letters.
    pub attempts: u32,
    /// The first retry's delay.
    pub backoff: Duration,
}

impl RetryPolicy {
    /// Longest wait between two attempts.
    const MAX_DELAY_SECS: f64 = 3600.0;

    /// When to try again after the `made`th attempt failed at `now`
    /// (Unix seconds); `None`: out of attempts, a dead letter.
    pub fn retry_at(&self, made: i64, now: i64) -> Option<i64> {
        (made < i64::from(self.attempts)).then(|| {
            let doublings = i32::try_from(made.saturating_sub(1)).unwrap_or(i32::MAX);
            let delay = self.backoff.as_secs_f64() * 2f64.powi(doublings);
            now + delay.min(Self::MAX_DELAY_SECS).ceil() as i64
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn retries_double_up_to_an_hour_then_stop() {
        let policy = RetryPolicy {
            attempts: 16,
            backoff: Duration::from_secs(2),
        };
        let delays: Vec<Option<i64>> = (1..=16)
            .map(|made| policy.retry_at(made, 1000).map(|at| at - 1000))
            .collect();
        assert_eq!(
            delays,
            [
                Some(2),
                Some(4),
                Some(8),
                Some(16),
                Some(32),
                Some(64),
                Some(128),
                Some(256),
                Some(512),
                Some(1024),
                Some(2048),
                Some(3600),
                Some(3600),
                Some(3600),
                Some(3600),
                None
            ]
        );
        let once = RetryPolicy {
            attempts: 1,
            backoff: Duration::from_millis(10),
        };
        assert_eq!(once.retry_at(1, 1000), None, "one attempt, no retry");
        let quick = RetryPolicy {
            attempts: 3,
            backoff: Duration::from_millis(10),
        };
        assert_eq!(
            quick.retry_at(1, 1000),
            Some(1001),
            "rounded up to a second"
        );
    }
}
