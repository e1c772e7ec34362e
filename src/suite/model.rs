//! The raw, deserialized form of suite files (TOML), before checking.
//!
//! A case file (`suites/<suite>/<family>/<name>.toml`):
//!
//! ```toml
//! id = "method/get"
//! title = "GET is refused and never returns connection info"
//! severity = "required"             # or "advisory"
//! requirements = ["REQ-METHOD"]
//! catches = ["method-any"]          # reference-gateway faults this case must catch
//!
//! [request]                          # at most ONE change to the valid baseline request
//! method = "GET"
//!
//! [expect]
//! outcome = "not_served"
//! ```

use serde::{Deserialize, Serialize};

pub use crate::contract::{RawExpectations, RawPolicy, RawRetcodes, RawStatuses};

/// One case file as written. Optional keys stay `None` when absent, so that
/// [`serde_json::to_value`] of it is the file as the case schema sees it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCase {
    pub id: String,
    pub title: String,
    pub severity: crate::contract::Severity,
    pub requirements: Vec<String>,
    /// Names of reference-gateway faults that this case must catch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catches: Option<Vec<String>>,
    /// Free text shown in the report: why the case expects what it expects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// Send this case on a new connection, never a reused one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fresh_connection: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RawRequest>,
    pub expect: RawExpect,
}

/// The one change a case makes to the valid baseline request.
///
/// The baseline is: `POST {prefix}/agentgateway/resource/mediacall/{agent}/getconnectinfo`,
/// `Content-Type: application/json; charset=UTF-8`, `Guid: {guid}`, body
/// `{"callid": "${callid}", "userType": "agent"}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    /// HTTP method instead of POST.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The path segment instead of the configured agent id. Literal text, or a
    /// token: `${min}`, `${max}`, `${min-1}`, `${max+1}` (profile bounds),
    /// `${other_agent}` (another valid agent), `${agent}` with a prefix or
    /// suffix, e.g. `0${agent}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The Guid header value: literal text, or `<absent>`, `<unknown>` (well
    /// formed, never issued), `<other-agent>` (valid, of another agent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// The name under which the Guid header is sent (e.g. `guid`, `GUID`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid_header: Option<String>,
    /// The Content-Type header value, or `<absent>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The body as JSON text; strings `${callid}`, `${other_callid}`,
    /// `${unknown_callid}` are replaced by their values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_json: Option<String>,
    /// The body as raw text, sent as-is (may be empty or not JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_raw: Option<String>,
}

/// What must hold of the response.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    /// `served`, `refused`, `not_served`, `by_agent_id`, or `policy:<name>`.
    pub outcome: String,
    /// For refusals: name of the accepted retcode set (see expectations),
    /// e.g. `auth`, `invalid_parameter`, `call_refused`, `body_invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retcodes: Option<String>,
    /// Name of the accepted HTTP status set; defaults by outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
}

/// `requirements.toml` of a suite.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequirements {
    /// Suite name, e.g. `getconnectinfo`.
    pub suite: String,
    pub requirement: Vec<RawRequirement>,
}

/// One requirement of the interface documentation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequirement {
    pub id: String,
    pub title: String,
    /// Where the documentation states it (section, table and row).
    pub spec_ref: String,
    /// The documentation's own words, quoted.
    #[serde(default)]
    pub quote: Option<String>,
}
