//! The checks: what must hold of a response, given what the case expects.
//!
//! Each check has a stable id (used in findings, JUnit and comparisons) and is
//! shown to catch a fault of the reference gateway by the fault-matrix tests.

mod evaluate;
mod internals;
mod json;
mod meaning;

pub use crate::report::CheckId;
pub use evaluate::{CheckContext, Expected, Observed, evaluate};
pub use internals::find_internals;
pub use json::{TABLE5_FIELDS, connection_info, duplicate_keys, shape};
