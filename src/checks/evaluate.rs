//! Every answer judged against what its case expects: the checks that
//! apply, in one pass, their findings sorted.

use crate::contract::StatusSet;
use crate::report::CheckId;
use crate::report::Finding;
use crate::schemas::{SchemaName, Schemas};
use serde_json::Value;

use super::internals::find_internals;
use super::json::{TABLE5_FIELDS, connection_info, duplicate_keys};
use super::meaning;

/// What a case expects of the response, fully resolved for this run.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// Served: success status, retcode "0", a Table 5 result for `agent_id`.
    Served {
        statuses: StatusSet,
        agent_id: String,
    },
    /// Refused with a retcode from `retcodes` (named `set`), status in `statuses`.
    Refused {
        retcodes: Vec<String>,
        set: String,
        statuses: StatusSet,
    },
    /// Not served; the body need not be an envelope.
    NotServed { statuses: StatusSet },
    /// Either a valid success or a valid refusal.
    Either {
        served: Box<Expected>,
        refused: Box<Expected>,
    },
}

impl Expected {
    /// The expectation in words, for the report.
    pub fn describe(&self) -> String {
        match self {
            Expected::Served { statuses, .. } => {
                format!("served: HTTP {statuses}, retcode \"0\", a Table 5 result")
            }
            Expected::Refused {
                retcodes,
                set,
                statuses,
            } => {
                format!(
                    "refused: retcode {} ({set}), HTTP {statuses}, no connection info",
                    retcodes.join(" or ")
                )
            }
            Expected::NotServed { statuses } => {
                format!("not served: HTTP {statuses}, no retcode \"0\", no connection info")
            }
            Expected::Either { served, refused } => {
                format!("either {} | or {}", served.describe(), refused.describe())
            }
        }
    }
}

/// The response as observed, before any interpretation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub status: u16,
    /// `Location` header, if any.
    pub location: Option<String>,
    /// `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body, at most the cap.
    pub body: Vec<u8>,
    /// True when the body was larger than the cap.
    pub over_cap: bool,
    /// The cap in bytes.
    pub cap: usize,
    /// `Allow` header, if any.
    pub allow: Option<String>,
    /// When the answer arrived, in milliseconds since the epoch (the clock
    /// `result.ctime` is read against).
    pub received_at_ms: u64,
    /// The credentials of the run (as their placeholders: `<guid>`,
    /// `<other-guid>`, ...) that the answer carries and its request did not.
    pub disclosed: Vec<String>,
}

/// Everything a check needs besides the response.
pub struct CheckContext<'a> {
    pub schemas: &'a Schemas,
    /// Every documented refusal retcode.
    pub documented: &'a [String],
    /// The profile takes a loopback media address as usable.
    pub allow_loopback_media: bool,
}

/// Runs every check that applies; findings sorted by check id then message.
pub fn evaluate(expected: &Expected, observed: &Observed, ctx: &CheckContext<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    if (300..400).contains(&observed.status) {
        let to = observed
            .location
            .as_deref()
            .unwrap_or("(no Location header)");
        findings.push(CheckId::Redirect.finding(format!(
            "answered HTTP {} redirecting to {to}; redirects are never followed, so the Guid cannot travel to another origin",
            observed.status
        )));
        return findings;
    }
    if observed.over_cap {
        findings.push(CheckId::BodySize.finding(format!(
            "the body is larger than {} bytes; it was not read further",
            observed.cap
        )));
        return findings;
    }
    let parsed = serde_json::from_slice::<Value>(&observed.body);
    if parsed.is_ok() {
        for path in duplicate_keys(&observed.body) {
            findings.push(Finding {
                instance_path: Some(path.clone()),
                ..CheckId::UniqueKeys.finding(format!("the key {path} appears twice in its object; a JSON parser silently keeps one of the values"))
            });
        }
    }
    meaning::allow(&mut findings, observed.allow.as_deref());
    meaning::credentials(&mut findings, &observed.disclosed);
    let body = parsed.as_ref().ok();
    match expected {
        Expected::Either { served, refused } => {
            let is_success =
                body.and_then(|b| b.get("retcode")).and_then(Value::as_str) == Some("0");
            let branch = if is_success { served } else { refused };
            return evaluate(branch, observed, ctx);
        }
        Expected::Served { statuses, agent_id } => {
            check_status(&mut findings, statuses, observed.status);
            match &parsed {
                Ok(body) => {
                    check_media_type(&mut findings, observed);
                    check_success(&mut findings, body, agent_id, observed, ctx);
                }
                Err(e) => findings.push(not_json(observed, e, "a success must be a JSON envelope")),
            }
        }
        Expected::Refused {
            retcodes,
            set,
            statuses,
        } => {
            check_status(&mut findings, statuses, observed.status);
            match &parsed {
                Ok(body) => {
                    check_media_type(&mut findings, observed);
                    check_refusal(&mut findings, body, retcodes, set, ctx);
                }
                Err(e) => findings.push(not_json(
                    observed,
                    e,
                    "a refusal must be a JSON envelope with a retcode",
                )),
            }
            check_internals(&mut findings, observed);
        }
        Expected::NotServed { statuses } => {
            check_status(&mut findings, statuses, observed.status);
            if let Some(body) = body {
                if body.get("retcode").and_then(Value::as_str) == Some("0") {
                    findings.push(CheckId::OutcomeRefused.finding(
                        "answered retcode \"0\" (success) although the request must not be served",
                    ));
                }
                check_no_connection_info(&mut findings, body);
            } else if let Some(field) = TABLE5_FIELDS
                .iter()
                .find(|f| contains_key_text(&observed.body, f))
            {
                findings.push(CheckId::NoConnectionInfo.finding(format!(
                    "the body mentions the connection-info field `{field}`"
                )));
            }
            check_internals(&mut findings, observed);
        }
    }
    findings.sort();
    findings.dedup();
    findings
}

fn contains_key_text(body: &[u8], field: &str) -> bool {
    let needle = format!("\"{field}\"");
    body.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn check_status(findings: &mut Vec<Finding>, statuses: &StatusSet, status: u16) {
    if !statuses.contains(status) {
        findings.push(CheckId::HttpStatus.finding(format!(
            "HTTP status {status} is not one of the accepted {statuses}"
        )));
    }
}

/// A JSON envelope must say so: a client that honours `Content-Type` (a
/// browser, the H5 agent page) will not parse JSON sent as `text/html`.
fn check_media_type(findings: &mut Vec<Finding>, observed: &Observed) {
    let label = observed.content_type.as_deref().unwrap_or_default();
    let essence = label
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        return;
    }
    let got = if label.trim().is_empty() {
        "no Content-Type".to_owned()
    } else {
        format!("Content-Type `{label}`")
    };
    findings.push(CheckId::BodyJson.finding(format!(
        "the JSON envelope came with {got}; it must be labelled application/json (RFC 8259 section 11) for a client to parse it as JSON"
    )));
}

fn not_json(observed: &Observed, error: &serde_json::Error, why: &str) -> Finding {
    let kind = observed
        .content_type
        .as_deref()
        .unwrap_or("no Content-Type");
    let start: String = String::from_utf8_lossy(&observed.body[..observed.body.len().min(40)])
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let what = if observed.body.is_empty() {
        "an empty body".to_owned()
    } else {
        match std::str::from_utf8(&observed.body) {
            Ok(_) => format!(
                "{} bytes of {kind} starting `{start}`, which do not parse as JSON ({error})",
                observed.body.len()
            ),
            Err(_) => format!(
                "{} bytes of {kind} that are not valid UTF-8",
                observed.body.len()
            ),
        }
    };
    CheckId::BodyJson.finding(format!("{why}; got {what}"))
}

fn schema_findings(
    findings: &mut Vec<Finding>,
    check: CheckId,
    ctx: &CheckContext<'_>,
    schema: SchemaName,
    value: &Value,
    prefix: &str,
    skip: &[String],
) {
    for v in ctx.schemas.validate(schema, value) {
        let path = format!("{prefix}{}", v.instance_path);
        if skip
            .iter()
            .any(|s| path == *s || path.starts_with(&format!("{s}/")))
        {
            continue;
        }
        findings.push(Finding {
            check,
            message: format!(
                "{}: {}",
                if path.is_empty() { "/" } else { &path },
                v.message
            ),
            instance_path: Some(path),
            schema_path: Some(v.schema_path),
        });
    }
}

fn check_success(
    findings: &mut Vec<Finding>,
    body: &Value,
    agent_id: &str,
    observed: &Observed,
    ctx: &CheckContext<'_>,
) {
    schema_findings(
        findings,
        CheckId::EnvelopeSchema,
        ctx,
        SchemaName::Envelope,
        body,
        "",
        &[],
    );
    match body.get("retcode") {
        Some(Value::String(code)) if code == "0" => {}
        Some(Value::String(code)) => {
            let message = body.get("message").and_then(Value::as_str).unwrap_or("");
            findings.push(CheckId::OutcomeServed.finding(format!(
                "the valid request was refused: retcode {code} ({message})"
            )));
            return;
        }
        Some(_) | None => return, // Reported by envelope.schema; the rest is meaningless without a retcode.
    }
    match body.get("result") {
        Some(result) => {
            schema_findings(
                findings,
                CheckId::ResultSchema,
                ctx,
                SchemaName::Result,
                result,
                "/result",
                &[],
            );
            match result.get("userId").and_then(Value::as_str) {
                Some(user) if user == agent_id => {}
                Some(user) => findings.push(Finding {
                    instance_path: Some("/result/userId".to_owned()),
                    ..CheckId::ResultUserId.finding(format!("userId is `{user}`, not the path agentid `{agent_id}` (Table 5 row 1: Agent ID)"))
                }),
                None => {} // Reported by result.schema.
            }
            meaning::ctime(findings, result, observed.received_at_ms);
            meaning::addresses(findings, result, ctx.allow_loopback_media);
        }
        None => findings.push(Finding {
            instance_path: Some("/result".to_owned()),
            ..CheckId::ResultSchema
                .finding("retcode \"0\" without a `result` object: no connection info (Table 5)")
        }),
    }
}

fn check_no_connection_info(findings: &mut Vec<Finding>, body: &Value) -> Vec<String> {
    let paths = connection_info(body);
    if !paths.is_empty() {
        let more = match paths.len() {
            n if n > 4 => format!(" (+{} more)", n - 4),
            _ => String::new(),
        };
        findings.push(CheckId::NoConnectionInfo.finding(format!(
            "the refusal carries connection info at {}{more}",
            paths[..paths.len().min(4)].join(", ")
        )));
    }
    paths
}

fn check_refusal(
    findings: &mut Vec<Finding>,
    body: &Value,
    retcodes: &[String],
    set: &str,
    ctx: &CheckContext<'_>,
) {
    let code = body.get("retcode").and_then(Value::as_str);
    if code == Some("0") {
        findings.push(
            CheckId::OutcomeRefused
                .finding("served with retcode \"0\" although the request must be refused"),
        );
        return;
    }
    let leaked = check_no_connection_info(findings, body);
    schema_findings(
        findings,
        CheckId::EnvelopeSchema,
        ctx,
        SchemaName::Error,
        body,
        "",
        &leaked,
    );
    let Some(code) = code else { return };
    if !retcodes.iter().any(|c| c == code) {
        findings.push(CheckId::RetcodeExpected.finding(format!(
            "retcode {code} is not one accepted for this refusal ({set}: {})",
            retcodes.join(", ")
        )));
    }
    if !ctx.documented.iter().any(|c| c == code) {
        findings.push(CheckId::RetcodeDocumented.finding(format!(
            "retcode {code} is not a documented code ({})",
            ctx.documented.join(", ")
        )));
    }
}

fn check_internals(findings: &mut Vec<Finding>, observed: &Observed) {
    let text = String::from_utf8_lossy(&observed.body);
    // JSON escapes (\n, \t) would hide a stack trace's line structure.
    let text = serde_json::from_slice::<Value>(&observed.body)
        .ok()
        .map(|v| collect_strings(&v).join("\n"))
        .unwrap_or_else(|| text.into_owned());
    if let Some((what, excerpt)) = find_internals(&text) {
        findings.push(
            CheckId::NoInternals
                .finding(format!("the error exposes internals: {what} (`{excerpt}`)")),
        );
    }
}

fn collect_strings(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![value];
    while let Some(v) = todo.pop() {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => todo.extend(items),
            Value::Object(map) => todo.extend(map.values()),
            _ => {}
        }
    }
    out
}
