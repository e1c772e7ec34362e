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

use super::ReportView;
use crate::report::{
    AgentFlow, Assessment, Comparison, Environment, RequirementResult, RunReport, SessionReport,
    Summary, ToolInfo,
};
use serde::Serialize;
use serde::ser::{Error as _, SerializeSeq as _};
use std::io::{self, Write};

/// Renders the report as pretty-printed JSON with a trailing newline.
pub fn render(report: &RunReport) -> String {
    super::to_string(|out| write(&ReportView::new(report), out))
}

/// Writes the report as pretty-printed JSON with a trailing newline, one
/// case at a time: the same bytes as the model serialized whole.
pub fn write(view: &ReportView<'_>, out: &mut dyn Write) -> io::Result<()> {
    // Every field of the model, in its order: a new field fails to compile here.
    let RunReport {
        format_version,
        tool,
        environment,
        interrupted,
        summary,
        requirements,
        cases: _,
        comparison,
        session,
        other_session,
        flow_control,
        assessment,
    } = view.report();
    let head = Streamed {
        format_version,
        tool,
        environment,
        interrupted: *interrupted,
        summary,
        requirements,
        cases: Cases(view),
        comparison: comparison.as_ref(),
        session: session.as_ref(),
        other_session: other_session.as_ref(),
        flow_control,
        assessment,
    };
    let mut out = io::BufWriter::new(out);
    serde_json::to_writer_pretty(&mut out, &head)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// [`RunReport`] with its cases serialized from the view, one at a time.
#[derive(Serialize)]
struct Streamed<'a> {
    format_version: &'a str,
    tool: &'a ToolInfo,
    environment: &'a Environment,
    interrupted: bool,
    summary: &'a Summary,
    requirements: &'a [RequirementResult],
    cases: Cases<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comparison: Option<&'a Comparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<&'a SessionReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    other_session: Option<&'a SessionReport>,
    #[serde(skip_serializing_if = "<[AgentFlow]>::is_empty")]
    flow_control: &'a [AgentFlow],
    assessment: &'a Assessment,
}

struct Cases<'a>(&'a ReportView<'a>);

impl Serialize for Cases<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let n = self.0.report().cases.len();
        let mut seq = serializer.serialize_seq(Some(n))?;
        for index in 0..n {
            let case = self.0.case(index).map_err(S::Error::custom)?;
            seq.serialize_element(&*case)?;
        }
        seq.end()
    }
}
