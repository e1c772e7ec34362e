//! Baselines and comparison: what changed between two runs of the suite,
//! e.g. against the old and the new release of a gateway.
//!
//! ```text
//! report.json --load_report--> RunReport --+
//!                              RunReport --+--compare--> Comparison --render--> md / html / json
//! ```
//!
//! Only observed behaviour counts (status, HTTP status, retcode, message,
//! body shape, failed checks); durations, start times and redacted secrets
//! never do, so comparing a run with itself gives every case `unchanged`.

mod diff;
mod load;
mod write;

pub use diff::{FailOn, compare, digest, has_new_failures, report_label};
pub use load::{LoadError, load_report};
pub use write::write_comparison;

/// The comparison files' renderers (they live with the other renderers).
pub use crate::render::comparison as render;
pub use crate::render::comparison::render_files;
