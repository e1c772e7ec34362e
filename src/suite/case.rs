//! Checked cases: what a case file means once it has been validated.

use crate::contract::{Expectations, PolicyName, Profile, RetcodeSetName, Severity, StatusSetName};
use serde_json::Value;

/// A checked suite, ready to run.
#[derive(Debug, Clone)]
pub struct Suite {
    /// Suite name, e.g. `getconnectinfo`.
    pub name: String,
    /// `embedded` or the folder it was loaded from.
    pub source: String,
    /// Requirements, sorted by id.
    pub requirements: Vec<Requirement>,
    /// Cases, sorted by id.
    pub cases: Vec<Case>,
    /// The documented defaults (`expectations.toml`).
    pub expectations: Expectations,
    /// Profiles by name, each with its expectations resolved at load.
    pub profiles: Vec<Profile>,
}

impl Suite {
    /// The profile named `name`.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// The documented expectations with `profile`'s overrides on top
    /// (resolved when the suite was loaded).
    pub fn expectations_for(&self, profile: &Profile) -> Expectations {
        profile.expectations.clone()
    }
}

/// A requirement of the interface documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub id: String,
    pub title: String,
    pub spec_ref: String,
    pub quote: Option<String>,
}

/// One checked case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// `family/name`, equal to the file's path in the suite.
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub requirements: Vec<String>,
    /// Faults of the reference gateway this case must catch.
    pub catches: Vec<String>,
    pub rationale: Option<String>,
    /// Sent on a new connection even when the run reuses connections: the
    /// case's point is the connection itself.
    pub fresh_connection: bool,
    /// The one change to the valid baseline request.
    pub change: Change,
    pub expect: Expect,
    /// The file it came from, relative to the suite.
    pub file: String,
}

impl Case {
    /// The order of a suite's cases: by id, then by file (ids are unique
    /// but for a file `x.toml.toml` next to `x.toml`; the file breaks the
    /// tie as a stable sort of the files' order would).
    pub(super) fn suite_order(a: &Case, b: &Case) -> std::cmp::Ordering {
        (&a.id, &a.file).cmp(&(&b.id, &b.file))
    }

    /// The family: the first segment of the id (the case's folder).
    pub fn family(&self) -> &str {
        self.id.split('/').next().unwrap_or_default()
    }
}

/// The one thing a case changes in the valid baseline request.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The baseline request itself.
    None,
    /// Another HTTP method.
    Method(String),
    /// Another path agent id: a template resolved at run time.
    AgentId(AgentIdTemplate),
    /// Another Guid value.
    Guid(GuidValue),
    /// The Guid header sent under another name.
    GuidHeader(String),
    /// Another Content-Type, or none (`None`).
    ContentType(Option<String>),
    /// Another JSON body; strings `${callid}`, `${other_callid}`,
    /// `${unknown_callid}` are placeholders.
    BodyJson(Value),
    /// A raw body, sent as-is.
    BodyRaw(String),
}

impl Change {
    /// What the change is, in words, for the report.
    pub fn describe(&self) -> String {
        match self {
            Change::None => "the valid baseline request".to_owned(),
            Change::Method(m) => format!("method {m}"),
            Change::AgentId(t) => format!("path agentid `{}`", t.0),
            Change::Guid(GuidValue::Absent) => "no Guid header".to_owned(),
            Change::Guid(GuidValue::Unknown) => {
                "a well-formed Guid that was never issued".to_owned()
            }
            Change::Guid(GuidValue::OtherAgent) => "the valid Guid of another agent".to_owned(),
            Change::Guid(GuidValue::Literal(v)) => format!("Guid `{v}`"),
            Change::GuidHeader(name) => format!("the Guid header sent as `{name}`"),
            Change::ContentType(None) => "no Content-Type header".to_owned(),
            Change::ContentType(Some(v)) => format!("Content-Type `{v}`"),
            Change::BodyJson(_) => "another JSON body".to_owned(),
            Change::BodyRaw(_) => "a raw body".to_owned(),
        }
    }
}

/// A path agent id as written: literal text with `${...}` tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentIdTemplate(pub String);

/// Tokens allowed in an agent id template.
pub const AGENT_ID_TOKENS: [&str; 6] = [
    "${agent}",
    "${other_agent}",
    "${min}",
    "${max}",
    "${min-1}",
    "${max+1}",
];

/// A Guid header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuidValue {
    Absent,
    /// Well formed, never issued.
    Unknown,
    /// Valid, of another agent.
    OtherAgent,
    Literal(String),
}

/// What must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// Served, refused, or decided at run time.
    pub outcome: OutcomeRule,
    /// The accepted retcode set for refusals (`retcodes.documented` when absent).
    pub retcodes: Option<RetcodeSetName>,
    /// The accepted HTTP status set; by outcome (`http.success`, `http.refusal`) when absent.
    pub http: Option<StatusSetName>,
}

/// The expected outcome as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeRule {
    Served,
    Refused,
    NotServed,
    /// Decided from the profile and the resolved agent id.
    ByAgentId,
    /// Decided by an expectation `policy.<name>`.
    Policy(PolicyName),
}
