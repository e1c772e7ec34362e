//! The agent session's part of the report: its own requests (sign-in, event
//! polls, sign-out) as a timeline, apart from the cases, and the attempts of
//! a case retried under flow control. Guids appear only as generation
//! numbers, never as values.

use serde::{Deserialize, Serialize};

/// What the run did to the agent (`run --sign-in`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionReport {
    /// The agent signed in.
    pub agent_id: String,
    /// `--force-login` was used (`.../forcelogin`).
    pub force_login: bool,
    /// Guid generations seen (1 = the sign-in's Guid).
    pub guid_generations: u32,
    /// The sign-out's answer: `signed out`, or why it was refused or not sent.
    pub sign_out: String,
    /// True when the sign-out was refused or failed.
    pub sign_out_refused: bool,
    /// The session's requests, in order.
    pub timeline: Vec<SessionEntry>,
}

/// One request of the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEntry {
    /// Milliseconds since the sign-in was sent.
    pub at_ms: u64,
    /// Method and path, e.g. `GET /agentgateway/resource/agentevent/1001`.
    pub request: String,
    /// HTTP status, when an answer came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The envelope's retcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retcode: Option<String>,
    /// The event type of a poll's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// The Guid generation the request carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid_generation: Option<u32>,
    /// Something worth a word: a new Guid generation, a transport error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One attempt of a case that was retried (flow control, 000-007).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1 for the first attempt.
    pub number: u32,
    /// HTTP status, when an answer came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The envelope's retcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retcode: Option<String>,
    /// The Guid generation the attempt carried (with `--sign-in`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid_generation: Option<u32>,
}
