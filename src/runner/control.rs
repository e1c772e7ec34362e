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

use super::execute::{CaseRunner, Executed};
use crate::report::{ControlOutcome, ControlRecord};
use crate::suite::{Case, Change, Expect, OutcomeRule};

/// Id of the control request in evidence and messages.
pub const CONTROL_ID: &str = "control/valid-request";

/// The control request as a case of the plan.
pub(super) fn control_case(has_callid: bool) -> Case {
    let (outcome, retcodes) = if has_callid {
        (OutcomeRule::Served, None)
    } else {
        (OutcomeRule::Refused, Some("call_refused".to_owned()))
    };
    Case {
        id: CONTROL_ID.to_owned(),
        family: "control".to_owned(),
        title: "The valid request (control)".to_owned(),
        severity: crate::report::Severity::Required,
        requirements: Vec::new(),
        catches: Vec::new(),
        rationale: None,
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
) -> (ControlRecord, Executed) {
    let executed = runner.execute(case).await;
    let plan = runner.plan;
    let has_callid = plan.credentials.callid.is_some();
    let sent = if has_callid {
        "the valid request with the live callid (--callid): expects connection info".to_owned()
    } else {
        format!(
            "the valid request with the documentation's example callid {}: a gateway that accepts the Guid refuses it with a call code ({})",
            super::EXAMPLE_CALLID,
            plan.expectations.retcodes("call_refused").join(", ")
        )
    };
    let (observed, outcome) = match &executed.result.response {
        None => (
            executed
                .result
                .reason
                .clone()
                .unwrap_or_else(|| "no answer".to_owned()),
            ControlOutcome::NoAnswer,
        ),
        Some(response) => {
            let retcode = response.retcode.clone().unwrap_or_default();
            let observed = if retcode.is_empty() {
                format!("HTTP {} without a retcode", response.status)
            } else {
                format!("HTTP {}, retcode {retcode}", response.status)
            };
            let is_in = |set: &str| plan.expectations.retcodes(set).contains(&retcode);
            let outcome = if retcode == "0" || (!has_callid && is_in("call_refused")) {
                ControlOutcome::Accepted
            } else if is_in("auth") {
                ControlOutcome::CredentialsRefused
            } else {
                ControlOutcome::Inconclusive
            };
            (observed, outcome)
        }
    };
    let record = ControlRecord {
        when,
        sent,
        observed,
        outcome,
        request: executed.result.request.clone(),
        response: executed.result.response.clone(),
    };
    (record, executed)
}
