//! The JSON report: the [`RunReport`] itself, pretty-printed, valid against
//! `schemas/report.schema.json` (`format_version` "1"). Keys keep the model's
//! field order; maps are sorted.
//!
//! From a run against the reference gateway with the fault `guid-optional`:
//!
//! ```json
//! {
//!   "format_version": "1",
//!   "tool": { "name": "ccgw-conformance", "version": "0.1.0" },
//!   "environment": { "target": "https://127.0.0.1:41103", "profile": "cec-23", ... },
//!   "interrupted": false,
//!   "summary": { "total": 52, "passed": 50, "failed": 2, ..., "verdict": "not_conformant" },
//!   "requirements": [ ..., { "id": "REQ-GUID", ..., "verdict": "not_conformant" }, ... ],
//!   "cases": [ ..., { "id": "guid/missing", "status": "failed", ... }, ... ]
//! }
//! ```

use crate::report::RunReport;

/// Renders the report as pretty-printed JSON with a trailing newline.
pub fn render(report: &RunReport) -> String {
    // The model is plain data (strings, numbers, enums, maps with string keys):
    // serializing it cannot fail.
    let mut out = serde_json::to_string_pretty(report).expect("the report model always serializes");
    out.push('\n');
    out
}
