//! The agent session on the command line: `run --sign-in` (password,
//! sign-in body, forcelogin, waiting for a call), flow control (`--retries`,
//! `--retry-pause`, `--rate`), and the dynamic-mode flags of `serve`.

use super::args::parse_seconds;
use super::commands::Failure;
use ccgw_conformance::gateway::{AuthMode, SessionConfig, VideoCall};
use ccgw_conformance::redact::Redactor;
use ccgw_conformance::report::{CaseResult, RunReport, SessionReport};
use ccgw_conformance::runner::{Credentials, Pacer, RunSession, Target};
use ccgw_conformance::session::{Session, SessionOptions, SignInBody};
use clap::Args;
use clap::builder::BoolishValueParser;
use std::future::Future;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

/// `run` options of the agent session and of flow control.
#[derive(Debug, Args)]
pub struct SessionArgs {
    /// Sign the agent in, keep it polling events (the heartbeat, following
    /// the dynamic Guid) for the whole run, and sign it out at the end.
    #[arg(long, env = "CCGW_SIGN_IN", value_parser = BoolishValueParser::new(), default_value_t = false, num_args = 0..=1, default_missing_value = "true")]
    pub sign_in: bool,
    /// With --sign-in: a file whose first line is the password (or CCGW_PASSWORD).
    #[arg(long, env = "CCGW_PASSWORD_FILE", value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// With --sign-in: a JSON object of the other sign-in fields (phonenum, agenttype, status, ...).
    #[arg(long, env = "CCGW_SIGN_IN_BODY", value_name = "FILE")]
    pub sign_in_body: Option<PathBuf>,
    /// With --sign-in: sign in with .../forcelogin, taking over a session elsewhere.
    #[arg(long, env = "CCGW_FORCE_LOGIN", value_parser = BoolishValueParser::new(), default_value_t = false, num_args = 0..=1, default_missing_value = "true")]
    pub force_login: bool,
    /// With --sign-in: wait up to SECS for an H5 video call (AgentEvent_RequestConnect) and use its callid.
    #[arg(long, env = "CCGW_WAIT_FOR_CALL", value_name = "SECS", value_parser = parse_seconds)]
    pub wait_for_call: Option<Duration>,
    /// Retries of a case answered 000-007 (flow control).
    #[arg(long, env = "CCGW_RETRIES", value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub retries: u32,
    /// Pause before such a retry, in seconds.
    #[arg(long, env = "CCGW_RETRY_PAUSE", value_name = "SECS", default_value = "1", value_parser = parse_seconds)]
    pub retry_pause: Duration,
    /// Pace every request of the cases to at most N per second (`5` or `5/s`).
    #[arg(long, env = "CCGW_RATE", value_name = "N/s", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// With --sign-in: the gateway's Guid interval (GUIDINTERVAL); checks that polls rotate the Guid.
    #[arg(long, env = "CCGW_GUID_INTERVAL", value_name = "SECS", value_parser = parse_seconds)]
    pub guid_interval: Option<Duration>,
    /// With --sign-in: the gateway's Guid timeout (GUIDTIMEOUT); checks that the first Guid dies
    /// (the run waits until it has).
    #[arg(long, env = "CCGW_GUID_TIMEOUT", value_name = "SECS", value_parser = parse_seconds)]
    pub guid_timeout: Option<Duration>,
}

/// `serve` options of the agent session.
#[derive(Debug, Args)]
pub struct ServeSessionArgs {
    /// Guid mode: static (AUTHMODE=1) or dynamic (AUTHMODE=2: rotating, expiring Guids).
    #[arg(long, value_name = "MODE", default_value = "static", value_parser = ["static", "dynamic"])]
    pub auth_mode: String,
    /// Dynamic mode: a poll this long after the current Guid was issued hands out a new one.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_seconds)]
    pub guid_interval: Duration,
    /// Dynamic mode: a Guid dies this long after it was issued.
    #[arg(long, value_name = "SECS", default_value = "120", value_parser = parse_seconds)]
    pub guid_timeout: Duration,
    /// Dynamic mode: an agent that polls nothing this long is signed out.
    #[arg(long, value_name = "SECS", default_value = "120", value_parser = parse_seconds)]
    pub idle_sign_out: Duration,
    /// Longest wait of an event poll without an event.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_seconds)]
    pub poll_wait: Duration,
    /// Check sign-in passwords against the first line of FILE (100-002 for a second sign-in).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// The agent's video call starts SECS after it signs in (default: live from the start).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, conflicts_with = "no_call")]
    pub call_after: Option<Duration>,
    /// The agent has no video call.
    #[arg(long)]
    pub no_call: bool,
    /// Refuse every K-th getconnectinfo call of an agent with 000-007.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..))]
    pub flow_limit: Option<u32>,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches("/s");
    match number.parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate <= 10_000.0 => Ok(rate),
        _ => Err(format!(
            "`{text}` is not a rate: a number of requests per second in 0..=10000, e.g. 5 or 5/s"
        )),
    }
}

/// The gateway's session configuration from the `serve` flags.
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
        idle_sign_out: args.idle_sign_out,
        poll_wait: args.poll_wait,
        agent_signed_in: password.is_none(),
        password,
        video_call: match (args.no_call, args.call_after) {
            (true, _) => VideoCall::Never,
            (false, Some(after)) => VideoCall::AfterSignIn(after),
            (false, None) => VideoCall::Live,
        },
        flow_limit: args.flow_limit,
    })
}

fn first_line(path: &std::path::Path, flag: &str) -> Result<String, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::config(format!("failed to read {flag} {}: {e}", path.display())))?;
    Ok(text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end()
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
pub fn run_session(
    args: &SessionArgs,
    session: Option<&Session>,
    no_call: Option<String>,
) -> RunSession {
    RunSession {
        guid: session.map(Session::guid),
        retries: args.retries,
        retry_pause: args.retry_pause,
        rate: args.rate.map(Pacer::new),
        no_call_reason: no_call,
    }
}

/// With `--sign-in`: signs the agent in, starts the poll, puts the first
/// Guid into `credentials` and, with `--wait-for-call`, the call's callid.
/// Gives the session (if any) and why there is no call (if it waited in vain).
pub async fn open(
    args: &SessionArgs,
    quiet: bool,
    target: &Target,
    credentials: &mut Credentials,
    redactor: &Redactor,
    interrupt: impl Future<Output = ()>,
) -> Result<(Option<Session>, Option<String>), Failure> {
    if !args.sign_in {
        if args.wait_for_call.is_some() || args.force_login {
            return Err(Failure::config(
                "--wait-for-call and --force-login need --sign-in",
            ));
        }
        return Ok((None, None));
    }
    let mut options = SessionOptions::new(&credentials.agent_id, &password(args)?);
    options.force_login = args.force_login;
    options.guid_interval = args.guid_interval;
    options.guid_timeout = args.guid_timeout;
    if let Some(path) = &args.sign_in_body {
        options.body =
            SignInBody::from_file(path).map_err(|e| Failure::config(format!("failed to {e}")))?;
    }
    let mut session = Session::sign_in(target, options, redactor)
        .await
        .map_err(|e| Failure::config(format!("failed to {e}")))?;
    credentials.guid = session.current_guid();
    session.start_polling();
    let Some(within) = args.wait_for_call else {
        return Ok((Some(session), None));
    };
    if credentials.callid.is_some() {
        return Ok((Some(session), None));
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
    Ok((Some(session), no_call))
}

/// A finished session: its report and the session checks' results.
pub type Closed = Option<(SessionReport, Vec<CaseResult>)>;

/// Runs the session checks (not after an interrupt), stops the poll and
/// signs out (only a session that signed in exists).
pub async fn close(session: Option<Session>, quiet: bool, interrupted: bool) -> Closed {
    let (session, checks) = session?.finish(!interrupted).await;
    if session.sign_out_refused {
        eprintln!("warning: agent {}: {}", session.agent_id, session.sign_out);
    } else if !quiet {
        eprintln!("agent {} signed out", session.agent_id);
    }
    Some((session, checks))
}

/// Puts the session and its checks into `report`.
pub fn attach(closed: Closed, report: &mut RunReport) {
    if let Some((session, checks)) = closed {
        ccgw_conformance::session::attach(report, session, checks);
    }
}
