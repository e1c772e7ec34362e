//! The control request: the suite's valid request, sent before the cases,
//! between them at a bounded interval and after them, to tell a tester's
//! mistake (a stale Guid, a `JSESSIONID=` prefix, a wrong agent) or a lost
//! session from the gateway's own deviations.
//!
//! It is an ordinary case (the baseline request, no change) resolved and sent
//! by the same code as every case, so it carries the Guid a case would carry
//! at that moment. With a live callid it expects connection info; without
//! one it carries the documentation's example callid, so the only refusal a
//! gateway that accepts the Guid can give is a call code
//! (`retcodes.call_refused`), never an authentication code (`retcodes.auth`).

use super::execute::{CaseRunner, Sighting};
use super::plan::RunPlan;
use crate::contract::{RetcodeSetName, Retcodes};
use crate::report::{Attempt, ControlOutcome, ControlRecord};
use crate::suite::{Case, Change, Expect, OutcomeRule};

/// Id of the control request in evidence and messages.
pub const CONTROL_ID: &str = "control/valid-request";

/// The retcodes that refuse a call (`retcodes.call_refused`), if the
/// expectations define them.
fn call_refused(plan: &RunPlan) -> Option<RetcodeSetName> {
    plan.expectations.name::<Retcodes>("call_refused")
}

/// The control request as a case of the plan.
pub(super) fn control_case(plan: &RunPlan) -> Case {
    let (outcome, retcodes) = if plan.credentials.callid.is_some() {
        (OutcomeRule::Served, None)
    } else {
        (OutcomeRule::Refused, call_refused(plan))
    };
    Case {
        id: CONTROL_ID.to_owned(),
        title: "The valid request (control)".to_owned(),
        severity: crate::report::Severity::Required,
        requirements: Vec::new(),
        catches: Vec::new(),
        rationale: None,
        fresh_connection: false,
        change: Change::None,
        expect: Expect {
            outcome,
            retcodes,
            http: None,
        },
        file: String::new(),
    }
}

/// Sends the control request and says what it showed.
pub(super) async fn send_control(
    runner: &CaseRunner<'_>,
    case: &Case,
    when: String,
) -> (ControlRecord, Sighting) {
    let sent = runner.send(case).await;
    let sighting = sent.sighting(runner.redactor);
    // The outcome reads the answer as received; the record shows it redacted.
    let answered = sent.answered();
    // Its outcome reads the status and the retcode only: not checked.
    let result = runner.record(sent);
    let plan = runner.plan;
    let has_callid = plan.credentials.callid.is_some();
    let call_codes: Vec<String> = call_refused(plan)
        .map(|name| plan.expectations.retcodes(&name).to_vec())
        .unwrap_or_default();
    let auth = plan
        .expectations
        .retcodes(&plan.expectations.builtin().auth);
    let sent = if has_callid {
        "the valid request with the live callid (--callid): expects connection info".to_owned()
    } else {
        format!(
            "the valid request with the documentation's example callid {}: a gateway that accepts the Guid refuses it with a call code ({})",
            super::EXAMPLE_CALLID,
            call_codes.join(", ")
        )
    };
    let (observed, outcome) = match answered {
        None => (
            result
                .reason
                .clone()
                .unwrap_or_else(|| "no answer".to_owned()),
            ControlOutcome::NoAnswer,
        ),
        Some((status, retcode)) => {
            let retcode = retcode.unwrap_or_default();
            let observed = if retcode.is_empty() {
                format!("HTTP {status} without a retcode")
            } else {
                format!("HTTP {status}, retcode {}", runner.redactor.value(&retcode))
            };
            let outcome = if retcode == "0" || (!has_callid && call_codes.contains(&retcode)) {
                ControlOutcome::Accepted
            } else if auth.contains(&retcode) {
                ControlOutcome::CredentialsRefused
            } else {
                ControlOutcome::Inconclusive
            };
            (observed, outcome)
        }
    };
    // Refused by flow control first: every attempt is in the record.
    let observed = if result.attempts.is_empty() {
        observed
    } else {
        let each: Vec<String> = result.attempts.iter().map(Attempt::answer).collect();
        format!(
            "{observed} ({} attempts: {})",
            result.attempts.len(),
            each.join(", ")
        )
    };
    let record = ControlRecord {
        when,
        sent,
        observed,
        outcome,
        attempts: result.attempts,
        request: result.request.map(|r| *r),
        response: result.response.map(|r| *r),
    };
    (record, sighting)
}
