//! Selecting the cases of a run: every case, or those whose id matches a glob.

use super::case::{Case, Suite};

/// Why no case could be selected.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// The pattern is not a glob.
    #[error("`{pattern}` is not a valid glob: {reason}")]
    BadPattern { pattern: String, reason: String },
    /// The pattern matches no case id.
    #[error("no case id matches `{pattern}`")]
    NoMatch { pattern: String },
}

/// The cases of `suite` whose id matches `only` (all when `None`), in suite
/// order; never empty.
pub fn select<'a>(suite: &'a Suite, only: Option<&str>) -> Result<Vec<&'a Case>, SelectError> {
    let Some(pattern) = only else {
        return Ok(suite.cases.iter().collect());
    };
    let glob = globset::Glob::new(pattern)
        .map_err(|e| SelectError::BadPattern {
            pattern: pattern.to_owned(),
            reason: e.kind().to_string(),
        })?
        .compile_matcher();
    let cases: Vec<&Case> = suite
        .cases
        .iter()
        .filter(|c| glob.is_match(&c.id))
        .collect();
    if cases.is_empty() {
        return Err(SelectError::NoMatch {
            pattern: pattern.to_owned(),
        });
    }
    Ok(cases)
}
