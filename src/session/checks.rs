//! The session's own checks, reported as cases of the family `session`
//! next to the suite's: what a run that drives a session can prove and a
//! single request cannot. Each names the gateway faults it catches.
//!
//! - `session/guid-rotated` (with a declared Guid interval): a new Guid
//!   arrives in `Set-GUID` within the interval plus one long poll.
//! - `session/expired-guid-refused` (with a declared Guid timeout): the
//!   sign-in's Guid is refused once its timeout has passed (the agent still
//!   polling).
//! - `session/signed-out-refused`: after an accepted sign-out, the last Guid
//!   is refused.
//!
//! A refusal is 100-006 or 000-003 (cec_07_0005).

use crate::report::{CaseResult, Cause, CheckId, Finding, Severity, Status};

/// Retcodes that refuse a Guid (cec_07_0005).
pub const GUID_REFUSED: [&str; 2] = ["100-006", "000-003"];

/// One session check: its case id, title and the faults it catches.
#[derive(Debug, Clone, Copy)]
pub struct SessionCheck {
    pub id: &'static str,
    pub title: &'static str,
    pub check: CheckId,
    pub catches: &'static [&'static str],
}

/// Every session check.
pub const SESSION_CHECKS: &[SessionCheck] =
    &[GUID_ROTATED, EXPIRED_GUID_REFUSED, SIGNED_OUT_REFUSED];

pub(super) const GUID_ROTATED: SessionCheck = SessionCheck {
    id: "session/guid-rotated",
    title: "Dynamic mode: the event poll hands out a new Guid within the Guid interval",
    check: CheckId::SessionGuidRotated,
    catches: &["guid-not-rotated"],
};
pub(super) const EXPIRED_GUID_REFUSED: SessionCheck = SessionCheck {
    id: "session/expired-guid-refused",
    title: "Dynamic mode: a Guid is refused after its timeout",
    check: CheckId::SessionGuidExpired,
    catches: &["guid-no-expiry"],
};
pub(super) const SIGNED_OUT_REFUSED: SessionCheck = SessionCheck {
    id: "session/signed-out-refused",
    title: "After sign-out the agent's Guid is refused",
    check: CheckId::SessionSignedOut,
    catches: &["signed-out-served", "sign-out-ignored"],
};

impl SessionCheck {
    /// The check's result: passed, or failed/skipped with `why`.
    pub(super) fn result(self, status: Status, expected: &str, why: Option<String>) -> CaseResult {
        let findings = match (&why, status) {
            (Some(message), Status::Failed) => vec![Finding {
                check: self.check,
                message: message.clone(),
                instance_path: None,
                schema_path: None,
            }],
            _ => Vec::new(),
        };
        CaseResult {
            id: self.id.to_owned(),
            title: self.title.to_owned(),
            family: "session".to_owned(),
            severity: Severity::Required,
            requirements: Vec::new(),
            status,
            reason: why,
            expected: expected.to_owned(),
            findings,
            notes: vec![
                "a check of the agent session (run --sign-in), not a case of the suite".to_owned(),
            ],
            request: None,
            response: None,
            attempts: Vec::new(),
            duration_ms: 0,
            duration_us: 0,
            cause: (status == Status::Errored).then_some(Cause::Transport),
        }
    }
}
