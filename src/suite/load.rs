//! Loading a suite: read the files, parse them, check each against its schema
//! and its meaning, and build a [`Suite`]. Every mistake names the file, the
//! line, the column and the key.

use super::case::*;
use super::locate::{locate, position, segments};
use super::model::{RawCase, RawRequirements};
use crate::contract::{
    ContractError, Expectations, Kind, Name, Profile, RawExpectations, RawProfile, Retcodes,
    Statuses,
};
use crate::input::{CONFIG_LIMIT, ReadError};
use crate::schemas::{SchemaName, Schemas};
use crate::suggest;
use include_dir::{Dir, DirEntry, include_dir};
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

static EMBEDDED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/suites/getconnectinfo");

/// Where a suite comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuiteSource {
    /// The default suite compiled into the binary.
    Embedded,
    /// A suite folder on disk (`--suite DIR`).
    Dir(PathBuf),
}

/// A failure to load a suite.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// A file that could not be read.
    #[error("read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file with a mistake, and where it is.
    #[error("{file}:{line}:{column}: {}{message}", key.as_ref().map(|k| format!("key `{k}`: ")).unwrap_or_default())]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        key: Option<String>,
        message: String,
    },
    /// A file larger than its limit, or not text.
    #[error(transparent)]
    Input(#[from] ReadError),
    /// A folder reached a second time through a symbolic link (a loop, or
    /// the same folder twice): links are followed, each folder once.
    #[error(
        "{}: a symbolic link to {}, which the suite already holds (a loop or a second copy); remove the link",
        link.display(),
        target.display()
    )]
    LinkLoop { link: PathBuf, target: PathBuf },
    /// A file the suite needs is not there.
    #[error(
        "{file}: missing (a suite folder holds requirements.toml, expectations.toml, profiles/ and one folder per family)"
    )]
    Missing { file: String },
}

/// One text file of the suite: its path relative to the suite folder, and
/// where its text is. A file on disk is read when it is parsed, on the
/// worker that parses it, and its text dropped once it is parsed.
pub(super) struct SourceFile {
    pub(super) path: String,
    /// Its place in the walk (each folder's entries in name order, depth
    /// first): a file that cannot be read is reported in this order, the
    /// order in which a one-by-one walk would have met it.
    walked: usize,
    text: Text,
}

/// Where the text of a [`SourceFile`] is.
pub(super) enum Text {
    /// Compiled into the binary.
    Embedded(&'static str),
    /// A file on disk, known from its folder entry not to be a folder.
    Disk(PathBuf),
}

/// A file of the suite outside any walk (its place in a walk unknown).
pub(super) fn source_file(path: &str, text: Text) -> SourceFile {
    SourceFile {
        path: path.to_owned(),
        walked: 0,
        text,
    }
}

impl SourceFile {
    fn read(&self) -> Result<Cow<'static, str>, ReadError> {
        match &self.text {
            Text::Embedded(text) => Ok(Cow::Borrowed(text)),
            Text::Disk(path) => {
                crate::input::read_file_text_capped(path, CONFIG_LIMIT).map(Cow::Owned)
            }
        }
    }
}

/// The files of a suite, sorted by path, and the error that stopped the
/// walk early (a link loop, a folder that cannot be listed).
struct Listing {
    files: Vec<SourceFile>,
    stopped: Option<SuiteError>,
}

impl Listing {
    /// The first file, in walk order, that cannot be read: a one-by-one load
    /// read every file before it parsed one, so this error comes first.
    fn unreadable(&self) -> Option<SuiteError> {
        let mut walked: Vec<&SourceFile> = self.files.iter().collect();
        walked.sort_by_key(|f| f.walked);
        walked
            .into_iter()
            .find_map(|f| f.read().err().map(SuiteError::from))
    }
}

/// Loads a suite as a one-by-one walk meets its files: the error it
/// reports is the one every load reports.
pub(super) fn load_one_by_one(
    source: &SuiteSource,
    schemas: &Schemas,
    known_faults: &[&str],
) -> Result<Suite, SuiteError> {
    let (mut listing, origin) = match source {
        SuiteSource::Embedded => (embedded_files(), "embedded".to_owned()),
        SuiteSource::Dir(dir) => (dir_files(dir), dir.display().to_string()),
    };
    let display = |path: &str| match source {
        SuiteSource::Embedded => format!("suites/getconnectinfo/{path}"),
        SuiteSource::Dir(dir) => dir.join(path).display().to_string(),
    };
    if let Some(stopped) = listing.stopped.take() {
        return Err(listing.unreadable().unwrap_or(stopped));
    }
    // The embedded suite checked by the embedded schemas is data of the
    // binary itself: a test proves it passes them
    // (`the_suite_on_disk_loads_like_the_embedded_one`), so a run does not
    // compile and apply those schemas again. Any other pair is checked.
    let trusted = *source == SuiteSource::Embedded && schemas.is_embedded();
    let schemas = (!trusted).then_some(schemas);
    let head = load_head(&listing.files, &display, schemas)
        .map_err(|e| listing.unreadable().unwrap_or(e))?;

    let ctx = CaseContext {
        requirement_ids: &head.requirement_ids,
        expectations: &head.expectations,
        known_faults,
    };
    let cases = load_cases(&listing.files, &display, schemas, &ctx)?;
    Ok(Suite {
        name: head.name,
        source: origin,
        requirements: head.requirements,
        cases,
        expectations: head.expectations,
        profiles: head.profiles,
    })
}

/// What a suite holds besides its cases.
pub(super) struct Head {
    pub(super) name: String,
    pub(super) requirements: Vec<Requirement>,
    pub(super) requirement_ids: BTreeSet<String>,
    pub(super) expectations: Expectations,
    pub(super) profiles: Vec<Profile>,
}

/// Reads and checks `requirements.toml`, `expectations.toml` and the profiles.
pub(super) fn load_head(
    files: &[SourceFile],
    display: &dyn Fn(&str) -> String,
    schemas: Option<&Schemas>,
) -> Result<Head, SuiteError> {
    let find = |name: &str| {
        files
            .iter()
            .find(|f| f.path == name)
            .ok_or_else(|| SuiteError::Missing {
                file: display(name),
            })
    };

    let req_file = find("requirements.toml")?;
    let req_text = req_file.read()?;
    let raw_reqs: RawRequirements = parse(
        &display(&req_file.path),
        &req_text,
        schemas,
        SchemaName::Requirements,
    )?;
    let exp_file = find("expectations.toml")?;
    let exp_text = exp_file.read()?;
    let raw_exp: RawExpectations = parse(
        &display(&exp_file.path),
        &exp_text,
        schemas,
        SchemaName::Expectations,
    )?;
    let expectations = Expectations::documented(&raw_exp)
        .map_err(|e| invalid(&display(&exp_file.path), &exp_text, None, e.to_string()))?;

    let mut requirements = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, r) in raw_reqs.requirement.into_iter().enumerate() {
        if !seen.insert(r.id.clone()) {
            let key = format!("requirement.{i}.id");
            return Err(invalid(
                &display(&req_file.path),
                &req_text,
                Some(&key),
                format!("requirement `{}` is defined twice", r.id),
            ));
        }
        requirements.push(Requirement {
            id: r.id,
            title: r.title,
            spec_ref: r.spec_ref,
            quote: r.quote,
        });
    }
    requirements.sort_by(|a, b| a.id.cmp(&b.id));

    let mut profiles = Vec::new();
    for file in files
        .iter()
        .filter(|f| f.path.starts_with("profiles/") && f.path.ends_with(".toml"))
    {
        let name = display(&file.path);
        let text = file.read()?;
        let raw: RawProfile = parse(&name, &text, schemas, SchemaName::Profile)?;
        let profile = Profile::from_raw(raw, &expectations).map_err(|e| {
            let key = match e {
                ContractError::AgentIdRange { .. } => "agent_id",
                _ => "expectations",
            };
            invalid(&name, &text, Some(key), e.to_string())
        })?;
        profiles.push(profile);
    }
    if profiles.is_empty() {
        return Err(SuiteError::Missing {
            file: display("profiles/*.toml"),
        });
    }
    profiles.sort_by(|a, b| a.name.cmp(&b.name));

    Ok(Head {
        name: raw_reqs.suite,
        requirements,
        requirement_ids: seen,
        expectations,
        profiles,
    })
}

/// Why one case file did not load.
enum CaseFailure {
    /// It could not be read; its place in the walk.
    Unreadable(usize, ReadError),
    /// It holds a mistake.
    Invalid(SuiteError),
}

/// Reads, parses and checks every case file on every core. The error is
/// the one a one-by-one load reports: the first unreadable file in walk
/// order, else the first mistake in path order.
fn load_cases(
    files: &[SourceFile],
    display: &(dyn Fn(&str) -> String + Sync),
    schemas: Option<&Schemas>,
    ctx: &CaseContext<'_>,
) -> Result<Vec<Case>, SuiteError> {
    let case_files: Vec<&SourceFile> = files.iter().filter(|f| is_case_file(&f.path)).collect();
    let mut results = super::parallel::map_in_order(&case_files, |file| {
        let text = file
            .read()
            .map_err(|e| Box::new(CaseFailure::Unreadable(file.walked, e)))?;
        load_case(&file.path, &text, schemas, ctx).map_err(|e| {
            Box::new(CaseFailure::Invalid(match e {
                SuiteError::Invalid {
                    file,
                    line,
                    column,
                    key,
                    message,
                } => SuiteError::Invalid {
                    file: display(&file),
                    line,
                    column,
                    key,
                    message,
                },
                other => other,
            }))
        })
    });
    let first_unreadable = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r.as_ref().map_err(|e| &**e) {
            Err(CaseFailure::Unreadable(walked, _)) => Some((*walked, i)),
            _ => None,
        })
        .min();
    let first_invalid = results
        .iter()
        .position(|r| matches!(r.as_ref().map_err(|e| &**e), Err(CaseFailure::Invalid(_))));
    let first = first_unreadable.map(|(_, i)| i).or(first_invalid);
    if let Some(Err(failure)) = first.map(|i| results.swap_remove(i)) {
        return Err(match *failure {
            CaseFailure::Unreadable(_, e) => e.into(),
            CaseFailure::Invalid(e) => e,
        });
    }
    // Collected in place: the cases are not copied into a second vector.
    let mut cases: Vec<Case> = results.into_iter().filter_map(Result::ok).collect();
    cases.sort_unstable_by(Case::suite_order);
    Ok(cases)
}

/// Reads an expectations file given with `--expect` (TOML, or JSON by
/// extension), checked against `expect-file.schema.json`: any subset of the
/// suite's expectation entries, each entry's `reference` optional.
pub fn load_expectations_file(
    path: &Path,
    schemas: &Schemas,
) -> Result<RawExpectations, SuiteError> {
    let text = crate::input::read_text_capped(path, CONFIG_LIMIT)?;
    let name = path.display().to_string();
    if path.extension().is_some_and(|e| e == "json") {
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| SuiteError::Invalid {
                file: name.clone(),
                line: e.line(),
                column: e.column(),
                key: None,
                message: e.to_string(),
            })?;
        check_schema(&name, &text, &value, Some(schemas), SchemaName::ExpectFile)?;
        return serde_path_to_error::deserialize(&value).map_err(|e| {
            let key = e.path().to_string();
            invalid(&name, &text, Some(&key), hint(e.inner().to_string()))
        });
    }
    parse(&name, &text, Some(schemas), SchemaName::ExpectFile)
}

fn is_case_file(path: &str) -> bool {
    path.ends_with(".toml") && path.contains('/') && !path.starts_with("profiles/")
}

pub(super) struct CaseContext<'a> {
    pub(super) requirement_ids: &'a BTreeSet<String>,
    pub(super) expectations: &'a Expectations,
    pub(super) known_faults: &'a [&'a str],
}

/// Checks one case file, parsed once: the typed form is what the schema
/// checks, as JSON. Errors name the file by `path`, its path in the suite.
pub(super) fn load_case(
    path: &str,
    text: &str,
    schemas: Option<&Schemas>,
    ctx: &CaseContext<'_>,
) -> Result<Case, SuiteError> {
    let raw: RawCase = deserialize(path, text)?;
    let fail = |key: &str, message: String| invalid(path, text, Some(key), message);
    // The one-change rule first: its message says more than the schema's.
    let change =
        change_of(raw.request.as_ref()).map_err(|(key, m)| fail(&format!("request.{key}"), m))?;
    // After the typed parse the file holds exactly what `RawCase` holds, so
    // its JSON form is the file as the schema would see it, without a
    // second parse of the text.
    if schemas.is_some() {
        let json =
            serde_json::to_value(&raw).map_err(|e| invalid(path, text, None, e.to_string()))?;
        check_schema(path, text, &json, schemas, SchemaName::Case)?;
    }

    let expected_id = path.trim_end_matches(".toml");
    if raw.id != expected_id {
        return Err(fail(
            "id",
            format!(
                "the id must match the file's path: expected `{expected_id}`, found `{}`",
                raw.id
            ),
        ));
    }
    for (i, r) in raw.requirements.iter().enumerate() {
        if !ctx.requirement_ids.contains(r) {
            let known: Vec<&str> = ctx.requirement_ids.iter().map(String::as_str).collect();
            return Err(fail(
                &format!("requirements.{i}"),
                format!("unknown requirement `{r}`{}", suggest::hint(r, &known)),
            ));
        }
    }
    let catches = raw.catches.unwrap_or_default();
    for (i, f) in catches.iter().enumerate() {
        if !ctx.known_faults.contains(&f.as_str()) {
            return Err(fail(
                &format!("catches.{i}"),
                format!("unknown fault `{f}`{}", suggest::hint(f, ctx.known_faults)),
            ));
        }
    }

    let outcome = match raw.expect.outcome.as_str() {
        "served" => OutcomeRule::Served,
        "refused" => OutcomeRule::Refused,
        "not_served" => OutcomeRule::NotServed,
        "by_agent_id" => OutcomeRule::ByAgentId,
        other => match other.strip_prefix("policy:") {
            Some(p) => match ctx.expectations.name(p) {
                Some(name) => OutcomeRule::Policy(name),
                None => {
                    return Err(fail(
                        "expect.outcome",
                        format!("no expectation `policy.{p}` is defined"),
                    ));
                }
            },
            None => {
                return Err(fail(
                    "expect.outcome",
                    format!(
                        "unknown outcome `{other}`; use served, refused, not_served, by_agent_id or policy:<name>"
                    ),
                ));
            }
        },
    };
    if outcome == OutcomeRule::ByAgentId && !matches!(change, Change::AgentId(_)) {
        return Err(fail(
            "expect.outcome",
            "by_agent_id needs a `request.agent_id`".to_owned(),
        ));
    }
    let needs_retcodes = matches!(outcome, OutcomeRule::Refused | OutcomeRule::Policy(_));
    let retcodes = named::<Retcodes>(ctx, raw.expect.retcodes.as_deref(), "retcode set")
        .map_err(|m| fail("expect.retcodes", m))?;
    if retcodes.is_none() && needs_retcodes {
        return Err(fail(
            "expect",
            "a refusal needs `retcodes`: the name of the accepted retcode set".to_owned(),
        ));
    }
    let http = named::<Statuses>(ctx, raw.expect.http.as_deref(), "HTTP status set")
        .map_err(|m| fail("expect.http", m))?;

    Ok(Case {
        id: raw.id,
        title: raw.title,
        severity: raw.severity,
        requirements: raw.requirements,
        catches,
        rationale: raw.rationale,
        fresh_connection: raw.fresh_connection.unwrap_or(false),
        change,
        expect: Expect {
            outcome,
            retcodes,
            http,
        },
        file: path.to_owned(),
    })
}

/// The checked name of an expectation a case names, if it names one.
fn named<K: Kind>(
    ctx: &CaseContext<'_>,
    name: Option<&str>,
    what: &str,
) -> Result<Option<Name<K>>, String> {
    let Some(name) = name else {
        return Ok(None);
    };
    match ctx.expectations.name(name) {
        Some(checked) => Ok(Some(checked)),
        None => {
            let known = ctx.expectations.names(K::PREFIX);
            Err(format!("no {what} `{name}`{}", suggest::hint(name, &known)))
        }
    }
}

/// The one change of a `[request]` table, or the key and the reason it is wrong.
fn change_of(r: Option<&super::model::RawRequest>) -> Result<Change, (String, String)> {
    let Some(r) = r else {
        return Ok(Change::None);
    };
    let set: Vec<(&str, &String)> = [
        ("method", &r.method),
        ("agent_id", &r.agent_id),
        ("guid", &r.guid),
        ("guid_header", &r.guid_header),
        ("content_type", &r.content_type),
        ("body_json", &r.body_json),
        ("body_raw", &r.body_raw),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    let Some(&(key, value)) = set.first() else {
        return Ok(Change::None);
    };
    if set.len() > 1 {
        let keys: Vec<&str> = set.iter().map(|(k, _)| *k).collect();
        return Err((
            keys[1].to_owned(),
            format!(
                "a case changes exactly one thing of the valid request, this one changes {}",
                keys.join(", ")
            ),
        ));
    }
    let err = |m: String| Err((key.to_owned(), m));
    match key {
        "method" => {
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_alphabetic()) {
                return err(format!("`{value}` is not an HTTP method"));
            }
            Ok(Change::Method(value.clone()))
        }
        "agent_id" => {
            let mut rest = value.as_str();
            while let Some(start) = rest.find("${") {
                let end = rest[start..]
                    .find('}')
                    .map(|e| start + e + 1)
                    .unwrap_or(rest.len());
                let token = &rest[start..end];
                if !AGENT_ID_TOKENS.contains(&token) {
                    return err(format!(
                        "unknown token `{token}`; use one of {}",
                        AGENT_ID_TOKENS.join(", ")
                    ));
                }
                rest = &rest[end..];
            }
            Ok(Change::AgentId(AgentIdTemplate(value.clone())))
        }
        "guid" => Ok(Change::Guid(match value.as_str() {
            "<absent>" => GuidValue::Absent,
            "<unknown>" => GuidValue::Unknown,
            "<other-agent>" => GuidValue::OtherAgent,
            v if v.starts_with('<') && v.ends_with('>') => {
                return err(format!(
                    "unknown token `{v}`; use <absent>, <unknown>, <other-agent> or a literal value"
                ));
            }
            v => GuidValue::Literal(v.to_owned()),
        })),
        "guid_header" => {
            // reqwest writes header names in lowercase, or title case when asked:
            // those are the two spellings the runner can put on the wire.
            if value != "guid" && value != "Guid" {
                return err(format!(
                    "`{value}`: the runner can send the Guid header as `Guid` or `guid` only"
                ));
            }
            Ok(Change::GuidHeader(value.clone()))
        }
        "content_type" => Ok(Change::ContentType(if value == "<absent>" {
            None
        } else {
            Some(value.clone())
        })),
        "body_json" => serde_json::from_str(value)
            .map(Change::BodyJson)
            .or_else(|e| {
                err(format!(
                    "not valid JSON ({e}); use body_raw for a body that must not be JSON"
                ))
            }),
        _ => Ok(Change::BodyRaw(value.clone())),
    }
}

/// Parses a TOML file into `T`, checking it against `schema`.
fn parse<T: DeserializeOwned>(
    name: &str,
    text: &str,
    schemas: Option<&Schemas>,
    schema: SchemaName,
) -> Result<T, SuiteError> {
    let raw = deserialize(name, text)?;
    check_toml_schema(name, text, schemas, schema)?;
    Ok(raw)
}

/// Parses a TOML file into `T`; errors name the key path.
fn deserialize<T: DeserializeOwned>(name: &str, text: &str) -> Result<T, SuiteError> {
    let parse = || toml::Deserializer::parse(text).map_err(|e| toml_error(name, text, None, &e));
    // Most files hold no mistake: the key path is tracked only when a file
    // is read a second time to name the key of its mistake.
    if let Ok(value) = T::deserialize(parse()?) {
        return Ok(value);
    }
    serde_path_to_error::deserialize(parse()?).map_err(|e| {
        let key = e.path().to_string();
        let key = (key != ".").then_some(key);
        toml_error(name, text, key.as_deref(), e.inner())
    })
}

/// Checks a TOML file against `schema` (nothing without `schemas`).
fn check_toml_schema(
    name: &str,
    text: &str,
    schemas: Option<&Schemas>,
    schema: SchemaName,
) -> Result<(), SuiteError> {
    if schemas.is_none() {
        return Ok(());
    }
    let value: toml::Value = toml::from_str(text).map_err(|e| toml_error(name, text, None, &e))?;
    let json = serde_json::to_value(value).map_err(|e| invalid(name, text, None, e.to_string()))?;
    check_schema(name, text, &json, schemas, schema)
}

fn check_schema(
    name: &str,
    text: &str,
    json: &serde_json::Value,
    schemas: Option<&Schemas>,
    schema: SchemaName,
) -> Result<(), SuiteError> {
    let Some(schemas) = schemas else {
        return Ok(());
    };
    let violations = schemas.validate(schema, json);
    let Some(first) = violations.first() else {
        return Ok(());
    };
    let key = segments(&first.instance_path).join(".");
    let key = (!key.is_empty()).then_some(key);
    let more = match violations.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    Err(invalid(
        name,
        text,
        key.as_deref(),
        format!("{} (schema {}){more}", first.message, first.schema_path),
    ))
}

fn toml_error(name: &str, text: &str, key: Option<&str>, e: &toml::de::Error) -> SuiteError {
    let pos = match (e.span(), key) {
        (_, Some(key)) => locate(text, &segments(key)),
        (Some(span), None) => position(text, span.start),
        (None, None) => position(text, 0),
    };
    let pos = match (e.span(), key) {
        // The span of the error itself is the most precise place when there is one.
        (Some(span), Some(_)) if span.start > 0 => position(text, span.start),
        _ => pos,
    };
    SuiteError::Invalid {
        file: name.to_owned(),
        line: pos.line,
        column: pos.column,
        key: key.map(str::to_owned),
        message: hint(e.message().to_owned()),
    }
}

fn invalid(name: &str, text: &str, key: Option<&str>, message: String) -> SuiteError {
    let pos = key.map_or(position(text, 0), |k| locate(text, &segments(k)));
    SuiteError::Invalid {
        file: name.to_owned(),
        line: pos.line,
        column: pos.column,
        key: key.map(str::to_owned),
        message,
    }
}

/// Adds "did you mean" to serde's "unknown field `x`, expected one of `a`, `b`".
fn hint(message: String) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message;
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return message;
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    format!("{message}{}", suggest::hint(field, &candidates))
}

fn embedded_files() -> Listing {
    fn walk(dir: &'static Dir<'static>, out: &mut Vec<SourceFile>) {
        for entry in dir.entries() {
            match entry {
                DirEntry::Dir(d) => walk(d, out),
                DirEntry::File(f) => {
                    if let Some(text) = f.contents_utf8() {
                        out.push(SourceFile {
                            path: f.path().to_string_lossy().replace('\\', "/"),
                            walked: out.len(),
                            text: Text::Embedded(text),
                        });
                    }
                }
            }
        }
    }
    let mut files = Vec::new();
    walk(&EMBEDDED, &mut files);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Listing {
        files,
        stopped: None,
    }
}

/// What a folder is, however it is reached: its device and inode (one
/// `stat`), or its real path where there are no inodes.
#[cfg(unix)]
pub(super) type FolderId = (u64, u64);
#[cfg(not(unix))]
type FolderId = PathBuf;

#[cfg(unix)]
fn folder_identity(dir: &Path) -> std::io::Result<FolderId> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir)?;
    Ok((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn folder_identity(dir: &Path) -> std::io::Result<FolderId> {
    std::fs::canonicalize(dir)
}

/// Lists the `.toml` files below `root` without reading them. Links are
/// followed; `seen` holds every folder entered, so a link that loops (or
/// leads to a folder twice) stops the walk with its name instead of
/// walking forever.
fn dir_files(root: &Path) -> Listing {
    fn walk(
        dir: &Path,
        rel: &str,
        seen: &mut BTreeSet<FolderId>,
        out: &mut Vec<SourceFile>,
    ) -> Result<(), SuiteError> {
        let read = |source| SuiteError::Read {
            path: dir.to_owned(),
            source,
        };
        if !seen.insert(folder_identity(dir).map_err(read)?) {
            return Err(SuiteError::LinkLoop {
                link: dir.to_owned(),
                target: std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned()),
            });
        }
        let mut entries: Vec<(std::ffi::OsString, std::fs::FileType)> = std::fs::read_dir(dir)
            .map_err(read)?
            .map(|e| e.and_then(|e| Ok((e.file_name(), e.file_type()?))))
            .collect::<Result<_, _>>()
            .map_err(read)?;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, kind) in entries {
            let path = dir.join(&name);
            let name = name.to_string_lossy().replace('\\', "/");
            let rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            // The entry's own type costs no `stat`; only a link is followed
            // to learn what it leads to (a broken link is a file that
            // cannot be read).
            let is_dir = kind.is_dir() || (kind.is_symlink() && path.is_dir());
            if is_dir {
                walk(&path, &rel, seen, out)?;
            } else if path.extension().is_some_and(|e| e == "toml") {
                out.push(SourceFile {
                    path: rel,
                    walked: out.len(),
                    text: Text::Disk(path),
                });
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    let stopped = walk(root, "", &mut BTreeSet::new(), &mut files).err();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Listing { files, stopped }
}
