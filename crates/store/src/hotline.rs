//! The hotline's records: cases (one per canonical URL), the reports that
//! named them, reporters' contacts (kept apart, deletable), assessments,
//! notices, appeals, hashes attached to cases, and the blocklist's log.
//!
//! A case moves `new` → `assessed` (first of two assessments, when four
//! eyes are required) → `confirmed` (on the blocklist) → `notice_sent` →
//! `removed` or `expired`; or `new` → `not_illegal` / `unreachable`; an
//! upheld appeal ends it as `appeal_upheld`. The blocklist is an
//! append-only log of adds and removes, so ISPs can ask for what changed.

use crate::error::{Error, ErrorKind};
use crate::sql::{self, Param, Row, Sql, SqlTx};
use hashwatch_hotline::case::{self as rules, Assessed, Assessment, Refused};
use hashwatch_model::{
    unix_now, Appeal, AppealState, BlockChange, Case, CaseFilter, CaseHash, CaseOverview,
    CaseReport, CaseState, HashOrigin, Intake, NewReport, SharedAssessment, SubscriptionKind,
    Verdict,
};

const CASE_COLUMNS: &str = "id, url, url_sha256, host, state, verdict, category, first_assessor,
    first_verdict, confirmed_at, provider, abuse, jurisdiction, webhook, ip, notices,
    first_notice_at, last_notice_at, last_check_at, last_check, removed_at, reports, created_at, gone_since";

fn case_from(r: &Row) -> Result<Case, Error> {
    Ok(Case {
        id: r.req_int(0)?,
        url: r.req_text(1)?,
        url_sha256: r.req_text(2)?,
        host: r.req_text(3)?,
        state: {
            let name = r.req_text(4)?;
            CaseState::parse(&name)
                .ok_or_else(|| Error::backend(format!("case in unknown state {name:?}")))?
        },
        verdict: r.text(5)?,
        category: r.text(6)?,
        first_assessor: r.int(7)?,
        first_verdict: r.text(8)?,
        confirmed_at: r.int(9)?,
        provider: r.text(10)?,
        abuse: r.text(11)?,
        jurisdiction: r.text(12)?,
        webhook: r.text(13)?,
        ip: r.text(14)?,
        notices: r.req_int(15)?,
        first_notice_at: r.int(16)?,
        last_notice_at: r.int(17)?,
        last_check_at: r.int(18)?,
        last_check: r.text(19)?,
        removed_at: r.int(20)?,
        reports: r.req_int(21)?,
        created_at: r.req_int(22)?,
        gone_since: r.int(23)?,
    })
}

/// The hotline's records in any store.
pub struct Hotline<'a> {
    sql: &'a dyn Sql,
}

/// The hotline records of `sql`.
pub fn hotline(sql: &dyn Sql) -> Hotline<'_> {
    Hotline { sql }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Invalid(message.into()))
}

/// Runs an `INSERT … RETURNING id` and answers the new row's id.
pub(crate) fn insert_returning_id(
    tx: &mut dyn SqlTx,
    sql: &str,
    params: &[Param],
) -> Result<i64, Error> {
    tx.query(sql, params)?
        .first()
        .ok_or_else(|| Error::backend("an insert returned no id"))?
        .req_int(0)
}

fn case_in(tx: &mut dyn SqlTx, id: i64) -> Result<Case, Error> {
    tx.query(
        &format!("SELECT {CASE_COLUMNS} FROM hotline_cases WHERE id = ?"),
        &[id.into()],
    )?
    .first()
    .map(case_from)
    .transpose()?
    .ok_or_else(|| Error::new(ErrorKind::NotFound(format!("no hotline case {id}"))))
}

fn list(tx: &mut dyn SqlTx, case: &Case, op: &str) -> Result<(), Error> {
    tx.exec(
        "INSERT INTO blocklist_log (at, url, url_sha256, op) VALUES (?, ?, ?, ?)",
        &[
            unix_now().into(),
            case.url.as_str().into(),
            case.url_sha256.as_str().into(),
            op.into(),
        ],
    )?;
    Ok(())
}

/// Moves a case from the state a rule saw (`seen`) to the one it chose.
/// The update checks that the case is still in `seen`, so that of two
/// writers that read it at once (two nodes; PostgreSQL reads committed
/// rows) only one moves it, and the other is told the case changed.
fn move_state(tx: &mut dyn SqlTx, id: i64, seen: CaseState, next: CaseState) -> Result<(), Error> {
    let moved = tx.exec(
        "UPDATE hotline_cases SET state = ? WHERE id = ? AND state = ?",
        &[next.name().into(), id.into(), seen.name().into()],
    )?;
    still_in(moved, id, seen)
}

/// The optimistic check's outcome: an update guarded by `state = seen`
/// that changed no row found the case moved on.
fn still_in(moved: u64, id: i64, seen: CaseState) -> Result<(), Error> {
    if moved == 0 {
        return Err(Error::conflict(format!(
            "case {id} changed meanwhile; it is no longer {seen}"
        )));
    }
    Ok(())
}

/// The names of the states a rule picks, for a query's `IN (…)`.
fn states_where(rule: fn(CaseState) -> bool) -> String {
    CaseState::ALL
        .into_iter()
        .filter(|s| rule(*s))
        .map(|s| format!("'{}'", s.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Takes a report inside a transaction (see [`Hotline::report`]).
fn report_in(tx: &mut dyn SqlTx, report: &NewReport) -> Result<Intake, Error> {
    let now = unix_now();
    let existing = tx.query(
        "SELECT id FROM hotline_cases WHERE url = ?",
        &[report.url.as_str().into()],
    )?;
    let (case_id, duplicate) = match existing.first().map(|r| r.int(0)).transpose()?.flatten() {
        Some(id) => {
            tx.exec(
                "UPDATE hotline_cases SET reports = reports + 1 WHERE id = ?",
                &[id.into()],
            )?;
            (id, true)
        }
        None => {
            let id = insert_returning_id(
                tx,
                "INSERT INTO hotline_cases (url, url_sha256, host, state, created_at)
                 VALUES (?, ?, ?, 'new', ?) RETURNING id",
                &[
                    report.url.as_str().into(),
                    report.url_sha256.as_str().into(),
                    report.host.as_str().into(),
                    now.into(),
                ],
            )?;
            (id, false)
        }
    };
    let report_id = insert_returning_id(
        tx,
        "INSERT INTO hotline_reports (case_id, at, source, description) VALUES (?, ?, ?, ?)
         RETURNING id",
        &[
            case_id.into(),
            now.into(),
            report.source.as_str().into(),
            report.description.clone().into(),
        ],
    )?;
    if let Some(contact) = report.contact.as_deref().filter(|c| !c.trim().is_empty()) {
        tx.exec(
            "INSERT INTO hotline_contacts (report_id, contact) VALUES (?, ?)",
            &[report_id.into(), contact.into()],
        )?;
    }
    Ok(Intake {
        report_id,
        case: case_in(tx, case_id)?,
        duplicate,
    })
}

/// Appeals newest first, or the one with `id`.
fn appeals_in(tx: &mut dyn SqlTx, id: Option<i64>) -> Result<Vec<Appeal>, Error> {
    let rows = tx.query(
        "SELECT id, case_id, at, reason, state, decided_by FROM hotline_appeals
         WHERE CAST(? AS BIGINT) IS NULL OR id = CAST(? AS BIGINT) ORDER BY id DESC",
        &[Param::Int(id), Param::Int(id)],
    )?;
    rows.iter()
        .map(|r| -> Result<_, Error> {
            Ok(Appeal {
                id: r.req_int(0)?,
                case_id: r.req_int(1)?,
                at: r.req_int(2)?,
                reason: r.req_text(3)?,
                state: r.req_named(4, AppealState::parse, "appeal state")?,
                decided_by: r.text(5)?,
            })
        })
        .collect::<Result<_, _>>()
}

impl Hotline<'_> {
    fn write<T: Default>(
        &self,
        mut work: impl FnMut(&mut dyn SqlTx) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut out = T::default();
        sql::write(self.sql, |tx| {
            out = work(tx)?;
            Ok(())
        })?;
        Ok(out)
    }

    fn read<T: Default>(
        &self,
        mut work: impl FnMut(&mut dyn SqlTx) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut out = T::default();
        sql::read(self.sql, |tx| {
            out = work(tx)?;
            Ok(())
        })?;
        Ok(out)
    }

    /// Takes a report: a URL seen before is linked to its case, otherwise a
    /// new case is opened. The contact goes to its own table.
    pub fn report(&self, report: &NewReport) -> Result<Intake, Error> {
        self.write(|tx| report_in(tx, report).map(Some))?
            .ok_or_else(|| Error::backend("the report was not taken"))
    }

    /// Applies a page of a partner hotline's shared assessments (verified
    /// by the caller) and moves the subscription's checkpoint, in one
    /// transaction. Each URL the partner confirmed becomes a report from
    /// the partner; a case nobody here has assessed yet takes the partner's
    /// verdict as its first assessment, so it goes to a supervisor for the
    /// second and never to a first-line analyst. Returns the cases opened
    /// or linked and the new checkpoint.
    pub fn apply_shared(
        &self,
        subscription: i64,
        from: i64,
        events: &[SharedAssessment],
    ) -> Result<(u64, i64), Error> {
        let now = unix_now();
        self.write(|tx| {
            let rows = tx.query(
                &format!(
                    "SELECT {} FROM feed_subscriptions WHERE id = ?",
                    crate::feed::SUBSCRIPTION_COLUMNS
                ),
                &[subscription.into()],
            )?;
            let sub = rows
                .first()
                .map(crate::feed::subscription_from)
                .transpose()?
                .filter(|s| s.kind == SubscriptionKind::Hotline)
                .ok_or_else(|| {
                    Error::new(ErrorKind::NotFound(format!(
                        "hotline subscription {subscription}"
                    )))
                })?;
            if from != sub.checkpoint as i64 + 1 {
                return Err(invalid(format!(
                    "page starts at {from}, but the checkpoint is {}",
                    sub.checkpoint
                )));
            }
            let mut taken = 0;
            for (i, e) in events.iter().enumerate() {
                if e.seq != from + i as i64 {
                    return Err(Error::new(ErrorKind::Conflict(format!(
                        "event {} is out of sequence",
                        i + 1
                    ))));
                }
                if e.op != "confirmed" {
                    continue;
                }
                let intake = report_in(
                    tx,
                    &NewReport {
                        url: e.url.clone(),
                        url_sha256: e.url_sha256.clone(),
                        host: e.host.clone(),
                        source: format!("partner-feed:{}", sub.url),
                        description: Some(format!(
                            "confirmed illegal by a partner hotline (category {})",
                            e.category.as_deref().unwrap_or("none")
                        )),
                        contact: None,
                    },
                )?;
                let seen = intake.case.state;
                if let Some(next) = rules::after_partner_confirmation(seen) {
                    let moved = tx.exec(
                        "UPDATE hotline_cases SET state = ?, first_assessor = NULL,
                             first_verdict = ?, first_category = ?, category = ?,
                             assessed_at = ? WHERE id = ? AND state = ?",
                        &[
                            next.name().into(),
                            Verdict::Illegal.name().into(),
                            e.category.clone().into(),
                            e.category.clone().into(),
                            now.into(),
                            intake.case.id.into(),
                            seen.name().into(),
                        ],
                    )?;
                    still_in(moved, intake.case.id, seen)?;
                }
                taken += 1;
            }
            let checkpoint = events.last().map_or(sub.checkpoint as i64, |e| e.seq);
            tx.exec(
                "UPDATE feed_subscriptions SET checkpoint = ?, synced_at = ?, last_error = NULL
                 WHERE id = ?",
                &[checkpoint.into(), now.into(), subscription.into()],
            )?;
            Ok((taken, checkpoint))
        })
    }

    /// Shared assessments after `since`: every listing (`confirmed`, with
    /// its category) and delisting (`withdrawn`), oldest first, with the
    /// newest sequence number.
    pub fn shared_since(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<(i64, Vec<SharedAssessment>), Error> {
        self.read(|tx| {
            let head = tx
                .query("SELECT coalesce(max(seq), 0) FROM blocklist_log", &[])?
                .first()
                .map(|r| r.int(0))
                .transpose()?
                .flatten()
                .unwrap_or(0);
            let rows = tx.query(
                "SELECT l.seq, l.op, l.url, l.url_sha256, c.host, c.category
                 FROM blocklist_log l LEFT JOIN hotline_cases c ON c.url = l.url
                 WHERE l.seq > ? ORDER BY l.seq LIMIT ?",
                &[since.into(), (limit as i64).into()],
            )?;
            let events = rows
                .iter()
                .map(|r| -> Result<_, Error> {
                    Ok(SharedAssessment {
                        seq: r.req_int(0)?,
                        op: if r.text(1)?.as_deref() == Some("add") {
                            "confirmed".into()
                        } else {
                            "withdrawn".into()
                        },
                        url: r.req_text(2)?,
                        url_sha256: r.req_text(3)?,
                        host: r.req_text(4)?,
                        category: r.text(5)?,
                    })
                })
                .collect::<Result<_, _>>()?;
            Ok((head, events))
        })
    }

    /// One case.
    pub fn case(&self, id: i64) -> Result<Case, Error> {
        self.read(|tx| case_in(tx, id).map(Some))?
            .ok_or_else(|| Error::new(ErrorKind::NotFound(format!("no hotline case {id}"))))
    }

    /// Cases, newest first, in one state or all.
    pub fn cases(&self, state: Option<&str>, limit: usize) -> Result<Vec<Case>, Error> {
        self.read(|tx| {
            let rows = tx.query(
                &format!(
                    "SELECT {CASE_COLUMNS} FROM hotline_cases
                     WHERE CAST(? AS TEXT) IS NULL OR state = CAST(? AS TEXT)
                     ORDER BY id DESC LIMIT ?"
                ),
                &[state.into(), state.into(), (limit as i64).into()],
            )?;
            rows.iter().map(case_from).collect::<Result<_, _>>()
        })
    }

    /// What an analyst should look at next: new cases, and (for a
    /// supervisor) cases awaiting a second assessment by someone else. A
    /// case assessed to the end is never shown again.
    pub fn queue(&self, key_id: i64, supervisor: bool, limit: usize) -> Result<Vec<Case>, Error> {
        self.triage(key_id, supervisor, &CaseFilter::default(), limit)
    }

    /// Cases in the triage view: the caller's [`Hotline::queue`] when the
    /// filter names no state, else the cases in that state; oldest first,
    /// narrowed by category, provider and jurisdiction.
    pub fn triage(
        &self,
        key_id: i64,
        supervisor: bool,
        filter: &CaseFilter,
        limit: usize,
    ) -> Result<Vec<Case>, Error> {
        self.read(|tx| {
            let mut sql = format!("SELECT {CASE_COLUMNS} FROM hotline_cases WHERE ");
            let mut params: Vec<Param> = Vec::new();
            match &filter.state {
                Some(state) => {
                    sql.push_str("state = ?");
                    params.push(state.name().into());
                }
                None => {
                    sql.push_str(
                        "(state = 'new' OR (state = 'assessed' AND CAST(? AS BIGINT) = 1
                            AND (first_assessor IS NULL OR first_assessor <> ?)))",
                    );
                    params.push(i64::from(supervisor).into());
                    params.push(key_id.into());
                }
            }
            for (column, value) in [
                ("category", &filter.category),
                ("provider", &filter.provider),
                ("jurisdiction", &filter.jurisdiction),
            ] {
                if let Some(v) = value {
                    sql.push_str(&format!(" AND {column} = ?"));
                    params.push(v.as_str().into());
                }
            }
            sql.push_str(" ORDER BY id LIMIT ?");
            params.push((limit as i64).into());
            tx.query(&sql, &params)?
                .iter()
                .map(case_from)
                .collect::<Result<_, _>>()
        })
    }

    /// How many cases are in each state, and the distinct categories,
    /// providers and jurisdictions seen (for the triage filters).
    pub fn overview(&self) -> Result<CaseOverview, Error> {
        self.read(|tx| {
            let by_state = tx
                .query(
                    "SELECT state, COUNT(*) FROM hotline_cases GROUP BY state ORDER BY state",
                    &[],
                )?
                .iter()
                .map(|r| Ok((r.req_text(0)?, r.req_int(1)?)))
                .collect::<Result<_, Error>>()?;
            let mut distinct = |column: &str| -> Result<Vec<String>, Error> {
                tx.query(
                    &format!(
                        "SELECT DISTINCT {column} FROM hotline_cases
                         WHERE {column} IS NOT NULL ORDER BY {column} LIMIT 200"
                    ),
                    &[],
                )?
                .iter()
                .map(|r| r.req_text(0))
                .collect()
            };
            Ok(CaseOverview {
                by_state,
                categories: distinct("category")?,
                providers: distinct("provider")?,
                jurisdictions: distinct("jurisdiction")?,
            })
        })
    }

    /// Reports received and cases confirmed per day (days as Unix time
    /// divided by 86,400) from `since` on.
    pub fn daily(&self, since: i64) -> Result<Vec<(i64, i64, i64)>, Error> {
        self.read(|tx| {
            let mut days = std::collections::BTreeMap::<i64, (i64, i64)>::new();
            for r in tx.query(
                "SELECT at / 86400, COUNT(*) FROM hotline_reports WHERE at >= ? GROUP BY at / 86400",
                &[since.into()],
            )? {
                days.entry(r.req_int(0)?).or_default().0 = r.req_int(1)?;
            }
            for r in tx.query(
                "SELECT confirmed_at / 86400, COUNT(*) FROM hotline_cases
                 WHERE confirmed_at >= ? GROUP BY confirmed_at / 86400",
                &[since.into()],
            )? {
                days.entry(r.req_int(0)?).or_default().1 = r.req_int(1)?;
            }
            Ok(days.into_iter().map(|(d, (r, c))| (d, r, c)).collect())
        })
    }

    /// The reports that named a case, oldest first (never the contacts).
    pub fn reports_of(&self, id: i64) -> Result<Vec<CaseReport>, Error> {
        self.read(|tx| {
            tx.query(
                "SELECT id, at, source, description FROM hotline_reports
                 WHERE case_id = ? ORDER BY id LIMIT 1000",
                &[id.into()],
            )?
            .iter()
            .map(|r| {
                Ok(CaseReport {
                    id: r.req_int(0)?,
                    at: r.req_int(1)?,
                    source: r.req_text(2)?,
                    description: r.text(3)?,
                })
            })
            .collect()
        })
    }

    /// Records an assessment. With `four_eyes`, an `illegal` verdict needs
    /// a second one by a supervisor other than the first assessor before
    /// the URL is listed; the second assessment decides. Returns the case
    /// and whether it went on the blocklist.
    pub fn assess(
        &self,
        id: i64,
        key_id: i64,
        supervisor: bool,
        verdict: Verdict,
        category: Option<&str>,
        four_eyes: bool,
    ) -> Result<(Case, bool), Error> {
        let now = unix_now();
        let assessment = Assessment {
            assessor: key_id,
            supervisor,
            verdict,
            category,
        };
        let out = self.write(|tx| {
            let case = case_in(tx, id)?;
            let outcome = rules::assess(case.state, case.first_assessor, &assessment, four_eyes)
                .map_err(|refused| match refused {
                    Refused::AlreadyDecided(_) => {
                        Error::new(ErrorKind::Conflict(format!("case {id}: {refused}")))
                    }
                    Refused::NotSupervisor | Refused::SameAssessor => {
                        Error::new(ErrorKind::Forbidden(refused.to_string()))
                    }
                    Refused::NoCategory => invalid(refused.to_string()),
                })?;
            let moved = match outcome {
                Assessed::Decided { state, .. } => tx.exec(
                    "UPDATE hotline_cases SET state = ?, verdict = ?, category = ?,
                             assessed_at = ?, confirmed_at = ? WHERE id = ? AND state = ?",
                    &[
                        state.name().into(),
                        verdict.name().into(),
                        category.into(),
                        now.into(),
                        Param::Int((state == CaseState::Confirmed).then_some(now)),
                        id.into(),
                        case.state.name().into(),
                    ],
                )?,
                Assessed::FirstOpinion => tx.exec(
                    "UPDATE hotline_cases SET state = ?, first_assessor = ?,
                             first_verdict = ?, first_category = ?, assessed_at = ?
                         WHERE id = ? AND state = ?",
                    &[
                        CaseState::Assessed.name().into(),
                        key_id.into(),
                        verdict.name().into(),
                        category.into(),
                        now.into(),
                        id.into(),
                        case.state.name().into(),
                    ],
                )?,
            };
            still_in(moved, id, case.state)?;
            let case = case_in(tx, id)?;
            let listed = matches!(outcome, Assessed::Decided { listed: true, .. });
            if listed {
                list(tx, &case, "add")?;
            }
            Ok(Some((case, listed)))
        })?;
        out.ok_or_else(|| Error::backend("the assessment was not recorded"))
    }

    /// Records who hosts a case's URL.
    pub fn attribute(
        &self,
        id: i64,
        provider: &str,
        abuse: &str,
        jurisdiction: &str,
        webhook: Option<&str>,
        ip: &str,
    ) -> Result<(), Error> {
        self.write(|tx| {
            tx.exec(
                "UPDATE hotline_cases SET provider = ?, abuse = ?, jurisdiction = ?, webhook = ?,
                     ip = ? WHERE id = ?",
                &[
                    provider.into(),
                    abuse.into(),
                    jurisdiction.into(),
                    webhook.into(),
                    ip.into(),
                    id.into(),
                ],
            )?;
            Ok(())
        })
    }

    /// Cases still being taken down: confirmed or noticed, not yet gone.
    pub fn open_takedowns(&self) -> Result<Vec<Case>, Error> {
        self.read(|tx| {
            let rows = tx.query(
                &format!(
                    "SELECT {CASE_COLUMNS} FROM hotline_cases
                     WHERE state IN ({}) ORDER BY id",
                    states_where(rules::takedown_open)
                ),
                &[],
            )?;
            rows.iter().map(case_from).collect::<Result<_, _>>()
        })
    }

    /// Claims notice `attempt` of a case before it is sent, so that two
    /// takedown rounds (the one a listing sets off and the timer's, or
    /// two nodes') never send one notice twice. The claim holds only
    /// while the takedown is open and `attempt` is the case's next notice;
    /// the update checks both, so of two claims racing one wins.
    /// `None`: another round claimed it first, or the case moved on.
    pub fn claim_notice(&self, id: i64, attempt: i64, text: &str) -> Result<Option<Case>, Error> {
        let now = unix_now();
        self.write(|tx| {
            let case = case_in(tx, id)?;
            let next = rules::after_notice_claim(&case, attempt);
            let Some(next) = next else {
                return Ok(None);
            };
            let claimed = tx.exec(
                "UPDATE hotline_cases SET state = ?, notices = notices + 1,
                     first_notice_at = coalesce(first_notice_at, ?), last_notice_at = ?
                 WHERE id = ? AND notices = ? AND state = ?",
                &[
                    next.name().into(),
                    now.into(),
                    now.into(),
                    id.into(),
                    case.notices.into(),
                    case.state.name().into(),
                ],
            )?;
            if claimed == 0 {
                return Ok(None);
            }
            tx.exec(
                "INSERT INTO hotline_notices (case_id, at, attempt, text, delivery)
                 VALUES (?, ?, ?, ?, NULL)",
                &[id.into(), now.into(), attempt.into(), text.into()],
            )?;
            case_in(tx, id).map(Some)
        })
    }

    /// Records how a claimed notice's delivery went.
    pub fn notice_delivered(&self, id: i64, attempt: i64, delivery: &str) -> Result<(), Error> {
        self.write(|tx| {
            let found = tx.exec(
                "UPDATE hotline_notices SET delivery = ? WHERE case_id = ? AND attempt = ?",
                &[delivery.into(), id.into(), attempt.into()],
            )?;
            if found == 0 {
                return Err(Error::not_found(format!("notice {attempt} of case {id}")));
            }
            Ok(())
        })
    }

    /// Records a re-check; `gone` ends the takedown: the case is removed,
    /// timed and taken off the blocklist.
    pub fn checked(
        &self,
        id: i64,
        result: &str,
        gone: bool,
        confirm_after: i64,
    ) -> Result<Case, Error> {
        let now = unix_now();
        let case = self.write(|tx| {
            let case = case_in(tx, id)?;
            let outcome = rules::after_check(case.state, case.gone_since, gone, now, confirm_after);
            tx.exec(
                "UPDATE hotline_cases SET last_check_at = ?, last_check = ?, gone_since = ?
                 WHERE id = ?",
                &[
                    now.into(),
                    result.into(),
                    outcome.gone_since.into(),
                    id.into(),
                ],
            )?;
            if let Some(state) = outcome.state {
                move_state(tx, id, case.state, state)?;
                tx.exec(
                    "UPDATE hotline_cases SET removed_at = ? WHERE id = ?",
                    &[now.into(), id.into()],
                )?;
                list(tx, &case, "remove")?;
            }
            case_in(tx, id).map(Some)
        })?;
        case.ok_or_else(|| Error::backend("the re-check was not recorded"))
    }

    /// Gives up on a takedown: the case stays listed as `expired`. A
    /// case whose takedown is no longer open is refused as a conflict.
    pub fn expire(&self, id: i64) -> Result<(), Error> {
        self.write(|tx| {
            let case = case_in(tx, id)?;
            let next = rules::after_expiry(case.state).ok_or_else(|| {
                Error::conflict(format!(
                    "case {id} is {}: no takedown to give up",
                    case.state
                ))
            })?;
            move_state(tx, id, case.state, next)
        })
    }

    /// The blocklist's newest sequence number.
    pub fn blocklist_head(&self) -> Result<i64, Error> {
        self.read(|tx| {
            Ok(tx
                .query("SELECT coalesce(max(seq), 0) FROM blocklist_log", &[])?
                .first()
                .map(|r| r.int(0))
                .transpose()?
                .flatten()
                .unwrap_or(0))
        })
    }

    /// Blocklist changes after `since`, oldest first.
    pub fn blocklist_changes(&self, since: i64) -> Result<Vec<BlockChange>, Error> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT seq, op, url, url_sha256 FROM blocklist_log WHERE seq > ? ORDER BY seq",
                &[since.into()],
            )?;
            rows.iter()
                .map(|r| -> Result<_, Error> {
                    Ok(BlockChange {
                        seq: r.req_int(0)?,
                        op: r.req_text(1)?,
                        url: r.req_text(2)?,
                        url_sha256: r.req_text(3)?,
                    })
                })
                .collect::<Result<_, _>>()
        })
    }

    /// The blocklist now: each URL whose last change is an add, with the
    /// sequence number it is current as of.
    pub fn blocklist(&self) -> Result<(i64, Vec<BlockChange>), Error> {
        let changes = self.blocklist_changes(0)?;
        let head = changes.last().map_or(0, |c| c.seq);
        let mut current: std::collections::BTreeMap<String, BlockChange> = Default::default();
        for c in changes {
            if c.op == "add" {
                current.insert(c.url.clone(), c);
            } else {
                current.remove(&c.url);
            }
        }
        Ok((head, current.into_values().collect()))
    }

    /// A site owner appeals a listed URL.
    pub fn appeal(&self, url: &str, reason: &str) -> Result<Appeal, Error> {
        let now = unix_now();
        let appeal = self.write(|tx| {
            let case = tx
                .query(
                    &format!("SELECT {CASE_COLUMNS} FROM hotline_cases WHERE url = ?"),
                    &[url.into()],
                )?
                .first()
                .map(case_from)
                .transpose()?
                .filter(|c| rules::listed(c.state))
                .ok_or_else(|| {
                    Error::new(ErrorKind::NotFound(format!("{url} on the blocklist")))
                })?;
            let id = insert_returning_id(
                tx,
                "INSERT INTO hotline_appeals (case_id, at, reason, state)
                 VALUES (?, ?, ?, 'open') RETURNING id",
                &[case.id.into(), now.into(), reason.into()],
            )?;
            Ok(Some(Appeal {
                id,
                case_id: case.id,
                at: now,
                reason: reason.to_string(),
                state: AppealState::Open,
                decided_by: None,
            }))
        })?;
        appeal.ok_or_else(|| Error::backend("the appeal was not recorded"))
    }

    /// Appeals, newest first.
    pub fn appeals(&self) -> Result<Vec<Appeal>, Error> {
        self.read(|tx| appeals_in(tx, None))
    }

    /// Decides an open appeal; upheld takes the URL off the blocklist
    /// when it is still on it. Answers the appeal and whether the URL was
    /// delisted.
    pub fn decide_appeal(&self, id: i64, upheld: bool, by: &str) -> Result<(Appeal, bool), Error> {
        let now = unix_now();
        let mut delisted = false;
        self.write(|tx| {
            let rows = tx.query(
                "SELECT case_id, state FROM hotline_appeals WHERE id = ?",
                &[id.into()],
            )?;
            let (case_id, state) = rows
                .first()
                .map(|r| {
                    Ok::<_, Error>((
                        r.req_int(0)?,
                        r.req_named(1, AppealState::parse, "appeal state")?,
                    ))
                })
                .transpose()?
                .ok_or_else(|| Error::new(ErrorKind::NotFound(format!("no appeal {id}"))))?;
            if state != AppealState::Open {
                return Err(Error::conflict(format!("appeal {id} is already {state}")));
            }
            let decision = if upheld {
                AppealState::Upheld
            } else {
                AppealState::Rejected
            };
            let decided = tx.exec(
                "UPDATE hotline_appeals SET state = ?, decided_by = ?, decided_at = ?
                 WHERE id = ? AND state = ?",
                &[
                    decision.name().into(),
                    by.into(),
                    now.into(),
                    id.into(),
                    AppealState::Open.name().into(),
                ],
            )?;
            if decided == 0 {
                return Err(Error::conflict(format!("appeal {id} is already decided")));
            }
            let case = case_in(tx, case_id)?;
            delisted = false;
            if let Some(next) = rules::after_upheld_appeal(case.state).filter(|_| upheld) {
                move_state(tx, case_id, case.state, next)?;
                list(tx, &case, "remove")?;
                delisted = true;
            }
            Ok(())
        })?;
        let appeal = self
            .read(|tx| appeals_in(tx, Some(id)))?
            .pop()
            .ok_or_else(|| Error::new(ErrorKind::NotFound(format!("no appeal {id}"))))?;
        Ok((appeal, delisted))
    }

    /// Deletes a reporter's contact; whether there was one.
    pub fn delete_contact(&self, report_id: i64) -> Result<bool, Error> {
        self.write(|tx| {
            Ok(tx.exec(
                "DELETE FROM hotline_contacts WHERE report_id = ?",
                &[report_id.into()],
            )? > 0)
        })
    }

    /// A reporter's contact, for a supervisor who must reach them.
    pub fn contact(&self, report_id: i64) -> Result<Option<String>, Error> {
        self.read(|tx| {
            Ok(tx
                .query(
                    "SELECT contact FROM hotline_contacts WHERE report_id = ?",
                    &[report_id.into()],
                )?
                .first()
                .map(|r| r.text(0))
                .transpose()?
                .flatten())
        })
    }

    /// Removed cases: (provider, jurisdiction, seconds from the first
    /// notice to removal).
    pub fn removals(&self) -> Result<Vec<(String, String, i64)>, Error> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT provider, jurisdiction, removed_at - coalesce(first_notice_at, confirmed_at)
                 FROM hotline_cases WHERE state = 'removed'",
                &[],
            )?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.text(0)?.unwrap_or_else(|| "unknown".into()),
                        r.text(1)?.unwrap_or_else(|| "unknown".into()),
                        r.req_int(2)?,
                    ))
                })
                .collect::<Result<_, Error>>()
        })
    }

    /// Attaches a hash (made on the analyst's machine) to a case.
    pub fn attach_hash(
        &self,
        id: i64,
        signal_type: &str,
        value: &str,
        origin: &HashOrigin,
    ) -> Result<(), Error> {
        self.write(|tx| {
            case_in(tx, id)?;
            tx.exec(
                "INSERT INTO hotline_hashes (case_id, signal_type, value, added_by, at)
                 VALUES (?, ?, ?, ?, ?)",
                &[
                    id.into(),
                    signal_type.into(),
                    value.into(),
                    origin.name().into(),
                    unix_now().into(),
                ],
            )?;
            Ok(())
        })
    }

    /// The hashes attached to a case.
    pub fn hashes(&self, id: i64) -> Result<Vec<CaseHash>, Error> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT signal_type, value, added_by FROM hotline_hashes WHERE case_id = ? ORDER BY id",
                &[id.into()],
            )?;
            rows
                .iter()
                .map(|r| -> Result<_, Error> {
 Ok(CaseHash {
                    signal_type: r.req_text(0)?,
                    value: r.req_text(1)?,
                    origin: HashOrigin::from_name(&r.req_text(2)?),
                })
})
                .collect::<Result<_, _>>()
        })
    }
}
