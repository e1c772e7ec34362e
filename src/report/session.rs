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
    /// The session's requests, in order: the first and the last
    /// [`TIMELINE_KEPT`] in full when there were more.
    pub timeline: Vec<SessionEntry>,
    /// Requests left out of the middle of a long timeline (counted, not kept).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeline_omitted: u64,
    /// What the session took for granted or could not check (the Guid
    /// mode, rotation and expiry without declared timings); also among the
    /// report's assumptions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assumptions: Vec<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Requests of a session's timeline kept in full at each end.
pub const TIMELINE_KEPT: usize = 100;

/// Most characters of a gateway's text kept in a timeline entry (an event
/// type, a note).
pub const ENTRY_CHARS: usize = 256;

/// A session's timeline as it is recorded: bounded in memory whatever the
/// session's length (the first and the last [`TIMELINE_KEPT`] requests, the
/// rest counted), each entry's texts cut at [`ENTRY_CHARS`].
#[derive(Debug, Default)]
pub struct Timeline {
    first: Vec<SessionEntry>,
    last: std::collections::VecDeque<SessionEntry>,
    omitted: u64,
}

impl Timeline {
    /// Records one request: past the first [`TIMELINE_KEPT`], the oldest of
    /// the last ones kept is counted and let go.
    pub fn push(&mut self, mut entry: SessionEntry) {
        for text in [&mut entry.retcode, &mut entry.event_type, &mut entry.note]
            .into_iter()
            .flatten()
        {
            cut(text);
        }
        if self.first.len() < TIMELINE_KEPT {
            self.first.push(entry);
            return;
        }
        if self.last.len() == TIMELINE_KEPT {
            self.last.pop_front();
            self.omitted += 1;
        }
        self.last.push_back(entry);
    }

    /// The entries kept, in order, and how many were left out between them.
    pub fn kept(&self) -> (Vec<SessionEntry>, u64) {
        let entries = self.first.iter().chain(&self.last).cloned().collect();
        (entries, self.omitted)
    }
}

/// `text` cut to [`ENTRY_CHARS`] characters, with a mark that it was.
fn cut(text: &mut String) {
    if let Some((at, _)) = text.char_indices().nth(ENTRY_CHARS) {
        let len = text.chars().count();
        text.truncate(at);
        text.push_str(&format!("… ({len} characters)"));
    }
}

/// One request of the session.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
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

impl Attempt {
    /// What the attempt got, in a word: its retcode, else its HTTP status,
    /// else `no answer`.
    pub fn answer(&self) -> String {
        match (&self.retcode, self.http_status) {
            (Some(retcode), _) => retcode.clone(),
            (None, Some(status)) => format!("HTTP {status}"),
            (None, None) => "no answer".to_owned(),
        }
    }
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
    /// How long the attempt backed off after the refusal before it (not
    /// counting the pacing's wait for a slot), in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_timeline_keeps_both_ends_and_counts_the_rest() {
        let mut timeline = Timeline::default();
        for at_ms in 0..100_000u64 {
            timeline.push(SessionEntry {
                at_ms,
                request: "GET /agentgateway/resource/agentevent/1001".to_owned(),
                event_type: Some("x".repeat(200_000)),
                ..SessionEntry::default()
            });
        }
        let (kept, omitted) = timeline.kept();
        assert_eq!(kept.len(), 2 * TIMELINE_KEPT);
        assert_eq!(omitted, 100_000 - 2 * TIMELINE_KEPT as u64);
        assert_eq!(kept[TIMELINE_KEPT - 1].at_ms, TIMELINE_KEPT as u64 - 1);
        assert_eq!(kept[TIMELINE_KEPT].at_ms, 100_000 - TIMELINE_KEPT as u64);
        assert_eq!(kept.last().map(|e| e.at_ms), Some(99_999));
        let event = kept[0].event_type.as_deref().unwrap_or_default();
        assert!(event.len() < 300, "{}", event.len());
        assert!(event.ends_with("… (200000 characters)"));
    }
}
