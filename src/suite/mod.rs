//! Suites: case files and requirements, loaded and checked before any request.

mod case;
mod entry;
mod load;
mod locate;
pub mod model;
mod parallel;
mod select;
#[cfg(unix)]
mod walk;

pub use case::*;
pub use entry::load_suite;
pub use load::{SuiteError, SuiteSource, load_expectations_file};
pub use select::{SelectError, select};
