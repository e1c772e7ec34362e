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

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::Value;

use super::agent_id::parse_strict;
use super::behaviour::SessionFaults;
use super::response::{self, Refusal};
use super::state::{GatewayState, GuidLookup, new_guid};

const SESSION_PREFIX: &str = "/agentgateway/resource/onlineagent/";
const EVENT_PREFIX: &str = "/agentgateway/resource/agentevent/";
/// How often a waiting long poll looks for a new event.
const POLL_TICK: Duration = Duration::from_millis(20);
/// Largest sign-in body read.
const MAX_SIGN_IN_BODY: usize = 16 * 1024;

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

struct GuidRecord {
    agent: String,
    issued: Instant,
    /// When the next Guid of its agent replaced it.
    replaced: Option<Instant>,
}

struct AgentRecord {
    view: AgentSession,
    /// Kept alive elsewhere: no rotation, no expiry, no idle sign-out.
    exempt: bool,
    last_seen: Instant,
    current: Option<(String, Instant)>,
    signed_in_at: Instant,
    call_announced: bool,
    events: VecDeque<Value>,
}

impl AgentRecord {
    fn new(now: Instant, exempt: bool) -> Self {
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
struct Book {
    guids: HashMap<String, GuidRecord>,
    agents: HashMap<String, AgentRecord>,
    /// The flow limit now (starts as the configured one).
    flow_limit: Option<FlowLimit>,
    flow_calls: HashMap<String, u64>,
    flow_refused: HashSet<u64>,
    /// Accepted calls per agent, within the window (`FlowLimit::Window`).
    flow_accepted: HashMap<String, VecDeque<Instant>>,
}

/// The session table of one running gateway.
pub(crate) struct Sessions {
    /// getconnectinfo calls that reached the flow limit's gate (for tests).
    pub(crate) calls: std::sync::atomic::AtomicU64,
    /// Of them, refused by the flow limit (every agent, every segment).
    pub(crate) refused: std::sync::atomic::AtomicU64,
    config: SessionConfig,
    faults: SessionFaults,
    primary: String,
    book: Mutex<Book>,
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

    fn dynamic(&self) -> bool {
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
    fn idle_check(&self, book: &mut Book, agent: &str, now: Instant) {
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

    fn sign_out_in(&self, book: &mut Book, agent: &str) {
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

    fn has_call_in(&self, book: &Book, agent: &str) -> bool {
        match self.config.video_call {
            VideoCall::AfterSignIn(_) if agent == self.primary => {
                book.agents.get(agent).is_some_and(|a| a.view.has_call)
            }
            VideoCall::Never if agent == self.primary => false,
            _ => true,
        }
    }
}

/// Routes `onlineagent/...` and `agentevent/...`; `Err` gives the request
/// back for the other routes.
pub(crate) async fn dispatch(state: &GatewayState, req: Request) -> Result<Response, Request> {
    let path = req.uri().path().to_owned();
    if let Some(rest) = path.strip_prefix(SESSION_PREFIX) {
        let (segment, action) = rest.split_once('/').unwrap_or((rest, ""));
        let method = req.method().clone();
        let response = match action {
            "" => sign_in(state, &method, segment, req, false).await,
            "forcelogin" => sign_in(state, &method, segment, req, true).await,
            "logout" | "forcelogout" => sign_out(state, &method, segment, req.headers()),
            _ => response::not_found(),
        };
        return Ok(response);
    }
    if let Some(segment) = path.strip_prefix(EVENT_PREFIX).filter(|s| !s.contains('/')) {
        return Ok(poll(state, req.method(), segment, req.headers()).await);
    }
    Err(req)
}

fn agent_of(state: &GatewayState, segment: &str) -> Result<String, Refusal> {
    parse_strict(segment)
        .filter(|id| state.sign_in_bounds.contains(*id))
        .map(|id| id.to_string())
        .ok_or(Refusal::INVALID_AGENT_ID)
}

/// `PUT .../onlineagent/{agentid}` and `.../forcelogin`.
async fn sign_in(
    state: &GatewayState,
    method: &Method,
    segment: &str,
    req: Request,
    force: bool,
) -> Response {
    if method != Method::PUT {
        return response::plain_refusal(Refusal::method("PUT"));
    }
    let agent = match agent_of(state, segment) {
        Ok(agent) => agent,
        Err(refusal) => return response::plain_refusal(refusal),
    };
    let sessions = &state.sessions;
    let body = axum::body::to_bytes(req.into_body(), MAX_SIGN_IN_BODY)
        .await
        .ok();
    if let Some(expected) = &sessions.config.password {
        let given = body
            .as_ref()
            .and_then(|b| serde_json::from_slice::<Value>(b).ok())
            .and_then(|v| v.get("password").and_then(Value::as_str).map(str::to_owned));
        match given {
            None => return response::plain_refusal(Refusal::SIGN_IN_PARAMETER),
            Some(given) if given != *expected => {
                return response::plain_refusal(Refusal::WRONG_PASSWORD);
            }
            Some(_) => {}
        }
    }
    let Ok(guid) = new_guid(&state.random, "AgentGateway0") else {
        return response::plain_refusal(Refusal::INTERNAL);
    };
    let Ok(mut book) = sessions.book.lock() else {
        return response::plain_refusal(Refusal::INTERNAL);
    };
    let now = Instant::now();
    sessions.idle_check(&mut book, &agent, now);
    let signed_in = book.agents.get(&agent).is_some_and(|a| a.view.signed_in);
    if sessions.config.password.is_some() && signed_in {
        if !force {
            return response::plain_refusal(Refusal::ALREADY_SIGNED_IN);
        }
        sessions.sign_out_in(&mut book, &agent);
    }
    if book.guids.len() >= super::state::MAX_SESSIONS {
        return response::plain_refusal(Refusal::INTERNAL);
    }
    book.guids.insert(
        guid.clone(),
        GuidRecord {
            agent: agent.clone(),
            issued: now,
            replaced: None,
        },
    );
    // The other agent's call is live from the start; the first one's may
    // come later (`VideoCall::AfterSignIn`).
    let live = sessions.has_call_in(&book, &agent)
        && (agent != sessions.primary
            || !matches!(sessions.config.video_call, VideoCall::AfterSignIn(_)));
    let record = book
        .agents
        .entry(agent.clone())
        .or_insert_with(|| AgentRecord::new(now, false));
    // Signed in here: driven here (its Guid rotates and expires).
    record.exempt = false;
    record.view.signed_in = true;
    record.view.sign_ins += 1;
    record.view.guids_issued += 1;
    record.view.guids.push(guid.clone());
    record.last_seen = now;
    record.signed_in_at = now;
    record.current = Some((guid.clone(), now));
    record.call_announced = false;
    record.events.clear();
    for event_type in ["AgentOther_InService", "AgentState_Ready"] {
        record
            .events
            .push_back(event(event_type, &agent, Value::Null));
    }
    drop(book);
    if live {
        announce_call(state, &agent);
    }
    response::signed_in(&guid)
}

fn event(event_type: &str, agent: &str, content: Value) -> Value {
    serde_json::json!({"eventType": event_type, "workNo": agent, "content": content})
}

/// Queues `AgentEvent_RequestConnect` for the agent's call (once per sign-in).
fn announce_call(state: &GatewayState, agent: &str) {
    let Some(callid) = [&state.agent, &state.other_agent]
        .into_iter()
        .find(|a| a.agent_id == agent)
        .map(|a| a.callid.clone())
    else {
        return;
    };
    let content = response::connect_info_value(state, agent, &callid);
    if let Ok(mut book) = state.sessions.book.lock()
        && let Some(record) = book.agents.get_mut(agent)
        && !record.call_announced
    {
        record.call_announced = true;
        record.view.has_call = true;
        record
            .events
            .push_back(event("AgentEvent_RequestConnect", agent, content));
    }
}

/// `DELETE .../onlineagent/{agentid}/logout` (and `forcelogout`).
fn sign_out(state: &GatewayState, method: &Method, segment: &str, headers: &HeaderMap) -> Response {
    if method != Method::DELETE {
        return response::plain_refusal(Refusal::method("DELETE"));
    }
    let agent = match agent_of(state, segment).and_then(|agent| guid_of(state, &agent, headers)) {
        Ok(agent) => agent,
        Err(refusal) => return response::plain_refusal(refusal),
    };
    let sessions = &state.sessions;
    if !sessions.faults.sign_out_ignored {
        let Ok(mut book) = sessions.book.lock() else {
            return response::plain_refusal(Refusal::INTERNAL);
        };
        sessions.sign_out_in(&mut book, &agent);
    }
    response::done()
}

/// The path agent, if the Guid header is a valid Guid of it.
fn guid_of(state: &GatewayState, agent: &str, headers: &HeaderMap) -> Result<String, Refusal> {
    let guid = headers
        .get("guid")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .filter(|g| !g.is_empty())
        .ok_or(Refusal::NOT_SIGNED_IN)?;
    match state.sessions.lookup(&guid).ok_or(Refusal::INTERNAL)? {
        GuidLookup::Issued(owner) if owner == agent => Ok(owner),
        GuidLookup::Issued(_) => Err(Refusal::NO_PERMISSION),
        GuidLookup::Unknown => Err(Refusal::NOT_SIGNED_IN),
    }
}

/// `GET .../agentevent/{agentid}`: the long poll, and the heartbeat.
async fn poll(
    state: &GatewayState,
    method: &Method,
    segment: &str,
    headers: &HeaderMap,
) -> Response {
    if method != Method::GET {
        return response::plain_refusal(Refusal::method("GET"));
    }
    let agent = match agent_of(state, segment).and_then(|agent| guid_of(state, &agent, headers)) {
        Ok(agent) => agent,
        Err(refusal) => return response::plain_refusal(refusal),
    };
    let sessions = &state.sessions;
    let started = Instant::now();
    let current = {
        let Ok(mut book) = sessions.book.lock() else {
            return response::plain_refusal(Refusal::INTERNAL);
        };
        let Some(current) = rotate(state, &mut book, &agent, started) else {
            return response::plain_refusal(Refusal::INTERNAL);
        };
        current
    };
    let event = loop {
        call_timer(state, &agent);
        let next = sessions.book.lock().ok().and_then(|mut book| {
            let record = book.agents.get_mut(&agent)?;
            record.last_seen = Instant::now();
            record.events.pop_front()
        });
        if next.is_some() || started.elapsed() >= sessions.config.poll_wait {
            break next;
        }
        tokio::time::sleep(POLL_TICK.min(sessions.config.poll_wait)).await;
    };
    let set_guid = sessions.dynamic().then_some(current.as_str());
    response::event(event, set_guid)
}

/// Counts the poll and, in dynamic mode, replaces an old enough Guid; gives
/// the agent's current Guid.
fn rotate(state: &GatewayState, book: &mut Book, agent: &str, now: Instant) -> Option<String> {
    let sessions = &state.sessions;
    let rotate = sessions.dynamic() && !sessions.faults.guid_not_rotated;
    let record = book.agents.get_mut(agent)?;
    record.view.polls += 1;
    record.last_seen = now;
    let due = match &record.current {
        Some((_, issued)) => {
            rotate && !record.exempt && now.duration_since(*issued) >= sessions.config.guid_interval
        }
        None => true,
    };
    if due {
        let guid = new_guid(&state.random, "AgentGateway0").ok()?;
        let previous = record.current.replace((guid.clone(), now));
        record.view.guids_issued += 1;
        record.view.guids.push(guid.clone());
        book.guids.insert(
            guid,
            GuidRecord {
                agent: agent.to_owned(),
                issued: now,
                replaced: None,
            },
        );
        if let Some(old) = previous.and_then(|(old, _)| book.guids.get_mut(&old)) {
            old.replaced = Some(now);
        }
    }
    book.agents
        .get(agent)?
        .current
        .as_ref()
        .map(|(g, _)| g.clone())
}

/// `VideoCall::AfterSignIn`: creates the call once its delay has passed.
fn call_timer(state: &GatewayState, agent: &str) {
    let VideoCall::AfterSignIn(delay) = state.sessions.config.video_call else {
        return;
    };
    let due = agent == state.sessions.primary
        && state.sessions.book.lock().ok().is_some_and(|book| {
            book.agents.get(agent).is_some_and(|a| {
                a.view.signed_in
                    && !a.call_announced
                    && a.view.sign_ins > 0
                    && a.signed_in_at.elapsed() >= delay
            })
        });
    if due {
        announce_call(state, agent);
    }
}

/// The flow limit in front of getconnectinfo: `Err` is the refusal (000-007,
/// or HTTP 429). With `FlowLimit::EveryKth` the body is read here, to
/// recognise a retry.
pub(crate) async fn flow_gate(
    state: &GatewayState,
    segment: &str,
    req: Request,
    max_body: usize,
) -> Result<Request, Response> {
    state
        .sessions
        .calls
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    // Only invocations of the interface count (POST): another method is
    // refused for its method, and a refusal of HEAD would have no body to
    // tell it by.
    let limit = state
        .sessions
        .book
        .lock()
        .ok()
        .and_then(|b| b.flow_limit)
        .filter(|l| req.method() == Method::POST && *l != FlowLimit::EveryKth(0));
    let Some(limit) = limit else {
        return Ok(req);
    };
    // Counted against the agent whose Guid the call carries, else the path's.
    let guid = req
        .headers()
        .get("guid")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let owner = match guid.and_then(|g| state.sessions.lookup(&g)) {
        Some(GuidLookup::Issued(owner)) => owner,
        _ => segment.to_owned(),
    };
    let segment = owner.as_str();
    let gated = match limit {
        FlowLimit::Window {
            calls,
            window,
            http_429,
        } => window_gate(state, segment, calls, window)
            .map(|()| req)
            .map_err(|retry_after| {
                if http_429 {
                    response::too_many_requests(retry_after)
                } else {
                    response::plain_refusal(Refusal::FLOW_LIMIT)
                }
            }),
        FlowLimit::EveryKth(every) => every_kth_gate(state, segment, every, req, max_body).await,
    };
    if gated.is_err() {
        state
            .sessions
            .refused
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    gated
}

/// `FlowLimit::Window`: `Err` with the time until a call is accepted again.
fn window_gate(
    state: &GatewayState,
    segment: &str,
    calls: u32,
    window: Duration,
) -> Result<(), Duration> {
    let Ok(mut book) = state.sessions.book.lock() else {
        return Ok(());
    };
    let now = Instant::now();
    if book.flow_accepted.len() >= super::state::MAX_SESSIONS {
        // Bounded whatever the segments sent: idle agents are forgotten.
        book.flow_accepted.retain(|_, calls| {
            calls
                .back()
                .is_some_and(|at| now.duration_since(*at) < window)
        });
    }
    let accepted = book.flow_accepted.entry(segment.to_owned()).or_default();
    while accepted
        .front()
        .is_some_and(|at| now.duration_since(*at) >= window)
    {
        accepted.pop_front();
    }
    if accepted.len() < calls as usize {
        accepted.push_back(now);
        return Ok(());
    }
    let free_at = accepted.front().map_or(Duration::ZERO, |oldest| {
        window.saturating_sub(now.duration_since(*oldest))
    });
    if let Some(record) = book.agents.get_mut(segment) {
        record.view.flow_refusals += 1;
    }
    Err(free_at)
}

/// `FlowLimit::EveryKth`.
async fn every_kth_gate(
    state: &GatewayState,
    segment: &str,
    every: u32,
    req: Request,
    max_body: usize,
) -> Result<Request, Response> {
    let (parts, body) = req.into_parts();
    // A body over the limit is passed on empty: still an invalid body.
    let bytes = axum::body::to_bytes(body, max_body)
        .await
        .unwrap_or_default();
    let mut hasher = DefaultHasher::new();
    parts.method.as_str().hash(&mut hasher);
    parts.uri.path().hash(&mut hasher);
    for (name, value) in &parts.headers {
        name.as_str().hash(&mut hasher);
        value.as_bytes().hash(&mut hasher);
    }
    bytes.hash(&mut hasher);
    let fingerprint = hasher.finish();
    let refused = state.sessions.book.lock().ok().is_some_and(|mut book| {
        let calls = book.flow_calls.entry(segment.to_owned()).or_insert(0);
        *calls += 1;
        let nth = *calls % u64::from(every) == 0;
        if book.flow_refused.remove(&fingerprint) || !nth {
            return false;
        }
        book.flow_refused.insert(fingerprint);
        if let Some(record) = book.agents.get_mut(segment) {
            record.view.flow_refusals += 1;
        }
        true
    });
    if refused {
        return Err(response::plain_refusal(Refusal::FLOW_LIMIT));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}
