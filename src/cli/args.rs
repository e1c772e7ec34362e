//! Arguments (clap). Every option can also come from a `CCGW_*` variable.

use clap::ArgAction;
use clap::builder::BoolishValueParser;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;

/// The package version, and the git commit when built from a checkout (build.rs).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), env!("CCGW_VERSION_SUFFIX"));

/// Conformance suite for the CC-Gateway `getconnectinfo` interface.
#[derive(Debug, Parser)]
#[command(name = "ccgw-conformance", version = VERSION, about, after_help = super::exit::help())]
pub struct Cli {
    /// Colour on the console: auto (a terminal without NO_COLOR), always or never.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: super::style::ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

/// Parses `argv` with `command` like `Cli::parse`, exiting on a refused
/// command line; when clap refuses a value that came from a `CCGW_*`
/// variable (not typed), the message names the variable. Also returns the
/// matches, from which `run` tells where each value came from (the command
/// is built once by the caller: each costs about as much as a tenth of a
/// default run's requests).
pub fn parse_from(
    command: &mut clap::Command,
    argv: &[std::ffi::OsString],
) -> (Cli, clap::ArgMatches) {
    let parsed = command.try_get_matches_from_mut(argv).and_then(|matches| {
        Cli::from_arg_matches(&matches)
            .map(|cli| (cli, matches))
            .map_err(|e| e.format(command))
    });
    match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            if let Some(var) = env_source(&e) {
                let _ = e.print();
                eprintln!("note: that value came from the environment variable {var}");
                std::process::exit(e.exit_code());
            }
            e.exit()
        }
    }
}

/// The variable behind the refused value of `e`, when the flag was not typed.
fn env_source(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let ContextValue::String(arg) = e.get(ContextKind::InvalidArg)? else {
        return None;
    };
    let long = arg.split_whitespace().next()?.strip_prefix("--")?;
    let flag = format!("--{long}");
    let typed = std::env::args_os().skip(1).any(|a| {
        let a = a.to_string_lossy();
        a == flag || a.starts_with(&format!("{flag}="))
    });
    if typed {
        return None;
    }
    Cli::command()
        .get_subcommands()
        .flat_map(|s| s.get_arguments())
        .find(|a| a.get_long() == Some(long))
        .and_then(|a| a.get_env())
        .map(|v| v.to_string_lossy().into_owned())
        .filter(|v| std::env::var_os(v).is_some())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the suite against a gateway (without --target: the embedded reference gateway).
    Run(Box<RunArgs>),
    /// List the cases of the suite.
    List(ListArgs),
    /// Run the reference gateway standalone, for trying it with curl.
    Serve(Box<ServeArgs>),
    /// Run the suite against the reference gateway once per fault and print which cases catch it.
    Faults(FaultsArgs),
    /// Compare two report.json files (e.g. the old and the new gateway release).
    Compare(CompareArgs),
    /// Print the contract as an OpenAPI 3.1 document (JSON), for linters,
    /// mock servers, fuzzers and client generators; with --dir, write one
    /// per profile.
    Openapi(OpenapiArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the man pages (roff) generated from these definitions: the
    /// tool's, then one per subcommand (`man -l` shows them all), or write
    /// each to its own file with --dir.
    Man(ManArgs),
}

/// `man` options.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write ccgw-conformance.1 and ccgw-conformance-SUBCOMMAND.1 into DIR
    /// instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Where the suite comes from.
#[derive(Debug, Args)]
#[command(next_help_heading = "Suite")]
pub struct SuiteArgs {
    /// A suite folder on disk instead of the embedded default suite.
    #[arg(long, env = "CCGW_SUITE", value_name = "DIR")]
    pub suite: Option<PathBuf>,
    /// A schemas folder on disk instead of the embedded schemas.
    #[arg(long, env = "CCGW_SCHEMAS", value_name = "DIR")]
    pub schemas: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Base URL of the gateway, e.g. https://10.0.0.5:8043 (may carry a path prefix).
    /// Without it, the embedded reference gateway is started on 127.0.0.1.
    #[arg(help_heading = "Target and credentials", long, env = "CCGW_TARGET", value_name = "URL", value_parser = parse_target)]
    pub target: Option<reqwest::Url>,
    /// The signed-in agent the Guid belongs to (decimal digits).
    #[arg(help_heading = "Target and credentials", long, env = "CCGW_AGENT_ID", value_name = "ID", value_parser = parse_agent_id, allow_negative_numbers = true)]
    pub agent_id: Option<String>,
    /// The agent's Guid (prefer CCGW_GUID or --guid-file: a command line is visible to others).
    #[arg(
        help_heading = "Target and credentials",
        long,
        env = "CCGW_GUID",
        value_name = "GUID",
        hide_env_values = true
    )]
    pub guid: Option<String>,
    /// A file whose first line is the Guid.
    #[arg(
        help_heading = "Target and credentials",
        long,
        env = "CCGW_GUID_FILE",
        value_name = "FILE"
    )]
    pub guid_file: Option<PathBuf>,
    /// A live video call of the agent; cases that expect connection info are skipped without it.
    #[arg(
        help_heading = "Target and credentials",
        long,
        env = "CCGW_CALLID",
        value_name = "ID",
        hide_env_values = true
    )]
    pub callid: Option<String>,
    /// Another in-range agent id (default: a neighbour of --agent-id).
    #[arg(help_heading = "Target and credentials", long, env = "CCGW_OTHER_AGENT_ID", value_name = "ID", value_parser = parse_agent_id, allow_negative_numbers = true)]
    pub other_agent_id: Option<String>,
    /// The Guid of the other agent (for the Guid-binding cases).
    #[arg(
        help_heading = "Target and credentials",
        long,
        env = "CCGW_OTHER_GUID",
        value_name = "GUID",
        hide_env_values = true
    )]
    pub other_guid: Option<String>,
    /// A live call of the other agent.
    #[arg(
        help_heading = "Target and credentials",
        long,
        env = "CCGW_OTHER_CALLID",
        value_name = "ID",
        hide_env_values = true
    )]
    pub other_callid: Option<String>,
    /// Trust this CA (PEM) for the target's certificate.
    #[arg(help_heading = "TLS", long, env = "CCGW_CA_CERT", value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
    /// A client certificate (PEM, leaf first) for gateways that require mutual TLS.
    #[arg(
        help_heading = "TLS",
        long,
        env = "CCGW_CLIENT_CERT",
        value_name = "PEM"
    )]
    pub client_cert: Option<PathBuf>,
    /// The private key (PEM) of --client-cert.
    #[arg(
        help_heading = "TLS",
        long,
        env = "CCGW_CLIENT_KEY",
        value_name = "PEM"
    )]
    pub client_key: Option<PathBuf>,
    /// Do not verify the target's certificate (stated in every report).
    #[arg(help_heading = "TLS", long, env = "CCGW_INSECURE", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub insecure: bool,
    /// Spec profile: cec-23 (agentid 101..59999) or aicc-25.200 (101..999999).
    #[arg(
        help_heading = "Expectations and verdict",
        long,
        env = "CCGW_PROFILE",
        value_name = "NAME",
        default_value = "cec-23"
    )]
    pub profile: String,
    /// Narrow the expectations the documentation leaves open (TOML or JSON).
    #[arg(
        help_heading = "Expectations and verdict",
        long,
        env = "CCGW_EXPECT",
        value_name = "FILE"
    )]
    pub expect: Option<PathBuf>,
    /// Per-request timeout (connect, headers and body): 500ms, 10s, 2m; a bare number is seconds.
    #[arg(help_heading = "Connections and pacing", long, env = "CCGW_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = super::units::parse_duration, allow_negative_numbers = true)]
    pub timeout: std::time::Duration,
    /// How many cases run at once. One by default: a gateway may refuse
    /// repeated calls of one agent (000-007), which would make runs flaky.
    #[arg(help_heading = "Connections and pacing", long, env = "CCGW_CONCURRENCY", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// A new connection (TCP and TLS) for every case instead of keep-alive
    /// (stated in every report).
    #[arg(help_heading = "Connections and pacing", long, env = "CCGW_FRESH_CONNECTIONS", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub fresh_connections: bool,
    /// Largest response body read (e.g. 1MiB, 512KiB, 65536); a larger one is a finding.
    #[arg(help_heading = "Connections and pacing", long, env = "CCGW_BODY_CAP", value_name = "SIZE", default_value = "1MiB", value_parser = super::units::parse_size)]
    pub body_cap: usize,
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Run only the cases whose id matches this glob (e.g. 'guid/*').
    #[arg(
        help_heading = "Selection",
        long,
        env = "CCGW_ONLY",
        value_name = "PATTERN"
    )]
    pub only: Option<String>,
    /// Where the reports are written.
    #[arg(
        help_heading = "Reports and output",
        long,
        env = "CCGW_OUT",
        value_name = "DIR",
        default_value = "reports"
    )]
    pub out: PathBuf,
    /// Show every case's exchange after the run: -v its curl line and the
    /// request and response heads (`>` sent, `<` received), -vv the bodies too
    /// (always redacted). CCGW_VERBOSE=1 or 2.
    #[arg(help_heading = "Reports and output", long, short, env = "CCGW_VERBOSE", action = ArgAction::Count)]
    pub verbose: u8,
    /// Print nothing but the summary.
    #[arg(help_heading = "Reports and output", long, short, env = "CCGW_QUIET", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub quiet: bool,
    /// Compare with an earlier report.json and mark each case new failure, fixed, changed...
    #[arg(
        help_heading = "Baseline",
        long,
        env = "CCGW_BASELINE",
        value_name = "REPORT"
    )]
    pub baseline: Option<PathBuf>,
    /// With --baseline: fail on any required failure (any) or only on new failures (new).
    #[arg(
        help_heading = "Baseline",
        long,
        env = "CCGW_FAIL_ON",
        value_enum,
        default_value = "any"
    )]
    pub fail_on: FailOnArg,
    /// Count advisory cases as required: their failures fail the run (exit 1)
    /// and JUnit lists them as failures; every report says the run was strict.
    #[arg(help_heading = "Expectations and verdict", long, env = "CCGW_STRICT", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub strict: bool,
    /// Accept skips of these cases or families (globs over case ids, or a
    /// family name, e.g. 'success'): a required case skipped for lack of input
    /// then does not make the run "not assessed". Recorded in every report.
    #[arg(
        help_heading = "Expectations and verdict",
        long = "accept-skip",
        env = "CCGW_ACCEPT_SKIP",
        value_name = "PATTERN",
        value_delimiter = ','
    )]
    pub accept_skips: Vec<String>,
    /// Send no control request: for a mock or a target that answers every
    /// request alike. A refusal for authentication then counts against the
    /// case that got it (the reports say the controls were off).
    #[arg(help_heading = "Connections and pacing", long, env = "CCGW_NO_CONTROL", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub no_control: bool,
    /// Send the control request (the valid request) after every N cases,
    /// besides at the start and the end: a session lost mid-run is then
    /// found within N cases.
    #[arg(help_heading = "Connections and pacing", long, env = "CCGW_CONTROL_EVERY", value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=10000))]
    pub control_every: u16,
    /// Name this run in every report, e.g. "R23.200 staging, node 2".
    #[arg(
        help_heading = "Reports and output",
        long,
        env = "CCGW_LABEL",
        value_name = "TEXT"
    )]
    pub label: Option<String>,
    /// A sign-off block as the reports' last section: "tester=NAME,organisation=ORG[,date=DATE]".
    #[arg(help_heading = "Reports and output", long, env = "CCGW_SIGN_OFF", value_name = "FIELDS", value_parser = super::units::parse_sign_off)]
    pub sign_off: Option<ccgw_conformance::report::SignOff>,
    /// Switch on a fault of the embedded gateway (self-test; repeatable; not with --target).
    // Conflicts (--guid/--guid-file, --ca-cert/--insecure, --fault/--target)
    // are settled in `inputs`: a flag wins over a variable the user never typed.
    #[arg(
        help_heading = "Self-test (embedded gateway)",
        long = "fault",
        value_name = "NAME"
    )]
    pub faults: Vec<ccgw_conformance::gateway::Fault>,
    #[command(flatten)]
    pub session: super::session_args::SessionArgs,
    /// The config file (default: ccgw-conformance.toml in this folder or
    /// the nearest one above); its target fills what flags and variables
    /// leave unset.
    #[arg(
        help_heading = "Config file",
        long,
        env = "CCGW_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// The config file's target to run against ([target.NAME]; default:
    /// its default_target, or its only target).
    #[arg(
        help_heading = "Config file",
        long,
        env = "CCGW_TARGET_NAME",
        value_name = "NAME"
    )]
    pub target_name: Option<String>,
}

/// `--fail-on`: the clap side of [`ccgw_conformance::compare::FailOn`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOnArg {
    /// Fail only on required cases that fail now and did not in the baseline.
    New,
    /// Fail on any required case that fails or errors, known or not.
    Any,
}

impl From<FailOnArg> for ccgw_conformance::compare::FailOn {
    fn from(arg: FailOnArg) -> Self {
        match arg {
            FailOnArg::New => ccgw_conformance::compare::FailOn::New,
            FailOnArg::Any => ccgw_conformance::compare::FailOn::Any,
        }
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Only the cases whose id matches this glob (as `run --only`).
    #[arg(long, env = "CCGW_ONLY", value_name = "PATTERN")]
    pub only: Option<String>,
    /// text (aligned columns) or json (an array, for scripts).
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

/// Output of `list` and `faults`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0, conflicts_with = "bind")]
    pub port: u16,
    /// Address to listen on, e.g. 0.0.0.0:8443 for a CI service container (default 127.0.0.1:PORT).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<std::net::SocketAddr>,
    /// Plain HTTP instead of HTTPS.
    #[arg(long)]
    pub http: bool,
    /// Switch on a fault (repeatable).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<ccgw_conformance::gateway::Fault>,
    /// The signed-in agent.
    #[arg(long, value_parser = parse_agent_id, allow_negative_numbers = true)]
    pub agent_id: Option<String>,
    /// Spec profile whose agentid range the gateway enforces.
    #[arg(long, default_value = "cec-23")]
    pub profile: String,
    /// The callid of the agent's live call (default: drawn at random), e.g.
    /// for a scripted demo whose commands name it.
    #[arg(long, value_name = "ID", requires = "other_callid")]
    pub callid: Option<String>,
    /// The callid of the other agent's live call (with --callid).
    #[arg(long, value_name = "ID", requires = "callid")]
    pub other_callid: Option<String>,
    /// List the faults with a one-line description, and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// Where to write the gateway's certificate (PEM), kept after exit; without it
    /// a temporary file is written and removed on exit.
    #[arg(long, value_name = "FILE")]
    pub cert_out: Option<PathBuf>,
    #[command(flatten)]
    pub session: super::session_args::ServeSessionArgs,
}

#[derive(Debug, Args)]
pub struct FaultsArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Spec profile.
    #[arg(long, default_value = "cec-23")]
    pub profile: String,
    /// Only these faults (repeatable).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<ccgw_conformance::gateway::Fault>,
    /// text (the matrix) or json (one object per fault, for scripts).
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

/// `openapi` options.
#[derive(Debug, Args)]
pub struct OpenapiArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// The profile whose agentid range the document states (default: cec-23;
    /// with --dir: only this one).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Write getconnectinfo.PROFILE.openapi.json for every profile into DIR
    /// instead of printing one.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline report.json (e.g. the old release).
    pub old: PathBuf,
    /// The new report.json.
    pub new: PathBuf,
    /// Where comparison.{md,html,json} are written.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

fn parse_target(text: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(text)
        .map_err(|e| format!("`{text}` is not a URL ({e}); expected e.g. https://10.0.0.5:8043"))?;
    match url.scheme() {
        "https" | "http" if url.host().is_some() => Ok(url),
        "https" | "http" => Err(format!("`{text}` has no host")),
        other => Err(format!(
            "scheme `{other}` is not supported; use https:// (or http://)"
        )),
    }
}

fn parse_agent_id(text: &str) -> Result<String, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{text}` is not an agent id: decimal digits expected, e.g. 1001"
        ))
    }
}
#[cfg(test)]
mod tests {
    use super::FailOnArg;
    use ccgw_conformance::compare::FailOn;
    use clap::ValueEnum;

    #[test]
    fn fail_on_parses_as_a_cli_value() {
        let parse = |text| FailOnArg::from_str(text, true).map(FailOn::from);
        assert_eq!(parse("new"), Ok(FailOn::New));
        assert_eq!(parse("any"), Ok(FailOn::Any));
        assert!(parse("some").is_err());
    }
}
