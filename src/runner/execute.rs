//! Running one case: resolve, send, check, and record the evidence (redacted).

use super::flow::Retrying;
use super::guid::GuidSource;
use super::http::{Clients, RawResponse};
use super::plan::RunPlan;
use super::request::{Prepared, Resolution, resolve};
use crate::checks::{CheckContext, Observed, evaluate, shape};
use crate::redact::Redactor;
use crate::report::{
    Attempt, CaseResult, Cause, Header, RequestEvidence, ResponseEvidence, Status,
};
use crate::suite::Case;
use std::time::Instant;

/// Most characters of a body kept as evidence.
const EVIDENCE_CHARS: usize = 16 * 1024;
/// Characters past the evidence limit redacted with it (longer than any secret).
const REDACT_MARGIN: usize = 4 * 1024;

/// Shared, read-only state of a run's cases.
pub struct CaseRunner<'a> {
    pub plan: &'a RunPlan,
    pub clients: &'a Clients,
    pub checks: CheckContext<'a>,
    pub redactor: &'a Redactor,
}

/// What a sent case showed of the target.
pub struct Sighting {
    /// Some HTTP response was received.
    pub reached: bool,
    /// Why the request failed to connect (DNS, TCP, TLS), redacted, when it
    /// did (the reason its result gives).
    pub unreachable: Option<String>,
}

/// A case sent (or not), before its answer is judged: what [`CaseRunner::send`]
/// hands to [`CaseRunner::judge`].
pub struct Sent {
    result: CaseResult,
    outcome: Outcome,
}

/// What became of a case's request.
enum Outcome {
    /// Not sent: its result is final.
    Done,
    /// Sent, and answered or not.
    Sent {
        expected: Box<crate::checks::Expected>,
        answer: Box<Answer>,
    },
}

/// A request's last answer, and what was sent for it.
struct Answer {
    answer: Result<RawResponse, super::http::TransportError>,
    request: Prepared,
    generation: Option<u32>,
    flow_refused: bool,
}

impl Sent {
    /// A case whose result is final without a request.
    pub fn done(result: CaseResult) -> Sent {
        Sent {
            result,
            outcome: Outcome::Done,
        }
    }

    /// The HTTP status and the `retcode` of the answer as received (never
    /// redacted: decisions read these), when there was an answer.
    pub fn answered(&self) -> Option<(u16, Option<String>)> {
        match &self.outcome {
            Outcome::Sent { answer, .. } => answer
                .answer
                .as_ref()
                .ok()
                .map(|r| (r.status, retcode_of(r))),
            Outcome::Done => None,
        }
    }

    /// What the case showed of the target.
    pub fn sighting(&self, redactor: &Redactor) -> Sighting {
        Sighting {
            reached: matches!(&self.outcome, Outcome::Sent { answer, .. } if answer.answer.is_ok()),
            unreachable: match &self.outcome {
                Outcome::Sent { answer, .. } => match &answer.answer {
                    Err(e) if e.is_connect => Some(redactor.text(&e.message)),
                    _ => None,
                },
                Outcome::Done => None,
            },
        }
    }
}

impl CaseRunner<'_> {
    /// Resolves `case` and sends its request (retried under flow control):
    /// the part of running a case that waits for the gateway.
    pub async fn send(&self, case: &Case) -> Sent {
        let started = Instant::now();
        let mut result = skeleton(case);
        let (request, expected) = match resolve(case, self.plan) {
            Resolution::Skip(reason) => {
                result.status = Status::Skipped;
                result.cause = Some(Cause::NeedsInput);
                result.reason = Some(reason);
                result.expected = "not run".to_owned();
                return Sent::done(result);
            }
            Resolution::Ready { request, expected } => (request, expected),
        };
        result.expected = expected.describe();
        let answer = self
            .send_with_retries(request, case.fresh_connection, &mut result)
            .await;
        let took = started.elapsed();
        result.duration_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        result.duration_us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        Sent {
            result,
            outcome: Outcome::Sent {
                expected: Box::new(expected),
                answer: Box::new(answer),
            },
        }
    }

    /// Checks the answer of a sent case and records its evidence, redacted:
    /// the part of running a case that needs no gateway (a run one case at
    /// a time judges a case while the next one's request is out).
    pub fn judge(&self, sent: Sent) -> CaseResult {
        self.conclude(sent, true)
    }

    /// [`CaseRunner::judge`] without the checks: the answer recorded as
    /// evidence, redacted, its secrets learned, and no finding. What a
    /// control request needs (its outcome reads the status and the
    /// retcode), so the first one does not wait for the answer schemas to
    /// compile.
    pub fn record(&self, sent: Sent) -> CaseResult {
        self.conclude(sent, false)
    }

    fn conclude(&self, sent: Sent, checked: bool) -> CaseResult {
        let Sent {
            mut result,
            outcome,
        } = sent;
        let Outcome::Sent { expected, answer } = outcome else {
            return result;
        };
        let Answer {
            answer,
            request,
            generation,
            flow_refused,
        } = *answer;
        result.request = Some(Box::new(self.request_evidence(&request, generation)));
        let response = match answer {
            Ok(r) => r,
            Err(e) => {
                result.status = Status::Errored;
                result.cause = Some(if e.is_connect {
                    Cause::Unreachable
                } else if e.is_timeout {
                    Cause::Timeout
                } else {
                    Cause::Transport
                });
                result.reason = Some(self.redactor.text(&e.message));
                return result;
            }
        };
        // Every secret the answer carries is known before anything of it is shown.
        self.redactor
            .learn_from_response(&response.headers, &response.body);
        if !checked {
            result.response = Some(Box::new(self.response_evidence(&response)));
            self.redactor.case_result(&mut result);
            return result;
        }
        let observed = Observed {
            status: response.status,
            location: header(&response, "location"),
            content_type: header(&response, "content-type"),
            body: response.body.clone(),
            over_cap: response.over_cap,
            cap: self.plan.body_cap,
            allow: header(&response, "allow"),
            received_at_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            disclosed: disclosed_credentials(self.redactor, &request, &response),
        };
        let findings = evaluate(&expected, &observed, &self.checks);
        result.status = if findings.is_empty() {
            Status::Passed
        } else {
            Status::Failed
        };
        result.reason = match findings.as_slice() {
            [] => None,
            [only] => Some(format!("{}: {}", only.check, only.message)),
            [first, rest @ ..] => Some(format!(
                "{}: {} (and {} more)",
                first.check,
                first.message,
                rest.len()
            )),
        };
        result.findings = findings;
        result.response = Some(Box::new(self.response_evidence(&response)));
        if flow_refused {
            // Still refused by flow control when the budget was spent: no
            // verdict on the case.
            result.status = Status::Skipped;
            result.cause = Some(Cause::FlowControl);
            result.findings.clear();
            result.reason = Some(format!(
                "not assessed (flow control): still refused ({}) after {} attempt{} within the flow budget of {} ms",
                flow_refusal_words(&response),
                result.attempts.len().max(1),
                if result.attempts.len() > 1 { "s" } else { "" },
                self.plan.flow.budget.as_millis()
            ));
        }
        self.redactor.case_result(&mut result);
        result
    }

    /// Sends `request` (with the session's current Guid), paced for its
    /// agent, and sends it again after a backoff while it is refused by flow
    /// control, until the flow budget is spent; every attempt is recorded
    /// when there was more than one or the only one was refused.
    async fn send_with_retries(
        &self,
        request: Prepared,
        fresh_connection: bool,
        result: &mut CaseResult,
    ) -> Answer {
        let flow = &self.plan.flow;
        let mut retrying = Retrying::new(&flow.pacing, self.pacing_agent(&request), flow.budget);
        loop {
            retrying.slot().await;
            let (request, generation) = self.with_session_guid(&request);
            let sent = self
                .clients
                .send(
                    &self.plan.target,
                    &request,
                    fresh_connection,
                    self.plan.timeout,
                    self.plan.body_cap,
                )
                .await;
            let retcode = sent.as_ref().ok().and_then(retcode_of);
            let refusal = sent.as_ref().ok().and_then(flow_refusal);
            if refusal.is_some() || !result.attempts.is_empty() {
                result.attempts.push(Attempt {
                    number: u32::try_from(result.attempts.len() + 1).unwrap_or(u32::MAX),
                    http_status: sent.as_ref().ok().map(|r| r.status),
                    retcode: retcode.map(|r| self.redactor.value(&r)),
                    guid_generation: generation,
                    waited_ms: Some(retrying.backoff())
                        .filter(|b| !b.is_zero())
                        .map(|b| u64::try_from(b.as_millis()).unwrap_or(u64::MAX)),
                });
            }
            let refused = refusal.is_some();
            if !retrying.again(refusal) {
                return Answer {
                    answer: sent,
                    request,
                    generation,
                    flow_refused: refused,
                };
            }
        }
    }

    /// Whose flow limit a request counts against: the agent whose Guid it
    /// carries (the other agent's Guid: the other agent; any other request,
    /// a malformed agent id or a missing Guid included: the agent of the
    /// run, the one a gateway could count it against).
    fn pacing_agent(&self, request: &Prepared) -> String {
        let credentials = &self.plan.credentials;
        let other_guid = credentials.other_guid.as_deref().filter(|g| !g.is_empty());
        let carries_other = request.headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("guid") && Some(value.as_str()) == other_guid
        });
        match &credentials.other_agent_id {
            Some(other) if carries_other => other.clone(),
            _ => credentials.agent_id.clone(),
        }
    }

    /// `request` with the session's current Guid in place of the configured
    /// one, and its generation; unchanged without a session.
    /// The other agent's Guid, when the run signed it in too, is replaced
    /// by its session's current one the same way (its generation is not
    /// shown: the evidence names it `<other-guid>`).
    fn with_session_guid(&self, request: &Prepared) -> (Prepared, Option<u32>) {
        let flow = &self.plan.flow;
        if flow.guid.is_none() && flow.other_guid.is_none() {
            return (request.clone(), None);
        }
        let own = flow.guid.as_ref().map(GuidSource::current);
        let other = flow.other_guid.as_ref().map(|s| s.current().0);
        let configured_other = self.plan.credentials.other_guid.as_deref();
        let mut request = request.clone();
        let mut carried = false;
        for (name, value) in &mut request.headers {
            if !name.eq_ignore_ascii_case("guid") {
                continue;
            }
            if let Some((guid, _)) = &own
                && *value == self.plan.credentials.guid
            {
                value.clone_from(guid);
                carried = true;
            } else if let Some(guid) = &other
                && configured_other == Some(value.as_str())
            {
                value.clone_from(guid);
            }
        }
        (
            request,
            own.filter(|_| carried).map(|(_, generation)| generation),
        )
    }

    fn request_evidence(&self, request: &Prepared, generation: Option<u32>) -> RequestEvidence {
        let path = super::http::url_for(&self.plan.target.base_url, &request.path)
            .path()
            .to_owned();
        RequestEvidence {
            method: request.method.clone(),
            path: self.redactor.path(&path),
            headers: request
                .headers
                .iter()
                .map(|(n, v)| Header {
                    // As on the wire: the lowercase client writes every name in lowercase.
                    name: if request.lowercase_names {
                        n.to_ascii_lowercase()
                    } else {
                        n.clone()
                    },
                    value: if n.eq_ignore_ascii_case("guid") {
                        self.guid_shown(v, generation)
                    } else {
                        self.redactor.header(n, v)
                    },
                })
                .collect(),
            body: request
                .body
                .as_ref()
                .map(|b| self.redactor.text(&String::from_utf8_lossy(b))),
            guid_generation: generation,
        }
    }

    /// The `Guid` header of a request as the evidence shows it: which Guid
    /// it carried (`<guid>`: the agent's, any generation; `<other-guid>`: the
    /// other agent's), or the suite's own public value (a malformed or
    /// unknown Guid) with any secret in it replaced, so that a replay sends
    /// what the case sent.
    fn guid_shown(&self, value: &str, generation: Option<u32>) -> String {
        let credentials = &self.plan.credentials;
        if generation.is_some() || value == credentials.guid {
            "<guid>".to_owned()
        } else if credentials.other_guid.as_deref() == Some(value) {
            "<other-guid>".to_owned()
        } else {
            self.redactor.value(value)
        }
    }

    fn response_evidence(&self, response: &RawResponse) -> ResponseEvidence {
        // Redact a margin past the limit before cutting: a cut could split a
        // secret (and the start of one left at the cut is redacted too); the
        // rest of a large body is never shown, so it is not redacted.
        let lossy = String::from_utf8_lossy(&response.body);
        let head: String = lossy.chars().take(EVIDENCE_CHARS + REDACT_MARGIN).collect();
        let text = self.redactor.text(&head);
        let truncated = text.chars().count() > EVIDENCE_CHARS
            || lossy.chars().nth(EVIDENCE_CHARS + REDACT_MARGIN).is_some()
            || response.over_cap;
        let kept: String = text.chars().take(EVIDENCE_CHARS).collect();
        let json = serde_json::from_slice::<serde_json::Value>(&response.body).ok();
        let field = |name: &str| {
            json.as_ref()
                .and_then(|v| v.get(name))
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .map(|s| self.redactor.value(&s))
        };
        let mut headers: Vec<Header> = response
            .headers
            .iter()
            .filter(|(n, _)| n != "date")
            .map(|(n, v)| Header {
                name: n.clone(),
                value: self.redactor.header(n, v),
            })
            .collect();
        headers.sort_by(|a, b| a.name.cmp(&b.name));
        ResponseEvidence {
            status: response.status,
            headers,
            body: kept,
            body_bytes: response.body.len(),
            truncated,
            retcode: field("retcode"),
            message: field("message"),
            shape: json.as_ref().map(|v| shape(v, 200)).unwrap_or_default(),
        }
    }
}

/// Whether an answer is a flow-control refusal: 000-007, or HTTP 429 (or
/// 503 with `Retry-After`); with the delay the answer asks for, if any.
fn flow_refusal(response: &RawResponse) -> Option<Option<std::time::Duration>> {
    let retry_after = header(response, "retry-after").map(|v| super::retry_after(&v));
    let retcode = retcode_of(response);
    super::is_flow_refusal(response.status, retcode.as_deref(), retry_after).then_some(retry_after)
}

/// How a flow-control refusal was given, in words.
fn flow_refusal_words(response: &RawResponse) -> String {
    match retcode_of(response) {
        Some(retcode) if retcode == super::FLOW_CONTROL_RETCODE => retcode,
        _ => format!("HTTP {}", response.status),
    }
}

/// The `retcode` of a JSON envelope, as text.
fn retcode_of(response: &RawResponse) -> Option<String> {
    let json = serde_json::from_slice::<serde_json::Value>(&response.body).ok()?;
    let retcode = json.get("retcode")?;
    Some(
        retcode
            .as_str()
            .map_or_else(|| retcode.to_string(), str::to_owned),
    )
}

fn header(response: &RawResponse, name: &str) -> Option<String> {
    response
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// A result with the case's identity filled in and nothing observed yet.
pub fn skeleton(case: &Case) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        title: case.title.clone(),
        family: case.family().to_owned(),
        severity: case.severity,
        requirements: case.requirements.clone(),
        status: Status::Errored,
        reason: None,
        expected: String::new(),
        findings: Vec::new(),
        notes: case.rationale.iter().cloned().collect(),
        request: None,
        response: None,
        attempts: Vec::new(),
        duration_ms: 0,
        duration_us: 0,
        cause: None,
    }
}

/// The credentials of the run a redactor hides as these placeholders: what
/// an answer must not give to a request that did not carry them. (The
/// agent's own callid is left out: a call is no credential.)
const CREDENTIALS: [&str; 4] = ["<guid>", "<other-guid>", "<other-callid>", "<password>"];

/// The credentials (their placeholders) that `response` carries, in a
/// header or its body, and `request` did not: every generation of a Guid
/// counts, since the redactor knows them all. An answer without a secret
/// (the common case) costs one search of it and no copy.
fn disclosed_credentials(
    redactor: &Redactor,
    request: &Prepared,
    response: &RawResponse,
) -> Vec<String> {
    use std::borrow::Cow;
    let got = credentials_in(
        redactor,
        response
            .headers
            .iter()
            .map(|(_, value)| Cow::Borrowed(value.as_str()))
            .chain([String::from_utf8_lossy(&response.body)]),
    );
    if got.is_empty() {
        return Vec::new();
    }
    let sent = credentials_in(
        redactor,
        [
            Cow::Borrowed(request.path.as_str()),
            String::from_utf8_lossy(request.body.as_deref().unwrap_or_default()),
        ]
        .into_iter()
        .chain(
            request
                .headers
                .iter()
                .map(|(_, value)| Cow::Borrowed(value.as_str())),
        ),
    );
    got.difference(&sent).map(|p| (*p).to_owned()).collect()
}

/// The credential placeholders the redactor puts into `texts`; a text it
/// leaves as it is holds none.
fn credentials_in<'t>(
    redactor: &Redactor,
    texts: impl Iterator<Item = std::borrow::Cow<'t, str>>,
) -> std::collections::BTreeSet<&'static str> {
    let mut found = std::collections::BTreeSet::new();
    for text in texts {
        if let std::borrow::Cow::Owned(redacted) = redactor.redact(&text) {
            found.extend(CREDENTIALS.into_iter().filter(|p| redacted.contains(p)));
        }
    }
    found
}
