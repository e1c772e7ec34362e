//! The request handling: routing, the documented checks in their documented
//! order, and one small branch per fault (read from [`Behaviour`]).
//!
//! Every check returns `Result<_, Refusal>`, so the order of the checks is
//! the order of the lines in [`check`].

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::response::Response;
use serde_json::{Map, Value};

use super::agent_id::{parse_lenient, parse_strict};
use super::behaviour::{Behaviour, ContentTypeRule};
use super::draw::is_well_formed_guid;
use super::response::{self, Refusal};
use super::session::GuidLookup;
use super::session_routes;
use super::sniff::WireGuid;
use super::state::GatewayState;

/// Largest request body read; a larger one is an invalid body.
const MAX_BODY: usize = 64 * 1024;
const MEDIACALL_PREFIX: &str = "/agentgateway/resource/mediacall/";
const GETCONNECTINFO_SUFFIX: &str = "/getconnectinfo";

/// The whole application: one dispatcher, so an empty `{agentid}` segment
/// reaches the getconnectinfo checks instead of a router's 404.
pub(crate) fn router(state: Arc<GatewayState>) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

async fn dispatch(State(state): State<Arc<GatewayState>>, req: Request) -> Response {
    let req = match session_routes::dispatch(&state, req).await {
        Ok(response) => return response,
        Err(req) => req,
    };
    let path = req.uri().path();
    if let Some(segment) = path
        .strip_prefix(MEDIACALL_PREFIX)
        .and_then(|rest| rest.strip_suffix(GETCONNECTINFO_SUFFIX))
        .filter(|segment| !segment.contains('/'))
    {
        let segment = segment.to_owned();
        return match session_routes::flow_gate(&state, &segment, req, MAX_BODY).await {
            Ok(req) => get_connect_info(&state, &segment, req).await,
            Err(refused) => refused,
        };
    }
    response::not_found()
}

async fn get_connect_info(state: &GatewayState, segment: &str, req: Request) -> Response {
    let behaviour = &state.behaviour;
    if behaviour.slow {
        tokio::time::sleep(state.slow_delay).await;
    }
    if behaviour.redirect {
        return response::redirect();
    }
    match check(state, segment, req).await {
        Ok(user_id) => response::success(state, &user_id),
        Err(refusal) => response::refusal(state, refusal),
    }
}

/// The documented checks in order; `Ok` carries the served agent id.
async fn check(state: &GatewayState, segment: &str, req: Request) -> Result<String, Refusal> {
    let behaviour = &state.behaviour;
    let (parts, body) = req.into_parts();
    if parts.method != Method::POST && !behaviour.any_method {
        return Err(Refusal::method("POST"));
    }
    let path_agent = path_agent_id(state, segment).ok_or(Refusal::INVALID_AGENT_ID)?;
    let guid = guid_header(
        behaviour,
        &parts.headers,
        parts.extensions.get::<WireGuid>(),
    );
    let agent = served_agent(state, &path_agent, guid.as_deref())?;
    check_content_type(behaviour.content_type, &parts.headers)?;
    let body = axum::body::to_bytes(body, MAX_BODY).await.ok();
    let call = read_body(behaviour, body.as_ref())?;
    check_call(state, &agent, call)?;
    Ok(agent)
}

/// The path agentid, canonical (`"1001"`), if it parses and is in range.
fn path_agent_id(state: &GatewayState, segment: &str) -> Option<String> {
    let segment = percent_decode(segment)?;
    let value = if state.behaviour.lenient_agent_id {
        parse_lenient(&segment)
    } else {
        parse_strict(&segment)
    }?;
    state.bounds.contains(value).then(|| value.to_string())
}

/// The Guid header value as the handler should see it.
fn guid_header(
    behaviour: &Behaviour,
    headers: &HeaderMap,
    wire: Option<&WireGuid>,
) -> Option<String> {
    if behaviour.guid_case_sensitive && wire == Some(&WireGuid::OtherCase) {
        return None;
    }
    let value = headers.get("guid")?;
    // A value that is not text cannot have been issued: keep it, lossily.
    Some(String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// Whose connection info is served, given the path agent and the Guid.
fn served_agent(
    state: &GatewayState,
    path_agent: &str,
    guid: Option<&str>,
) -> Result<String, Refusal> {
    let behaviour = &state.behaviour;
    let Some(guid) = guid.filter(|guid| !guid.is_empty()) else {
        return if behaviour.guid_optional {
            Ok(path_agent.to_owned())
        } else {
            Err(Refusal::NOT_SIGNED_IN)
        };
    };
    match state.lookup_guid(guid).ok_or(Refusal::INTERNAL)? {
        GuidLookup::Issued(owner) if owner == path_agent => Ok(owner),
        GuidLookup::Issued(owner) if behaviour.agent_from_guid => Ok(owner),
        GuidLookup::Issued(_) if behaviour.guid_any_agent => Ok(path_agent.to_owned()),
        GuidLookup::Issued(_) => Err(Refusal::NO_PERMISSION),
        GuidLookup::Unknown if behaviour.guid_any_value && is_well_formed_guid(guid) => {
            Ok(path_agent.to_owned())
        }
        GuidLookup::Unknown => Err(Refusal::NOT_SIGNED_IN),
    }
}

fn check_content_type(rule: ContentTypeRule, headers: &HeaderMap) -> Result<(), Refusal> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let accepted = match rule {
        ContentTypeRule::Ignored => true,
        ContentTypeRule::ExactCharset => value == Some("application/json; charset=UTF-8"),
        ContentTypeRule::Json => value.is_some_and(|value| {
            let essence = value.split(';').next().unwrap_or_default().trim();
            essence.eq_ignore_ascii_case("application/json")
        }),
    };
    if accepted {
        Ok(())
    } else {
        Err(Refusal::INVALID_CONTENT_TYPE)
    }
}

/// Which call the request names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CallRef {
    /// The callid given in the body.
    Given(String),
    /// The served agent's live call (`body-missing-served`).
    LiveCall,
}

/// A body member: absent, usable text, or something else.
enum Member {
    Absent,
    Text(String),
    Invalid,
}

fn member(behaviour: &Behaviour, object: &Map<String, Value>, key: &str) -> Member {
    match object.get(key) {
        None => Member::Absent,
        Some(Value::String(text)) if !text.is_empty() => Member::Text(text.clone()),
        Some(value @ (Value::Number(_) | Value::Bool(_))) if behaviour.coerce_types => {
            Member::Text(value.to_string())
        }
        Some(_) => Member::Invalid,
    }
}

/// Checks the body (step 5) and says which call it names.
fn read_body(behaviour: &Behaviour, body: Option<&Bytes>) -> Result<CallRef, Refusal> {
    let object = body
        .and_then(|body| serde_json::from_slice::<Value>(body).ok())
        .and_then(|value| match value {
            Value::Object(object) => Some(object),
            _ => None,
        });
    let Some(object) = object else {
        return if behaviour.missing_body_served {
            Ok(CallRef::LiveCall)
        } else {
            Err(Refusal::INVALID_BODY)
        };
    };
    if behaviour.extra_field_refused && object.keys().any(|k| k != "callid" && k != "userType") {
        return Err(Refusal::INVALID_BODY);
    }
    let call = match member(behaviour, &object, "callid") {
        Member::Text(callid) => CallRef::Given(callid),
        Member::Absent if behaviour.missing_body_served => CallRef::LiveCall,
        Member::Absent | Member::Invalid => return Err(Refusal::INVALID_BODY),
    };
    match member(behaviour, &object, "userType") {
        Member::Text(user_type) if user_type == "agent" => Ok(call),
        Member::Text(_) => Err(Refusal::INVALID_USER_TYPE),
        // The documented default of userType is "agent".
        Member::Absent if behaviour.missing_body_served => Ok(call),
        Member::Absent | Member::Invalid => Err(Refusal::INVALID_BODY),
    }
}

/// Step 6: the call must be a live call of the served agent.
fn check_call(state: &GatewayState, agent: &str, call: CallRef) -> Result<(), Refusal> {
    let callid = match call {
        CallRef::Given(_) if state.behaviour.callid_ignored => None,
        CallRef::Given(callid) => Some(callid),
        CallRef::LiveCall => None,
    };
    let Some(callid) = callid else {
        return match state.live_call(agent) {
            Some(_) => Ok(()),
            None => Err(Refusal::UNKNOWN_CALL),
        };
    };
    match state.call_owner(&callid) {
        Some(owner) if owner == agent => Ok(()),
        Some(_) => Err(Refusal::OTHER_AGENTS_CALL),
        None => Err(Refusal::UNKNOWN_CALL),
    }
}

/// `%XX`-decodes a path segment; `None` unless the result is UTF-8.
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("1001").as_deref(), Some("1001"));
        assert_eq!(percent_decode("%201001%20").as_deref(), Some(" 1001 "));
        assert_eq!(percent_decode("%D9%A1").as_deref(), Some("\u{0661}"));
        assert_eq!(percent_decode("%zz1").as_deref(), Some("%zz1"));
        assert_eq!(percent_decode("%FF"), None);
    }

    #[test]
    fn body_rules() {
        let documented = Behaviour::default();
        let body = |text: &str| Bytes::from(text.to_owned());
        let ok = body(r#"{"callid":"1-2","userType":"agent","extra":1}"#);
        assert_eq!(
            read_body(&documented, Some(&ok)),
            Ok(CallRef::Given("1-2".into()))
        );
        for bad in [
            "",
            "[]",
            "not json",
            r#"{"callid":"1-2"}"#,
            r#"{"callid":"","userType":"agent"}"#,
            r#"{"callid":12,"userType":"agent"}"#,
            r#"{"callid":"1-2","userType":"user"}"#,
        ] {
            assert!(read_body(&documented, Some(&body(bad))).is_err(), "{bad}");
        }
        assert!(read_body(&documented, None).is_err());
        let coerced = Behaviour {
            coerce_types: true,
            ..Behaviour::default()
        };
        assert_eq!(
            read_body(&coerced, Some(&body(r#"{"callid":12,"userType":"agent"}"#))),
            Ok(CallRef::Given("12".into()))
        );
        let missing = Behaviour {
            missing_body_served: true,
            ..Behaviour::default()
        };
        assert_eq!(read_body(&missing, Some(&body(""))), Ok(CallRef::LiveCall));
        assert_eq!(
            read_body(&missing, Some(&body(r#"{"userType":"agent"}"#))),
            Ok(CallRef::LiveCall)
        );
    }
}
