//! The JSON report: the [`RunReport`] itself, pretty-printed, valid against
//! `schemas/report.schema.json` (`format_version` "1"). Keys keep the model's
//! field order; maps are sorted.
//!
//! ```json
//! {
//!   "format_version": "1",
//!   "tool": { "name": "ccgw-conformance", "version": "0.1.0" },
//!   "environment": { "target": "https://127.0.0.1:8043", "profile": "cec-23", ... },
//!   "interrupted": false,
//!   "summary": { "total": 12, "passed": 10, "failed": 1, ..., "verdict": "not_conformant" },
//!   "requirements": [ { "id": "REQ-METHOD", ..., "verdict": "conformant" } ],
//!   "cases": [ { "id": "method/get-refused", "status": "passed", ... } ]
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
