//! Exact recall: every search agrees with brute force, on random and on
//! clustered hashes, at the radius edges, through inserts and removals.

use hashwatch_index::{Match, PdqIndex, Strategy};
use hashwatch_pdq::Hash256;
use hashwatch_testdata::Rng;

fn brute_force(entries: &[(u64, Hash256)], query: &Hash256, radius: u32) -> Vec<Match> {
    let mut found: Vec<Match> = entries
        .iter()
        .map(|(id, h)| Match {
            id: *id,
            distance: h.distance(query),
        })
        .filter(|m| m.distance <= radius)
        .collect();
    found.sort_by_key(|m| (m.distance, m.id));
    found
}

fn assert_exact(index: &PdqIndex, entries: &[(u64, Hash256)], query: &Hash256, radius: u32) {
    let want = brute_force(entries, query, radius);
    for strategy in [Strategy::MultiIndex, Strategy::Linear] {
        assert_eq!(
            index.search_with(query, radius, strategy),
            want,
            "{strategy:?} r={radius}"
        );
    }
    assert_eq!(index.search(query, radius), want, "automatic r={radius}");
}

/// Random hashes plus clusters of near-duplicates at every distance 0..=40
/// around each query, including exactly 30, 31 and 32 bits.
fn clustered(rng: &mut Rng, random: usize, queries: usize) -> (Vec<(u64, Hash256)>, Vec<Hash256>) {
    let mut entries: Vec<(u64, Hash256)> = (0..random as u64).map(|id| (id, rng.hash())).collect();
    let mut qs = Vec::new();
    let mut id = random as u64;
    for _ in 0..queries {
        let q = rng.hash();
        for d in 0..=40 {
            entries.push((id, rng.near(&q, d)));
            id += 1;
        }
        qs.push(q);
    }
    (entries, qs)
}

#[test]
fn random_and_clustered_searches_match_brute_force() {
    let mut rng = Rng::new(1);
    let (entries, queries) = clustered(&mut rng, 200_000, 20);
    let index: PdqIndex = entries.iter().copied().collect();
    assert_eq!(index.len(), entries.len());
    assert_eq!(index.strategy(31), Strategy::MultiIndex);
    for q in &queries {
        for radius in [0, 1, 15, 16, 30, 31, 32, 47, 48, 64] {
            assert_exact(&index, &entries, q, radius);
        }
        // The planted neighbours at the edge: 31 in, 32 out.
        let at_31 = index.search(q, 31);
        assert!(at_31.iter().any(|m| m.distance == 31));
        assert!(at_31.iter().all(|m| m.distance <= 31));
        assert!(index.search(q, 32).iter().any(|m| m.distance == 32));
    }
    // Random queries with nothing planted.
    for _ in 0..20 {
        assert_exact(&index, &entries, &rng.hash(), 31);
    }
}

#[test]
fn tightly_clustered_sets_match_brute_force() {
    // Every hash within a few bits of a handful of centres, so slot buckets
    // are very uneven.
    let mut rng = Rng::new(2);
    let centres: Vec<Hash256> = (0..5).map(|_| rng.hash()).collect();
    let entries: Vec<(u64, Hash256)> = (0..20_000u64)
        .map(|id| {
            let c = &centres[(id % 5) as usize];
            let bits = (rng.next_u64() % 40) as u32;
            (id, rng.near(c, bits))
        })
        .collect();
    let index: PdqIndex = entries.iter().copied().collect();
    for c in &centres {
        for radius in [10, 30, 31, 32] {
            assert_exact(&index, &entries, c, radius);
        }
    }
}

#[test]
fn inserts_and_removals_are_live_at_once() {
    let mut rng = Rng::new(3);
    let (mut entries, queries) = clustered(&mut rng, 100_000, 5);
    let mut index: PdqIndex = entries.iter().copied().collect();
    // Remove every third planted neighbour, re-insert some of them under a
    // new hash, and add new ones to the delta.
    let mut next_id = 10_000_000u64;
    for i in (100_000..entries.len()).step_by(3) {
        let (id, _) = entries[i];
        assert!(index.remove(id));
        assert!(!index.remove(id), "removing twice reports absence");
    }
    entries = entries
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i < 100_000 || (i - 100_000) % 3 != 0)
        .map(|(_, e)| e)
        .collect();
    for q in &queries {
        let fresh = rng.near(q, 12);
        index.insert(next_id, fresh);
        entries.push((next_id, fresh));
        next_id += 1;
        // A removed base id inserted again under a new hash.
        let reborn = entries[100_001].0;
        let new_hash = rng.near(q, 5);
        index.insert(reborn, new_hash);
        entries.retain(|(id, _)| *id != reborn);
        entries.push((reborn, new_hash));
    }
    assert_eq!(index.len(), entries.len());
    for q in &queries {
        for radius in [0, 12, 30, 31, 32] {
            assert_exact(&index, &entries, q, radius);
        }
    }
    // Merging keeps every answer.
    index.merge();
    for q in &queries {
        assert_exact(&index, &entries, q, 31);
    }
    assert_eq!(index.len(), entries.len());
}

#[test]
fn many_inserts_trigger_merges_without_losing_anything() {
    let mut rng = Rng::new(4);
    let mut index = PdqIndex::new();
    let mut entries = Vec::new();
    for id in 0..150_000u64 {
        let h = rng.hash();
        index.insert(id, h);
        entries.push((id, h));
    }
    let q = entries[77_777].1;
    assert_exact(&index, &entries, &q, 31);
    assert_eq!(index.get(77_777), Some(q));
    assert_eq!(index.len(), 150_000);
}

#[test]
fn batches_extend_as_inserts_do() {
    let mut rng = Rng::new(6);
    let (mut entries, queries) = clustered(&mut rng, 20_000, 20);
    // Built whole, then batches that replace ids and add new ones, with a
    // removal in between: the same answers as brute force on what is live.
    let mut index = PdqIndex::new();
    index.extend(entries.iter().copied());
    index.remove(entries[3].0);
    entries.remove(3);
    for batch in 0..3u64 {
        let fresh: Vec<(u64, Hash256)> = (0..5_000u64)
            .map(|i| {
                (
                    if i % 10 == 0 {
                        i
                    } else {
                        1_000_000 * (batch + 1) + i
                    },
                    rng.hash(),
                )
            })
            .collect();
        index.extend(fresh.iter().copied());
        for (id, hash) in fresh {
            entries.retain(|(e, _)| *e != id);
            entries.push((id, hash));
        }
    }
    assert_eq!(index.len(), entries.len());
    for q in &queries {
        assert_exact(&index, &entries, q, 31);
    }
}

#[test]
fn dihedral_search_reports_the_matching_variant() {
    let mut rng = Rng::new(5);
    let mut index: PdqIndex = (0..50_000u64).map(|id| (id, rng.hash())).collect();
    let variants: [Hash256; 8] = std::array::from_fn(|_| rng.hash());
    index.insert(1_000_000, rng.near(&variants[3], 4));
    index.insert(1_000_001, rng.near(&variants[0], 9));
    let found = index.search_dihedral(&variants, 31);
    let planted: Vec<_> = found.iter().filter(|m| m.id >= 1_000_000).collect();
    assert_eq!(planted.len(), 2);
    assert_eq!(
        (planted[0].id, planted[0].distance, planted[0].variant),
        (1_000_000, 4, 3)
    );
    assert_eq!(
        (planted[1].id, planted[1].distance, planted[1].variant),
        (1_000_001, 9, 0)
    );
    // Each id once, at its closest variant's distance.
    for m in &found {
        let best = variants
            .iter()
            .map(|v| v.distance(&index.get(m.id).expect("live")))
            .min()
            .expect("eight variants");
        assert_eq!(m.distance, best);
    }
}

#[test]
fn nearest_is_exact() {
    let mut rng = Rng::new(6);
    let (entries, queries) = clustered(&mut rng, 100_000, 3);
    let index: PdqIndex = entries.iter().copied().collect();
    for q in &queries {
        for k in [1, 5, 41, 60] {
            let want: Vec<Match> = brute_force(&entries, q, 256).into_iter().take(k).collect();
            assert_eq!(index.nearest(q, k), want, "k={k}");
        }
    }
    let small: PdqIndex = entries[..10].iter().copied().collect();
    assert_eq!(small.nearest(&queries[0], 100).len(), 10);
    assert!(PdqIndex::new().nearest(&queries[0], 3).is_empty());
}

#[test]
fn small_indexes_scan_and_empty_ones_answer_nothing() {
    let mut rng = Rng::new(7);
    let entries: Vec<(u64, Hash256)> = (0..100u64).map(|id| (id, rng.hash())).collect();
    let index: PdqIndex = entries.iter().copied().collect();
    assert_eq!(index.strategy(31), Strategy::Linear);
    assert_exact(&index, &entries, &entries[5].1, 31);
    let empty = PdqIndex::new();
    assert!(empty.search(&rng.hash(), 256).is_empty());
    assert!(empty.is_empty());
}

#[test]
fn wide_slot_layout_of_large_indexes_matches_brute_force() {
    // From 2M hashes the index cuts the 256 bits into 12 wider slots.
    let mut rng = Rng::new(8);
    let (entries, queries) = clustered(&mut rng, 2_100_000, 8);
    let mut index: PdqIndex = entries.iter().copied().collect();
    assert_eq!(index.strategy(31), Strategy::MultiIndex);
    for q in &queries {
        for radius in [0, 2, 23, 24, 30, 31, 32, 47] {
            assert_exact(&index, &entries, q, radius);
        }
    }
    // Changes on top of the wide layout.
    let mut entries = entries;
    let removed = entries.swap_remove(2_100_000 + 31);
    assert!(index.remove(removed.0));
    let added = rng.near(&queries[1], 30);
    index.insert(99_999_999, added);
    entries.push((99_999_999, added));
    for q in &queries[..2] {
        assert_exact(&index, &entries, q, 31);
    }
}
