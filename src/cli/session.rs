//! The agent session on the command line: `run --sign-in` (password,
//! sign-in body, forcelogin, waiting for a call), flow control
//! (`--flow-budget`, `--rate`), and the dynamic-mode flags of `serve`.

use super::commands::Failure;
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
            "the agent starts signed out: sign in with PUT .../onlineagent/{agentid} and {\"password\": ...} (the guid above is not valid)"
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

/// The password: `--password-file` over `CCGW_PASSWORD`.
fn password(args: &SessionArgs) -> Result<String, Failure> {
    if let Some(path) = &args.password_file {
        return first_line(path, "--password-file");
    }
    std::env::var("CCGW_PASSWORD").map_err(|_| {
        Failure::config(
            "--sign-in needs the agent's password: --password-file FILE or CCGW_PASSWORD \
             (an empty password is given as an empty file)",
        )
    })
}

/// Flow control and the session's Guid for the run plan.
pub fn flow_control(
    args: &SessionArgs,
    session: Option<&Session>,
    no_call: Option<String>,
    pacing: Pacing,
) -> FlowControl {
    FlowControl {
        guid: session.map(Session::guid),
        other_guid: None,
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
    /// Why there is no call, when the run waited for one in vain.
    pub no_call: Option<String>,
    /// Why the target is known to be down: the sign-in got no answer (a
    /// closed port, a silent gateway, a refused TLS handshake). The run
    /// sends nothing and reports every case not run (exit 3).
    pub down: Option<String>,
}

/// With `--sign-in`: signs the agent in, starts the poll, puts the first
/// Guid into `credentials` and, with `--wait-for-call`, the call's callid.
/// Every request of the session is bounded by `timeout`; a signal stops the
/// sign-in and the wait at once (the run that follows is then interrupted).
pub async fn open(
    args: &SessionArgs,
    with: OpenWith<'_>,
    credentials: &mut Credentials,
    interrupt: impl Future<Output = ()> + Clone,
) -> Result<Opened, Failure> {
    let OpenWith {
        quiet,
        timeout,
        target,
        redactor,
        pacing,
    } = with;
    if !args.sign_in {
        // The session's flags without --sign-in were refused with the inputs.
        return Ok(Opened::default());
    }
    let mut options = SessionOptions::new(&credentials.agent_id, &password(args)?);
    options.force_login = args.force_login;
    options.guid_interval = args.guid_interval;
    options.guid_timeout = args.guid_timeout;
    options.timeout = timeout;
    options.pacing = pacing.clone();
    options.flow_budget = args.flow_budget;
    if let Some(path) = &args.sign_in_body {
        options.body =
            SignInBody::from_file(path).map_err(|e| Failure::config(format!("failed to {e}")))?;
    }
    if !quiet {
        eprintln!(
            "signing in agent {} (timeout {} ms)",
            credentials.agent_id,
            timeout.as_millis()
        );
    }
    let signed_in = tokio::select! {
        biased;
        () = interrupt.clone() => return Ok(Opened::default()),
        signed_in = Session::sign_in(target, options, redactor) => signed_in,
    };
    let mut session = match signed_in {
        Ok(session) => session,
        Err(e) if e.is_no_answer() => {
            return Ok(Opened {
                down: Some(e.to_string()),
                ..Opened::default()
            });
        }
        Err(e) => return Err(Failure::config(format!("failed to {e}"))),
    };
    credentials.guid = session.current_guid();
    session.start_polling();
    let Some(within) = args.wait_for_call else {
        return Ok(Opened {
            agent: Some(session),
            ..Opened::default()
        });
    };
    if credentials.callid.is_some() {
        return Ok(Opened {
            agent: Some(session),
            ..Opened::default()
        });
    }
    let agent = credentials.agent_id.clone();
    let secs = within.as_secs_f64().ceil() as u64;
    let terminal = !quiet && std::io::stderr().is_terminal();
    if !quiet {
        eprintln!("waiting up to {secs} s for an H5 video call to agent {agent}");
    }
    let tick = |left: u64| {
        if terminal {
            eprint!("\r  {left:>4} s left ");
        }
    };
    let callid = tokio::select! {
        callid = session.wait_for_call(within, tick) => callid,
        () = interrupt => None,
    };
    if terminal {
        eprintln!("");
    }
    let no_call = match &callid {
        Some(_) => None,
        None => Some(format!(
            "no H5 video call to agent {agent} within {secs} s (--wait-for-call): expects connection info, which needs a live video call"
        )),
    };
    credentials.callid = callid;
    Ok(Opened {
        agent: Some(session),
        no_call,
        down: None,
    })
}

/// Says how the session ended: signed out, or the refused sign-out.
pub fn announce(session: Option<&SessionReport>, quiet: bool) {
    let Some(session) = session else {
        return;
    };
    if session.sign_out_refused {
        eprintln!("warning: agent {}: {}", session.agent_id, session.sign_out);
    } else if !quiet {
        eprintln!("agent {} signed out", session.agent_id);
    }
}
