//! The agent session's routes of the reference gateway: sign-in and
//! forcelogin, the event long poll (and the Guid rotation it drives),
//! sign-out, and the flow gate in front of getconnectinfo. What they read and
//! change is the book of sessions (`session.rs`).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::Value;

use super::agent_id::parse_strict;
use super::draw::new_guid;
use super::response::{self, Refusal};
use super::session::{
    AgentRecord, Book, EVENT_PREFIX, FlowLimit, GuidLookup, GuidRecord, MAX_SESSIONS,
    MAX_SIGN_IN_BODY, POLL_TICK, SESSION_PREFIX, VideoCall,
};
use super::state::GatewayState;

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
    if book.guids.len() >= MAX_SESSIONS {
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
    if book.flow_accepted.len() >= MAX_SESSIONS {
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
