//! The agent session on the command line: `run --sign-in` (password,
//! sign-in body, forcelogin, waiting for a call), flow control
//! (`--flow-budget`, `--rate`), and the dynamic-mode flags of `serve`.

use super::exit::CliError as Failure;
#[cfg(feature = "gateway")]
use super::session_args::ServeSessionArgs;
use super::session_args::SessionArgs;
#[cfg(feature = "gateway")]
use ccgw_conformance::gateway::{AuthMode, FlowLimit, SessionConfig, VideoCall};
use ccgw_conformance::redact::Redactor;
use ccgw_conformance::report::SessionReport;
use ccgw_conformance::runner::{Credentials, FlowControl, Pacing, Target};
use ccgw_conformance::session::{Session, SessionOptions, SignInBody};
use std::future::Future;
use std::io::IsTerminal;

/// The gateway's session configuration from the `serve` flags.
#[cfg(feature = "gateway")]
pub fn serve_config(args: &ServeSessionArgs) -> Result<SessionConfig, Failure> {
    let password = args
        .password_file
        .as_ref()
        .map(|path| first_line(path, "--password-file"))
        .transpose()?;
    Ok(SessionConfig {
        auth_mode: if args.auth_mode == "dynamic" {
            AuthMode::Dynamic
        } else {
            AuthMode::Static
        },
        guid_interval: args.guid_interval,
        guid_timeout: args.guid_timeout,
        timeout_from_replacement: args.guid_timeout_from == "replacement",
        idle_sign_out: args.idle_sign_out,
        poll_wait: args.poll_wait,
        agent_signed_in: password.is_none(),
        other_signed_in: password.is_none(),
        password,
        video_call: match (args.no_call, args.call_after) {
            (true, _) => VideoCall::Never,
            (false, Some(after)) => VideoCall::AfterSignIn(after),
            (false, None) => VideoCall::Live,
        },
        flow_limit: args
            .flow_limit
            .as_ref()
            .map(|limit| FlowLimit::parse(limit))
            .transpose()
            .map_err(Failure::config)?
            .map(|limit| match limit {
                FlowLimit::Window { calls, window, .. } => FlowLimit::Window {
                    calls,
                    window,
                    http_429: args.flow_limit_429,
                },
                every => every,
            }),
    })
}

/// What `serve` says about its session mode, if it is not the default.
#[cfg(feature = "gateway")]
pub fn serve_note(args: &ServeSessionArgs) -> Option<String> {
    let mut parts = Vec::new();
    if args.auth_mode == "dynamic" {
        parts.push(format!(
            "dynamic Guids (interval {} ms, timeout {} ms, idle sign-out {} ms)",
            args.guid_interval.as_millis(),
            args.guid_timeout.as_millis(),
            args.idle_sign_out.as_millis()
        ));
    }
    if args.password_file.is_some() {
        parts.push(
            "both agents start signed out: sign in with PUT .../onlineagent/{agentid} and {\"password\": ...} (the Guids above are not valid)"
                .to_owned(),
        );
    }
    match args.flow_limit.as_ref().map(|l| FlowLimit::parse(l)) {
        Some(Ok(FlowLimit::EveryKth(k))) => parts.push(format!(
            "call number K, 2K, ... (K = {k}) of an agent's getconnectinfo is answered 000-007"
        )),
        Some(Ok(FlowLimit::Window { calls, window, .. })) => parts.push(format!(
            "at most {calls} getconnectinfo calls of an agent per {} ms, the calls above answered {}",
            window.as_millis(),
            if args.flow_limit_429 {
                "HTTP 429 with Retry-After"
            } else {
                "000-007"
            }
        )),
        _ => {}
    }
    (!parts.is_empty()).then(|| format!("session:      {}", parts.join("; ")))
}

/// The first line of a password file, read through the bounded reader,
/// without a byte-order mark or its line ending (other spaces are kept: they
/// may be part of the password).
fn first_line(path: &std::path::Path, flag: &str) -> Result<String, Failure> {
    let text =
        ccgw_conformance::input::read_text_capped(path, ccgw_conformance::input::GUID_FILE_LIMIT)
            .map_err(|e| {
            Failure::config(format!(
                "failed to read {flag}: {}",
                ccgw_conformance::console::chain(&e)
            ))
        })?;
    Ok(text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches(['\r', '\n'])
        .to_owned())
}

/// Where one agent's password is given: its file flag, its variable-name
/// flag, the default variable, and what the sign-in needs it for.
struct PasswordFrom<'a> {
    file: Option<&'a std::path::Path>,
    file_flag: &'a str,
    env_name: Option<&'a str>,
    env_flag: &'a str,
    default_var: &'a str,
    missing: &'a str,
}

impl PasswordFrom<'_> {
    /// The password: the file's first line, else the named variable, else
    /// the default variable.
    fn read(&self) -> Result<String, Failure> {
        if let Some(path) = self.file {
            return first_line(path, self.file_flag);
        }
        if let Some(var) = self.env_name {
            return std::env::var(var).map_err(|_| {
                Failure::config(format!("{} names {var}, which is not set", self.env_flag))
            });
        }
        std::env::var(self.default_var).map_err(|_| Failure::config(self.missing.to_owned()))
    }
}

/// The other agent's password: `--other-password-file`, then
/// `--other-password-env`, then `CCGW_OTHER_PASSWORD`.
fn other_password(args: &SessionArgs) -> Result<String, Failure> {
    PasswordFrom {
        file: args.other_password_file.as_deref(),
        file_flag: "--other-password-file",
        env_name: args.other_password_env.as_deref(),
        env_flag: "--other-password-env",
        default_var: "CCGW_OTHER_PASSWORD",
        missing: "--other-sign-in needs the other agent's password: --other-password-file FILE or CCGW_OTHER_PASSWORD",
    }
    .read()
}

/// The password: `--password-file`, then `--password-env`, then `CCGW_PASSWORD`.
fn password(args: &SessionArgs) -> Result<String, Failure> {
    PasswordFrom {
        file: args.password_file.as_deref(),
        file_flag: "--password-file",
        env_name: args.password_env.as_deref(),
        env_flag: "--password-env",
        default_var: "CCGW_PASSWORD",
        missing: "--sign-in needs the agent's password: --password-file FILE or CCGW_PASSWORD \
                  (an empty password is given as an empty file)",
    }
    .read()
}

/// Flow control and the session's Guid for the run plan.
pub fn flow_control(
    args: &SessionArgs,
    (session, other): (Option<&Session>, Option<&Session>),
    no_call: Option<String>,
    pacing: Pacing,
) -> FlowControl {
    FlowControl {
        guid: session.map(Session::guid),
        other_guid: other.map(Session::guid),
        budget: args.flow_budget,
        pacing,
        no_call_reason: no_call,
    }
}

/// What [`open`] drives the session with.
pub struct OpenWith<'a> {
    /// No progress lines.
    pub quiet: bool,
    /// The timeout of each of the session's requests.
    pub timeout: std::time::Duration,
    pub target: &'a Target,
    pub redactor: &'a Redactor,
    /// The run's per-agent pacing (the session checks share it).
    pub pacing: &'a Pacing,
}

/// What [`open`] gives the run.
#[derive(Default)]
pub struct Opened {
    /// The signed-in agent, polling.
    pub agent: Option<Session>,
    /// The other agent, signed in and polling (`--other-sign-in`).
    pub other: Option<Session>,
    /// Why there is no call, when the run waited for one in vain.
    pub no_call: Option<String>,
    /// Why the target is known to be down: the sign-in got no answer (a
    /// closed port, a silent gateway, a refused TLS handshake). The run
    /// sends nothing and reports every case not run (exit 3).
    pub down: Option<String>,
}

/// How one agent's sign-in ended.
enum Signed {
    In(Session),
    /// A signal came first.
    Interrupted,
    /// No answer: the target is down (why).
    Down(String),
}

/// With `--sign-in`: signs the agent in, starts the poll, puts the first
/// Guid into `credentials` and, with `--wait-for-call`, the call's callid;
/// with `--other-sign-in` the same for the other agent. Every request of
/// the sessions is bounded by the timeout; a signal stops the sign-ins and
/// the waits at once (the run that follows is then interrupted, and signs
/// out whoever was signed in).
pub async fn open(
    args: &SessionArgs,
    with: OpenWith<'_>,
    credentials: &mut Credentials,
    interrupt: impl Future<Output = ()> + Clone,
) -> Result<Opened, Failure> {
    if !args.sign_in {
        // The session's flags without --sign-in were refused with the inputs.
        return Ok(Opened::default());
    }
    let agent_id = credentials.agent_id.clone();
    let mut opened = Opened::default();
    let mut first = match sign_in_one(
        args,
        &with,
        &agent_id,
        &password(args)?,
        false,
        interrupt.clone(),
    )
    .await?
    {
        Signed::In(session) => session,
        Signed::Interrupted => return Ok(opened),
        Signed::Down(why) => {
            opened.down = Some(why);
            return Ok(opened);
        }
    };
    credentials.guid = first.current_guid();
    first.start_polling();
    opened.agent = Some(first);
    if args.other_sign_in {
        // Checked with the inputs: --other-sign-in has --other-agent-id.
        let other_id = credentials.other_agent_id.clone().unwrap_or_default();
        let signed = match other_password(args) {
            Ok(password) => {
                sign_in_one(args, &with, &other_id, &password, true, interrupt.clone()).await
            }
            Err(failure) => Err(failure),
        };
        match signed {
            Ok(Signed::In(mut other)) => {
                credentials.other_guid = Some(other.current_guid());
                other.start_polling();
                opened.other = Some(other);
            }
            Ok(Signed::Interrupted) => return Ok(opened),
            Ok(Signed::Down(why)) => {
                opened.down = Some(why);
                return Ok(opened);
            }
            Err(failure) => {
                // The first agent is signed in: out again before the error.
                if let Some(first) = opened.agent.take() {
                    let (report, _, _) = first.finish(false, std::future::pending()).await;
                    announce(Some(&report), with.quiet);
                }
                return Err(failure);
            }
        }
    }
    let Some(within) = args.wait_for_call else {
        return Ok(opened);
    };
    let deadline = tokio::time::Instant::now() + within;
    if credentials.callid.is_none()
        && let Some(agent) = &opened.agent
    {
        credentials.callid =
            wait_call(agent, &agent_id, deadline, with.quiet, interrupt.clone()).await;
        if credentials.callid.is_none() {
            let secs = within.as_secs_f64().ceil() as u64;
            opened.no_call = Some(format!(
                "no H5 video call to agent {agent_id} within {secs} s (--wait-for-call): expects connection info, which needs a live video call"
            ));
        }
    }
    if credentials.other_callid.is_none()
        && let Some(other) = &opened.other
    {
        let other_id = credentials.other_agent_id.clone().unwrap_or_default();
        credentials.other_callid =
            wait_call(other, &other_id, deadline, with.quiet, interrupt).await;
    }
    Ok(opened)
}

/// Signs one agent in (the other agent's session shows its values as the
/// other agent's).
async fn sign_in_one(
    args: &SessionArgs,
    with: &OpenWith<'_>,
    agent_id: &str,
    password: &str,
    other_agent: bool,
    interrupt: impl Future<Output = ()>,
) -> Result<Signed, Failure> {
    let mut options = SessionOptions::new(agent_id, password);
    options.force_login = args.force_login;
    if !other_agent {
        // The session checks run on the agent of the run only.
        options.guid_interval = args.guid_interval;
        options.guid_timeout = args.guid_timeout;
    }
    options.timeout = with.timeout;
    options.pacing = with.pacing.clone();
    options.flow_budget = args.flow_budget;
    options.other_agent = other_agent;
    if let Some(path) = &args.sign_in_body {
        options.body = SignInBody::from_file(path).map_err(Failure::Session)?;
    }
    if !with.quiet {
        eprintln!(
            "signing in {}agent {agent_id} (timeout {} ms)",
            if other_agent { "the other " } else { "" },
            with.timeout.as_millis()
        );
    }
    let signed_in = tokio::select! {
        biased;
        () = interrupt => return Ok(Signed::Interrupted),
        signed_in = Session::sign_in(with.target, options, with.redactor) => signed_in,
    };
    match signed_in {
        Ok(session) => Ok(Signed::In(session)),
        Err(e) if e.is_no_answer() => Ok(Signed::Down(e.to_string())),
        Err(e) => Err(Failure::Session(e)),
    }
}

/// Waits until `deadline` for a video call to `agent_id` and gives its
/// callid (a countdown on a terminal).
async fn wait_call(
    session: &Session,
    agent_id: &str,
    deadline: tokio::time::Instant,
    quiet: bool,
    interrupt: impl Future<Output = ()>,
) -> Option<String> {
    let within = deadline.saturating_duration_since(tokio::time::Instant::now());
    let secs = within.as_secs_f64().ceil() as u64;
    let terminal = !quiet && std::io::stderr().is_terminal();
    if !quiet {
        eprintln!("waiting up to {secs} s for an H5 video call to agent {agent_id}");
    }
    let tick = |left: u64| {
        if terminal {
            // The one print past `console::write`: its carriage return is
            // the tool's own control (a countdown on a terminal), and it
            // holds a number only.
            #[allow(clippy::print_stderr)]
            {
                eprint!("\r  {left:>4} s left ");
            }
        }
    };
    let callid = tokio::select! {
        callid = session.wait_for_call(within, tick) => callid,
        () = interrupt => None,
    };
    if terminal {
        eprintln!("");
    }
    callid
}

/// Says how the session ended: signed out, or the refused sign-out.
pub fn announce(session: Option<&SessionReport>, quiet: bool) {
    let Some(session) = session else {
        return;
    };
    if !quiet {
        for said in &session.assumptions {
            eprintln!("note: {said}");
        }
    }
    if session.sign_out_refused {
        eprintln!("warning: agent {}: {}", session.agent_id, session.sign_out);
    } else if !quiet {
        eprintln!("agent {} signed out", session.agent_id);
    }
}
