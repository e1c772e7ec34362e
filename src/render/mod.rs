//! Reporters: pure functions from a [`RunReport`](crate::report::RunReport) to
//! text, one module per format, and [`write_all`] to put every format on disk.
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
mod write;

pub use format::Format;
pub use write::{
    COMPARISON_FILES, REPORT_FILES, WriteError, prepare_out, write_all, write_report_set, write_set,
};

/// The verdict in one line, as every report states it (control characters
/// made visible), for the console summary.
pub fn headline(report: &crate::report::RunReport) -> String {
    text::visible(&text::headline(report))
}
