//! Hotline cases through the store, on a SQLite file and on a real
//! PostgreSQL database: transitions that the store persists for the
//! hotline's rules.

use hashwatch_model::unix_now;
use hashwatch_store::{hotline, records, CaseState, NewReport, SqliteStore, Store, Verdict};
use hashwatch_testdata::TestPostgres;

/// A new case: a public report of `url`.
fn reported(store: &dyn Store, url: &str) -> i64 {
    hotline(store)
        .report(&NewReport {
            url: url.into(),
            url_sha256: format!("{:064x}", url.len()),
            host: "files.example.net".into(),
            source: "public".into(),
            description: None,
            contact: None,
        })
        .expect("report")
        .case
        .id
}

/// A listed case: reported, assessed illegal by an analyst and confirmed
/// by a supervisor.
fn listed_case(store: &dyn Store, url: &str) -> i64 {
    let cases = hotline(store);
    let id = reported(store, url);
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
    assert_eq!(
        (decided.state, delisted),
        (hashwatch_model::AppealState::Upheld, false)
    );
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
    let purged = records(store).purge(unix_now() + 10, 0).expect("purges");
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

/// A case driven to `state` through the store's own transitions.
fn case_in_state(store: &dyn Store, state: CaseState, url: &str) -> i64 {
    let cases = hotline(store);
    let assess = |id, key, supervisor, verdict, category| {
        cases
            .assess(id, key, supervisor, verdict, category, true)
            .expect("assesses")
    };
    if matches!(
        state,
        CaseState::New | CaseState::Assessed | CaseState::NotIllegal | CaseState::Unreachable
    ) {
        let id = reported(store, url);
        match state {
            CaseState::Assessed => {
                assess(id, 1, false, Verdict::Illegal, Some("A1"));
            }
            CaseState::NotIllegal => {
                assess(id, 1, false, Verdict::NotIllegal, None);
            }
            CaseState::Unreachable => {
                assess(id, 1, false, Verdict::Unreachable, None);
            }
            _ => {}
        }
        return id;
    }
    let id = listed_case(store, url);
    match state {
        CaseState::NoticeSent => {
            cases.claim_notice(id, 1, "notice").expect("claims");
        }
        CaseState::Removed => {
            cases.checked(id, "404", true, 0).expect("checks");
            cases.checked(id, "404", true, 0).expect("checks");
        }
        CaseState::Expired => cases.expire(id).expect("expires"),
        CaseState::AppealUpheld => {
            let appeal = cases.appeal(url, "mine").expect("appeal");
            cases.decide_appeal(appeal.id, true, "sv").expect("decides");
        }
        _ => {}
    }
    assert_eq!(cases.case(id).expect("case").state, state);
    id
}

/// Every state × every transition the store persists: the store moves a
/// case exactly as hashwatch-hotline's rules say, and refuses (with the
/// kind of error a caller can act on) where they refuse.
fn the_store_follows_the_rules_in_every_state(store: &dyn Store) {
    use hashwatch_hotline::case as rules;
    use hashwatch_store::ErrorClass;
    let cases = hotline(store);
    let partner = hashwatch_store::feeds(store)
        .subscribe_hotline("https://partner.example/hotline/feed", "00", None)
        .expect("subscribes");
    let mut partner_seq = 0;
    let mut n = 0;
    let mut fresh = |state: CaseState| {
        n += 1;
        let url = format!("https://files.example.net/{state}/{n}.jpg");
        (case_in_state(store, state, &url), url)
    };
    let state_of = |id: i64| cases.case(id).expect("case").state;
    for state in CaseState::ALL {
        // Assessments: the analyst who gave the first opinion (key 1), a
        // second supervisor (key 2), the first assessor as a supervisor.
        for (key, supervisor) in [(1, false), (2, true), (1, true)] {
            let (id, _) = fresh(state);
            let first = (state == CaseState::Assessed).then_some(1);
            let assessment = rules::Assessment {
                assessor: key,
                supervisor,
                verdict: Verdict::Illegal,
                category: Some("A1"),
            };
            let expected = rules::assess(state, first, &assessment, true);
            let got = cases.assess(id, key, supervisor, Verdict::Illegal, Some("A1"), true);
            match (expected, got) {
                (Ok(rules::Assessed::FirstOpinion), Ok((case, listed))) => {
                    assert_eq!(
                        (case.state, listed),
                        (CaseState::Assessed, false),
                        "{state}"
                    );
                }
                (
                    Ok(rules::Assessed::Decided {
                        state: next,
                        listed,
                    }),
                    Ok((case, got)),
                ) => {
                    assert_eq!((case.state, got), (next, listed), "{state}");
                }
                (Err(refused), Err(e)) => {
                    let class = match refused {
                        rules::Refused::AlreadyDecided(_) => ErrorClass::Conflict,
                        rules::Refused::NotSupervisor | rules::Refused::SameAssessor => {
                            ErrorClass::Forbidden
                        }
                        rules::Refused::NoCategory => ErrorClass::Invalid,
                    };
                    assert_eq!(e.class(), class, "{state}: {e}");
                    assert_eq!(state_of(id), state, "a refusal changes nothing");
                }
                (expected, got) => panic!("{state}: rule {expected:?}, store {got:?}"),
            }
        }

        // A re-check that finds the material gone twice.
        let (id, _) = fresh(state);
        cases.checked(id, "404", true, 0).expect("checks");
        let case = cases.checked(id, "404", true, 0).expect("checks");
        let removed = rules::takedown_open(state).then_some(CaseState::Removed);
        assert_eq!(case.state, removed.unwrap_or(state), "{state}: re-check");

        // A notice.
        let (id, _) = fresh(state);
        let notices = cases.case(id).expect("case").notices;
        let claimed = cases.claim_notice(id, notices + 1, "n").expect("claims");
        assert_eq!(
            claimed.map(|c| c.state),
            rules::after_notice(state),
            "{state}: notice"
        );

        // Expiry.
        let (id, _) = fresh(state);
        match (rules::after_expiry(state), cases.expire(id)) {
            (Some(next), Ok(())) => assert_eq!(state_of(id), next, "{state}"),
            (None, Err(e)) => {
                assert_eq!(e.class(), ErrorClass::Conflict, "{state}: {e}");
                assert_eq!(state_of(id), state);
            }
            (expected, got) => panic!("{state}: expiry rule {expected:?}, store {got:?}"),
        }

        // An appeal, upheld.
        let (id, url) = fresh(state);
        match (rules::listed(state), cases.appeal(&url, "mine")) {
            (true, Ok(appeal)) => {
                let (_, delisted) = cases.decide_appeal(appeal.id, true, "sv").expect("decides");
                let next = rules::after_upheld_appeal(state);
                assert_eq!(delisted, next.is_some(), "{state}");
                assert_eq!(state_of(id), next.unwrap_or(state), "{state}");
            }
            (false, Err(e)) => assert_eq!(e.class(), ErrorClass::NotFound, "{state}: {e}"),
            (listed, got) => panic!("{state}: listed {listed}, appeal {got:?}"),
        }

        // A partner hotline's confirmation of the URL.
        let (id, url) = fresh(state);
        partner_seq += 1;
        cases
            .apply_shared(
                partner.id,
                partner_seq,
                &[hashwatch_model::SharedAssessment {
                    seq: partner_seq,
                    op: "confirmed".into(),
                    url: url.clone(),
                    url_sha256: format!("{:064x}", url.len()),
                    host: "files.example.net".into(),
                    category: Some("A1".into()),
                }],
            )
            .expect("applies");
        let next = rules::after_partner_confirmation(state);
        assert_eq!(state_of(id), next.unwrap_or(state), "{state}: partner");

        // Who finds it in the triage queue: another analyst, another
        // supervisor.
        let (id, _) = fresh(state);
        let first = (state == CaseState::Assessed).then_some(1);
        for supervisor in [false, true] {
            let queued = cases
                .queue(2, supervisor, 10_000)
                .expect("queue")
                .iter()
                .any(|c| c.id == id);
            assert_eq!(
                queued,
                rules::may_assess(state, first, 2, supervisor),
                "{state}: queue (supervisor {supervisor})"
            );
        }
    }
    // Retention purges the reports of closed cases only.
    let kept: Vec<(CaseState, i64)> = CaseState::ALL
        .into_iter()
        .map(|state| (state, fresh(state).0))
        .collect();
    records(store).purge(unix_now() + 10, 0).expect("purges");
    for (state, id) in kept {
        let purged = cases.reports_of(id).expect("reports").is_empty();
        assert_eq!(purged, rules::closed(state), "{state}: purge");
    }
}

#[test]
fn the_store_follows_the_rules_in_every_state_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("h.db")).expect("opens");
    the_store_follows_the_rules_in_every_state(&store);
}

#[test]
fn the_store_follows_the_rules_in_every_state_postgres() {
    let db = TestPostgres::new();
    let store = hashwatch_store::PostgresStore::connect(&db.url).expect("connects");
    the_store_follows_the_rules_in_every_state(&store);
}
