//! The agent session's options: `run --sign-in` and flow control, and the
//! dynamic-mode flags of `serve` (kept apart from `session.rs` so that the
//! parser compiles on its own, as the tests of the command line use it).

use super::units::parse_duration as parse_seconds;
use super::units::parse_duration_or_zero;
use clap::ArgAction;
use clap::Args;
use clap::builder::BoolishValueParser;
use std::path::PathBuf;
use std::time::Duration;

/// `run` options of the agent session and of flow control.
#[derive(Debug, Args)]
#[command(next_help_heading = "Agent session and flow control")]
pub struct SessionArgs {
    /// Sign the agent in, keep it polling events (the heartbeat, following
    /// the dynamic Guid) for the whole run, and sign it out at the end.
    #[arg(long, env = "CCGW_SIGN_IN", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub sign_in: bool,
    /// With --sign-in: a file whose first line is the password (or CCGW_PASSWORD).
    #[arg(long, env = "CCGW_PASSWORD_FILE", value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// With --sign-in: the name of an environment variable holding the
    /// password (instead of CCGW_PASSWORD: one per target).
    #[arg(long, env = "CCGW_PASSWORD_ENV", value_name = "VAR")]
    pub password_env: Option<String>,
    /// With --sign-in: a JSON object of the other sign-in fields (phonenum, agenttype, status, ...).
    #[arg(long, env = "CCGW_SIGN_IN_BODY", value_name = "FILE")]
    pub sign_in_body: Option<PathBuf>,
    /// With --sign-in: sign in with .../forcelogin, taking over a session elsewhere.
    #[arg(long, env = "CCGW_FORCE_LOGIN", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub force_login: bool,
    /// With --sign-in: wait up to SECS for an H5 video call (AgentEvent_RequestConnect) and use its callid.
    #[arg(long, env = "CCGW_WAIT_FOR_CALL", value_name = "SECS", value_parser = parse_seconds)]
    pub wait_for_call: Option<Duration>,
    /// With --sign-in: sign the other agent (--other-agent-id) in as well,
    /// follow its Guid, take its call's callid (with --wait-for-call, unless
    /// --other-callid gives it), and sign it out at the end.
    #[arg(long, env = "CCGW_OTHER_SIGN_IN", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub other_sign_in: bool,
    /// With --other-sign-in: a file whose first line is the other agent's
    /// password (or CCGW_OTHER_PASSWORD).
    #[arg(long, env = "CCGW_OTHER_PASSWORD_FILE", value_name = "FILE")]
    pub other_password_file: Option<PathBuf>,
    /// With --other-sign-in: the name of an environment variable holding
    /// the other agent's password (instead of CCGW_OTHER_PASSWORD).
    #[arg(long, env = "CCGW_OTHER_PASSWORD_ENV", value_name = "VAR")]
    pub other_password_env: Option<String>,
    /// How long one case may keep being refused by flow control (000-007,
    /// HTTP 429) before it is not assessed; its requests are paced per agent
    /// at the rate the run learns and sent again with backoff meanwhile.
    #[arg(long, env = "CCGW_FLOW_BUDGET", value_name = "SECS", default_value = "60", value_parser = parse_duration_or_zero)]
    pub flow_budget: Duration,
    /// Each agent's requests at most N per second (`5` or `5/s`): the pace
    /// the run starts at and never exceeds (default: unpaced until refused).
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
    /// Dynamic mode: whether GUIDTIMEOUT counts from a Guid's issue or from its replacement
    /// by the next one (the documentation does not say).
    #[arg(long, value_name = "FROM", default_value = "issue", value_parser = ["issue", "replacement"])]
    pub guid_timeout_from: String,
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
    /// A per-agent flow limit of getconnectinfo: N/WINDOW (at most N calls
    /// per window, e.g. 5/2s; the calls above answered 000-007) or K (every
    /// K-th call answered 000-007, a retry never twice).
    #[arg(long, value_name = "N/WINDOW", value_parser = parse_flow_limit)]
    pub flow_limit: Option<String>,
    /// With --flow-limit N/WINDOW: refuse with HTTP 429 and Retry-After
    /// instead of 000-007 (as a proxy in front of the gateway would).
    #[arg(long, requires = "flow_limit")]
    pub flow_limit_429: bool,
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

/// A `--flow-limit` of `serve`, checked (kept as text: the gateway's type
/// exists only where the gateway is compiled in).
fn parse_flow_limit(text: &str) -> Result<String, String> {
    #[cfg(feature = "gateway")]
    ccgw_conformance::gateway::FlowLimit::parse(text)?;
    Ok(text.to_owned())
}
