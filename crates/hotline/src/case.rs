//! The case state machine: pure transitions over [`CaseState`]. The store
//! applies them inside the transaction that reads and writes the case, so
//! two analysts assessing at once cannot both win.

use hashwatch_model::{Case, CaseState, HashOrigin, Verdict};

/// One analyst's assessment of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assessment<'a> {
    /// The key that assessed.
    pub assessor: i64,
    /// Whether that key may give the second opinion.
    pub supervisor: bool,
    /// What it found.
    pub verdict: Verdict,
    /// The category, for an illegal verdict.
    pub category: Option<&'a str>,
}

/// What an assessment does to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assessed {
    /// The first of two opinions: the case waits for a supervisor.
    FirstOpinion,
    /// The case is decided: its new state, and whether the URL is listed.
    Decided {
        /// The state it moves to.
        state: CaseState,
        /// Whether the URL goes on the blocklist.
        listed: bool,
    },
}

/// Why an assessment is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// An illegal verdict without a category.
    NoCategory,
    /// The second opinion needs a supervisor.
    NotSupervisor,
    /// The second opinion must be someone else's.
    SameAssessor,
    /// The case is past assessment.
    AlreadyDecided(CaseState),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::NoCategory => f.write_str("an illegal verdict needs a category"),
            Refused::NotSupervisor => f.write_str("the second assessment needs a supervisor"),
            Refused::SameAssessor => {
                f.write_str("the second assessment must be by someone other than the first")
            }
            Refused::AlreadyDecided(state) => write!(f, "the case is already {state}"),
        }
    }
}

impl std::error::Error for Refused {}

/// The four-eyes rule and the verdicts' outcomes. With `four_eyes`, an
/// illegal verdict on a new case is only a first opinion; a supervisor
/// other than the first assessor then decides, whatever the first said.
pub fn assess(
    state: CaseState,
    first_assessor: Option<i64>,
    assessment: &Assessment<'_>,
    four_eyes: bool,
) -> Result<Assessed, Refused> {
    if assessment.verdict == Verdict::Illegal
        && assessment.category.is_none_or(|c| c.trim().is_empty())
    {
        return Err(Refused::NoCategory);
    }
    match state {
        CaseState::New if four_eyes && assessment.verdict == Verdict::Illegal => {
            return Ok(Assessed::FirstOpinion)
        }
        CaseState::New => {}
        CaseState::Assessed => {
            if !assessment.supervisor {
                return Err(Refused::NotSupervisor);
            }
            if first_assessor == Some(assessment.assessor) {
                return Err(Refused::SameAssessor);
            }
        }
        other => return Err(Refused::AlreadyDecided(other)),
    }
    let state = match assessment.verdict {
        Verdict::Illegal => CaseState::Confirmed,
        Verdict::NotIllegal => CaseState::NotIllegal,
        Verdict::Unreachable => CaseState::Unreachable,
    };
    Ok(Assessed::Decided {
        state,
        listed: state == CaseState::Confirmed,
    })
}

/// Whether a key may assess a case now: a new case, or (for a supervisor
/// other than the first assessor) one awaiting its second opinion. This
/// is also who finds the case in the triage queue: the store's query is
/// tested against it, state by state.
pub fn may_assess(
    state: CaseState,
    first_assessor: Option<i64>,
    assessor: i64,
    supervisor: bool,
) -> bool {
    match state {
        CaseState::New => true,
        CaseState::Assessed => supervisor && first_assessor != Some(assessor),
        _ => false,
    }
}

/// Whether a hash on a case may go into a bank. Hashes a reporter sent
/// are leads for the analysts, not evidence: anyone can send any hash
/// with a report of a real URL, so only hashes the hotline's staff
/// attached are banked (an analyst who checks a reporter's hash attaches
/// it as their own).
pub fn bankable_hash(origin: &HashOrigin) -> bool {
    matches!(origin, HashOrigin::Staff(_))
}

/// Whether the provider is still being asked to take the URL down: notices
/// go out and re-checks run.
pub fn takedown_open(state: CaseState) -> bool {
    matches!(state, CaseState::Confirmed | CaseState::NoticeSent)
}

/// The state a case takes when a notice to its host is sent: only an open
/// takedown sends one.
pub fn after_notice(state: CaseState) -> Option<CaseState> {
    takedown_open(state).then_some(CaseState::NoticeSent)
}

/// The attempt number of a case's next notice: notices are numbered from
/// 1 without gaps.
pub fn next_notice(case: &Case) -> i64 {
    case.notices + 1
}

/// The state a case takes when notice `attempt` is claimed for sending:
/// only an open takedown's next notice may be (a round that read the case
/// before another sent that notice finds it already taken).
pub fn after_notice_claim(case: &Case, attempt: i64) -> Option<CaseState> {
    after_notice(case.state).filter(|_| next_notice(case) == attempt)
}

/// The state a case takes when its takedown is given up: only an open
/// takedown can be; the URL stays listed.
pub fn after_expiry(state: CaseState) -> Option<CaseState> {
    takedown_open(state).then_some(CaseState::Expired)
}

/// The state a case takes when a partner hotline confirms its URL
/// illegal: a new case counts the partner's confirmation as its first
/// opinion and waits for one of this hotline's supervisors; a case this
/// hotline has assessed already keeps its own course.
pub fn after_partner_confirmation(state: CaseState) -> Option<CaseState> {
    (state == CaseState::New).then_some(CaseState::Assessed)
}

/// Whether a case is over: nobody assesses it and no takedown runs for it
/// any more (an expired takedown's URL stays listed, but its case is
/// closed). Retention purges the reports and reporters' contacts of
/// closed cases only.
pub fn closed(state: CaseState) -> bool {
    !matches!(state, CaseState::New | CaseState::Assessed) && !takedown_open(state)
}

/// What a re-check does to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterCheck {
    /// The state it moves to (`removed`, off the blocklist), if any.
    pub state: Option<CaseState>,
    /// Since when re-checks have found the material gone.
    pub gone_since: Option<i64>,
}

/// A re-check at `now` during a takedown. Delisting puts material back in
/// front of ISP filters, so one answer is not enough: the material is
/// removed only when it is found gone again at least `confirm_after`
/// seconds after it was first found gone, with no check in between
/// finding it back.
pub fn after_check(
    state: CaseState,
    gone_since: Option<i64>,
    gone: bool,
    now: i64,
    confirm_after: i64,
) -> AfterCheck {
    if !takedown_open(state) {
        return AfterCheck {
            state: None,
            gone_since,
        };
    }
    match (gone, gone_since) {
        (false, _) => AfterCheck {
            state: None,
            gone_since: None,
        },
        (true, Some(since)) if now - since >= confirm_after => AfterCheck {
            state: Some(CaseState::Removed),
            gone_since: Some(since),
        },
        (true, since) => AfterCheck {
            state: None,
            gone_since: Some(since.unwrap_or(now)),
        },
    }
}

/// Whether the URL is on the blocklist, so that an appeal can be made.
pub fn listed(state: CaseState) -> bool {
    matches!(
        state,
        CaseState::Confirmed | CaseState::NoticeSent | CaseState::Expired
    )
}

/// The state a case takes when an appeal against its listing is upheld,
/// `None` when the appeal changes nothing about it: the URL comes off the
/// blocklist, unless it is off already because a re-check found the
/// material removed after the appeal was made. Such a case stays
/// `removed`, so that its removal still counts in the statistics.
pub fn after_upheld_appeal(state: CaseState) -> Option<CaseState> {
    listed(state).then_some(CaseState::AppealUpheld)
}

/// Whether a case's hashes may go into a bank: only once its material is
/// confirmed illegal (by both assessors where four eyes apply), whatever
/// became of the URL since.
pub fn bankable(verdict: Option<&str>) -> bool {
    verdict.and_then(Verdict::parse) == Some(Verdict::Illegal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_states_are_those_with_no_work_left() {
        let closed: Vec<&str> = CaseState::ALL
            .into_iter()
            .filter(|s| closed(*s))
            .map(CaseState::name)
            .collect();
        assert_eq!(
            closed,
            [
                "removed",
                "expired",
                "not_illegal",
                "unreachable",
                "appeal_upheld"
            ]
        );
    }

    /// What each action does to a case in `state`: the next state, `=`
    /// for no change, `no` for a refusal (with its reason where the rule
    /// gives one), `yes` where the action is a question.
    fn outcomes(state: CaseState) -> Vec<String> {
        let first = (state == CaseState::Assessed).then_some(1);
        let assessed = |who: i64, supervisor: bool| match assess(
            state,
            first,
            &by(who, supervisor, Verdict::Illegal),
            true,
        ) {
            Ok(Assessed::FirstOpinion) => "first".to_string(),
            Ok(Assessed::Decided { state, listed }) => {
                format!("{state}{}", if listed { "+listed" } else { "" })
            }
            Err(Refused::AlreadyDecided(_)) => "no: decided".to_string(),
            Err(Refused::NotSupervisor) => "no: supervisor".to_string(),
            Err(Refused::SameAssessor) => "no: same".to_string(),
            Err(Refused::NoCategory) => "no: category".to_string(),
        };
        let next = |n: Option<CaseState>| n.map_or("no".to_string(), |s| s.to_string());
        let removal = after_check(state, Some(0), true, 100, 10).state;
        let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
        vec![
            assessed(1, false),
            assessed(2, true),
            assessed(1, true),
            next(removal),
            next(after_notice(state)),
            next(after_expiry(state)),
            yes(listed(state)),
            next(after_upheld_appeal(state)),
            next(after_partner_confirmation(state)),
            yes(may_assess(state, first, 2, false)),
            yes(may_assess(state, first, 2, true)),
            yes(closed(state)),
        ]
    }

    /// Every state × every action, refusals included. Columns: the first
    /// analyst's illegal verdict (key 1), a second supervisor's (key 2), the
    /// first assessor's as a supervisor (key 1), a re-check confirming the
    /// material gone, a notice, expiry, whether an appeal may be made, an
    /// upheld appeal, a partner's confirmation, whether another analyst
    /// and another supervisor find the case in their queue, closed.
    #[test]
    fn every_state_by_every_action() {
        // A case over: every assessment refused, nothing else moves it.
        const CLOSED: [&str; 12] = [
            "no: decided",
            "no: decided",
            "no: decided",
            "no",
            "no",
            "no",
            "no",
            "no",
            "no",
            "no",
            "no",
            "yes",
        ];
        // A takedown under way: re-checks, notices, expiry and appeals.
        const TAKEDOWN: [&str; 12] = [
            "no: decided",
            "no: decided",
            "no: decided",
            "removed",
            "notice_sent",
            "expired",
            "yes",
            "appeal_upheld",
            "no",
            "no",
            "no",
            "no",
        ];
        let table: [(CaseState, [&str; 12]); 9] = [
            (
                CaseState::New,
                [
                    "first", "first", "first", "no", "no", "no", "no", "no", "assessed", "yes",
                    "yes", "no",
                ],
            ),
            (
                CaseState::Assessed,
                [
                    "no: supervisor",
                    "confirmed+listed",
                    "no: same",
                    "no",
                    "no",
                    "no",
                    "no",
                    "no",
                    "no",
                    "no",
                    "yes",
                    "no",
                ],
            ),
            (CaseState::Confirmed, TAKEDOWN),
            (CaseState::NoticeSent, TAKEDOWN),
            (CaseState::Removed, CLOSED),
            // Closed, but still listed: the listing can be appealed.
            (
                CaseState::Expired,
                [
                    "no: decided",
                    "no: decided",
                    "no: decided",
                    "no",
                    "no",
                    "no",
                    "yes",
                    "appeal_upheld",
                    "no",
                    "no",
                    "no",
                    "yes",
                ],
            ),
            (CaseState::NotIllegal, CLOSED),
            (CaseState::Unreachable, CLOSED),
            (CaseState::AppealUpheld, CLOSED),
        ];
        assert_eq!(
            table.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            CaseState::ALL,
            "one row per state"
        );
        for (state, expected) in table {
            assert_eq!(outcomes(state), expected, "{state}");
        }
    }

    #[test]
    fn only_an_open_takedowns_next_notice_may_be_claimed() {
        let mut case = crate::takedown::tests::case(0, None, 0);
        assert_eq!(next_notice(&case), 1);
        assert_eq!(after_notice_claim(&case, 1), Some(CaseState::NoticeSent));
        // Taken already (another round sent it), or out of order.
        assert_eq!(after_notice_claim(&case, 0), None);
        assert_eq!(after_notice_claim(&case, 2), None);
        case.notices = 3;
        case.state = CaseState::NoticeSent;
        assert_eq!(after_notice_claim(&case, 4), Some(CaseState::NoticeSent));
        assert_eq!(after_notice_claim(&case, 3), None);
        for state in CaseState::ALL {
            case.state = state;
            assert_eq!(
                after_notice_claim(&case, 4).is_some(),
                takedown_open(state),
                "{state}"
            );
        }
    }

    #[test]
    fn an_upheld_appeal_delists_only_what_is_listed() {
        for state in CaseState::ALL {
            let next = after_upheld_appeal(state);
            if listed(state) {
                assert_eq!(next, Some(CaseState::AppealUpheld), "{state:?}");
            } else {
                assert_eq!(next, None, "{state:?}");
            }
        }
        assert_eq!(after_upheld_appeal(CaseState::Removed), None);
    }

    #[test]
    fn who_may_assess_now() {
        assert!(may_assess(CaseState::New, None, 1, false));
        assert!(!may_assess(CaseState::Assessed, Some(1), 2, false));
        assert!(!may_assess(CaseState::Assessed, Some(1), 1, true));
        assert!(may_assess(CaseState::Assessed, Some(1), 2, true));
        assert!(!may_assess(CaseState::Confirmed, None, 2, true));
        // The same answer as the assessment itself gives.
        for (state, first, who, supervisor) in [
            (CaseState::New, None, 1, false),
            (CaseState::Assessed, Some(1), 2, false),
            (CaseState::Assessed, Some(1), 1, true),
            (CaseState::Assessed, Some(1), 2, true),
            (CaseState::Removed, Some(1), 2, true),
        ] {
            let a = Assessment {
                assessor: who,
                supervisor,
                verdict: Verdict::NotIllegal,
                category: None,
            };
            assert_eq!(
                may_assess(state, first, who, supervisor),
                assess(state, first, &a, true).is_ok(),
                "{state:?}"
            );
        }
    }

    #[test]
    fn reporters_hashes_are_not_banked() {
        assert!(!bankable_hash(&HashOrigin::Reporter));
        assert!(bankable_hash(&HashOrigin::Staff("ana".into())));
        // A name is read back as what it was written for.
        for origin in [HashOrigin::Reporter, HashOrigin::Staff("ana".into())] {
            assert_eq!(HashOrigin::from_name(origin.name()), origin);
        }
        // No key can be named as the public's hashes are.
        assert!(hashwatch_model::Actor::poses_as_other(
            HashOrigin::Reporter.name()
        ));
    }

    #[test]
    fn only_a_confirmed_illegal_case_goes_into_a_bank() {
        assert!(bankable(Some("illegal")));
        for verdict in [
            None,
            Some("not_illegal"),
            Some("unreachable"),
            Some("Illegal"),
        ] {
            assert!(!bankable(verdict), "{verdict:?}");
        }
    }

    fn by(assessor: i64, supervisor: bool, verdict: Verdict) -> Assessment<'static> {
        Assessment {
            assessor,
            supervisor,
            verdict,
            category: (verdict == Verdict::Illegal).then_some("A1"),
        }
    }

    #[test]
    fn four_eyes_needs_a_second_supervisor() {
        let first = by(1, false, Verdict::Illegal);
        assert_eq!(
            assess(CaseState::New, None, &first, true),
            Ok(Assessed::FirstOpinion)
        );
        assert_eq!(
            assess(
                CaseState::Assessed,
                Some(1),
                &by(2, false, Verdict::Illegal),
                true
            ),
            Err(Refused::NotSupervisor)
        );
        assert_eq!(
            assess(
                CaseState::Assessed,
                Some(1),
                &by(1, true, Verdict::Illegal),
                true
            ),
            Err(Refused::SameAssessor)
        );
        assert_eq!(
            assess(
                CaseState::Assessed,
                Some(1),
                &by(2, true, Verdict::NotIllegal),
                true
            ),
            Ok(Assessed::Decided {
                state: CaseState::NotIllegal,
                listed: false
            })
        );
        assert_eq!(
            assess(
                CaseState::Assessed,
                Some(1),
                &by(2, true, Verdict::Illegal),
                true
            ),
            Ok(Assessed::Decided {
                state: CaseState::Confirmed,
                listed: true
            })
        );
    }

    #[test]
    fn without_four_eyes_one_assessment_decides() {
        assert_eq!(
            assess(CaseState::New, None, &by(1, false, Verdict::Illegal), false),
            Ok(Assessed::Decided {
                state: CaseState::Confirmed,
                listed: true
            })
        );
        // Not illegal needs no second opinion even with four eyes.
        assert_eq!(
            assess(
                CaseState::New,
                None,
                &by(1, false, Verdict::Unreachable),
                true
            ),
            Ok(Assessed::Decided {
                state: CaseState::Unreachable,
                listed: false
            })
        );
    }

    #[test]
    fn decided_cases_and_missing_categories_are_refused() {
        for state in [
            CaseState::Confirmed,
            CaseState::Removed,
            CaseState::AppealUpheld,
        ] {
            assert_eq!(
                assess(state, None, &by(1, true, Verdict::NotIllegal), true),
                Err(Refused::AlreadyDecided(state))
            );
        }
        let bare = Assessment {
            category: Some("  "),
            ..by(1, true, Verdict::Illegal)
        };
        assert_eq!(
            assess(CaseState::New, None, &bare, false),
            Err(Refused::NoCategory)
        );
    }

    #[test]
    fn one_answer_does_not_delist() {
        let first = after_check(CaseState::NoticeSent, None, true, 1000, 600);
        assert_eq!((first.state, first.gone_since), (None, Some(1000)));
        // Too soon after the first.
        let soon = after_check(CaseState::NoticeSent, Some(1000), true, 1300, 600);
        assert_eq!((soon.state, soon.gone_since), (None, Some(1000)));
        let later = after_check(CaseState::NoticeSent, Some(1000), true, 1600, 600);
        assert_eq!(later.state, Some(CaseState::Removed));
        // Back in between: start over.
        let back = after_check(CaseState::NoticeSent, Some(1000), false, 1600, 600);
        assert_eq!((back.state, back.gone_since), (None, None));
        // Not during a takedown: nothing happens.
        let closed = after_check(CaseState::Removed, Some(1000), true, 9000, 600);
        assert_eq!(closed.state, None);
    }

    #[test]
    fn re_checks_end_only_open_takedowns() {
        let check = |state, gone| after_check(state, Some(0), gone, 10, 0).state;
        assert_eq!(check(CaseState::NoticeSent, true), Some(CaseState::Removed));
        assert_eq!(check(CaseState::Confirmed, false), None);
        assert_eq!(check(CaseState::Expired, true), None);
        assert!(listed(CaseState::Expired) && !listed(CaseState::Removed));
        for state in CaseState::ALL {
            assert_eq!(CaseState::parse(state.name()), Some(state));
        }
    }
}
