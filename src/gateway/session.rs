//! The agent session of the reference gateway (NOTES.md, "The agent
//! session"): sign-in with a password check, forcelogin, the event long poll
//! with dynamic Guids, idle sign-out, sign-out, and the per-agent flow limit.
//!
//! - Static mode (`AUTHMODE=1`): a Guid lives until its agent signs out.
//! - Dynamic mode (`AUTHMODE=2`): a poll at least [`SessionConfig::guid_interval`]
//!   after the agent's current Guid was issued issues a new one; every poll
//!   returns the current Guid in `Set-GUID`. A Guid dies
//!   [`SessionConfig::guid_timeout`] after it was issued, and an agent that
//!   polls nothing for [`SessionConfig::idle_sign_out`] is signed out. The
//!   second configured agent ("other agent") is taken as kept alive
//!   elsewhere: its Guid neither rotates nor expires, until it signs in
//!   itself (`SessionConfig::other_signed_in` false: it starts signed out).
//! - Sign-in without a configured password is the open emulation of old:
//!   any body, no 100-002, earlier Guids stay valid. With a password: the
//!   body must be a JSON object with a string `password` (100-001), equal to
//!   the configured one (100-004), and an agent already signed in answers
//!   100-002 unless `.../forcelogin` is used (which ends the old session).
//! - Events: a sign-in queues `AgentOther_InService` and `AgentState_Ready`;
//!   a live video call of the agent queues `AgentEvent_RequestConnect` with
//!   the connection info and `callid`. The event of an empty poll is `null`
//!   (unpublished).
//! - Flow limit ([`FlowLimit`], changeable while the gateway runs), on the
//!   POST calls of getconnectinfo, each counted against the agent whose
//!   Guid it carries (else the path's agent id): either
//!   at most N calls of an agent per window (a sliding
//!   window of the accepted calls: a refused call does not count), the
//!   calls above answered 000-007 (or HTTP 429 with `Retry-After`, as a
//!   proxy in front of a gateway would); or every K-th call of an agent
//!   answered 000-007, the same request (method, path, headers, body) never
//!   refused twice in a row. The limit of a real gateway is unpublished.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::behaviour::SessionFaults;

pub(super) const SESSION_PREFIX: &str = "/agentgateway/resource/onlineagent/";
pub(super) const EVENT_PREFIX: &str = "/agentgateway/resource/agentevent/";
/// How often a waiting long poll looks for a new event.
pub(super) const POLL_TICK: Duration = Duration::from_millis(20);
/// Largest sign-in body read.
pub(super) const MAX_SIGN_IN_BODY: usize = 16 * 1024;

/// Most sign-ins kept; beyond it a sign-in is answered 100-007.
pub(crate) const MAX_SESSIONS: usize = 10_000;

/// What a Guid header value stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GuidLookup {
    /// Issued to this agent id.
    Issued(String),
    /// Never issued.
    Unknown,
}

/// How Guids are handed out (`AUTHMODE` in the gateway's basic.properties).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// `AUTHMODE=1`: one Guid per sign-in.
    #[default]
    Static,
    /// `AUTHMODE=2`: the Guid is replaced on polls and expires.
    Dynamic,
}

/// When the configured agent has a live video call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VideoCall {
    /// From the start (the documented default of the test bench).
    #[default]
    Live,
    /// Created this long after the agent signs in (with `PUT`).
    AfterSignIn(Duration),
    /// Never: the agent has no call.
    Never,
}

/// The session part of [`super::GatewayConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Static or dynamic Guids.
    pub auth_mode: AuthMode,
    /// Dynamic mode: age of the current Guid at which a poll replaces it
    /// (`GUIDINTERVAL`, 60 s).
    pub guid_interval: Duration,
    /// Dynamic mode: age at which a Guid dies (`GUIDTIMEOUT`, 120 s).
    pub guid_timeout: Duration,
    /// Dynamic mode: GUIDTIMEOUT counts from the Guid's replacement by the
    /// next one, not from its issue (the documentation allows both).
    pub timeout_from_replacement: bool,
    /// Dynamic mode: an agent that polls nothing this long is signed out (120 s).
    pub idle_sign_out: Duration,
    /// Longest wait of an event poll without an event (about 10 s).
    pub poll_wait: Duration,
    /// The sign-in password; `None`: sign-in is not checked (see the module doc).
    pub password: Option<String>,
    /// The configured agent is signed in from the start.
    pub agent_signed_in: bool,
    /// The second configured agent ("other agent") is signed in from the
    /// start, kept alive elsewhere (its Guid neither rotates nor expires);
    /// `false`: it signs in like the first one, and is then driven like it.
    pub other_signed_in: bool,
    /// When the configured agent has its live call.
    pub video_call: VideoCall,
    /// The flow limit of getconnectinfo calls, per agent.
    pub flow_limit: Option<FlowLimit>,
}

/// A per-agent flow limit of getconnectinfo (the agent is the path's
/// `{agentid}` segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowLimit {
    /// At most `calls` accepted calls in any `window`; the calls above are
    /// refused (not counted).
    Window {
        calls: u32,
        window: Duration,
        /// Refuse with HTTP 429 and `Retry-After` instead of 000-007.
        http_429: bool,
    },
    /// Every K-th call is answered 000-007; a retry is never refused twice.
    EveryKth(u32),
}

impl FlowLimit {
    /// `N/WINDOW` (`5/2s`, `5/s`, `10/1500ms`): at most N calls per window
    /// (answered 000-007 above it); or a plain `K`: every K-th call.
    pub fn parse(text: &str) -> Result<FlowLimit, String> {
        let bad = || {
            format!(
                "`{text}` is not a flow limit: N/WINDOW (at most N calls per window, e.g. 5/2s or 5/s) or K (every K-th call)"
            )
        };
        let Some((calls, window)) = text.trim().split_once('/') else {
            return match text.trim().parse::<u32>() {
                Ok(k) if k > 0 => Ok(FlowLimit::EveryKth(k)),
                _ => Err(bad()),
            };
        };
        let calls = calls
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(bad)?;
        let window = window.trim();
        let window = if window == "s" {
            Duration::from_secs(1)
        } else {
            humantime::parse_duration(window).map_err(|_| bad())?
        };
        if window.is_zero() {
            return Err(bad());
        }
        Ok(FlowLimit::Window {
            calls,
            window,
            http_429: false,
        })
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            auth_mode: AuthMode::Static,
            guid_interval: Duration::from_secs(60),
            guid_timeout: Duration::from_secs(120),
            timeout_from_replacement: false,
            idle_sign_out: Duration::from_secs(120),
            poll_wait: Duration::from_secs(10),
            password: None,
            agent_signed_in: true,
            other_signed_in: true,
            video_call: VideoCall::Live,
            flow_limit: None,
        }
    }
}

/// What the gateway knows of one agent's session, for tests and `serve`.
/// `Debug` shows how many Guids were issued, never their values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AgentSession {
    /// Signed in now.
    pub signed_in: bool,
    /// Sign-ins accepted (forcelogin included).
    pub sign_ins: u32,
    /// Sign-outs accepted (idle sign-outs included).
    pub sign_outs: u32,
    /// Event polls answered.
    pub polls: u32,
    /// Guids issued to the agent.
    pub guids_issued: u32,
    /// The agent has a live video call.
    pub has_call: bool,
    /// getconnectinfo calls refused with 000-007.
    pub flow_refusals: u32,
    /// Every Guid issued to the agent, oldest first (secrets: for tests that
    /// prove none of them leaks).
    pub guids: Vec<String>,
}

impl std::fmt::Debug for AgentSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentSession")
            .field("signed_in", &self.signed_in)
            .field("sign_ins", &self.sign_ins)
            .field("sign_outs", &self.sign_outs)
            .field("polls", &self.polls)
            .field("guids_issued", &self.guids_issued)
            .field("has_call", &self.has_call)
            .field("flow_refusals", &self.flow_refusals)
            .finish_non_exhaustive()
    }
}

pub(super) struct GuidRecord {
    pub(super) agent: String,
    pub(super) issued: Instant,
    /// When the next Guid of its agent replaced it.
    pub(super) replaced: Option<Instant>,
}

pub(super) struct AgentRecord {
    pub(super) view: AgentSession,
    /// Kept alive elsewhere: no rotation, no expiry, no idle sign-out.
    pub(super) exempt: bool,
    pub(super) last_seen: Instant,
    pub(super) current: Option<(String, Instant)>,
    pub(super) signed_in_at: Instant,
    pub(super) call_announced: bool,
    pub(super) events: VecDeque<Value>,
}

impl AgentRecord {
    pub(super) fn new(now: Instant, exempt: bool) -> Self {
        AgentRecord {
            view: AgentSession::default(),
            exempt,
            last_seen: now,
            current: None,
            signed_in_at: now,
            call_announced: false,
            events: VecDeque::new(),
        }
    }
}

#[derive(Default)]
pub(super) struct Book {
    pub(super) guids: HashMap<String, GuidRecord>,
    pub(super) agents: HashMap<String, AgentRecord>,
    /// The flow limit now (starts as the configured one).
    pub(super) flow_limit: Option<FlowLimit>,
    pub(super) flow_calls: HashMap<String, u64>,
    pub(super) flow_refused: HashSet<u64>,
    /// Accepted calls per agent, within the window (`FlowLimit::Window`).
    pub(super) flow_accepted: HashMap<String, VecDeque<Instant>>,
}

/// The session table of one running gateway.
pub(crate) struct Sessions {
    /// getconnectinfo calls that reached the flow limit's gate (for tests).
    pub(crate) calls: std::sync::atomic::AtomicU64,
    /// Of them, refused by the flow limit (every agent, every segment).
    pub(crate) refused: std::sync::atomic::AtomicU64,
    pub(super) config: SessionConfig,
    pub(super) faults: SessionFaults,
    pub(super) primary: String,
    pub(super) book: Mutex<Book>,
}

impl std::fmt::Debug for Sessions {
    // Guids are secrets: only the configuration is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("auth_mode", &self.config.auth_mode)
            .finish_non_exhaustive()
    }
}

impl Sessions {
    /// A table with the two configured agents and their Guids.
    pub(crate) fn new(
        config: SessionConfig,
        faults: SessionFaults,
        agent: (&str, &str),
        other: (&str, &str),
    ) -> Self {
        let now = Instant::now();
        let mut book = Book {
            flow_limit: config.flow_limit,
            ..Book::default()
        };
        for ((id, guid), exempt, signed_in) in [
            (agent, false, config.agent_signed_in),
            (other, config.other_signed_in, config.other_signed_in),
        ] {
            let mut record = AgentRecord::new(now, exempt);
            if signed_in {
                record.view.signed_in = true;
                record.view.guids_issued = 1;
                record.view.guids.push(guid.to_owned());
                record.current = Some((guid.to_owned(), now));
                book.guids.insert(
                    guid.to_owned(),
                    GuidRecord {
                        agent: id.to_owned(),
                        issued: now,
                        replaced: None,
                    },
                );
            }
            book.agents.insert(id.to_owned(), record);
        }
        Sessions {
            calls: std::sync::atomic::AtomicU64::new(0),
            refused: std::sync::atomic::AtomicU64::new(0),
            config,
            faults,
            primary: agent.0.to_owned(),
            book: Mutex::new(book),
        }
    }

    pub(super) fn dynamic(&self) -> bool {
        self.config.auth_mode == AuthMode::Dynamic
    }

    /// Changes the flow limit from the next call on (the counts so far are kept).
    pub(crate) fn set_flow_limit(&self, limit: Option<FlowLimit>) {
        if let Ok(mut book) = self.book.lock() {
            book.flow_limit = limit;
        }
    }

    /// Who `guid` was issued to, after idle sign-out and expiry; `None` if
    /// the table is unusable.
    pub(crate) fn lookup(&self, guid: &str) -> Option<GuidLookup> {
        let mut book = self.book.lock().ok()?;
        let now = Instant::now();
        let Some(record) = book.guids.get(guid) else {
            return Some(GuidLookup::Unknown);
        };
        let (owner, issued, replaced) = (record.agent.clone(), record.issued, record.replaced);
        self.idle_check(&mut book, &owner, now);
        let agent = book.agents.get(&owner)?;
        if !agent.view.signed_in && !self.faults.signed_out_served {
            return Some(GuidLookup::Unknown);
        }
        // GUIDTIMEOUT counted from the Guid's issue, or from its replacement
        // (the documentation allows both): a Guid never replaced lives on.
        let counted_from = if self.config.timeout_from_replacement {
            replaced
        } else {
            Some(issued)
        };
        let expired = self.dynamic()
            && !agent.exempt
            && counted_from.is_some_and(|from| now.duration_since(from) > self.config.guid_timeout)
            && !self.faults.guid_no_expiry;
        Some(if expired {
            GuidLookup::Unknown
        } else {
            GuidLookup::Issued(owner)
        })
    }

    /// Dynamic mode: signs out `agent` when it polled nothing for too long.
    pub(super) fn idle_check(&self, book: &mut Book, agent: &str, now: Instant) {
        let Some(record) = book.agents.get(agent) else {
            return;
        };
        if self.dynamic()
            && !record.exempt
            && record.view.signed_in
            && now.duration_since(record.last_seen) > self.config.idle_sign_out
        {
            self.sign_out_in(book, agent);
        }
    }

    pub(super) fn sign_out_in(&self, book: &mut Book, agent: &str) {
        if let Some(record) = book.agents.get_mut(agent) {
            record.view.signed_in = false;
            record.view.sign_outs += 1;
            record.current = None;
            record.events.clear();
        }
        if !self.faults.signed_out_served {
            book.guids.retain(|_, g| g.agent != agent);
        }
    }

    /// Whether `agent` has its live call now.
    pub(crate) fn has_call(&self, agent: &str) -> bool {
        if agent != self.primary {
            return true;
        }
        match self.config.video_call {
            VideoCall::Live => true,
            VideoCall::Never => false,
            VideoCall::AfterSignIn(_) => self
                .book
                .lock()
                .ok()
                .and_then(|b| b.agents.get(agent).map(|a| a.view.has_call))
                .unwrap_or(false),
        }
    }

    /// The session state of `agent`, if the gateway knows it.
    pub(crate) fn view(&self, agent: &str) -> Option<AgentSession> {
        let mut book = self.book.lock().ok()?;
        self.idle_check(&mut book, agent, Instant::now());
        let mut view = book.agents.get(agent)?.view.clone();
        view.has_call = self.has_call_in(&book, agent);
        Some(view)
    }

    pub(super) fn has_call_in(&self, book: &Book, agent: &str) -> bool {
        match self.config.video_call {
            VideoCall::AfterSignIn(_) if agent == self.primary => {
                book.agents.get(agent).is_some_and(|a| a.view.has_call)
            }
            VideoCall::Never if agent == self.primary => false,
            _ => true,
        }
    }
}
