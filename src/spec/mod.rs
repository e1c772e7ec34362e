//! What the documentation fixes and what it leaves open: spec profiles (the
//! parts of the contract that vary by gateway release) and expectations (the
//! accepted answers, with where each came from).

mod expectations;
mod profile;

pub use expectations::{Expectation, ExpectationValue, Expectations, OutcomePolicy, StatusSet};
pub use profile::{Profile, RawAgentIdRange, RawProfile};
