//! Types of the JSON report (`schemas/report.schema.json`, `format_version` 1).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::contract::{ExpectationSource, Severity};

/// Version of the report format; bump on an incompatible change.
pub const FORMAT_VERSION: &str = "1";

/// One complete run: what was run, against what, and every case's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Always [`FORMAT_VERSION`] when written by this version.
    pub format_version: String,
    /// The tool that wrote the report.
    pub tool: ToolInfo,
    /// Where and how the suite ran.
    pub environment: Environment,
    /// True when the run was stopped before every case finished (Ctrl-C).
    #[serde(default)]
    pub interrupted: bool,
    /// Counts and the overall verdict.
    pub summary: Summary,
    /// The requirement traceability matrix, sorted by requirement id.
    pub requirements: Vec<RequirementResult>,
    /// Every selected case, sorted by id.
    pub cases: Vec<CaseResult>,
    /// Comparison with a baseline report, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// The agent session of `run --sign-in`: its timeline, apart from the cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<super::SessionReport>,
    /// The other agent's session, when the run signed it in too
    /// (`--other-sign-in`): its timeline and sign-out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_session: Option<super::SessionReport>,
    /// What the run learned of each agent's flow limit, for the agents that
    /// were refused by flow control or paced. Absent when none was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flow_control: Vec<AgentFlow>,
    /// What the verdict rests on: its headline, its cause when nothing could
    /// be assessed, the control requests, the selection and the rules
    /// (`--strict`, accepted skips). Absent in reports of older versions.
    #[serde(default)]
    pub assessment: Assessment,
}

/// What a run learned of one agent's flow limit (cec_07_0584): how often it
/// was refused, the rate it was refused at, and what its requests waited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentFlow {
    /// The agent whose requests were paced.
    pub agent_id: String,
    /// Requests sent to the interface for this agent (every attempt).
    pub sent: u64,
    /// Attempts refused by flow control (000-007, HTTP 429, or 503 with
    /// `Retry-After`); each is in its case's attempts.
    pub refusals: u64,
    /// The rate the last refusal came at, requests per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_above_per_s: Option<f64>,
    /// The pace the run ended at, requests per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paced_at_per_s: Option<f64>,
    /// Requests that waited before they were sent (pacing or backoff).
    pub waited_requests: u64,
    /// Their waits added up, in milliseconds.
    pub waited_ms: u64,
}

/// What the verdict rests on, in words and in data. Every output shows
/// [`Assessment::headline`], so they all tell the same story.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// The verdict in one line, e.g. `Conformant, 3 advisory findings`.
    #[serde(default)]
    pub headline: String,
    /// Why the run could not be assessed, when the verdict is `not_assessed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<NotAssessedCause>,
    /// The cause in full when the headline gives it short (the whole error
    /// chain of a target that could not be reached), shown once in its own
    /// section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// True with `--strict`: advisory cases counted as required.
    #[serde(default)]
    pub strict: bool,
    /// Advisory cases that failed or errored, sorted by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advisory_findings: Vec<String>,
    /// How many cases were selected for the run.
    #[serde(default)]
    pub selected: usize,
    /// How many cases the suite has (`selected` of them ran).
    #[serde(default)]
    pub suite_cases: usize,
    /// Case-id globs whose skips the user accepted (`--accept-skip`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted_skips: Vec<String>,
    /// Required cases skipped but accepted by `accepted_skips`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted_cases: Vec<String>,
    /// The control requests, in the order sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<ControlRecord>,
}

/// Why a run is not assessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotAssessedCause {
    /// No case got an HTTP response (connect, DNS or TLS failure).
    TargetUnreachable,
    /// The control request was refused for authentication or the agent.
    CredentialsRefused,
    /// A control request failed after the run started: the session was lost.
    SessionLost,
    /// Required cases got no complete answer (connection closed, timeout)
    /// while others did.
    NoAnswer,
    /// Required cases were still refused by flow control (000-007) after
    /// every retry.
    FlowControl,
    /// The agent's sign-out failed, so what follows it was not checked.
    SignOutFailed,
    /// Required cases were skipped (e.g. no `--callid`) and not accepted.
    RequiredSkipped,
    /// No required case ran at all.
    NothingAssessed,
}

/// One control request: the valid request, sent to tell a tester's mistake
/// (a stale Guid, a wrong agent) from the gateway's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlRecord {
    /// `start`, `after N cases` or `end`.
    pub when: String,
    /// What was sent, in words (the request is the suite's valid request).
    pub sent: String,
    /// What came back, in words (HTTP status and retcode, or the transport error).
    pub observed: String,
    /// What it shows.
    pub outcome: ControlOutcome,
    /// The request as sent (secrets redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestEvidence>,
    /// The response as received (secrets redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseEvidence>,
    /// Its attempts, when it was refused by flow control before its answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<super::Attempt>,
}

/// What a control request showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlOutcome {
    /// The gateway accepted the credentials (served, or refused for the call only).
    Accepted,
    /// Refused with an authentication retcode (`retcodes.auth`).
    CredentialsRefused,
    /// Answered, but neither accepted nor refused for authentication.
    Inconclusive,
    /// No answer (transport error or timeout).
    NoAnswer,
}

impl ControlOutcome {
    /// The outcome in words, as the console and the reports say it.
    pub fn describe(self) -> &'static str {
        match self {
            ControlOutcome::Accepted => "credentials accepted",
            ControlOutcome::CredentialsRefused => "credentials refused",
            ControlOutcome::Inconclusive => "inconclusive",
            ControlOutcome::NoAnswer => "no answer",
        }
    }
}

/// Name and version of the tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    /// Crate name, `ccgw-conformance`.
    pub name: String,
    /// Crate version that wrote the report.
    pub version: String,
    /// The git commit it was built from, when known (as `--version` shows
    /// it): a vendor comparing two runs can tell whether the tool changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl ToolInfo {
    /// This build: its name, version and commit.
    pub fn this_build() -> ToolInfo {
        let suffix = option_env!("CCGW_VERSION_SUFFIX").unwrap_or_default();
        let commit = suffix
            .trim()
            .strip_prefix("(commit ")
            .and_then(|c| c.strip_suffix(')'))
            .map(str::to_owned);
        ToolInfo {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            commit,
        }
    }

    /// The version as people read it: `0.1.0 (commit 1a2b3c4d5e6f)`.
    pub fn described(&self) -> String {
        match &self.commit {
            Some(commit) => format!("{} (commit {commit})", self.version),
            None => self.version.clone(),
        }
    }
}

/// The environment of a run, as a person signing off a report needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// What the run is called (`--label`), e.g. "R23.200 staging, node 2".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Who signs the report off (`--sign-off`), printed as its last section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_off: Option<SignOff>,
    /// Base URL of the target (no credentials, no query).
    pub target: String,
    /// True when the target was the embedded reference gateway.
    pub embedded_gateway: bool,
    /// Faults switched on in the embedded gateway (self-test runs only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gateway_faults: Vec<String>,
    /// Spec profile name, e.g. `cec-23`.
    pub profile: String,
    /// Human title of the profile.
    pub profile_title: String,
    /// The agent the credentials belong to.
    pub agent_id: String,
    /// How TLS was verified.
    pub tls: TlsMode,
    /// True with `--fresh-connections`: a new connection for every case
    /// instead of keep-alive. Absent (false) when connections were reused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fresh_connections: bool,
    /// Whether a live callid was given (success cases are skipped without one).
    pub has_callid: bool,
    /// Start of the run, RFC 3339 UTC.
    pub started_at: String,
    /// How long the run took, from its start to its last answer (sign-in,
    /// cases and session checks; the reports are written after), in
    /// microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_time_us: Option<u64>,
    /// Suite name and where it was loaded from (`embedded` or a folder).
    pub suite: String,
    /// Case filter given with `--only`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<String>,
    /// Every expectation the verdicts rest on, and where it came from.
    pub expectations: Vec<ExpectationRecord>,
    /// What the tool assumed where the documentation is silent.
    pub assumptions: Vec<String>,
    /// Where each option of the run came from (a flag, an environment
    /// variable, the config file); the options left at their defaults are
    /// not listed. Empty for a run not started from the command line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<InputRecord>,
}

/// The sign-off block of a report: who tested, for which organisation, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOff {
    /// Who ran and checked the suite.
    pub tester: String,
    /// For whom.
    pub organisation: String,
    /// Left blank (to be written by hand) when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// How the TLS certificate of the target was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsMode {
    /// System roots (webpki roots).
    Verified,
    /// A CA given with `--ca-cert` (or the embedded gateway's own certificate).
    CustomCa,
    /// `--insecure`: the certificate was not checked.
    Insecure,
    /// Plain HTTP: no TLS at all.
    PlainHttp,
}

/// Where one option of the run came from (never its value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRecord {
    /// The option, as its flag: `--target`.
    pub option: String,
    /// Where its value came from.
    pub source: InputSource,
    /// The flag typed, the variable read, or the config file's key, target,
    /// file and line.
    pub from: String,
}

/// Where an option's value came from, in the order that decides between
/// them: a flag wins over a variable, which wins over the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputSource {
    /// Typed on the command line.
    Flag,
    /// Read from an environment variable.
    Environment,
    /// Read from the config file (`ccgw-conformance.toml`).
    ConfigFile,
}

/// One expectation that decides verdicts, with its provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectationRecord {
    /// Expectation key, e.g. `retcodes.auth` or `http.wrong_method`.
    pub name: String,
    /// The value in force, rendered as text.
    pub value: String,
    /// Where the value came from.
    pub source: ExpectationSource,
    /// The documentation reference or the file that set it.
    pub reference: String,
}

/// Counts and verdict of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Cases selected.
    pub total: usize,
    /// Cases whose every check held.
    pub passed: usize,
    /// Cases with a finding.
    pub failed: usize,
    /// Cases without a verdict (transport error, timeout, interrupted).
    pub errored: usize,
    /// Cases not run, each with a reason.
    pub skipped: usize,
    /// Required cases that failed or errored.
    pub required_failed: usize,
    /// Required cases that were skipped.
    pub required_skipped: usize,
    /// Conformant, not conformant or not assessed.
    pub verdict: Verdict,
}

/// Overall verdict of a run or of one requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every required case passed.
    Conformant,
    /// A required case failed or errored.
    NotConformant,
    /// Nothing failed, but nothing could be assessed, or required cases were
    /// skipped (see [`Assessment::cause`]).
    NotAssessed,
    /// Interrupted: only the cases that finished count.
    Incomplete,
}

/// One row of the traceability matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementResult {
    /// Stable requirement id, e.g. `REQ-METHOD`.
    pub id: String,
    /// The requirement in a few words.
    pub title: String,
    /// Where the documentation states it, e.g. "Interface Method".
    pub spec_ref: String,
    /// Ids of the cases that check it.
    pub cases: Vec<String>,
    /// Worst outcome of its cases, by the run's rules.
    pub verdict: Verdict,
    /// Its advisory cases that failed or errored (they do not change
    /// `verdict` unless the run was strict).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advisory_findings: Vec<String>,
}

/// The status of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every check held.
    Passed,
    /// A check did not hold (see findings).
    Failed,
    /// No verdict could be reached: transport error, timeout, interrupted.
    Errored,
    /// Not run, with a reason.
    Skipped,
}

impl Status {
    /// Lowercase name as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Errored => "errored",
            Status::Skipped => "skipped",
        }
    }
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseResult {
    /// Stable id `family/name`.
    pub id: String,
    /// The case in a few words.
    pub title: String,
    /// Family: the first part of the id, e.g. `method`.
    pub family: String,
    /// Required (fails the run) or advisory (reported only).
    pub severity: Severity,
    /// Requirement ids the case checks.
    pub requirements: Vec<String>,
    /// Passed, failed, errored or skipped.
    pub status: Status,
    /// Why: skip reason, error cause, or a one-line summary of the findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the case expected, in words (e.g. "refused with 000-002").
    pub expected: String,
    /// Check failures, sorted by check id.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Observations that do not fail the case (e.g. an assumption applied).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The request sent (secrets redacted). Boxed, like the response: a
    /// run keeps a brief of every case, and an empty slot costs a pointer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Box<RequestEvidence>>,
    /// The response received (secrets redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Box<ResponseEvidence>>,
    /// Every attempt, when the case was retried under flow control (000-007).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<super::Attempt>,
    /// Wall time of the case in milliseconds (whole, rounded down).
    pub duration_ms: u64,
    /// Wall time of the case in microseconds (reports show it to a
    /// hundredth of a millisecond).
    #[serde(default)]
    pub duration_us: u64,
    /// Why it errored or was skipped, typed (the words are in `reason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

impl CaseResult {
    /// An advisory case that failed or errored for what the gateway did:
    /// reported, it does not change the verdict (without `--strict`). A case
    /// that never ran (the target down, the run interrupted) is no finding.
    pub fn is_advisory_finding(&self) -> bool {
        self.severity == Severity::Advisory
            && matches!(self.status, Status::Failed | Status::Errored)
            && !matches!(
                self.cause,
                Some(Cause::NotRunUnreachable | Cause::Interrupted)
            )
    }
}

/// Why a case errored or was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Errored: connect, DNS or TLS failure.
    Unreachable,
    /// Errored: no complete answer within the timeout.
    Timeout,
    /// Errored: another transport failure (connection closed mid-body...).
    Transport,
    /// Errored: the run was interrupted before the case finished.
    Interrupted,
    /// Errored: not sent, the target was found unreachable before.
    NotRunUnreachable,
    /// Skipped: the run needs an input it was not given (`--callid`, `--other-guid`...).
    NeedsInput,
    /// Skipped: the control request was refused, so no case was sent.
    CredentialsRefused,
    /// Skipped: refused for authentication after the last good control
    /// request, or not sent after the session was lost.
    SessionLost,
    /// Skipped: still refused by flow control when its flow budget was spent.
    FlowControl,
    /// Skipped: the agent's sign-out failed or was refused, so the check
    /// after it could not run.
    SignOutFailed,
}

/// One check that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Finding {
    /// The check that did not hold, serialized as its id, e.g. `result.schema`.
    pub check: super::CheckId,
    /// What is wrong, pointing at the place.
    pub message: String,
    /// JSON pointer into the response body, for schema findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_path: Option<String>,
    /// JSON pointer into the schema, for schema findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_path: Option<String>,
}

/// A header as sent or received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Header name as sent or received.
    pub name: String,
    /// Value; credential headers are always `<redacted>`.
    pub value: String,
}

/// The request of a case, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEvidence {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path and query relative to the target's origin.
    pub path: String,
    /// Headers as sent, credentials redacted.
    pub headers: Vec<Header>,
    /// Body as text (lossy UTF-8), absent when no body was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// With `--sign-in`: the Guid generation the request carried (1 = the
    /// sign-in's Guid), never the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid_generation: Option<u32>,
}

/// The response of a case, as received (capped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseEvidence {
    /// HTTP status code.
    pub status: u16,
    /// Headers as received, credentials redacted.
    pub headers: Vec<Header>,
    /// Body as text (lossy UTF-8), cut to the evidence limit.
    pub body: String,
    /// Bytes received (up to the body cap).
    pub body_bytes: usize,
    /// True when the body in `body` is not the whole body received.
    pub truncated: bool,
    /// `retcode` of the envelope when the body was a JSON object with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retcode: Option<String>,
    /// `message` of the envelope, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Shape of the JSON body: its key paths with their JSON types, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shape: Vec<String>,
}

/// A comparison of this run (or of a NEW report) with a baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// Label of the baseline (its path, or its target and start time).
    pub baseline: String,
    /// Label of the compared report.
    pub current: String,
    /// One entry per case id in either report, sorted by id.
    pub cases: Vec<CaseChange>,
    /// How many cases of each kind.
    pub counts: BTreeMap<ChangeKind, usize>,
    /// What was compared: the two runs side by side (absent in comparisons
    /// written by earlier versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<ComparedRuns>,
    /// Why the two runs may not compare like for like: different profiles,
    /// different case selections (their cases show as added or removed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The baseline's verdict, as its reports state it (its headline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_verdict: Option<String>,
    /// The compared report's verdict, as its reports state it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_verdict: Option<String>,
}

/// The baseline and the current run of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComparedRuns {
    /// The earlier run (e.g. the old release).
    pub baseline: RunDigest,
    /// The run compared with it.
    pub current: RunDigest,
}

/// What a reader needs to know of one compared run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunDigest {
    /// `--label` of the run, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Base URL of the target.
    pub target: String,
    /// Start of the run, RFC 3339 UTC.
    pub started_at: String,
    /// Spec profile name.
    pub profile: String,
    /// Version of the tool that wrote the report.
    pub tool_version: String,
    /// The run's verdict.
    pub verdict: Verdict,
    /// How many cases the run had.
    pub cases: usize,
    /// Its `--only` pattern, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<String>,
}

/// How one case changed between two reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseChange {
    /// Case id.
    pub id: String,
    /// How it changed.
    pub kind: ChangeKind,
    /// The case in the baseline; absent for an added case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<CaseDigest>,
    /// The case in the compared report; absent for a removed case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<CaseDigest>,
    /// What differs, one line each (e.g. "retcode 000-002 -> 100-006").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// Kinds of change between a baseline and a new run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Failed (or errored) now, passed or skipped before.
    NewFailure,
    /// Passed now, failed before.
    Fixed,
    /// Failed before and now, for the same checks.
    StillFailing,
    /// Same verdict and same observed behaviour.
    Unchanged,
    /// Same verdict, different status code, retcode, message or shape.
    Changed,
    /// In the new report only.
    Added,
    /// In the baseline only.
    Removed,
}

/// What a comparison looks at in one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDigest {
    /// Status of the case.
    pub status: Status,
    /// HTTP status of the response, if one came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// `retcode` of the envelope, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retcode: Option<String>,
    /// `message` of the envelope, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Shape of the JSON body, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shape: Vec<String>,
    /// Check ids of the findings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_checks: Vec<super::CheckId>,
}
