//! Exact lookup of digests (MD5, SHA-1, SHA-256) by value.

use std::collections::HashMap;

/// Digest bytes to the ids that carry them. Keys are compared byte for byte,
/// so one index can hold digests of different lengths without confusion.
#[derive(Default)]
pub struct ExactIndex {
    by_value: HashMap<Box<[u8]>, Vec<u64>>,
    len: usize,
}

impl ExactIndex {
    /// An empty index.
    pub fn new() -> ExactIndex {
        ExactIndex::default()
    }

    /// How many (value, id) pairs are held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `id` under `value` (once).
    pub fn insert(&mut self, id: u64, value: &[u8]) {
        let ids = self.by_value.entry(value.into()).or_default();
        // Ids mostly arrive in increasing order (a load, a followed import),
        // so a value shared by many items costs no scan of its ids.
        let new = ids.last().is_none_or(|&last| last < id) || !ids.contains(&id);
        if new {
            ids.push(id);
            self.len += 1;
        }
    }

    /// Removes `id` from under `value`; returns whether it was there.
    pub fn remove(&mut self, id: u64, value: &[u8]) -> bool {
        let Some(ids) = self.by_value.get_mut(value) else {
            return false;
        };
        let Some(i) = ids.iter().position(|&x| x == id) else {
            return false;
        };
        ids.swap_remove(i);
        if ids.is_empty() {
            self.by_value.remove(value);
        }
        self.len -= 1;
        true
    }

    /// The ids under `value`.
    pub fn get(&self, value: &[u8]) -> &[u64] {
        self.by_value.get(value).map(Vec::as_slice).unwrap_or(&[])
    }
}
