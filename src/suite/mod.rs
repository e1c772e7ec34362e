//! Suites: case files and requirements, loaded and checked before any request.

mod case;
mod load;
mod locate;
pub mod model;
mod parallel;
mod select;
#[cfg(unix)]
mod walk;

pub use case::*;
pub use load::{SuiteError, SuiteSource, load_expectations_file, load_suite};
pub use select::{SelectError, select};
