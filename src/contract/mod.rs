//! The contract as data: what the documentation fixes and what it leaves
//! open. Profiles hold the parts that vary by gateway release; expectations
//! hold the accepted answers, each with where it came from. Suites, runs and
//! reports build on these terms; this module builds on none of them.

mod error;
mod expectations;
mod profile;
mod raw;
mod terms;

pub use error::ContractError;
pub use expectations::{
    Builtin, Expectation, ExpectationValue, Expectations, Kind, Name, OutcomePolicy, Policy,
    PolicyName, RetcodeSetName, Retcodes, StatusSet, StatusSetName, Statuses,
};
pub use profile::{Profile, RawAgentIdRange, RawProfile};
pub use raw::{RawExpectations, RawPolicy, RawRetcodes, RawStatuses};
pub use terms::{ExpectationSource, Severity};
