//! Resolving a case into a concrete request and a concrete expectation for
//! this run: the valid baseline request with the case's one change.

use super::plan::{EXAMPLE_CALLID, RunPlan, UNKNOWN_CALLID, UNKNOWN_GUID};
use crate::checks::Expected;
use crate::contract::{OutcomePolicy, Profile, RetcodeSetName, StatusSetName};
use crate::suite::{Case, Change, GuidValue, OutcomeRule};
use serde_json::Value;

/// A request ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub method: String,
    /// Path (percent-encoded) below the target's origin.
    pub path: String,
    /// Headers in the order sent; names as written on the wire.
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Send header names in lowercase instead of title case.
    pub lowercase_names: bool,
    /// The path agent id, as resolved.
    pub agent_id: String,
}

/// A case resolved for this run.
#[derive(Debug, Clone)]
pub enum Resolution {
    Ready {
        request: Prepared,
        expected: Expected,
    },
    /// Not runnable with what this run was given.
    Skip(String),
}

/// The agent id used for `${other_agent}`: the configured one, or a neighbour
/// of the signed-in agent inside the profile's range.
pub fn other_agent_id(plan: &RunPlan) -> String {
    if let Some(other) = &plan.credentials.other_agent_id {
        return other.clone();
    }
    let p = &plan.profile;
    let agent: u64 = plan.credentials.agent_id.parse().unwrap_or(p.agent_id_min);
    if agent < p.agent_id_max {
        agent + 1
    } else {
        agent.saturating_sub(1).max(p.agent_id_min)
    }
    .to_string()
}

/// Resolves `case` for `plan`.
pub fn resolve(case: &Case, plan: &RunPlan) -> Resolution {
    let creds = &plan.credentials;
    let callid = creds
        .callid
        .clone()
        .unwrap_or_else(|| EXAMPLE_CALLID.to_owned());
    let mut request = Prepared {
        method: "POST".to_owned(),
        path: String::new(),
        headers: vec![
            (
                "Content-Type".to_owned(),
                "application/json; charset=UTF-8".to_owned(),
            ),
            ("Guid".to_owned(), creds.guid.clone()),
        ],
        body: Some(baseline_body(&callid)),
        lowercase_names: false,
        agent_id: creds.agent_id.clone(),
    };
    match &case.change {
        Change::None => {}
        Change::Method(m) => request.method = m.clone(),
        Change::AgentId(template) => request.agent_id = expand_agent_id(&template.0, plan),
        Change::Guid(value) => {
            let guid = match value {
                GuidValue::Absent => None,
                GuidValue::Unknown => Some(UNKNOWN_GUID.to_owned()),
                GuidValue::Literal(v) => Some(v.clone()),
                GuidValue::OtherAgent => match &creds.other_guid {
                    Some(g) => Some(g.clone()),
                    None => {
                        return Resolution::Skip(
                            "needs the Guid of a second signed-in agent (--other-guid)".to_owned(),
                        );
                    }
                },
            };
            request.headers.retain(|(n, _)| n != "Guid");
            if let Some(guid) = guid {
                request.headers.push(("Guid".to_owned(), guid));
            }
        }
        Change::GuidHeader(name) => {
            request.lowercase_names = name.chars().all(|c| c.is_ascii_lowercase());
            for header in &mut request.headers {
                if header.0 == "Guid" {
                    header.0 = name.clone();
                }
            }
        }
        Change::ContentType(value) => {
            request.headers.retain(|(n, _)| n != "Content-Type");
            if let Some(v) = value {
                request
                    .headers
                    .insert(0, ("Content-Type".to_owned(), v.clone()));
            }
        }
        Change::BodyJson(json) => match substitute(json, &callid, creds.other_callid.as_deref()) {
            Ok(v) => request.body = Some(serde_json::to_vec(&v).unwrap_or_default()),
            Err(skip) => return Resolution::Skip(skip),
        },
        Change::BodyRaw(raw) => request.body = Some(raw.clone().into_bytes()),
    }
    request.path = format!(
        "agentgateway/resource/mediacall/{}/getconnectinfo",
        encode_segment(&request.agent_id)
    );

    let expected = match expected_for(case, plan, &request.agent_id) {
        Ok(e) => e,
        Err(skip) => return Resolution::Skip(skip),
    };
    if needs_live_call(&expected) && creds.callid.is_none() {
        return Resolution::Skip(plan.flow.no_call_reason.clone().unwrap_or_else(|| {
            "expects connection info, which needs a live video call of the agent (--callid)"
                .to_owned()
        }));
    }
    Resolution::Ready { request, expected }
}

fn needs_live_call(expected: &Expected) -> bool {
    matches!(expected, Expected::Served { .. })
}

fn baseline_body(callid: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "callid": callid, "userType": "agent" }))
        .unwrap_or_default()
}

fn expand_agent_id(template: &str, plan: &RunPlan) -> String {
    let p: &Profile = &plan.profile;
    template
        .replace("${agent}", &plan.credentials.agent_id)
        .replace("${other_agent}", &other_agent_id(plan))
        .replace("${min-1}", &(i128::from(p.agent_id_min) - 1).to_string())
        .replace("${max+1}", &(i128::from(p.agent_id_max) + 1).to_string())
        .replace("${min}", &p.agent_id_min.to_string())
        .replace("${max}", &p.agent_id_max.to_string())
}

/// Percent-encodes a path segment: everything but RFC 3986 unreserved bytes.
fn encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn substitute(value: &Value, callid: &str, other_callid: Option<&str>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => match s.as_str() {
            "${callid}" => Value::String(callid.to_owned()),
            "${unknown_callid}" => Value::String(UNKNOWN_CALLID.to_owned()),
            "${other_callid}" => match other_callid {
                Some(c) => Value::String(c.to_owned()),
                None => {
                    return Err("needs a live call of another agent (--other-callid)".to_owned());
                }
            },
            _ => value.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute(v, callid, other_callid))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| substitute(v, callid, other_callid).map(|v| (k.clone(), v)))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

fn expected_for(case: &Case, plan: &RunPlan, agent_id: &str) -> Result<Expected, String> {
    let exp = &plan.expectations;
    let builtin = exp.builtin();
    let http_or = |default: &StatusSetName| {
        exp.statuses(case.expect.http.as_ref().unwrap_or(default))
            .clone()
    };
    let served = || Expected::Served {
        statuses: http_or(&builtin.success),
        agent_id: agent_id.to_owned(),
    };
    let refused = |set: &RetcodeSetName| Expected::Refused {
        retcodes: exp.retcodes(set).to_vec(),
        set: set.name().to_owned(),
        statuses: http_or(&builtin.refusal),
    };
    let named_set = || case.expect.retcodes.as_ref().unwrap_or(&builtin.documented);
    Ok(match &case.expect.outcome {
        OutcomeRule::Served => served(),
        OutcomeRule::Refused => refused(named_set()),
        OutcomeRule::NotServed => Expected::NotServed {
            statuses: http_or(&builtin.refusal),
        },
        OutcomeRule::ByAgentId => {
            if agent_id == plan.credentials.agent_id {
                served()
            } else if plan.profile.is_valid_agent_id(agent_id) {
                refused(&builtin.auth)
            } else {
                refused(&builtin.invalid_parameter)
            }
        }
        OutcomeRule::Policy(name) => match exp.policy(name) {
            OutcomePolicy::Served => served(),
            OutcomePolicy::Refused => refused(named_set()),
            OutcomePolicy::Either => Expected::Either {
                served: Box::new(served()),
                refused: Box::new(refused(named_set())),
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::encode_segment;

    #[test]
    fn encodes_path_segments() {
        assert_eq!(encode_segment("1001"), "1001");
        assert_eq!(encode_segment(""), "");
        assert_eq!(encode_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(encode_segment("١"), "%D9%A1");
    }
}
