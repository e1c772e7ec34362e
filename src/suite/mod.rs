//! Suites: case files and requirements, loaded and checked before any request.

mod case;
mod load;
mod locate;
pub mod model;
mod parallel;

pub use case::*;
pub use load::{SuiteError, SuiteSource, load_expectations_file, load_suite};

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(name, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
