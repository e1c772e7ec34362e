//! The way into a suite: a folder on every core (the walk), and one file
//! at a time where that cannot decide (embedded suites, other systems, and
//! any error, which the one-by-one load reports as it always has).

use super::Suite;
use super::load::{SuiteError, SuiteSource};
use crate::schemas::Schemas;

/// Loads and checks a suite. `known_faults` are the fault names a case may
/// list under `catches`.
pub fn load_suite(
    source: &SuiteSource,
    schemas: &Schemas,
    known_faults: &[&str],
) -> Result<Suite, SuiteError> {
    // A suite folder that loads, loads on every core; any error is found
    // again, and reported, by the one-by-one load below.
    #[cfg(unix)]
    if let SuiteSource::Dir(dir) = source {
        if let Some(suite) = super::walk::load_dir(dir, schemas, known_faults) {
            return Ok(suite);
        }
    }
    super::load::load_one_by_one(source, schemas, known_faults)
}
