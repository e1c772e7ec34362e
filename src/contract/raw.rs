//! Expectations as written: `expectations.toml`, a profile's `[expectations]`
//! table, or a file given with `--expect`, before they are checked.

use serde::Deserialize;

/// An expectations file (`expectations.toml`, a profile's `[expectations]`,
/// or `--expect FILE`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpectations {
    #[serde(default)]
    pub retcodes: std::collections::BTreeMap<String, RawRetcodes>,
    #[serde(default)]
    pub http: std::collections::BTreeMap<String, RawStatuses>,
    #[serde(default)]
    pub policy: std::collections::BTreeMap<String, RawPolicy>,
}

/// `[retcodes.<name>]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetcodes {
    pub codes: Vec<String>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// `[http.<name>]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStatuses {
    pub statuses: Vec<String>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// `[policy.<name>]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub outcome: super::OutcomePolicy,
    #[serde(default)]
    pub reference: Option<String>,
}
