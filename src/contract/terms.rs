//! Terms that suites, runs and reports share: how much a case weighs, and
//! where an expectation came from. Both appear in the JSON report as they are
//! serialized here.

use serde::{Deserialize, Serialize};

/// Severity of a case: whether its failure fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Stated by the documentation: a failure fails the run.
    Required,
    /// Implied by the documentation: reported, does not fail the run.
    Advisory,
}

impl Severity {
    /// As in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Required => "required",
            Severity::Advisory => "advisory",
        }
    }
}

/// Where an expectation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectationSource {
    /// The suite's documented defaults (`expectations.toml`).
    Documentation,
    /// The profile's `[expectations]` table.
    Profile,
    /// A file given with `--expect`.
    File,
}
