//! What the report is assembled from: the runner's results, the facts of the
//! plan, and what only the report needs (the selection, the verdict rules).

use super::model::{ControlRecord, ExpectationRecord, TlsMode};
use super::spill::CaseResults;

/// What a run produced: plain case results and the control requests.
#[derive(Debug, Default)]
pub struct RunResults {
    /// One result per selected case, in any order (whole in memory, or
    /// their evidence spilled: see [`CaseResults`]).
    pub cases: CaseResults,
    /// True when the run was stopped before every case finished.
    pub interrupted: bool,
    /// The control requests, in the order sent.
    pub controls: Vec<ControlRecord>,
}

/// What the report says about the plan of a run (no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFacts {
    /// The target as shown in reports (see [`super::display_target`]).
    pub target: String,
    /// How the target's certificate was checked.
    pub tls: TlsMode,
    /// Every request on a new connection (`--fresh-connections`).
    pub fresh_connections: bool,
    /// Spec profile name, e.g. `cec-23`.
    pub profile: String,
    /// Human title of the profile.
    pub profile_title: String,
    /// The agent the credentials belong to.
    pub agent_id: String,
    /// Whether a live callid was given.
    pub has_callid: bool,
    /// Every expectation the verdicts rest on, with its provenance.
    pub expectations: Vec<ExpectationRecord>,
    /// What the run assumed where the documentation is silent.
    pub assumptions: Vec<String>,
}

/// What only the report needs: where the run came from and the rules of
/// its verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunInfo {
    /// Start of the run (RFC 3339), injected so that tests control the clock.
    pub started_at: String,
    /// Whether the target is the embedded reference gateway.
    pub embedded_gateway: bool,
    /// Faults switched on in the embedded gateway.
    pub gateway_faults: Vec<String>,
    /// The `--only` pattern, if any.
    pub only: Option<String>,
    /// `--strict`: advisory cases count as required.
    pub strict: bool,
    /// `--accept-skip` globs: required cases matching one may be skipped.
    pub accepted_skips: Vec<String>,
    /// When the run started, for its wall time (`None`: not measured).
    pub started: Option<std::time::Instant>,
}
