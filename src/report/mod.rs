//! The run report: plain data collected from the runner's results, rendered by
//! `crate::render` and compared by `crate::compare`.
//!
//! Everything here is serde data with a stable order (cases sorted by id,
//! findings sorted by check), so that two runs of the same target serialize the
//! same apart from durations and the start time.

// The report model is the public JSON format: every public item says what it is.
#![warn(missing_docs)]

mod change_kind;
mod check;
mod collect;
mod expectations;
mod inputs;
mod model;
mod session;
mod spill;

pub use check::{CheckId, UnknownCheckId};
pub use collect::{assemble, assemble_spilled, display_target, headline, summarize};
pub use inputs::{PlanFacts, RunInfo, RunResults};
pub use model::*;
pub use session::{Attempt, ENTRY_CHARS, SessionEntry, SessionReport, TIMELINE_KEPT, Timeline};
pub use spill::{CaseEvidence, CaseResults};
