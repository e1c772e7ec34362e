//! Running the suite against the embedded reference gateway: the main
//! command's default target, the per-case tests and the fault matrix.

mod embedded;
#[cfg(feature = "gateway")]
mod matrix;
mod options;
#[cfg(feature = "gateway")]
mod run;
#[cfg(feature = "gateway")]
mod session;
mod table;
pub use embedded::redactor_for;
#[cfg(feature = "gateway")]
pub use embedded::{Embedded, start_embedded, start_embedded_with};
#[cfg(feature = "gateway")]
pub use matrix::{
    FaultRun, FaultRunError, FaultRunFinished, FaultRuns, PARALLEL_RUNS, run_fault_matrix,
};
#[cfg(feature = "gateway")]
pub use options::SelfTestError;
pub use options::SelfTestOptions;
#[cfg(feature = "gateway")]
pub use run::run_embedded;
#[cfg(feature = "gateway")]
pub use session::fast_dynamic;
pub use table::{FaultMatrix, FaultRow, cases_by_fault, fault_row};
