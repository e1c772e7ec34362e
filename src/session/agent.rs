//! Driving one agent: sign-in (`PUT .../onlineagent/{agentid}`, or
//! `.../forcelogin`), the background event poll (`GET .../agentevent/{agentid}`,
//! a pause of [`SessionOptions::poll_pause`] between polls) whose `Set-GUID`
//! feeds the [`GuidSource`], the `AgentEvent_RequestConnect` callid, and the
//! sign-out (`DELETE .../onlineagent/{agentid}/logout`). Every request goes
//! into the timeline, with the Guid generation and never a secret.

use super::checks::{
    EXPIRED_GUID_REFUSED, GUID_REFUSED, GUID_ROTATED, SIGNED_OUT_REFUSED, SessionCheck,
};
use crate::redact::Redactor;
use crate::report::{CaseResult, SessionEntry, SessionReport, Status, Timeline};
use crate::runner::{Clients, ConnectionPolicy, Prepared, Target};
use crate::runner::{DEFAULT_FLOW_BUDGET, Pacing, Retrying, is_flow_refusal, retry_after};
use crate::runner::{GuidSource, guid_of_set_guid};
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Largest answer read from a session route.
const BODY_CAP: usize = 256 * 1024;
/// Pause after a poll that failed, so a broken gateway is not hammered.
const FAILED_POLL_PAUSE: Duration = Duration::from_secs(1);
/// Safety net on top of the computed wait of a session check.
const CHECK_SLACK: Duration = Duration::from_secs(2);
/// The documented default Guid interval (`GUIDINTERVAL`, dynamic mode).
pub const DOCUMENTED_GUID_INTERVAL: Duration = Duration::from_secs(60);
/// The documented default Guid timeout (`GUIDTIMEOUT`, dynamic mode).
pub const DOCUMENTED_GUID_TIMEOUT: Duration = Duration::from_secs(120);

/// The sign-in body besides `password`: `phonenum`, `agenttype`, `status`,
/// ... (cec_07_1224). Empty by default: the gateway's documented defaults
/// apply (agenttype 4, PC+phone).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignInBody(pub Map<String, Value>);

impl SignInBody {
    /// Reads a JSON object from `path`; a mistake names the file, line and
    /// column, and a `password` key is refused (it has its own sources).
    pub fn from_file(path: &Path) -> Result<SignInBody, SessionError> {
        let bad = |why: String| SessionError::BodyFile(format!("{}: {why}", path.display()));
        let text = crate::input::read_text_capped(path, crate::input::CONFIG_LIMIT)
            .map_err(|e| SessionError::BodyFile(crate::console::chain(&e)))?;
        let text = text.trim_start_matches('\u{feff}');
        let value: Value = serde_json::from_str(text)
            .map_err(|e| bad(format!("{}:{}: {e}", e.line(), e.column())))?;
        let Value::Object(map) = value else {
            return Err(bad("expected a JSON object of sign-in fields".to_owned()));
        };
        if map.contains_key("password") {
            return Err(bad(
                "key `password`: give it with --password-file or CCGW_PASSWORD instead".to_owned(),
            ));
        }
        Ok(SignInBody(map))
    }
}

/// How to drive the session.
#[derive(Clone)]
pub struct SessionOptions {
    /// The agent to sign in.
    pub agent_id: String,
    /// The sign-in password (a secret; may be empty).
    pub password: String,
    /// The other sign-in fields.
    pub body: SignInBody,
    /// Use `.../forcelogin` (signs out a session elsewhere).
    pub force_login: bool,
    /// Pause between two polls (documented: 200-500 ms).
    pub poll_pause: Duration,
    /// Timeout of one request; a poll waits up to about 10 s for an event.
    pub timeout: Duration,
    /// Longest time the gateway holds a poll without an event (about 10 s).
    pub long_poll: Duration,
    /// The gateway's declared Guid interval: enables `session/guid-rotated`.
    pub guid_interval: Option<Duration>,
    /// The gateway's declared Guid timeout: enables `session/expired-guid-refused`.
    pub guid_timeout: Option<Duration>,
    /// The run's per-agent pacing: a session check's getconnectinfo is
    /// paced like the cases' and sent again while refused by flow control.
    pub pacing: Pacing,
    /// How long a session check may keep being refused by flow control.
    pub flow_budget: Duration,
    /// The session is the other agent's (its Guid and callid are shown as
    /// `<other-guid>` and `<other-callid>`).
    pub other_agent: bool,
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("agent_id", &self.agent_id)
            .field("force_login", &self.force_login)
            .finish_non_exhaustive()
    }
}

impl SessionOptions {
    /// The documented pacing for `agent_id` with `password`.
    pub fn new(agent_id: &str, password: &str) -> SessionOptions {
        SessionOptions {
            agent_id: agent_id.to_owned(),
            password: password.to_owned(),
            body: SignInBody::default(),
            force_login: false,
            poll_pause: Duration::from_millis(300),
            timeout: Duration::from_secs(30),
            long_poll: Duration::from_secs(10),
            guid_interval: None,
            guid_timeout: None,
            pacing: Pacing::new(None),
            flow_budget: DEFAULT_FLOW_BUDGET,
            other_agent: false,
        }
    }
}

/// Why the session could not start.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The sign-in body file is unusable.
    #[error("read the sign-in body file {0}")]
    BodyFile(String),
    /// The HTTP client could not be built.
    #[error("build the session's HTTP client: {0}")]
    Client(String),
    /// 100-002: signed in elsewhere.
    #[error(
        "sign in agent {0}: it is already signed in elsewhere (100-002); --force-login takes the session over"
    )]
    AlreadySignedIn(String),
    /// Another refusal.
    #[error(
        "sign in agent {agent}: refused with retcode {retcode}{}",
        said(message)
    )]
    Refused {
        agent: String,
        retcode: String,
        message: String,
    },
    /// The answer is not the gateway's JSON envelope.
    #[error(
        "sign in agent {agent}: the answer is not a JSON envelope with a retcode (HTTP {status}, {content_type}); \
         is --target the CC-Gateway's address?"
    )]
    NotEnvelope {
        agent: String,
        status: u16,
        content_type: String,
    },
    /// Success without a `Set-GUID` header.
    #[error("sign in agent {0}: the answer carries no Set-GUID header")]
    NoGuid(String),
    /// No answer.
    #[error("sign in agent {agent}: {message}")]
    Transport { agent: String, message: String },
}

/// ` ("message")` after a retcode, or nothing for an empty message.
fn said(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" ({message})")
    }
}

impl SessionError {
    /// Whether the sign-in got no answer at all (a closed port, a silent
    /// gateway, a refused TLS handshake): the target is down, not a mistake
    /// of the input.
    pub fn is_no_answer(&self) -> bool {
        matches!(self, SessionError::Transport { .. })
    }
}

struct Shared {
    clients: Clients,
    target: Target,
    options: SessionOptions,
    redactor: Redactor,
    guid: GuidSource,
    /// The sign-in's Guid (generation 1), for the expiry check.
    first_guid: String,
    /// When generation 2 replaced it (one reading of GUIDTIMEOUT counts from there).
    first_replaced: Mutex<Option<Instant>>,
    started: Instant,
    timeline: Mutex<Timeline>,
    call: watch::Sender<Option<String>>,
    /// A poll's answer carried `Set-GUID`: the gateway hands out dynamic
    /// Guids (`AUTHMODE=2`).
    saw_set_guid: std::sync::atomic::AtomicBool,
}

/// A signed-in agent, polling in the background until [`Session::finish`].
pub struct Session {
    shared: Arc<Shared>,
    poller: Option<JoinHandle<()>>,
}

/// One answer of a session route.
struct Answer {
    status: u16,
    /// The `Content-Type` header, when there was one.
    content_type: Option<String>,
    retcode: Option<String>,
    message: Option<String>,
    set_guid: Option<String>,
    /// The delay a `Retry-After` header asks for.
    retry_after: Option<Duration>,
    json: Value,
}

impl Answer {
    /// Refused by flow control: 000-007, HTTP 429, or 503 with `Retry-After`.
    fn flow_refused(&self) -> bool {
        is_flow_refusal(self.status, self.retcode.as_deref(), self.retry_after)
    }
}

impl Shared {
    fn prepared(
        &self,
        method: &str,
        path: String,
        guid: Option<String>,
        body: Option<Vec<u8>>,
    ) -> Prepared {
        let mut headers = vec![(
            "Content-Type".to_owned(),
            "application/json; charset=UTF-8".to_owned(),
        )];
        if let Some(guid) = guid {
            headers.push(("Guid".to_owned(), guid));
        }
        Prepared {
            method: method.to_owned(),
            path,
            headers,
            body,
            lowercase_names: false,
            agent_id: self.options.agent_id.clone(),
        }
    }

    async fn send(&self, request: &Prepared) -> Result<Answer, String> {
        self.send_within(request, self.options.timeout).await
    }

    /// [`Shared::send`] with its own timeout (an event poll may be held
    /// for the long poll's wait before it answers).
    async fn send_within(&self, request: &Prepared, timeout: Duration) -> Result<Answer, String> {
        let raw = self
            .clients
            .send(&self.target, request, false, timeout, BODY_CAP)
            .await
            .map_err(|e| self.redactor.text(&e.message))?;
        let json: Value = serde_json::from_slice(&raw.body).unwrap_or(Value::Null);
        let text = |key: &str| {
            json.get(key)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        };
        let set_guid = raw
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("set-guid"))
            .and_then(|(_, v)| guid_of_set_guid(v).map(str::to_owned));
        let content_type = raw
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| self.redactor.value(v));
        let retry_after = raw
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
            .map(|(_, v)| retry_after(v));
        Ok(Answer {
            status: raw.status,
            content_type,
            retcode: text("retcode"),
            message: text("message"),
            set_guid,
            retry_after,
            json,
        })
    }

    fn record(
        &self,
        request: &Prepared,
        answer: Result<&Answer, &str>,
        generation: Option<u32>,
        note: Option<String>,
    ) {
        let entry = SessionEntry {
            at_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            request: format!("{} /{}", request.method, request.path),
            http_status: answer.ok().map(|a| a.status),
            retcode: answer
                .ok()
                .and_then(|a| a.retcode.as_deref().map(|r| self.redactor.value(r))),
            event_type: answer.ok().and_then(|a| {
                a.json
                    .pointer("/event/eventType")
                    .and_then(Value::as_str)
                    .map(|t| self.redactor.text(t))
            }),
            guid_generation: generation,
            note: note
                .or_else(|| answer.err().map(str::to_owned))
                .map(|n| self.redactor.text(&n)),
        };
        if let Ok(mut timeline) = self.timeline.lock() {
            timeline.push(entry);
        }
    }

    /// One poll: the new Guid and the call are taken, the entry recorded.
    /// `false` when it failed.
    async fn poll_once(&self) -> bool {
        let (guid, generation) = self.guid.current();
        let request = self.prepared(
            "GET",
            format!("agentgateway/resource/agentevent/{}", self.options.agent_id),
            Some(guid),
            None,
        );
        let within = self.options.long_poll + self.options.timeout;
        match self.send_within(&request, within).await {
            Ok(answer) => {
                let mut note = None;
                if answer.set_guid.is_some() {
                    self.saw_set_guid
                        .store(true, std::sync::atomic::Ordering::SeqCst);
                }
                if let Some(new) = answer.set_guid.as_deref().and_then(|g| self.guid.offer(g)) {
                    note = Some(format!("new Guid: generation {new}"));
                    if new == 2
                        && let Ok(mut replaced) = self.first_replaced.lock()
                    {
                        replaced.get_or_insert_with(Instant::now);
                    }
                }
                if answer
                    .json
                    .pointer("/event/eventType")
                    .and_then(Value::as_str)
                    == Some("AgentEvent_RequestConnect")
                    && let Some(callid) = answer
                        .json
                        .pointer("/event/content/callid")
                        .and_then(Value::as_str)
                {
                    let placeholder = if self.options.other_agent {
                        "<other-callid>"
                    } else {
                        "<callid>"
                    };
                    self.redactor.add_secret(callid, placeholder);
                    self.call.send_replace(Some(callid.to_owned()));
                }
                let ok = answer.retcode.as_deref() == Some("0");
                self.record(&request, Ok(&answer), Some(generation), note);
                ok
            }
            Err(message) => {
                self.record(&request, Err(&message), Some(generation), None);
                false
            }
        }
    }
}

impl Shared {
    /// Sends getconnectinfo with `guid` and expects a Guid refusal.
    async fn check_refused(
        &self,
        check: SessionCheck,
        guid: String,
        generation: u32,
        when: &str,
    ) -> CaseResult {
        let callid = self
            .call
            .borrow()
            .clone()
            .unwrap_or_else(|| crate::runner::EXAMPLE_CALLID.to_owned());
        let body = serde_json::json!({"callid": callid, "userType": "agent"});
        let request = self.prepared(
            "POST",
            format!(
                "agentgateway/resource/mediacall/{}/getconnectinfo",
                self.options.agent_id
            ),
            Some(guid),
            Some(body.to_string().into_bytes()),
        );
        let expected = format!("refused with {}", GUID_REFUSED.join(" or "));
        let note = Some(format!("{}: Guid generation {generation} {when}", check.id));
        // Flow control is no answer to the check: paced like the cases, and
        // sent again after a backoff while refused, within the budget.
        let mut retrying = Retrying::new(
            &self.options.pacing,
            self.options.agent_id.clone(),
            self.options.flow_budget,
        );
        let sent = loop {
            retrying.slot().await;
            let sent = self.send(&request).await;
            let refused = sent.as_ref().ok().filter(|a| a.flow_refused());
            if !retrying.again(refused.map(|a| a.retry_after)) {
                break sent;
            }
            if let Some(answer) = refused {
                self.record(&request, Ok(answer), Some(generation), note.clone());
            }
        };
        let refusals = retrying.refusals();
        match sent {
            Ok(answer) if answer.flow_refused() => {
                self.record(&request, Ok(&answer), Some(generation), note);
                let mut result = check.result(
                    Status::Skipped,
                    &expected,
                    Some(format!(
                        "not assessed (flow control): still refused after {refusals} attempts within the flow budget of {} ms",
                        self.options.flow_budget.as_millis()
                    )),
                );
                result.cause = Some(crate::report::Cause::FlowControl);
                result
            }
            Ok(answer) => {
                self.record(&request, Ok(&answer), Some(generation), note);
                let retcode = answer
                    .retcode
                    .clone()
                    .unwrap_or_else(|| "(none)".to_owned());
                if GUID_REFUSED.contains(&retcode.as_str()) {
                    check.result(Status::Passed, &expected, None)
                } else {
                    check.result(
                        Status::Failed,
                        &expected,
                        Some(format!(
                            "Guid generation {generation} {when} was answered HTTP {} retcode {retcode}",
                            answer.status
                        )),
                    )
                }
            }
            Err(message) => {
                self.record(&request, Err(&message), Some(generation), note);
                check.result(Status::Errored, &expected, Some(message))
            }
        }
    }
}

impl Session {
    /// Signs the agent in and returns the session (not polling yet).
    pub async fn sign_in(
        target: &Target,
        options: SessionOptions,
        redactor: &Redactor,
    ) -> Result<Session, SessionError> {
        redactor.add_secret(&options.password, "<password>");
        let clients = Clients::new(target, options.timeout, ConnectionPolicy::Reuse)
            .map_err(|e| SessionError::Client(e.to_string()))?;
        let agent = options.agent_id.clone();
        let mut body = options.body.0.clone();
        body.insert("password".to_owned(), Value::from(options.password.clone()));
        let path = if options.force_login {
            format!("agentgateway/resource/onlineagent/{agent}/forcelogin")
        } else {
            format!("agentgateway/resource/onlineagent/{agent}")
        };
        let started = Instant::now();
        // A placeholder source until the first Guid is known.
        let placeholders = if options.other_agent {
            ("<other-guid>", "<other-callid>")
        } else {
            ("<guid>", "<callid>")
        };
        let placeholder = GuidSource::shown_as("", redactor, placeholders.0);
        let shared = Shared {
            clients,
            target: target.clone(),
            options,
            redactor: redactor.clone(),
            guid: placeholder,
            first_guid: String::new(),
            first_replaced: Mutex::new(None),
            started,
            timeline: Mutex::new(Timeline::default()),
            saw_set_guid: std::sync::atomic::AtomicBool::new(false),
            call: watch::channel(None).0,
        };
        let request = shared.prepared(
            "PUT",
            path,
            None,
            Some(Value::Object(body).to_string().into_bytes()),
        );
        let answer = match shared.send(&request).await {
            Ok(answer) => answer,
            Err(message) => return Err(SessionError::Transport { agent, message }),
        };
        let guid = match (answer.retcode.as_deref(), &answer.set_guid) {
            (Some("0"), Some(guid)) => guid.clone(),
            (Some("0"), None) => return Err(SessionError::NoGuid(agent)),
            (Some("100-002"), _) => return Err(SessionError::AlreadySignedIn(agent)),
            (None, _) => {
                return Err(SessionError::NotEnvelope {
                    agent,
                    status: answer.status,
                    content_type: answer
                        .content_type
                        .clone()
                        .unwrap_or_else(|| "no Content-Type".to_owned()),
                });
            }
            (Some(retcode), _) => {
                return Err(SessionError::Refused {
                    agent,
                    retcode: redactor.value(retcode),
                    message: redactor.text(answer.message.as_deref().unwrap_or_default()),
                });
            }
        };
        let shared = Shared {
            guid: GuidSource::shown_as(&guid, redactor, placeholders.0),
            first_guid: guid,
            ..shared
        };
        shared.record(
            &request,
            Ok(&answer),
            Some(1),
            Some("signed in: Guid generation 1".to_owned()),
        );
        Ok(Session {
            shared: Arc::new(shared),
            poller: None,
        })
    }

    /// The session's Guid, for the runner.
    pub fn guid(&self) -> GuidSource {
        self.shared.guid.clone()
    }

    /// The first Guid (generation 1) or the current one.
    pub fn current_guid(&self) -> String {
        self.shared.guid.current().0
    }

    /// Starts the background poll (the heartbeat).
    pub fn start_polling(&mut self) {
        if self.poller.is_some() {
            return;
        }
        let shared = Arc::clone(&self.shared);
        self.poller = Some(tokio::spawn(async move {
            loop {
                let ok = shared.poll_once().await;
                let pause = if ok {
                    shared.options.poll_pause
                } else {
                    FAILED_POLL_PAUSE.max(shared.options.poll_pause)
                };
                tokio::time::sleep(pause).await;
            }
        }));
    }

    /// Waits up to `within` for an `AgentEvent_RequestConnect` and gives its
    /// callid; `tick` is called about once a second with the seconds left.
    pub async fn wait_for_call(
        &self,
        within: Duration,
        mut tick: impl FnMut(u64),
    ) -> Option<String> {
        let mut calls = self.shared.call.subscribe();
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(callid) = calls.borrow_and_update().clone() {
                return Some(callid);
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            tick(left.as_secs_f64().ceil() as u64);
            let step = left.min(Duration::from_secs(1));
            // A change or a second, whichever first.
            let _ = tokio::time::timeout(step, calls.changed()).await;
        }
    }

    /// The longest the session checks may wait from now (for the Guid to
    /// rotate or to expire), when they have something to wait for.
    pub fn checks_wait(&self) -> Option<Duration> {
        let options = &self.shared.options;
        let rotation = options
            .guid_interval
            .map(|interval| interval + options.long_poll + options.poll_pause + CHECK_SLACK);
        let expiry = options.guid_timeout.map(|timeout| {
            // The later reading: from a replacement within the interval.
            timeout + options.guid_interval.unwrap_or_default()
        });
        let until = rotation.into_iter().chain(expiry).max()?;
        let left = until.saturating_sub(self.shared.started.elapsed());
        (!left.is_zero()).then_some(left)
    }

    /// Runs the session checks, stops polling, signs out, and gives the
    /// session's report, the checks' results, and whether `interrupt` came
    /// while the checks waited (they stop at once, unfinished, and the
    /// agent is signed out all the same). Without `with_checks` (an
    /// interrupted run) it only signs out. The sign-out is bounded by the
    /// session's timeout.
    pub async fn finish(
        mut self,
        with_checks: bool,
        interrupt: impl Future<Output = ()>,
    ) -> (SessionReport, Vec<CaseResult>, bool) {
        let options = &self.shared.options;
        let (interval, timeout) = if with_checks {
            (options.guid_interval, options.guid_timeout)
        } else {
            (None, None)
        };
        let checking = async {
            let mut checks = Vec::new();
            if let Some(interval) = interval {
                checks.push(self.check_rotation(interval).await);
            }
            if let Some(timeout) = timeout {
                checks.push(self.check_expiry(timeout).await);
            }
            checks
        };
        let mut interrupted = false;
        let mut checks = tokio::select! {
            biased;
            () = interrupt => {
                interrupted = true;
                [interval.map(|_| GUID_ROTATED), timeout.map(|_| EXPIRED_GUID_REFUSED)]
                    .into_iter()
                    .flatten()
                    .map(|check| {
                        let mut result = check.result(
                            Status::Errored,
                            "not run",
                            Some("not run: interrupted".to_owned()),
                        );
                        result.cause = Some(crate::report::Cause::Interrupted);
                        result
                    })
                    .collect()
            }
            checks = checking => checks,
        };
        let with_checks = with_checks && !interrupted;
        let mut assumptions = Vec::new();
        if with_checks && !self.shared.options.other_agent {
            let (undeclared, said) = self.undeclared_timings().await;
            checks.extend(undeclared);
            assumptions = said;
        }
        if let Some(poller) = self.poller.take() {
            poller.abort();
            let _ = poller.await;
        }
        let shared = &self.shared;
        let (guid, generation) = shared.guid.current();
        let request = shared.prepared(
            "DELETE",
            format!(
                "agentgateway/resource/onlineagent/{}/logout",
                shared.options.agent_id
            ),
            Some(guid),
            None,
        );
        let (sign_out, refused) = match shared.send(&request).await {
            Ok(answer) => {
                let refused = answer.retcode.as_deref() != Some("0");
                shared.record(&request, Ok(&answer), Some(generation), None);
                if refused {
                    (
                        format!(
                            "sign-out refused: retcode {} ({})",
                            answer.retcode.as_deref().unwrap_or("(none)"),
                            shared
                                .redactor
                                .text(answer.message.as_deref().unwrap_or_default())
                        ),
                        true,
                    )
                } else {
                    ("signed out".to_owned(), false)
                }
            }
            Err(message) => {
                shared.record(&request, Err(&message), Some(generation), None);
                (format!("sign-out failed: {message}"), true)
            }
        };
        checks.push(if !with_checks {
            let mut result = SIGNED_OUT_REFUSED.result(
                Status::Skipped,
                "not run",
                Some("not run: interrupted".to_owned()),
            );
            result.cause = interrupted.then_some(crate::report::Cause::Interrupted);
            result
        } else if refused {
            let mut result = SIGNED_OUT_REFUSED.result(
                Status::Skipped,
                "not run",
                Some(format!("not assessed: {sign_out}")),
            );
            result.cause = Some(crate::report::Cause::SignOutFailed);
            result
        } else {
            let (guid, _) = shared.guid.current();
            shared
                .check_refused(
                    SIGNED_OUT_REFUSED,
                    guid,
                    generation,
                    "after an accepted sign-out",
                )
                .await
        });
        let (timeline, timeline_omitted) =
            shared.timeline.lock().map(|t| t.kept()).unwrap_or_default();
        let report = SessionReport {
            agent_id: shared.options.agent_id.clone(),
            force_login: shared.options.force_login,
            guid_generations: generation,
            sign_out,
            sign_out_refused: refused,
            timeline,
            timeline_omitted,
            assumptions,
        };
        (report, checks, interrupted)
    }

    /// What a run with no declared Guid timings can say of them: the mode
    /// the polls showed; in dynamic mode, the rotation when the session saw
    /// one or lasted past the documented interval (an advisory check: the
    /// interval is assumed), and what it could not check, in words.
    async fn undeclared_timings(&self) -> (Vec<CaseResult>, Vec<String>) {
        let options = &self.shared.options;
        let mut checks = Vec::new();
        let mut said = Vec::new();
        if options.guid_interval.is_some() && options.guid_timeout.is_some() {
            return (checks, said);
        }
        let dynamic = self
            .shared
            .saw_set_guid
            .load(std::sync::atomic::Ordering::SeqCst);
        if !dynamic {
            said.push(
                "Agent session: no event poll carried Set-GUID, so the gateway was taken to hand out static Guids \
                 (AUTHMODE=1): a Guid that lives until sign-out; nothing to rotate or expire was checked."
                    .to_owned(),
            );
            return (checks, said);
        }
        let lasted = self.shared.started.elapsed();
        let secs = |d: Duration| format!("{:.0} s", d.as_secs_f64());
        if options.guid_interval.is_none() {
            let assumed = DOCUMENTED_GUID_INTERVAL;
            let decided = assumed + options.long_poll + options.poll_pause + CHECK_SLACK;
            if self.shared.guid.current().1 > 1 || lasted >= decided {
                let mut result = self.check_rotation(assumed).await;
                result.severity = crate::report::Severity::Advisory;
                result.notes.push(format!(
                    "assumed: the documented Guid interval of {} (not declared with --guid-interval), so the check is advisory",
                    secs(assumed)
                ));
                checks.push(result);
            } else {
                said.push(format!(
                    "Agent session: dynamic Guids (the event polls carried Set-GUID). Their rotation was not checked: \
                     the session lasted {}, shorter than the documented Guid interval of {} plus one long poll, \
                     and saw no new Guid; --guid-interval SECS makes the run wait for one and check it.",
                    secs(lasted),
                    secs(assumed)
                ));
            }
        }
        if options.guid_timeout.is_none() {
            said.push(format!(
                "Agent session: dynamic Guids (the event polls carried Set-GUID). Their expiry was not checked: \
                 the run does not wait for it unless told the gateway's Guid timeout (documented default {}); \
                 --guid-timeout SECS makes it wait until the first Guid is that old and check that it is refused.",
                secs(DOCUMENTED_GUID_TIMEOUT)
            ));
        }
        (checks, said)
    }

    /// `session/guid-rotated`: generation 2 must come within the interval,
    /// one long poll and one pause of the sign-in (plus a safety net).
    async fn check_rotation(&self, interval: Duration) -> CaseResult {
        let options = &self.shared.options;
        let within = interval + options.long_poll + options.poll_pause + CHECK_SLACK;
        let deadline = self.shared.started + within;
        let expected = "a new Guid in a poll's Set-GUID";
        loop {
            if self.shared.guid.current().1 > 1 {
                return GUID_ROTATED.result(Status::Passed, expected, None);
            }
            if Instant::now() >= deadline {
                return GUID_ROTATED.result(
                    Status::Failed,
                    expected,
                    Some(format!(
                        "no new Guid within {} ms of the sign-in (Guid interval {} ms)",
                        within.as_millis(),
                        interval.as_millis()
                    )),
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `session/expired-guid-refused`: once the timeout has passed since
    /// the sign-in, its Guid must be refused while the agent still polls.
    ///
    /// The documentation does not say whether GUIDTIMEOUT counts from a
    /// Guid's issue or from its replacement by the next one: the check waits
    /// for the later of the two, so no reading fails a conforming gateway,
    /// and its result says which one it assumed.
    async fn check_expiry(&self, timeout: Duration) -> CaseResult {
        // The Guid was issued before the sign-in's answer came: past this
        // point it is older than the timeout.
        let margin = Duration::from_millis(100);
        let from_issue = self.shared.started + timeout + margin;
        tokio::time::sleep_until(from_issue.into()).await;
        let replaced = self.shared.first_replaced.lock().ok().and_then(|r| *r);
        let (due, reading) = match replaced {
            Some(at) => (
                (at + timeout + margin).max(from_issue),
                "from its replacement by generation 2, the later of the two readings the documentation allows \
                 (from the Guid's issue, or from its replacement)",
            ),
            None => (
                from_issue,
                "from its issue: it was not replaced within GUIDTIMEOUT, so the other reading \
                 (from its replacement) gives no later point",
            ),
        };
        tokio::time::sleep_until(due.into()).await;
        let first = self.shared.first_guid.clone();
        let mut result = self
            .shared
            .check_refused(EXPIRED_GUID_REFUSED, first, 1, "after its timeout")
            .await;
        result.notes.push(format!(
            "assumed: GUIDTIMEOUT of the first Guid counted {reading}"
        ));
        result
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(poller) = self.poller.take() {
            poller.abort();
        }
    }
}
