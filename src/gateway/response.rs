//! Building the gateway's answers: the JSON envelope, the `result` object
//! (Table 5) and the refusal variants the faults ask for.
//!
//! JSON is written by hand from ordered key/value lists rather than through a
//! map, so the key order is fixed (`retcode`, `message`, `result`) and the
//! `duplicate-keys` fault can repeat a key exactly as the documentation's own
//! example does.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;
use std::time::Duration;

use super::behaviour::{Behaviour, EnvelopeShape};
use super::state::GatewayState;

/// Fixed `ctime`: a millisecond timestamp far in the future (2100-01-01).
pub(crate) const CTIME: &str = "4102444800000";
/// Fixed `channelId` (room id).
pub(crate) const CHANNEL_ID: &str = "15945185-345";
/// Fixed `appId`.
pub(crate) const APP_ID: &str = "sdcp0BPcVGymItWppGX6XqrZGTCYa13d";
/// The first, different `appId` written by the `duplicate-keys` fault.
const DUPLICATE_APP_ID: &str = "8345234631";
/// The Java stack trace appended by `stack-trace-in-error`.
const STACK_TRACE: &str = "java.lang.NullPointerException\n\tat com.huawei.agentgateway.MediaCallController.getConnectInfo(MediaCallController.java:212)";
/// Size the `huge-body` fault pads the success body to.
const HUGE_BODY: usize = 8 * 1024 * 1024;

/// A refused request: HTTP status, retcode and a short message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) retcode: &'static str,
    pub(crate) message: &'static str,
    /// The `Allow` header of a 405.
    pub(crate) allow: Option<&'static str>,
}

impl Refusal {
    const fn ok(retcode: &'static str, message: &'static str) -> Self {
        Refusal {
            status: StatusCode::OK,
            retcode,
            message,
            allow: None,
        }
    }

    /// 405 for a method other than `allow`.
    pub(crate) const fn method(allow: &'static str) -> Self {
        Refusal {
            status: StatusCode::METHOD_NOT_ALLOWED,
            retcode: "000-002",
            message: "method not allowed",
            allow: Some(allow),
        }
    }
    /// 000-002 for a bad agentid.
    pub(crate) const INVALID_AGENT_ID: Refusal = Refusal::ok("000-002", "invalid agentid");
    /// 000-002 for a bad Content-Type.
    pub(crate) const INVALID_CONTENT_TYPE: Refusal =
        Refusal::ok("000-002", "invalid Content-Type, expected application/json");
    /// 000-002 for a bad body.
    pub(crate) const INVALID_BODY: Refusal = Refusal::ok(
        "000-002",
        "invalid body, expected callid and userType strings",
    );
    /// 000-002 for a `userType` other than `agent`.
    pub(crate) const INVALID_USER_TYPE: Refusal = Refusal::ok("000-002", "invalid userType");
    /// 100-006: no usable Guid.
    pub(crate) const NOT_SIGNED_IN: Refusal = Refusal::ok("100-006", "agent not signed in");
    /// 000-003: the Guid belongs to another agent.
    pub(crate) const NO_PERMISSION: Refusal = Refusal::ok("000-003", "no permission");
    /// 106-011: no such call.
    pub(crate) const UNKNOWN_CALL: Refusal = Refusal::ok("106-011", "call not found");
    /// 106-015: the call is another agent's.
    pub(crate) const OTHER_AGENTS_CALL: Refusal =
        Refusal::ok("106-015", "call belongs to another agent");
    /// 100-007: something inside failed.
    pub(crate) const INTERNAL: Refusal = Refusal::ok("100-007", "internal error");
    /// 000-007: the agent's flow limit (cec_07_0584).
    pub(crate) const FLOW_LIMIT: Refusal =
        Refusal::ok("000-007", "the interface is invoked repeatedly");
    /// 100-001: a sign-in parameter is empty or invalid.
    pub(crate) const SIGN_IN_PARAMETER: Refusal =
        Refusal::ok("100-001", "parameter empty or invalid");
    /// 100-002: the agent is already signed in.
    pub(crate) const ALREADY_SIGNED_IN: Refusal = Refusal::ok("100-002", "agent already signed in");
    /// 100-004: wrong user or password.
    pub(crate) const WRONG_PASSWORD: Refusal = Refusal::ok("100-004", "wrong user or password");
}

/// A JSON value written in order; objects may repeat keys.
#[derive(Debug, Clone)]
enum Json {
    Value(Value),
    Object(Vec<(&'static str, Json)>),
}

impl Json {
    fn text(text: &str) -> Json {
        Json::Value(Value::String(text.to_owned()))
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Value(value) => out.push_str(&value.to_string()),
            Json::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String((*key).to_owned()).to_string());
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// The `result` object (Table 5) for `user_id`, with the result faults applied.
fn connect_info(state: &GatewayState, user_id: &str) -> Json {
    let shape = state.behaviour.result;
    let user_id = if shape.user_id_mismatch {
        state.other_than(user_id)
    } else {
        user_id
    };
    let mut members = vec![
        ("userId", Json::text(user_id)),
        (
            "ctime",
            Json::text(if shape.ctime_seconds {
                &CTIME[..CTIME.len() - 3]
            } else {
                CTIME
            }),
        ),
        ("channelId", Json::text(CHANNEL_ID)),
    ];
    if shape.duplicate_app_id {
        members.push(("appId", Json::text(DUPLICATE_APP_ID)));
    }
    members.extend([
        ("role", Json::text("0")),
        (
            "ip",
            Json::text(if shape.bad_ip {
                "xxx.xxx.xxx.xxx"
            } else if shape.ip_unspecified {
                "0.0.0.0"
            } else {
                "192.0.2.10"
            }),
        ),
        (
            "port",
            if shape.port_as_number {
                Json::Value(Value::from(6500))
            } else {
                Json::text("6500")
            },
        ),
        (
            "signalingDomainIn",
            Json::text("https://in.isdpdomain.example:8443"),
        ),
        (
            "signalingDomainOut",
            Json::text(if shape.bad_domain {
                "https: //out.isdpdomain.example"
            } else {
                "https://out.isdpdomain.example:8443"
            }),
        ),
    ]);
    if !shape.drop_location_id {
        members.push(("locationId", Json::text("65535")));
    }
    members.extend([
        ("signature", Json::text(&state.signature)),
        ("appId", Json::text(APP_ID)),
    ]);
    Json::Object(members)
}

/// `{"retcode", "message", "result"?}` with the envelope faults applied.
fn envelope(shape: EnvelopeShape, retcode: &str, message: &str, result: Option<Json>) -> String {
    let retcode = if shape.retcode_number {
        let digits: String = retcode.chars().filter(char::is_ascii_digit).collect();
        Json::Value(
            digits
                .parse::<u64>()
                .map_or_else(|_| Value::from(retcode), Value::from),
        )
    } else {
        Json::text(retcode)
    };
    let mut members = vec![("retcode", retcode)];
    if !shape.message_missing {
        members.push(("message", Json::text(message)));
    }
    if let Some(result) = result {
        members.push(("result", result));
    }
    let mut out = String::new();
    Json::Object(members).write(&mut out);
    out
}

fn respond(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

const JSON: &str = "application/json";

/// The success answer carrying the connection info of `user_id`.
pub(crate) fn success(state: &GatewayState, user_id: &str) -> Response {
    let behaviour: &Behaviour = &state.behaviour;
    if behaviour.result.not_json {
        return respond(StatusCode::OK, "text/plain", "OK".to_owned());
    }
    let mut body = envelope(
        behaviour.envelope,
        "0",
        "success",
        Some(connect_info(state, user_id)),
    );
    if behaviour.result.huge {
        // The padding goes into the message as written: spaces need no JSON
        // escaping, and escaping 8 MiB takes seconds in a debug build.
        let end = body
            .find("\"success\"")
            .map_or(body.len(), |at| at + "\"success".len());
        body.insert_str(end, &" ".repeat(HUGE_BODY));
    }
    respond(StatusCode::OK, JSON, body)
}

/// A refusal of the getconnectinfo route, with the refusal faults applied.
pub(crate) fn refusal(state: &GatewayState, refusal: Refusal) -> Response {
    let shape = state.behaviour.refusal;
    let refusal = Refusal {
        allow: refusal
            .allow
            .map(|allow| if shape.allow_lies { "GET, HEAD" } else { allow }),
        ..refusal
    };
    if shape.html {
        let page = "<html><head><title>Error 500</title></head><body>\
                    <h1>HTTP Status 500 - Internal Server Error</h1></body></html>";
        return with_allow(
            respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/html;charset=utf-8",
                page.to_owned(),
            ),
            refusal.allow,
        );
    }
    let retcode = if shape.undocumented_retcode {
        "999-999"
    } else {
        refusal.retcode
    };
    let mut message = if shape.stack_trace {
        format!("{}\n{STACK_TRACE}", refusal.message)
    } else {
        refusal.message.to_owned()
    };
    if shape.names_guid {
        // The Guid the agent was configured with (the current one, unless a
        // session has rotated it).
        message.push_str(&format!(
            " (the session of agent {} is {})",
            state.agent.agent_id, state.agent.guid
        ));
    }
    let leaked = shape
        .with_result
        .then(|| connect_info(state, &state.agent.agent_id));
    let status = if shape.status_500 {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        refusal.status
    };
    let body = envelope(state.behaviour.envelope, retcode, &message, leaked);
    with_allow(respond(status, JSON, body), refusal.allow)
}

/// A refusal outside the getconnectinfo route: always the documented shape.
pub(crate) fn plain_refusal(refusal: Refusal) -> Response {
    let body = envelope(
        EnvelopeShape::default(),
        refusal.retcode,
        refusal.message,
        None,
    );
    with_allow(respond(refusal.status, JSON, body), refusal.allow)
}

/// HTTP 429 with `Retry-After` (whole seconds, at least 1), as a proxy in
/// front of a gateway refuses calls above its limit.
pub(crate) fn too_many_requests(retry_after: Duration) -> Response {
    let body = envelope(
        EnvelopeShape::default(),
        "000-007",
        "the interface is invoked repeatedly",
        None,
    );
    let mut response = respond(StatusCode::TOO_MANY_REQUESTS, JSON, body);
    let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
    response
        .headers_mut()
        .insert("Retry-After", HeaderValue::from(secs));
    response
}

/// `{"retcode":"0","message":"success"}` with a `Set-GUID` header.
pub(crate) fn signed_in(guid: &str) -> Response {
    let body = envelope(EnvelopeShape::default(), "0", "success", None);
    let mut response = respond(StatusCode::OK, JSON, body);
    if let Ok(value) = HeaderValue::from_str(&format!("JSESSIONID={guid}")) {
        response.headers_mut().insert("Set-GUID", value);
    }
    response
}

/// 404 with the JSON envelope for any path the gateway does not serve.
pub(crate) fn not_found() -> Response {
    plain_refusal(Refusal {
        status: StatusCode::NOT_FOUND,
        ..Refusal::ok("000-002", "unknown resource")
    })
}

/// 302 to a port nobody listens on (`redirect` fault).
pub(crate) fn redirect() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::FOUND;
    response.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_static("http://127.0.0.1:9/elsewhere"),
    );
    response
}

fn with_allow(mut response: Response, allow: Option<&'static str>) -> Response {
    if let Some(allow) = allow {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    response
}

/// The connection info of `user_id` as a JSON value (the content of an
/// `AgentEvent_RequestConnect` event), with `callid` added.
pub(crate) fn connect_info_value(state: &GatewayState, user_id: &str, callid: &str) -> Value {
    let mut text = String::new();
    connect_info(state, user_id).write(&mut text);
    let mut value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if let Some(object) = value.as_object_mut() {
        object.insert("callid".to_owned(), Value::from(callid));
    }
    value
}

/// `{"message":"","retcode":"0","event":...}`, with `Set-GUID` when given.
pub(crate) fn event(event: Option<Value>, set_guid: Option<&str>) -> Response {
    let body = serde_json::json!({"message": "", "retcode": "0", "event": event});
    let mut response = respond(StatusCode::OK, JSON, body.to_string());
    if let Some(value) =
        set_guid.and_then(|g| HeaderValue::from_str(&format!("JSESSIONID={g}")).ok())
    {
        response.headers_mut().insert("Set-GUID", value);
    }
    response
}

/// `{"retcode":"0","message":"success"}` without a Guid (sign-out).
pub(crate) fn done() -> Response {
    let body = envelope(EnvelopeShape::default(), "0", "success", None);
    respond(StatusCode::OK, JSON, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_keeps_order_and_numbers_retcodes() {
        let documented = envelope(EnvelopeShape::default(), "100-006", "m", None);
        assert_eq!(documented, r#"{"retcode":"100-006","message":"m"}"#);
        let numeric = EnvelopeShape {
            retcode_number: true,
            message_missing: true,
        };
        assert_eq!(
            envelope(numeric, "100-006", "m", None),
            r#"{"retcode":100006}"#
        );
        assert_eq!(envelope(numeric, "0", "m", None), r#"{"retcode":0}"#);
    }

    #[test]
    fn objects_may_repeat_keys() {
        let mut out = String::new();
        Json::Object(vec![("a", Json::text("1")), ("a", Json::text("2\"x"))]).write(&mut out);
        assert_eq!(out, r#"{"a":"1","a":"2\"x"}"#);
    }
}
