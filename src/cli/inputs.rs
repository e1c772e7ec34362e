//! The inputs of `run` checked before anything is sent: where each value came
//! from (a flag wins over the environment; clap's `conflicts_with` would fire
//! for a variable the user never typed), secrets normalised (byte-order mark,
//! surrounding whitespace, CR/LF) and refused when they cannot go in a header,
//! the target's length, and files read through the bounded reader. Every
//! mistake is a usage error (exit 2) naming the flag, the variable or the file.

use super::args::RunArgs;
use super::exit::CliError as Failure;
use ccgw_conformance::input::{self, ReadError};
use ccgw_conformance::redact::normalize_secret;
use clap::parser::ValueSource;
use std::path::Path;

/// Where a value of `run` came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Typed on the command line, as this flag.
    Flag(String),
    /// Read from this environment variable.
    Env(String),
    /// Read from the config file (the key, its target, the file and line).
    File(String),
    /// Not given (or a default).
    Absent,
}

impl Origin {
    /// How a message names the input: `--guid` or `CCGW_GUID`.
    pub fn name(&self) -> &str {
        match self {
            Origin::Flag(f) | Origin::Env(f) | Origin::File(f) => f,
            Origin::Absent => "(default)",
        }
    }
}

/// Where each argument of `run` came from: the matches of the command
/// line (the derive API drops the sources) and the command that parsed it.
pub struct Origins {
    matches: Option<clap::ArgMatches>,
    command: clap::Command,
    from_file: super::config::FromFile,
}

impl Origins {
    /// The origins of `run`'s arguments in `matches`, the command line
    /// parsed by `command`.
    pub fn new(
        matches: &clap::ArgMatches,
        command: clap::Command,
        from_file: super::config::FromFile,
    ) -> Origins {
        Origins {
            matches: matches.subcommand_matches("run").cloned(),
            command,
            from_file,
        }
    }

    /// What the run took from the config file, in words (for the report).
    pub fn config_file_note(&self) -> Option<String> {
        let (path, target) = self.from_file.applied.as_ref()?;
        let keys: Vec<&str> = self.from_file.origins.keys().map(String::as_str).collect();
        Some(format!(
            "Options from the config file {}, target {target}: {} (a flag or an environment variable wins over the file).",
            path.display(),
            if keys.is_empty() {
                "none (flags and variables gave every one it sets)".to_owned()
            } else {
                keys.join(", ")
            }
        ))
    }

    /// Where each option of `run` that was given came from, for the
    /// report (never a value).
    pub fn records(&self) -> Vec<ccgw_conformance::report::InputRecord> {
        use ccgw_conformance::report::{InputRecord, InputSource};
        let Some(run) = self.command.find_subcommand("run") else {
            return Vec::new();
        };
        run.get_arguments()
            .filter_map(|arg| {
                let long = format!("--{}", arg.get_long()?);
                let (source, from) = match self.of(arg.get_id().as_str()) {
                    Origin::Flag(flag) => (InputSource::Flag, flag),
                    Origin::Env(var) => (InputSource::Environment, var),
                    Origin::File(key) => (InputSource::ConfigFile, key),
                    Origin::Absent => return None,
                };
                Some(InputRecord {
                    option: long,
                    source,
                    from,
                })
            })
            .collect()
    }

    /// Where the argument with id `id` (the field name) came from.
    pub fn of(&self, id: &str) -> Origin {
        if let Some(from) = self.from_file.origins.get(id) {
            return Origin::File(from.clone());
        }
        let Some(m) = &self.matches else {
            return Origin::Absent;
        };
        let arg = self
            .command
            .find_subcommand("run")
            .and_then(|run| run.get_arguments().find(|a| a.get_id() == id));
        let long = arg.as_ref().and_then(|a| a.get_long()).map_or_else(
            || format!("--{}", id.replace('_', "-")),
            |l| format!("--{l}"),
        );
        match m.value_source(id) {
            Some(ValueSource::CommandLine) => Origin::Flag(long),
            Some(ValueSource::EnvVariable) => Origin::Env(
                arg.and_then(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()))
                    .unwrap_or(long),
            ),
            _ => Origin::Absent,
        }
    }
}

fn usage(message: String) -> Failure {
    Failure::config(message)
}

/// Settles every pair of inputs that exclude each other: the one typed on the
/// command line wins over the one from the environment (said on stderr); two
/// typed together, or two from the environment, are refused by name.
pub fn settle_conflicts(args: &mut RunArgs, origins: &Origins) -> Result<(), Failure> {
    // (--guid, --guid-file)
    if args.guid.is_some() && args.guid_file.is_some() {
        match pick(origins, "guid", "guid_file")? {
            Keep::First => args.guid_file = None,
            Keep::Second => args.guid = None,
        }
    }
    if args.ca_cert.is_some() && args.insecure {
        match pick(origins, "ca_cert", "insecure")? {
            Keep::First => args.insecure = false,
            Keep::Second => args.ca_cert = None,
        }
    }
    if args.quiet && args.verbose > 0 {
        match pick(origins, "quiet", "verbose")? {
            Keep::First => args.verbose = 0,
            Keep::Second => args.quiet = false,
        }
    }
    if args.baseline.is_none() && matches!(args.fail_on, super::args::FailOnArg::New) {
        return Err(usage(format!(
            "{} new needs --baseline: a new failure is one the baseline report did not have",
            origins.of("fail_on").name()
        )));
    }
    session_usage(args, origins)?;
    if args.target.is_some() && !args.faults.is_empty() {
        match pick(origins, "target", "faults")? {
            Keep::First => {
                return Err(usage(
                    "--fault switches on a fault of the embedded gateway and cannot be used with --target"
                        .to_owned(),
                ));
            }
            Keep::Second => args.target = None,
        }
    }
    Ok(())
}

/// The session's flags only with `--sign-in`, and no Guid of one's own with
/// it (the sign-in gives the Guid): a flag that would be ignored is an error.
fn session_usage(args: &RunArgs, origins: &Origins) -> Result<(), Failure> {
    let session = &args.session;
    let given = |id: &str, set: bool| set.then(|| origins.of(id).name().to_owned());
    if !session.sign_in {
        let needs: Vec<String> = [
            given("password_file", session.password_file.is_some()),
            given("password_env", session.password_env.is_some()),
            given("sign_in_body", session.sign_in_body.is_some()),
            given("guid_interval", session.guid_interval.is_some()),
            given("guid_timeout", session.guid_timeout.is_some()),
            given("wait_for_call", session.wait_for_call.is_some()),
            given("force_login", session.force_login),
            given("other_sign_in", session.other_sign_in),
            given("other_password_file", session.other_password_file.is_some()),
            given("other_password_env", session.other_password_env.is_some()),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !needs.is_empty() {
            return Err(usage(format!(
                "{} {} only with --sign-in (ignored without it)",
                needs.join(", "),
                if needs.len() == 1 { "works" } else { "work" },
            )));
        }
        return Ok(());
    }
    if !session.other_sign_in {
        let other_password = given("other_password_file", session.other_password_file.is_some())
            .or_else(|| given("other_password_env", session.other_password_env.is_some()));
        if let Some(name) = other_password {
            return Err(usage(format!(
                "{name} works only with --other-sign-in (ignored without it)"
            )));
        }
    } else {
        if args.other_agent_id.is_none() {
            return Err(usage(
                "--other-sign-in needs the other agent's id: --other-agent-id ID (or CCGW_OTHER_AGENT_ID)"
                    .to_owned(),
            ));
        }
        if let Some(name) = given("other_guid", args.other_guid.is_some()) {
            return Err(usage(format!(
                "{name} cannot be used with --other-sign-in: the other agent's sign-in gives its Guid"
            )));
        }
    }
    for id in ["guid", "guid_file"] {
        let set = if id == "guid" {
            args.guid.is_some()
        } else {
            args.guid_file.is_some()
        };
        if let Some(name) = given(id, set) {
            return Err(usage(format!(
                "{name} cannot be used with --sign-in: the sign-in gives the Guid (and the event poll its later generations)"
            )));
        }
    }
    Ok(())
}

enum Keep {
    First,
    Second,
}

fn pick(origins: &Origins, first: &str, second: &str) -> Result<Keep, Failure> {
    let (a, b) = (origins.of(first), origins.of(second));
    match (&a, &b) {
        (Origin::Flag(_), Origin::Env(var)) => {
            eprintln!(
                "note: {} given on the command line wins over {var} from the environment",
                a.name()
            );
            Ok(Keep::First)
        }
        (Origin::Env(var), Origin::Flag(_)) => {
            eprintln!(
                "note: {} given on the command line wins over {var} from the environment",
                b.name()
            );
            Ok(Keep::Second)
        }
        (Origin::Flag(_) | Origin::Env(_), Origin::File(key)) => {
            eprintln!("note: {} wins over {key}", a.name());
            Ok(Keep::First)
        }
        (Origin::File(key), Origin::Flag(_) | Origin::Env(_)) => {
            eprintln!("note: {} wins over {key}", b.name());
            Ok(Keep::Second)
        }
        _ => Err(usage(format!(
            "{} and {} cannot be used together; give one of them",
            a.name(),
            b.name()
        ))),
    }
}

/// A secret input normalised and checked: it must be able to travel in an
/// HTTP header (and in a JSON body), so no control character may remain.
pub fn secret(raw: &str, what: &str) -> Result<String, Failure> {
    let value = normalize_secret(raw);
    if value.is_empty() {
        return Err(usage(format!("{what} is empty")));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(usage(format!(
            "{what} holds a control character ({}) that cannot be sent in an HTTP header; nothing was sent",
            ccgw_conformance::console::visible(&c.to_string(), false)
        )));
    }
    if value
        .chars()
        .any(|c| ccgw_conformance::console::needs_escape(c, false))
    {
        return Err(usage(format!(
            "{what} holds an invisible formatting character; nothing was sent"
        )));
    }
    Ok(value)
}

/// The Guid from `--guid`/`CCGW_GUID` or the first line of the Guid file.
pub fn guid(args: &RunArgs, origins: &Origins) -> Result<Option<String>, Failure> {
    if let Some(g) = &args.guid {
        let what = format!("the Guid given with {}", origins.of("guid").name());
        return secret(g, &what).map(Some);
    }
    let Some(path) = &args.guid_file else {
        return Ok(None);
    };
    let flag = origins.of("guid_file");
    let what = format!("{} {}", flag.name(), path.display());
    let text = input::read_text_capped(path, input::GUID_FILE_LIMIT)
        .map_err(|e| read_failure(&flag, e))?;
    let first = text
        .trim_start_matches('\u{feff}')
        .split('\n')
        .next()
        .unwrap_or_default();
    if normalize_secret(first).is_empty() {
        return Err(usage(format!(
            "{what}: the first line is empty; it must hold the Guid"
        )));
    }
    secret(first, &format!("the first line of {what}")).map(Some)
}

/// A failure to read a file named by `origin`.
pub fn read_failure(origin: &Origin, e: ReadError) -> Failure {
    usage(format!(
        "failed to read {}: {}",
        origin.name(),
        ccgw_conformance::console::chain(&e)
    ))
}

/// Reads a PEM file named by `id` (`ca_cert`, `client_cert`, ...).
pub fn pem(path: &Path, origin: &Origin) -> Result<Vec<u8>, Failure> {
    input::read_capped(path, input::PEM_LIMIT).map_err(|e| read_failure(origin, e))
}

/// Longest target URL accepted; longer ones are a local mistake.
pub const TARGET_MAX: usize = 2048;

/// Checks the target's length and host name (DNS limits) before anything is sent.
pub fn target(url: &reqwest::Url, origin: &Origin) -> Result<(), Failure> {
    let len = url.as_str().len();
    if len > TARGET_MAX {
        return Err(usage(format!(
            "{}: the URL is {len} characters long; at most {TARGET_MAX} are accepted",
            origin.name()
        )));
    }
    if let Some(host) = url.domain() {
        if host.len() > 253 || host.split('.').any(|label| label.len() > 63) {
            return Err(usage(format!(
                "{}: the host name is not a valid DNS name (at most 253 characters, 63 per label)",
                origin.name()
            )));
        }
    }
    Ok(())
}

/// The client certificate and key, both or neither, read and checked.
pub fn client_identity(
    args: &RunArgs,
    origins: &Origins,
) -> Result<Option<ccgw_conformance::runner::ClientIdentity>, Failure> {
    let (cert, key) = match (&args.client_cert, &args.client_key) {
        (None, None) => return Ok(None),
        (Some(c), Some(k)) => (c, k),
        (Some(_), None) => {
            return Err(usage(format!(
                "{} needs --client-key (or CCGW_CLIENT_KEY): the key of the certificate",
                origins.of("client_cert").name()
            )));
        }
        (None, Some(_)) => {
            return Err(usage(format!(
                "{} needs --client-cert (or CCGW_CLIENT_CERT): the certificate of the key",
                origins.of("client_key").name()
            )));
        }
    };
    let (cert_origin, key_origin) = (origins.of("client_cert"), origins.of("client_key"));
    let identity = ccgw_conformance::runner::ClientIdentity {
        cert_pem: pem(cert, &cert_origin)?,
        key_pem: pem(key, &key_origin)?,
        cert_name: format!("{} {}", cert_origin.name(), cert.display()),
        key_name: format!("{} {}", key_origin.name(), key.display()),
    };
    ccgw_conformance::runner::check_identity(&identity).map_err(|e| usage(e.to_string()))?;
    Ok(Some(identity))
}
