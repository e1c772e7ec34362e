//! Reporters: pure functions from a [`RunReport`](crate::report::RunReport) to
//! text, one module per format, and [`write_all`] to put every format on disk.
//! Each format's `write` streams into an [`std::io::Write`] case by case
//! from a [`ReportView`] (cases read back one at a time when their evidence
//! was spilled); its `render` is the same bytes as a `String`.
//!
//! ```text
//! RunReport --json::render-----> report.json   (the data itself, schemas/report.schema.json)
//!           --junit::render----> junit.xml     (CI test tabs)
//!           --markdown::render-> report.md     (pull-request comment)
//!           --html::render-----> report.html   (self-contained page to sign off)
//! Comparison --comparison::{markdown,html,json}--> comparison.{md,html,json}
//!              (and the comparison sections of report.md and report.html)
//! ```
//!
//! Rendering never fails and never reads the clock: the same report always
//! renders to the same bytes. The report is already redacted, and reporters
//! only show what it holds.

pub mod comparison;
pub mod curl;
mod format;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
mod pretty;
mod session;
pub(crate) mod text;
pub use text::{
    attempts, case_duration, count, duration, flow_lines, is_failure_to_show, not_run_line, waited,
};
mod view;
mod write;

pub use format::Format;
pub use view::ReportView;
pub use write::{
    COMPARISON_FILES, REPORT_FILES, WriteError, prepare_out, write_all, write_report_set,
    write_report_view, write_set,
};

use std::io::{self, Write};

/// How much text a renderer gathers before it hands it to the writer.
const FLUSH_AT: usize = 64 * 1024;

/// Hands what `out` holds to `w` and empties it (after each case, so that
/// memory holds one case's text, not the file's).
fn flush(out: &mut String, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(out.as_bytes())?;
    out.clear();
    Ok(())
}

/// What `write` writes, as a string (a report in memory).
fn to_string(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
    let mut bytes = Vec::new();
    // Writing into memory cannot fail, and a report whose cases are all in
    // memory has nothing to read back.
    write(&mut bytes).expect("a report in memory renders into memory");
    String::from_utf8(bytes).expect("renderers write UTF-8")
}

/// The verdict in one line, as every report states it (control characters
/// made visible), for the console summary.
pub fn headline(report: &crate::report::RunReport) -> String {
    text::visible(&text::headline(report))
}
