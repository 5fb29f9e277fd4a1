//! Who may call what, on a real SQLite file: a key never reaches what is
//! the operator's or the service's own, and each way in is logged as the
//! actor it is.

use std::sync::Arc;

use hashwatch_access::Policy;
use hashwatch_model::{RecordQuery, Roles};
use hashwatch_operations::banks::NewBank;
use hashwatch_operations::{Caller, Kind, Operations, Way};
use hashwatch_store::{SqliteStore, Store};

fn operations(dir: &tempfile::TempDir) -> Operations {
    let store = SqliteStore::open(&dir.path().join("hashwatch.db")).expect("opens");
    let store: Arc<dyn Store + Send + Sync> = Arc::new(store);
    Operations::new(store, Arc::new(Policy::default()))
}

#[test]
fn keys_never_reach_the_operators_or_the_services_own_operations() {
    let dir = tempfile::tempdir().expect("dir");
    let ops = operations(&dir);
    let roles = Roles::parse("admin").expect("roles");
    let (admin, _) = ops
        .create_key(&Caller::operator(), "default", "alice", roles)
        .expect("key made");
    let key = Caller::key(admin, Way::Api);
    let refused = |result: Result<(), hashwatch_operations::OpError>| {
        let e = result.expect_err("refused");
        assert_eq!((e.kind, e.code), (Kind::Forbidden, "forbidden"), "{e}");
    };
    refused(ops.verify_audit(&key, None).map(|_| ()));
    refused(ops.keys(&key, None).map(|_| ()));
    refused(ops.entry_content(&key, 1).map(|_| ()));
    refused(ops.purge(&key, 0).map(|_| ()));
    refused(ops.claim_deliveries(&key, 1, 60).map(|_| ()));
    refused(ops.delivery_attempted(&key, 1, None, None));
    // The operator and the service may.
    assert!(ops
        .verify_audit(&Caller::operator(), None)
        .expect("checks")
        .is_ok());
    ops.purge(&Caller::service(), 0).expect("purges");
    // Not inside the retention minimum: the chain would not take the cut.
    let recent = hashwatch_model::unix_now() - 89 * 86_400;
    let e = ops
        .purge(&Caller::service(), recent)
        .expect_err("too recent");
    assert_eq!((e.kind, e.code), (Kind::Invalid, "bad_cutoff"), "{e}");
}

#[test]
fn each_way_in_is_logged_as_its_actor() {
    let dir = tempfile::tempdir().expect("dir");
    let ops = operations(&dir);
    let new = |name: &str| NewBank {
        name: name.into(),
        kind: hashwatch_model::BankKind::Positive,
        enabled_ratio: None,
        description: None,
    };
    ops.create_bank(&Caller::operator(), &new("FROM_CLI"))
        .expect("made at the command line");
    ops.create_bank(&Caller::service(), &new("FROM_SERVICE"))
        .expect("made by the service");
    ops.create_bank(&Caller::hotline(), &new("FROM_HOTLINE"))
        .expect("made by the hotline's workers");
    let events = ops
        .audit_log(&Caller::operator(), RecordQuery::default())
        .expect("reads");
    let actor_of = |bank: &str| {
        events
            .iter()
            .find(|e| e.event.bank.as_deref() == Some(bank) && e.event.action == "bank.create")
            .map(|e| (e.event.actor.clone(), e.event.key_id))
    };
    assert_eq!(actor_of("FROM_CLI"), Some(("cli".into(), None)));
    assert_eq!(actor_of("FROM_SERVICE"), Some(("service".into(), None)));
    assert_eq!(actor_of("FROM_HOTLINE"), Some(("hotline".into(), None)));
    assert!(ops
        .verify_audit(&Caller::operator(), None)
        .expect("checks")
        .is_ok());
}
