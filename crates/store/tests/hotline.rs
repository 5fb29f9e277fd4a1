//! Hotline cases through the store, on a SQLite file and on a real
//! PostgreSQL database: transitions that the store persists for the
//! hotline's rules.

use hashwatch_model::unix_now;
use hashwatch_store::{hotline, records, CaseState, NewReport, SqliteStore, Store, Verdict};
use hashwatch_testdata::TestPostgres;

/// A listed case: reported, assessed illegal by an analyst and confirmed
/// by a supervisor.
fn listed_case(store: &dyn Store, url: &str) -> i64 {
    let cases = hotline(store);
    let intake = cases
        .report(&NewReport {
            url: url.into(),
            url_sha256: format!("{:064x}", url.len()),
            host: "files.example.net".into(),
            source: "public".into(),
            description: None,
            contact: None,
        })
        .expect("report");
    let id = intake.case.id;
    cases
        .assess(id, 1, false, Verdict::Illegal, Some("A1"), true)
        .expect("first assessment");
    let (case, _) = cases
        .assess(id, 2, true, Verdict::Illegal, Some("A1"), true)
        .expect("second assessment");
    assert_eq!(case.state, CaseState::Confirmed);
    id
}

/// An appeal made while the URL was listed, upheld after a re-check found
/// the material removed: the case stays removed, and its removal still
/// counts in the statistics.
fn an_appeal_upheld_after_removal_keeps_the_removal(store: &dyn Store) {
    let cases = hotline(store);
    let url = "https://files.example.net/a.jpg";
    let id = listed_case(store, url);
    let appeal = cases.appeal(url, "it is my own picture").expect("appeal");
    // Two re-checks far enough apart find it gone.
    cases.checked(id, "answered 404", true, 0).expect("check");
    let case = cases.checked(id, "answered 404", true, 0).expect("check");
    assert_eq!(case.state, CaseState::Removed);
    assert_eq!(cases.removals().expect("removals").len(), 1);

    let (decided, delisted) = cases
        .decide_appeal(appeal.id, true, "supervisor")
        .expect("decides");
    assert_eq!((decided.state.as_str(), delisted), ("upheld", false));
    assert_eq!(cases.case(id).expect("case").state, CaseState::Removed);
    assert_eq!(
        cases.removals().expect("removals").len(),
        1,
        "the removal still counts"
    );

    // An appeal upheld while the URL is listed delists it.
    let other = "https://files.example.net/b.jpg";
    let id = listed_case(store, other);
    let appeal = cases.appeal(other, "wrong URL").expect("appeal");
    let (_, delisted) = cases
        .decide_appeal(appeal.id, true, "supervisor")
        .expect("decides");
    assert!(delisted);
    assert_eq!(cases.case(id).expect("case").state, CaseState::AppealUpheld);
}

#[test]
fn an_appeal_upheld_after_removal_keeps_the_removal_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("h.db")).expect("opens");
    an_appeal_upheld_after_removal_keeps_the_removal(&store);
}

#[test]
fn an_appeal_upheld_after_removal_keeps_the_removal_postgres() {
    let db = TestPostgres::new();
    let store = hashwatch_store::PostgresStore::connect(&db.url).expect("connects");
    an_appeal_upheld_after_removal_keeps_the_removal(&store);
}

/// Retention purges the reports of closed cases, an expired takedown's
/// among them, and keeps those of cases still being worked.
fn reports_of_closed_cases_are_purged(store: &dyn Store) {
    let cases = hotline(store);
    let expired = listed_case(store, "https://files.example.net/expired.jpg");
    cases.expire(expired).expect("expires");
    assert_eq!(cases.case(expired).expect("case").state, CaseState::Expired);
    let open = listed_case(store, "https://files.example.net/open.jpg");
    let purged = records(store).purge(unix_now() + 10).expect("purges");
    assert_eq!(purged.reports, 1, "{purged:?}");
    assert!(cases.reports_of(expired).expect("reports").is_empty());
    assert_eq!(cases.reports_of(open).expect("reports").len(), 1);
}

#[test]
fn reports_of_closed_cases_are_purged_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("h.db")).expect("opens");
    reports_of_closed_cases_are_purged(&store);
}

#[test]
fn reports_of_closed_cases_are_purged_postgres() {
    let db = TestPostgres::new();
    let store = hashwatch_store::PostgresStore::connect(&db.url).expect("connects");
    reports_of_closed_cases_are_purged(&store);
}

/// A notice is claimed before it is sent: of rounds racing for the same
/// notice one wins, a claim out of sequence or for a closed case is
/// refused, and a delivery is recorded only for a claimed notice.
fn a_notice_is_claimed_once(store: &(dyn Store + Sync)) {
    let cases = hotline(store);
    let id = listed_case(store, "https://files.example.net/notice.jpg");
    let won: usize = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| hotline(store).claim_notice(id, 1, "notice 1")))
            .collect();
        racers
            .into_iter()
            .map(|r| r.join().expect("joins").expect("claims"))
            .filter(Option::is_some)
            .count()
    });
    assert_eq!(won, 1, "one round sends notice 1");
    let case = cases.case(id).expect("case");
    assert_eq!((case.state, case.notices), (CaseState::NoticeSent, 1));
    assert!(cases
        .claim_notice(id, 1, "again")
        .expect("claims")
        .is_none());
    assert!(cases
        .claim_notice(id, 3, "skips")
        .expect("claims")
        .is_none());
    cases.notice_delivered(id, 1, "200 OK").expect("delivered");
    let missing = cases
        .notice_delivered(id, 2, "200 OK")
        .expect_err("unclaimed");
    assert_eq!(missing.class(), hashwatch_store::ErrorClass::NotFound);
    let second = cases.claim_notice(id, 2, "notice 2").expect("claims");
    assert_eq!(second.map(|c| c.notices), Some(2));
    cases.expire(id).expect("expires");
    assert!(cases.claim_notice(id, 3, "late").expect("claims").is_none());
}

#[test]
fn a_notice_is_claimed_once_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("h.db")).expect("opens");
    a_notice_is_claimed_once(&store);
}

#[test]
fn a_notice_is_claimed_once_postgres() {
    let db = TestPostgres::new();
    let store = hashwatch_store::PostgresStore::connect(&db.url).expect("connects");
    a_notice_is_claimed_once(&store);
}
