//! The run loop: a control request first, the cases in bounded groups with a
//! control request after each group, bounded concurrency, early stop when the
//! target cannot be reached or the session is lost, and interruption. It
//! returns plain results; the caller assembles the report.

use super::control::{control_case, send_control};
use super::events::{EventListener, RunEvent};
use super::execute::{CaseRunner, Sent, Sighting, skeleton};
use super::http::{ClientError, Clients, method_needs_fresh_connection};
use super::plan::RunPlan;
use crate::checks::CheckContext;
use crate::redact::Redactor;
use crate::report::{CaseResult, CaseResults, Cause, ControlOutcome, RunResults, Status};
use crate::schemas::Schemas;
use crate::suite::{Case, Change};
use futures_util::StreamExt;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// A failure that prevents a run from starting.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// Whether the target answered at all so far, shared by the cases in flight.
#[derive(Default)]
struct Reach {
    reached: AtomicBool,
    unreachable: Mutex<Option<String>>,
}

impl Reach {
    /// Why the target is known to be down, when nothing ever answered.
    fn known_down(&self) -> Option<String> {
        if self.reached.load(Ordering::SeqCst) {
            return None;
        }
        self.unreachable.lock().ok().and_then(|slot| slot.clone())
    }

    /// What a case showed of the target: an answer, or a failure to
    /// connect (with its reason).
    fn record(&self, sighting: Sighting) {
        if sighting.reached {
            self.reached.store(true, Ordering::SeqCst);
        } else if let Some(why) = sighting.unreachable
            && let Ok(mut slot) = self.unreachable.lock()
        {
            slot.get_or_insert(why);
        }
    }
}

/// Sends `case`, and records what it showed of the target; a case is not
/// sent once the target is known to be down.
async fn send_unless_down(runner: &CaseRunner<'_>, reach: &Reach, case: &Case) -> Sent {
    if let Some(why) = reach.known_down() {
        return Sent::done(not_run(case, &why));
    }
    let sent = runner.send(case).await;
    reach.record(sent.sighting(runner.redactor));
    sent
}

/// Whether `case` goes on a fresh connection even when the run reuses them.
fn needs_fresh_connection(case: &Case) -> bool {
    case.fresh_connection
        || matches!(&case.change, Change::Method(method) if method_needs_fresh_connection(method))
}

/// The result of a case not run because the target is known to be down.
fn not_run(case: &Case, why: &str) -> CaseResult {
    let mut result = skeleton(case);
    result.reason = Some(format!("not run: {why}"));
    result.cause = Some(Cause::NotRunUnreachable);
    result
}

/// Runs `cases` under `plan`, each result added to `store` as it finishes
/// (whole, or its evidence spilled: see [`CaseResults`]). Stops early when
/// `interrupt` completes (the unfinished cases are errored, interrupted),
/// when the target cannot be reached (the rest are not run), when the
/// control request is refused for authentication (no case is sent) or when
/// the session is lost.
pub async fn run(
    cases: &[&Case],
    plan: &RunPlan,
    schemas: &Schemas,
    redactor: &Redactor,
    listener: &mut dyn EventListener,
    interrupt: impl Future<Output = ()>,
    store: CaseResults,
) -> Result<RunResults, RunError> {
    let clients = Clients::new(&plan.target, plan.timeout, plan.connections)?;
    if cases.iter().any(|case| needs_fresh_connection(case)) {
        clients.prepare_fresh();
    }
    let expectations = &plan.expectations;
    let documented = expectations
        .retcodes(&expectations.builtin().documented)
        .to_vec();
    let runner = CaseRunner {
        plan,
        clients: &clients,
        checks: CheckContext {
            schemas,
            documented: &documented,
            allow_loopback_media: plan.profile.allow_loopback_media,
        },
        redactor,
    };
    let target = redactor.text(&crate::report::display_target(&plan.target.base_url));
    listener.on_event(&RunEvent::RunStarted {
        total: cases.len(),
        target: &target,
    });
    tokio::pin!(interrupt);

    let control = control_case(plan);
    let mut out = RunResults {
        cases: store,
        ..RunResults::default()
    };
    if let Some(why) = &plan.known_down {
        for case in cases {
            finished(listener, &mut out, not_run(case, why), cases.len());
        }
        return Ok(finish(cases, out, None, 0, &[], listener));
    }
    let reach = Reach::default();
    let mut send_later_controls = false;
    if plan.control {
        let start = tokio::select! {
            biased;
            () = &mut interrupt => None,
            sent = send_control(&runner, &control, "start".to_owned()) => Some(sent),
        };
        let Some((record, sighting)) = start else {
            out.interrupted = true;
            return Ok(finish(cases, out, None, 0, &[], listener));
        };
        listener.on_event(&RunEvent::ControlChecked { record: &record });
        let start_outcome = record.outcome;
        if start_outcome == ControlOutcome::CredentialsRefused {
            let why = format!(
                "not sent: the gateway did not accept the Guid of agent {} (the control request got {})",
                plan.credentials.agent_id, record.observed
            );
            out.controls.push(record);
            for case in cases {
                let mut result = skeleton(case);
                result.status = Status::Skipped;
                result.cause = Some(Cause::CredentialsRefused);
                result.reason = Some(why.clone());
                result.expected = "not run".to_owned();
                finished(listener, &mut out, result, cases.len());
            }
            return Ok(finish(cases, out, None, 0, &[], listener));
        }
        out.controls.push(record);
        reach.record(sighting);
        // Later controls only when the first one was answered: a control that
        // timed out would only add a timeout per group.
        send_later_controls = start_outcome != ControlOutcome::NoAnswer;
    }

    let mut lost: Option<String> = None;
    let mut last_good = 0;
    // Groups only where a control request follows them: without one, the
    // cases run as one stream, at full concurrency.
    let group_size = if send_later_controls {
        plan.control_every.max(1)
    } else {
        cases.len().max(1)
    };
    let groups: Vec<&[&Case]> = cases.chunks(group_size).collect();
    for (index, group) in groups.iter().enumerate() {
        if let Some(why) = plan.session.lost() {
            lost = Some(why);
            break;
        }
        if run_group(
            &runner,
            group,
            &reach,
            &mut out,
            cases.len(),
            listener,
            &mut interrupt,
        )
        .await
        {
            out.interrupted = true;
            break;
        }
        if let Some(why) = plan.session.lost() {
            lost = Some(why);
            break;
        }
        if !send_later_controls {
            continue;
        }
        let when = if index + 1 == groups.len() {
            "end".to_owned()
        } else {
            format!("after {} cases", out.cases.len())
        };
        let sent = tokio::select! {
            biased;
            () = &mut interrupt => None,
            sent = send_control(&runner, &control, when.clone()) => Some(sent),
        };
        let Some((record, _)) = sent else {
            out.interrupted = true;
            break;
        };
        listener.on_event(&RunEvent::ControlChecked { record: &record });
        match record.outcome {
            ControlOutcome::Accepted => last_good = out.cases.len(),
            ControlOutcome::CredentialsRefused => {
                let why = format!(
                    "the control request {when} was refused ({})",
                    record.observed
                );
                plan.session.mark_lost(why.clone());
                lost = Some(why);
            }
            ControlOutcome::Inconclusive | ControlOutcome::NoAnswer => {}
        }
        out.controls.push(record);
        if lost.is_some() {
            break;
        }
    }
    let auth = plan
        .expectations
        .retcodes(&plan.expectations.builtin().auth);
    Ok(finish(cases, out, lost, last_good, auth, listener))
}

/// Runs one group of cases; true when interrupted.
async fn run_group<F: Future<Output = ()>>(
    runner: &CaseRunner<'_>,
    group: &[&Case],
    reach: &Reach,
    out: &mut RunResults,
    total: usize,
    listener: &mut dyn EventListener,
    interrupt: &mut std::pin::Pin<&mut F>,
) -> bool {
    if runner.plan.concurrency <= 1 {
        return run_in_turn(runner, group, reach, out, total, listener, interrupt).await;
    }
    let mut stream = futures_util::stream::iter(group.iter().copied())
        .map(|case| async move { runner.judge(send_unless_down(runner, reach, case).await) })
        .buffer_unordered(runner.plan.concurrency);
    loop {
        tokio::select! {
            biased;
            () = interrupt.as_mut() => return true,
            next = stream.next() => match next {
                Some(result) => finished(listener, out, result, total),
                None => return false,
            }
        }
    }
}

/// [`run_group`] one request at a time, in order: each case's answer is
/// judged (checks, evidence, redaction) while the next case's request is
/// out, so the gateway's time and the checks' overlap; still never two
/// requests at once. Cases finish in order, as before.
async fn run_in_turn<F: Future<Output = ()>>(
    runner: &CaseRunner<'_>,
    group: &[&Case],
    reach: &Reach,
    out: &mut RunResults,
    total: usize,
    listener: &mut dyn EventListener,
    interrupt: &mut std::pin::Pin<&mut F>,
) -> bool {
    let mut previous: Option<Sent> = None;
    let mut interrupted = false;
    for &case in group {
        let send = send_unless_down(runner, reach, case);
        let judge = async {
            // Once: the request just started is handed to the connection
            // (written) before the thread is busy judging.
            tokio::task::yield_now().await;
            if let Some(sent) = previous.take() {
                finished(listener, out, runner.judge(sent), total);
            }
        };
        let both = futures_util::future::join(send, judge);
        tokio::select! {
            biased;
            () = interrupt.as_mut() => {
                interrupted = true;
                break;
            }
            (sent, ()) = both => previous = Some(sent),
        }
    }
    // The last case answered keeps its result, before an interrupt too (the
    // one in flight then is unfinished).
    if let Some(sent) = previous.take() {
        finished(listener, out, runner.judge(sent), total);
    }
    interrupted
}

/// Announces a finished case (whole, evidence and all), then keeps it.
fn finished(
    listener: &mut dyn EventListener,
    out: &mut RunResults,
    result: CaseResult,
    total: usize,
) {
    listener.on_event(&RunEvent::CaseFinished {
        result: &result,
        done: out.cases.len() + 1,
        total,
    });
    out.cases.push(result);
}

/// Gives every case a result: after a lost session, the cases since the last
/// good control that were refused for authentication are not assessed, and
/// the cases not sent are skipped; after an interruption, the unfinished
/// cases are errored.
fn finish(
    cases: &[&Case],
    mut out: RunResults,
    lost: Option<String>,
    last_good: usize,
    auth: &[String],
    listener: &mut dyn EventListener,
) -> RunResults {
    if let Some(why) = &lost {
        for result in out.cases.iter_mut().skip(last_good) {
            if let Some(retcode) = refused_for_auth(result, auth) {
                let was = result.reason.take().unwrap_or_default();
                result.status = Status::Skipped;
                result.cause = Some(Cause::SessionLost);
                result.reason = Some(format!(
                    "not assessed (session lost): refused with {retcode} after the last good control request; {why}"
                ));
                result.notes.push(format!("withdrawn finding: {was}"));
                result.findings.clear();
            }
        }
    }
    let done = out.cases.len();
    // By set: a search per case is quadratic in the number of cases.
    let finished: std::collections::HashSet<&str> =
        out.cases.iter().map(|r| r.id.as_str()).collect();
    let unfinished: Vec<&Case> = cases
        .iter()
        .filter(|case| !finished.contains(case.id.as_str()))
        .copied()
        .collect();
    drop(finished);
    for case in unfinished {
        let mut result = skeleton(case);
        if let Some(why) = &lost {
            result.status = Status::Skipped;
            result.cause = Some(Cause::SessionLost);
            result.reason = Some(format!("not sent: the session was lost ({why})"));
            result.expected = "not run".to_owned();
        } else {
            result.status = Status::Errored;
            result.cause = Some(Cause::Interrupted);
            result.reason = Some("interrupted before it finished".to_owned());
        }
        out.cases.push(result);
    }
    listener.on_event(&RunEvent::RunFinished {
        done,
        interrupted: out.interrupted,
    });
    out
}

/// The retcode of a failed case refused with an authentication code.
fn refused_for_auth(result: &CaseResult, auth: &[String]) -> Option<String> {
    if result.status != Status::Failed {
        return None;
    }
    let retcode = result.response.as_ref()?.retcode.clone()?;
    auth.contains(&retcode).then_some(retcode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::{Expect, OutcomeRule};

    fn case(change: Change, fresh_connection: bool) -> Case {
        Case {
            id: "family/name".to_owned(),
            title: String::new(),
            severity: crate::report::Severity::Required,
            requirements: Vec::new(),
            catches: Vec::new(),
            rationale: None,
            fresh_connection,
            change,
            expect: Expect {
                outcome: OutcomeRule::Refused,
                retcodes: None,
                http: None,
            },
            file: String::new(),
        }
    }

    #[test]
    fn head_and_marked_cases_are_the_ones_on_a_fresh_connection() {
        assert!(needs_fresh_connection(&case(
            Change::Method("head".to_owned()),
            false
        )));
        assert!(needs_fresh_connection(&case(Change::None, true)));
        assert!(!needs_fresh_connection(&case(
            Change::Method("GET".to_owned()),
            false
        )));
        assert!(!needs_fresh_connection(&case(Change::None, false)));
    }
}
