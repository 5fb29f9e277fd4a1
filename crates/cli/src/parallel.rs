//! Work over many files on all cores, with results in input order.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use anyhow::Context;
use rayon::prelude::*;

/// Runs `work` on each item on a pool of `threads` (default: one per core),
/// each worker thread with its own state from `init`, and passes results to
/// `sink` in the items' order as they become ready. A `sink` error (a closed
/// pipe) stops the remaining work and is returned.
pub fn ordered<I, S, T>(
    items: &[I],
    threads: Option<usize>,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &I) -> T + Sync,
    mut sink: impl FnMut(usize, T) -> io::Result<()>,
) -> anyhow::Result<()>
where
    I: Sync,
    T: Send,
{
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        pool = pool.num_threads(n.max(1));
    }
    let pool = pool.build().context("cannot start worker threads")?;
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<(usize, T)>(1024);
    let written: io::Result<()> = std::thread::scope(|scope| {
        let (stop, init, work) = (&stop, &init, &work);
        scope.spawn(move || {
            pool.install(|| {
                items.par_iter().enumerate().for_each_init(
                    || (tx.clone(), init()),
                    |(tx, state), (i, item)| {
                        if !stop.load(Ordering::Relaxed) {
                            let _ = tx.send((i, work(state, item)));
                        }
                    },
                )
            });
        });
        let mut pending: BTreeMap<usize, T> = BTreeMap::new();
        let mut next = 0;
        for (i, result) in rx.iter() {
            pending.insert(i, result);
            while let Some(result) = pending.remove(&next) {
                if let Err(e) = sink(next, result) {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
                next += 1;
            }
        }
        Ok(())
    });
    written?;
    Ok(())
}
