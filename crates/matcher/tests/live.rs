//! What one lookup sees through a [`LiveView`]: its tenant's banks and
//! those shared with it, each at its own threshold, the coinflip, disabled
//! content left out, and every change followed without a reload.

use hashwatch_matcher::live::{BankFilter, LiveView, NotLoaded};
use hashwatch_matcher::Query;
use hashwatch_pdq::Hash256;
use hashwatch_store::{records, BankKind, BankSettings, NewEntry, SignalType, SqliteStore, Store};

fn hash(byte: u8) -> Hash256 {
    Hash256::from_be_bytes([byte; 32])
}

fn query(h: Hash256) -> Query {
    Query {
        pdq: Some((h, None)),
        ..Query::default()
    }
}

fn banks_of(hits: &[hashwatch_matcher::live::Hit]) -> Vec<&str> {
    let mut banks: Vec<&str> = hits.iter().map(|h| h.bank.as_str()).collect();
    banks.sort();
    banks
}

#[test]
fn a_lookup_sees_what_its_tenant_may_and_follows_changes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("live.db")).expect("opens");
    let records = records(&store);
    let view = LiveView::new();
    assert_eq!(
        view.read()
            .lookup("acme", &query(hash(1)), &BankFilter::default(), 31)
            .err(),
        Some(NotLoaded)
    );

    let acme = BankSettings {
        tenant: "acme".into(),
        ..BankSettings::default()
    };
    let shared = BankSettings {
        tenant: "hotline".into(),
        shared_with: vec!["acme".into()],
        ..BankSettings::default()
    };
    let private = BankSettings {
        tenant: "hotline".into(),
        ..BankSettings::default()
    };
    let paused = BankSettings {
        tenant: "acme".into(),
        enabled_ratio: 0.0,
        ..BankSettings::default()
    };
    for (name, settings) in [
        ("acme:own", &acme),
        ("hotline:shared", &shared),
        ("hotline:private", &private),
        ("acme:paused", &paused),
    ] {
        records
            .create_bank(name, BankKind::Positive, settings, None)
            .expect("creates");
        store
            .import(
                name,
                &[NewEntry::new(
                    SignalType::Pdq,
                    hash(1).to_be_bytes().to_vec(),
                )],
                None,
                &mut |_| {},
            )
            .expect("imports");
    }
    view.load(&store).expect("loads");
    let look = |filter: &BankFilter| {
        view.read()
            .lookup("acme", &query(hash(1)), filter, 31)
            .expect("loaded")
    };
    let all = BankFilter::default();
    assert_eq!(
        banks_of(&look(&all)),
        ["acme:own", "acme:paused", "hotline:shared"]
    );
    let drawn = BankFilter {
        coinflip: Some(0.5),
        ..BankFilter::default()
    };
    assert_eq!(
        banks_of(&look(&drawn)),
        ["acme:own", "hotline:shared"],
        "ratio 0 sits out"
    );
    let only = BankFilter {
        only: Some(vec!["hotline:shared".into(), "hotline:private".into()]),
        ..BankFilter::default()
    };
    assert_eq!(banks_of(&look(&only)), ["hotline:shared"]);

    // A bank's own threshold: 8 bits off matches at 31, not at 4.
    let mut near = hash(1).to_be_bytes();
    near[0] ^= 0xff;
    let near = Hash256::from_be_bytes(near);
    let strict = BankSettings {
        threshold: Some(4),
        ..acme.clone()
    };
    records
        .update_bank("acme:own", &strict, None)
        .expect("updates");
    view.follow(&store).expect("follows");
    let hits = view
        .read()
        .lookup("acme", &query(near), &all, 31)
        .expect("loaded");
    assert_eq!(banks_of(&hits), ["acme:paused", "hotline:shared"]);

    // Disabled content is left out once followed, and back when enabled.
    let own = look(&all)
        .into_iter()
        .find(|h| h.bank == "acme:own")
        .expect("own matches");
    records
        .update_content(
            "acme:own",
            own.content_id,
            Some(hashwatch_model::Availability::Disabled),
            None,
        )
        .expect("disables");
    view.follow(&store).expect("follows");
    assert_eq!(banks_of(&look(&all)), ["acme:paused", "hotline:shared"]);
    records
        .update_content(
            "acme:own",
            own.content_id,
            Some(hashwatch_model::Availability::Enabled),
            None,
        )
        .expect("enables");
    view.follow(&store).expect("follows");
    assert_eq!(
        banks_of(&look(&all)),
        ["acme:own", "acme:paused", "hotline:shared"]
    );

    // Sharing withdrawn: the other tenant's bank goes out of sight.
    records
        .update_bank("hotline:shared", &private, None)
        .expect("updates");
    view.follow(&store).expect("follows");
    assert_eq!(banks_of(&look(&all)), ["acme:own", "acme:paused"]);
    assert_eq!(view.read().visible("acme"), ["acme:own", "acme:paused"]);
}
