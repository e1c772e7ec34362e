//! The config file, `ccgw-conformance.toml`: named targets, each a set of
//! `run` options (`[target.staging]`, keys named like the options:
//! `agent_id`, `ca_cert`, `accept_skip`, `rate`, ...), chosen with
//! `--target-name`. Given with `--config` (or `CCGW_CONFIG`), else found in
//! the working directory or the nearest folder above it that has one.
//!
//! Precedence: a flag, then its environment variable, then the file, then
//! the default: a key fills only an option the command line and the
//! environment left unset. Each value is checked by the option's own parser
//! and a mistake names the file, the line and the key. Secrets are never
//! written in the file: a `guid`, `callid` or `password` key is refused;
//! the file names where they are (`guid_file`, `password_file`, or the
//! environment variable `guid_env = "STAGING_GUID"`). Relative paths are
//! relative to the file's folder.

use super::args::{Cli, Command};
use super::exit::CliError as Failure;
use clap::parser::ValueSource;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The file's name, looked for upward from the working directory.
pub const FILE_NAME: &str = "ccgw-conformance.toml";

/// Keys of secrets: refused, with where to put them instead.
const SECRETS: &[(&str, &str)] = &[
    ("guid", "guid_file or guid_env"),
    ("other_guid", "other_guid_env"),
    ("callid", "callid_env, or --wait-for-call with --sign-in"),
    ("other_callid", "other_callid_env"),
    ("password", "password_file or password_env"),
    (
        "other_password",
        "other_password_file or other_password_env",
    ),
];

/// Keys naming an environment variable that holds a secret, and the option
/// whose value the variable gives.
const FROM_ENV: &[(&str, &str)] = &[
    ("guid_env", "guid"),
    ("other_guid_env", "other_guid"),
    ("callid_env", "callid"),
    ("other_callid_env", "other_callid"),
];

/// `run` options a file cannot set: the file's own and the ones of one
/// invocation.
const NOT_IN_FILE: &[&str] = &["config", "target_name", "help"];

/// Options whose value is a path (relative to the file's folder).
const PATHS: &[&str] = &[
    "guid_file",
    "ca_cert",
    "client_cert",
    "client_key",
    "expect",
    "suite",
    "schemas",
    "out",
    "baseline",
    "password_file",
    "other_password_file",
    "sign_in_body",
];

/// What a config file gave a run: the extra arguments (parsed like typed
/// ones, after the user's) and, per option id, where it came from.
#[derive(Debug, Default, Clone)]
pub struct FromFile {
    pub args: Vec<OsString>,
    /// Option id → `key of [target.NAME] in FILE:LINE`.
    pub origins: BTreeMap<String, String>,
    /// The file and the target, when one was applied.
    pub applied: Option<(PathBuf, String)>,
}

/// Parses the command line ([`super::args::parse_from`]), then, for `run`,
/// adds the options of the config file's target that the command line and
/// the environment left unset (a mistake in the file exits 2, naming it).
pub fn parse() -> (Cli, clap::ArgMatches, clap::Command, FromFile) {
    let mut command = <Cli as clap::CommandFactory>::command();
    let argv: Vec<OsString> = std::env::args_os().collect();
    let (cli, matches) = super::args::parse_from(&mut command, &argv);
    let Command::Run(run) = &cli.command else {
        return (cli, matches, command, Default::default());
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let Some((path, explicit)) = locate(run.config.as_deref(), &cwd) else {
        if run.target_name.is_some() {
            eprintln!(
                "error: --target-name needs a config file: --config FILE, or {} here or in a folder above",
                FILE_NAME
            );
            std::process::exit(i32::from(super::exit::CONFIG));
        }
        return (cli, matches, command, Default::default());
    };
    let Some(given) = matches.subcommand_matches("run") else {
        return (cli, matches, command, Default::default());
    };
    let unset = |id: &str| {
        !matches!(
            given.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        )
    };
    let Some(run_command) = command.find_subcommand("run") else {
        return (cli, matches, command, Default::default());
    };
    let from_file = match apply(
        &path,
        explicit,
        run.target_name.as_deref(),
        run_command,
        &unset,
    ) {
        Ok(from_file) => from_file,
        Err(failure) => {
            eprintln!("error: {failure}");
            std::process::exit(i32::from(failure.code()));
        }
    };
    if from_file.args.is_empty() {
        return (cli, matches, command, from_file);
    }
    // The file's options after the user's: parsed by the same parsers.
    let argv: Vec<OsString> = argv
        .into_iter()
        .chain(from_file.args.iter().cloned())
        .collect();
    let (cli, matches) = super::args::parse_from(&mut command, &argv);
    (cli, matches, command, from_file)
}

/// The file a run reads: `explicit` (`--config`), else the nearest
/// `ccgw-conformance.toml` from `cwd` upward.
pub fn locate(explicit: Option<&Path>, cwd: &Path) -> Option<(PathBuf, bool)> {
    if let Some(path) = explicit {
        return Some((path.to_owned(), true));
    }
    cwd.ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|path| path.is_file())
        .map(|path| (path, false))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// The target when `--target-name` is not given.
    #[serde(default)]
    default_target: Option<toml::Spanned<String>>,
    #[serde(default)]
    target: BTreeMap<String, BTreeMap<String, toml::Spanned<toml::Value>>>,
}

/// Reads `path` and gives the arguments of its target `name` (or its
/// default target) for the options of `run` that `unset` says were given
/// neither on the command line nor in the environment.
pub fn apply(
    path: &Path,
    explicit: bool,
    name: Option<&str>,
    run: &clap::Command,
    unset: &dyn Fn(&str) -> bool,
) -> Result<FromFile, Failure> {
    let shown = path.display().to_string();
    let text =
        ccgw_conformance::input::read_text_capped(path, ccgw_conformance::input::CONFIG_LIMIT)
            .map_err(|e| {
                Failure::config(format!(
                    "failed to read the config file {shown}: {}",
                    ccgw_conformance::console::chain(&e)
                ))
            })?;
    let text = text.trim_start_matches('\u{feff}');
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| format!(":{}", line_of(text, s.start)))
            .unwrap_or_default();
        Failure::config(format!("{shown}{at}: {}", e.message()))
    })?;
    let names: Vec<&str> = raw.target.keys().map(String::as_str).collect();
    let chosen = match (name, &raw.default_target) {
        (Some(name), _) => name.to_owned(),
        (None, Some(default)) => default.get_ref().clone(),
        (None, None) if names.len() == 1 => names[0].to_owned(),
        (None, None) if !explicit => {
            if !names.is_empty() {
                eprintln!(
                    "note: {shown} has the targets {}: choose one with --target-name (not applied)",
                    names.join(", ")
                );
            }
            return Ok(FromFile::default());
        }
        (None, None) => {
            return Err(Failure::config(format!(
                "{shown} has the targets {}: choose one with --target-name, or set default_target",
                if names.is_empty() {
                    "(none)".to_owned()
                } else {
                    names.join(", ")
                }
            )));
        }
    };
    let Some(keys) = raw.target.get(&chosen) else {
        let at = raw
            .default_target
            .as_ref()
            .filter(|_| name.is_none())
            .map(|d| format!(":{}", line_of(text, d.span().start)))
            .unwrap_or_default();
        let close = names
            .iter()
            .filter(|n| strsim::jaro_winkler(n, &chosen) > 0.8)
            .map(|n| format!(" (did you mean `{n}`?)"))
            .next()
            .unwrap_or_default();
        return Err(Failure::config(format!(
            "{shown}{at}: no target `{chosen}`{close}; the file has {}",
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        )));
    };
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut out = FromFile {
        applied: Some((path.to_owned(), chosen.clone())),
        ..FromFile::default()
    };
    for (key, value) in keys {
        let line = line_of(text, value.span().start);
        let at = format!("{shown}:{line}: key `{key}` of [target.{chosen}]");
        let id = key.replace('-', "_");
        if let Some((_, instead)) = SECRETS.iter().find(|(k, _)| *k == id) {
            return Err(Failure::config(format!(
                "{at}: a secret is never written in the config file; name where it is instead ({instead})"
            )));
        }
        let (id, values) = match FROM_ENV.iter().find(|(k, _)| *k == id) {
            Some((_, option)) => {
                let var = single(value.get_ref(), &at)?;
                let secret = std::env::var(&var).map_err(|_| {
                    Failure::config(format!("{at}: the environment variable {var} is not set"))
                })?;
                ((*option).to_owned(), vec![secret])
            }
            None => (id, strings(value.get_ref(), &at)?),
        };
        // Named like the option's id or its long flag (`accept_skip`).
        let arg = run
            .get_arguments()
            .find(|a| {
                a.get_id() == id.as_str() || a.get_long().is_some_and(|l| l.replace('-', "_") == id)
            })
            .filter(|a| !NOT_IN_FILE.contains(&a.get_id().as_str()));
        let Some(arg) = arg else {
            let known: Vec<String> = run
                .get_arguments()
                .filter_map(|a| a.get_long().map(|l| l.replace('-', "_")))
                .filter(|k| !NOT_IN_FILE.contains(&k.as_str()))
                .collect();
            let close = known
                .iter()
                .filter(|k| strsim::jaro_winkler(k, &id) > 0.85)
                .map(|k| format!(" (did you mean `{k}`?)"))
                .next()
                .unwrap_or_default();
            return Err(Failure::config(format!(
                "{at}: not an option of run{close}"
            )));
        };
        let id = arg.get_id().to_string();
        if !unset(&id) {
            // A flag or a variable gave it: they win over the file.
            continue;
        }
        let Some(long) = arg.get_long() else {
            continue;
        };
        let takes_value = arg.get_action().takes_values();
        for mut value in values {
            if PATHS.contains(&id.as_str()) && Path::new(&value).is_relative() {
                value = folder.join(&value).display().to_string();
            }
            if !takes_value {
                // A switch: `true` sets it, `false` leaves the default.
                match value.as_str() {
                    "true" => out.args.push(format!("--{long}").into()),
                    "false" => {}
                    _ => {
                        return Err(Failure::config(format!(
                            "{at}: expected true or false, not `{value}`"
                        )));
                    }
                }
                continue;
            }
            // The option's own parser, alone: its message, placed in the file.
            clap::Command::new("config")
                .no_binary_name(true)
                .arg(arg.clone())
                .try_get_matches_from([format!("--{long}"), value.clone()])
                .map_err(|e| {
                    let why = e.to_string();
                    let why = why
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .trim_start_matches("error: ");
                    Failure::config(format!("{at}: {why}"))
                })?;
            out.args.push(format!("--{long}").into());
            out.args.push(value.into());
        }
        out.origins.insert(
            id.clone(),
            format!("{key} of [target.{chosen}] in {shown}:{line}"),
        );
    }
    Ok(out)
}

/// The value as the strings of its option: a string, a number or a
/// boolean as written, an array as one value per item.
fn strings(value: &toml::Value, at: &str) -> Result<Vec<String>, Failure> {
    match value {
        toml::Value::Array(items) => items.iter().map(|v| single(v, at)).collect(),
        other => Ok(vec![single(other, at)?]),
    }
}

fn single(value: &toml::Value, at: &str) -> Result<String, Failure> {
    match value {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(n) => Ok(n.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        _ => Err(Failure::config(format!(
            "{at}: expected a string, a number or true/false"
        ))),
    }
}

/// The 1-based line of byte `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.get(..at)
        .map_or(1, |head| head.matches('\n').count() + 1)
}
