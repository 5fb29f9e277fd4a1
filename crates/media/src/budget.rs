//! A memory budget for decodes. A decode's memory is known from the
//! header before any is spent (a photo's pixels, a video's frame size), so
//! it is charged first: against what one request may use, and against
//! what all decodes of the process may hold at once, shared by photos and
//! video frames. Over the first, the decode is refused; while the second
//! is spent, it waits a while, then is turned away as busy.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::cancel::Cancel;

/// How long a charge waits at most between looks at its cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Why a charge was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverBudget {
    /// The decode needs more than one request may use.
    TooLarge {
        /// What it needs, in bytes.
        need: u64,
        /// What one request may use.
        limit: u64,
    },
    /// The process's decodes hold too much now; the charge waited and
    /// gave up.
    Busy {
        /// What it needs, in bytes.
        need: u64,
        /// How long it waited.
        waited: Duration,
    },
    /// The request was cancelled while waiting.
    Cancelled,
}

impl std::fmt::Display for OverBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MIB: u64 = 1 << 20;
        match self {
            OverBudget::TooLarge { need, limit } => write!(
                f,
                "decoding it needs about {} MiB, more than the {} MiB one request may use",
                need.div_ceil(MIB),
                limit / MIB
            ),
            OverBudget::Busy { need, waited } => write!(
                f,
                "decoding it needs about {} MiB, and other decodes held the memory for {} s: try again shortly",
                need.div_ceil(MIB),
                waited.as_secs()
            ),
            OverBudget::Cancelled => write!(f, "cancelled while waiting for memory"),
        }
    }
}

impl std::error::Error for OverBudget {}

/// What the budget may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetLimits {
    /// Bytes all decodes of the process may hold at once.
    pub total: u64,
    /// Bytes one request's decode may hold (at most `total`).
    pub per_request: u64,
    /// How long a charge waits for memory before it gives up.
    pub wait: Duration,
}

#[derive(Debug)]
struct Ledger {
    limits: BudgetLimits,
    held: Mutex<u64>,
    freed: Condvar,
}

/// Memory that decodes charge before they spend it. Cheap to clone: the
/// clones share one ledger.
#[derive(Debug, Clone)]
pub struct MemoryBudget(Arc<Ledger>);

/// Memory charged to a decode, given back when dropped.
#[derive(Debug)]
pub struct Charge {
    ledger: Arc<Ledger>,
    bytes: u64,
}

impl Drop for Charge {
    fn drop(&mut self) {
        let mut held = lock(&self.ledger.held);
        *held = held.saturating_sub(self.bytes);
        drop(held);
        self.ledger.freed.notify_all();
    }
}

impl Charge {
    /// What it holds, in bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

fn lock(held: &Mutex<u64>) -> MutexGuard<'_, u64> {
    // The count is a plain number; a panic elsewhere cannot leave it torn.
    held.lock().unwrap_or_else(|p| p.into_inner())
}

impl MemoryBudget {
    /// A budget; `per_request` above `total` is taken as `total` (more
    /// could never be charged).
    pub fn new(limits: BudgetLimits) -> MemoryBudget {
        let limits = BudgetLimits {
            per_request: limits.per_request.min(limits.total),
            ..limits
        };
        MemoryBudget(Arc::new(Ledger {
            limits,
            held: Mutex::new(0),
            freed: Condvar::new(),
        }))
    }

    /// No limit: for one-off use (the command line, tests of other
    /// things).
    pub fn unlimited() -> MemoryBudget {
        MemoryBudget::new(BudgetLimits {
            total: u64::MAX,
            per_request: u64::MAX,
            wait: Duration::ZERO,
        })
    }

    /// Its limits.
    pub fn limits(&self) -> BudgetLimits {
        self.0.limits
    }

    /// Bytes charged now.
    pub fn held(&self) -> u64 {
        *lock(&self.0.held)
    }

    /// Charges `bytes`, waiting (blocking the thread) while other decodes
    /// hold too much, up to the budget's wait or until `cancel` is set.
    pub fn charge(&self, bytes: u64, cancel: &Cancel) -> Result<Charge, OverBudget> {
        let ledger = &self.0;
        let limits = ledger.limits;
        if bytes > limits.per_request {
            return Err(OverBudget::TooLarge {
                need: bytes,
                limit: limits.per_request,
            });
        }
        let started = Instant::now();
        let mut held = lock(&ledger.held);
        while held.saturating_add(bytes) > limits.total {
            if cancel.is_cancelled() {
                return Err(OverBudget::Cancelled);
            }
            let waited = started.elapsed();
            if waited >= limits.wait {
                return Err(OverBudget::Busy {
                    need: bytes,
                    waited,
                });
            }
            let nap = (limits.wait - waited).min(CANCEL_POLL);
            held = ledger
                .freed
                .wait_timeout(held, nap)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        *held += bytes;
        Ok(Charge {
            ledger: ledger.clone(),
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(total: u64, per_request: u64, wait_ms: u64) -> MemoryBudget {
        MemoryBudget::new(BudgetLimits {
            total,
            per_request,
            wait: Duration::from_millis(wait_ms),
        })
    }

    #[test]
    fn a_charge_over_the_request_limit_is_refused_at_once() {
        let b = budget(100, 60, 1_000);
        assert_eq!(
            b.charge(61, &Cancel::new()).map(|c| c.bytes()),
            Err(OverBudget::TooLarge {
                need: 61,
                limit: 60
            })
        );
        assert_eq!(b.held(), 0);
        // A request limit above the total is the total.
        assert_eq!(budget(100, 500, 0).limits().per_request, 100);
    }

    #[test]
    fn charges_share_the_total_and_give_it_back() {
        let b = budget(100, 60, 20);
        let first = b.charge(60, &Cancel::new()).expect("fits");
        let second = b.charge(40, &Cancel::new()).expect("fits beside it");
        assert_eq!(b.held(), 100);
        let busy = b.charge(1, &Cancel::new()).expect_err("full");
        assert!(matches!(busy, OverBudget::Busy { need: 1, .. }), "{busy}");
        drop(second);
        assert_eq!(b.held(), 60);
        drop(first);
        assert_eq!(b.held(), 0);
    }

    #[test]
    fn a_waiting_charge_goes_in_when_memory_is_freed() {
        let b = budget(100, 100, 10_000);
        let held = b.charge(100, &Cancel::new()).expect("fits");
        let waiter = {
            let b = b.clone();
            std::thread::spawn(move || b.charge(70, &Cancel::new()).map(|c| c.bytes()))
        };
        std::thread::sleep(Duration::from_millis(50));
        drop(held);
        assert_eq!(waiter.join().expect("joins"), Ok(70));
        assert_eq!(b.held(), 0, "the waiter's charge went back with it");
    }

    #[test]
    fn a_cancelled_wait_ends() {
        let b = budget(100, 100, 60_000);
        let _held = b.charge(100, &Cancel::new()).expect("fits");
        let cancel = Cancel::new();
        cancel.cancel();
        assert_eq!(
            b.charge(1, &cancel).map(|c| c.bytes()),
            Err(OverBudget::Cancelled)
        );
    }
}
