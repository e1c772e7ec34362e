//! The agent session of `run --sign-in` (NOTES.md, "The agent session"):
//! sign-in, the event poll as heartbeat with the dynamic Guid, waiting for a
//! video call, sign-out, and the timeline of the session's own requests.

mod agent;
mod checks;
mod run;

pub use crate::runner::{GuidSource, guid_of_set_guid};
pub use agent::{Session, SessionError, SessionOptions, SignInBody};
pub use checks::{GUID_REFUSED, SESSION_CHECKS, SessionCheck};
pub use run::{Agents, SessionReports, run_with_agent, run_with_agent_into};
