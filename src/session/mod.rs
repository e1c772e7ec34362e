//! The agent session of `run --sign-in` (NOTES.md, "The agent session"):
//! sign-in, the event poll as heartbeat with the dynamic Guid, waiting for a
//! video call, sign-out, and the timeline of the session's own requests.

mod agent;
mod checks;
mod guid;
mod run;
#[cfg(feature = "gateway")]
mod selftest;

pub use agent::{Session, SessionError, SessionOptions, SignInBody};
pub use checks::{GUID_REFUSED, SESSION_CHECKS, SessionCheck};
pub use guid::{GuidSource, guid_of_set_guid};
pub use run::run_with_agent;
#[cfg(feature = "gateway")]
pub use selftest::{fast_dynamic, run_with_session};
