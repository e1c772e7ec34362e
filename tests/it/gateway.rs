//! The reference gateway over real sockets on 127.0.0.1: the documented
//! answers, one shown deviation per fault, and a clean shutdown.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ccgw_conformance::gateway::{self, Fault, GatewayConfig, RunningGateway};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SLOW: Duration = Duration::from_millis(300);

async fn start(faults: &[Fault], plain_http: bool) -> RunningGateway {
    gateway::start(GatewayConfig {
        plain_http,
        faults: faults.to_vec(),
        slow_delay: SLOW,
        ..GatewayConfig::default()
    })
    .await
    .expect("gateway starts")
}

/// A client that trusts only the gateway's certificate and never follows redirects.
fn client(gw: &RunningGateway, title_case: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .http1_only()
        .timeout(Duration::from_secs(10));
    if title_case {
        builder = builder.http1_title_case_headers();
    }
    if let Some(pem) = &gw.ca_cert_pem {
        let cert = reqwest::Certificate::from_pem(pem.as_bytes()).expect("PEM parses");
        builder = builder.tls_certs_only([cert]);
    }
    builder.build().expect("client builds")
}

/// Which agent id goes in the path.
#[derive(Debug, Clone)]
enum PathAgent {
    Agent,
    Other,
    Literal(&'static str),
}

/// Which Guid is sent.
#[derive(Debug, Clone)]
enum GuidSel {
    Agent,
    Other,
    None,
    Literal(&'static str),
}

/// One request, relative to a gateway's credentials; the default is the
/// valid baseline request of the agent.
#[derive(Debug, Clone)]
struct Shot {
    method: Method,
    path: PathAgent,
    guid: GuidSel,
    /// Send header names in title case (`Guid`); else lowercase (`guid`).
    title_case: bool,
    content_type: Option<&'static str>,
    /// `${callid}`, `${other_callid}` are replaced.
    body: &'static str,
}

impl Default for Shot {
    fn default() -> Self {
        Shot {
            method: Method::POST,
            path: PathAgent::Agent,
            guid: GuidSel::Agent,
            title_case: true,
            content_type: Some("application/json; charset=UTF-8"),
            body: r#"{"callid":"${callid}","userType":"agent"}"#,
        }
    }
}

#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
    json: Option<Value>,
    elapsed: Duration,
}

impl Answer {
    fn retcode(&self) -> Option<&Value> {
        self.json.as_ref()?.get("retcode")
    }

    fn is_retcode(&self, code: &str) -> bool {
        self.retcode() == Some(&Value::from(code))
    }

    fn result(&self) -> Option<&Value> {
        self.json.as_ref()?.get("result")
    }

    fn is_success(&self) -> bool {
        self.status == StatusCode::OK && self.is_retcode("0") && self.result().is_some()
    }

    fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

fn url(gw: &RunningGateway, agent: &str) -> String {
    format!(
        "{}/agentgateway/resource/mediacall/{agent}/getconnectinfo",
        gw.base_url
    )
}

async fn send(gw: &RunningGateway, shot: &Shot) -> Answer {
    let agent = match &shot.path {
        PathAgent::Agent => gw.agent.agent_id.as_str(),
        PathAgent::Other => gw.other_agent.agent_id.as_str(),
        PathAgent::Literal(text) => text,
    };
    let mut request = client(gw, shot.title_case).request(shot.method.clone(), url(gw, agent));
    let guid = match &shot.guid {
        GuidSel::Agent => Some(gw.agent.guid.as_str()),
        GuidSel::Other => Some(gw.other_agent.guid.as_str()),
        GuidSel::None => None,
        GuidSel::Literal(text) => Some(*text),
    };
    if let Some(guid) = guid {
        request = request.header("Guid", guid);
    }
    if let Some(content_type) = shot.content_type {
        request = request.header("Content-Type", content_type);
    }
    let body = shot
        .body
        .replace("${callid}", &gw.agent.callid)
        .replace("${other_callid}", &gw.other_agent.callid);
    let started = Instant::now();
    let response = request.body(body).send().await.expect("request answered");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body read");
    let elapsed = started.elapsed();
    let json = serde_json::from_str(&text).ok();
    Answer {
        status,
        headers,
        text,
        json,
        elapsed,
    }
}

fn assert_envelope(answer: &Answer, status: StatusCode, retcode: &str) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert!(answer.is_retcode(retcode), "{answer:?}");
    assert!(answer.content_type().starts_with("application/json"));
    let object = answer.json.as_ref().and_then(Value::as_object).unwrap();
    assert!(object.get("message").is_some_and(Value::is_string));
    assert!(object.get("result").is_none(), "{answer:?}");
}

use ccgw_conformance::checks::TABLE5_FIELDS as TABLE_5;

#[tokio::test]
async fn success_has_the_documented_shape() {
    let gw = start(&[], false).await;
    assert!(gw.base_url.starts_with("https://127.0.0.1:"));
    assert_eq!(gw.base_url, format!("https://{}", gw.addr()));
    let answer = send(&gw, &Shot::default()).await;
    assert!(answer.is_success(), "{answer:?}");
    assert_eq!(answer.json.as_ref().unwrap()["message"], "success");
    let result = answer.result().unwrap().as_object().unwrap();
    let mut keys: Vec<_> = result.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = TABLE_5.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert!(result.values().all(Value::is_string));
    assert_eq!(result["userId"], gw.agent.agent_id.as_str());
    assert_eq!(result["ctime"], "4102444800000");
    assert_eq!(result["port"], "6500");
    assert_eq!(
        result["signalingDomainOut"],
        "https://out.isdpdomain.example:8443"
    );
    assert!(!result["signature"].as_str().unwrap().is_empty());
    assert_eq!(answer.text.matches("\"appId\"").count(), 1);
    // Secrets stay out of Debug output.
    assert!(!format!("{gw:?}").contains(&gw.agent.guid));
    gw.shutdown().await;
}

#[tokio::test]
async fn documented_refusals() {
    let gw = start(&[], false).await;
    let get = send(
        &gw,
        &Shot {
            method: Method::GET,
            ..Shot::default()
        },
    )
    .await;
    assert_envelope(&get, StatusCode::METHOD_NOT_ALLOWED, "000-002");
    assert_eq!(get.headers["allow"], "POST");
    let head = send(
        &gw,
        &Shot {
            method: Method::HEAD,
            ..Shot::default()
        },
    )
    .await;
    assert_eq!(head.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(head.text.is_empty());

    for agent in [
        "100",
        "60000",
        "01001",
        "",
        "1001.0",
        "%201001",
        "abc",
        "99999999999999999999999",
    ] {
        let answer = send(
            &gw,
            &Shot {
                path: PathAgent::Literal(agent),
                ..Shot::default()
            },
        )
        .await;
        assert_envelope(&answer, StatusCode::OK, "000-002");
    }

    let cases: Vec<(Shot, &str)> = vec![
        (
            Shot {
                guid: GuidSel::None,
                ..Shot::default()
            },
            "100-006",
        ),
        (
            Shot {
                guid: GuidSel::Literal(""),
                ..Shot::default()
            },
            "100-006",
        ),
        (
            Shot {
                guid: GuidSel::Literal("279fe21d-2caa-4437-84c3-ab9e9dae20f5.AgentGateway1"),
                ..Shot::default()
            },
            "100-006",
        ),
        (
            Shot {
                guid: GuidSel::Other,
                ..Shot::default()
            },
            "000-003",
        ),
        (
            Shot {
                path: PathAgent::Literal("5000"),
                ..Shot::default()
            },
            "000-003",
        ),
        (
            Shot {
                content_type: Some("text/plain"),
                ..Shot::default()
            },
            "000-002",
        ),
        (
            Shot {
                content_type: None,
                ..Shot::default()
            },
            "000-002",
        ),
        (
            Shot {
                body: "",
                ..Shot::default()
            },
            "000-002",
        ),
        (
            Shot {
                body: "{",
                ..Shot::default()
            },
            "000-002",
        ),
        (
            Shot {
                body: r#"{"callid":"${callid}"}"#,
                ..Shot::default()
            },
            "000-002",
        ),
        (
            Shot {
                body: r#"{"callid":"${callid}","userType":"user"}"#,
                ..Shot::default()
            },
            "000-002",
        ),
        (
            Shot {
                body: r#"{"callid":"1-1","userType":"agent"}"#,
                ..Shot::default()
            },
            "106-011",
        ),
        (
            Shot {
                body: r#"{"callid":"${other_callid}","userType":"agent"}"#,
                ..Shot::default()
            },
            "106-015",
        ),
    ];
    for (shot, retcode) in cases {
        let answer = send(&gw, &shot).await;
        assert_envelope(&answer, StatusCode::OK, retcode);
    }

    // Tolerated variations.
    for shot in [
        Shot {
            content_type: Some("APPLICATION/JSON;charset=utf-8"),
            ..Shot::default()
        },
        Shot {
            content_type: Some("application/json"),
            ..Shot::default()
        },
        Shot {
            body: r#"{"callid":"${callid}","userType":"agent","extra":[1]}"#,
            ..Shot::default()
        },
        Shot {
            title_case: false,
            ..Shot::default()
        },
        Shot {
            path: PathAgent::Other,
            guid: GuidSel::Other,
            body: r#"{"callid":"${other_callid}","userType":"agent"}"#,
            ..Shot::default()
        },
    ] {
        assert!(send(&gw, &shot).await.is_success(), "{shot:?}");
    }

    let unknown = client(&gw, true)
        .post(format!("{}/agentgateway/resource/nothing", gw.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["retcode"], "000-002");
    gw.shutdown().await;
}

#[tokio::test]
async fn sign_in_issues_a_working_guid() {
    let gw = start(&[], false).await;
    let http = client(&gw, true);
    let sign_in = |agent: &str| {
        http.put(format!(
            "{}/agentgateway/resource/onlineagent/{agent}",
            gw.base_url
        ))
        .send()
    };
    let response = sign_in("2001").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let set_guid = response.headers()["set-guid"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"retcode": "0", "message": "success"})
    );
    let guid = set_guid.strip_prefix("JSESSIONID=").expect("JSESSIONID=");
    assert!(guid.ends_with(".AgentGateway0"));
    let guid: &'static str = Box::leak(guid.to_owned().into_boxed_str());

    // 2001 is signed in but has no live call: the agent's call is another's.
    let answer = send(
        &gw,
        &Shot {
            path: PathAgent::Literal("2001"),
            guid: GuidSel::Literal(guid),
            ..Shot::default()
        },
    )
    .await;
    assert_envelope(&answer, StatusCode::OK, "106-015");
    // The configured agent's Guid is not 2001's.
    let answer = send(
        &gw,
        &Shot {
            path: PathAgent::Literal("2001"),
            ..Shot::default()
        },
    )
    .await;
    assert_envelope(&answer, StatusCode::OK, "000-003");

    // Signing the configured agent in again gives a second Guid that serves it.
    let response = sign_in(&gw.agent.agent_id).await.unwrap();
    let set_guid = response.headers()["set-guid"].to_str().unwrap().to_owned();
    let guid: &'static str = Box::leak(set_guid["JSESSIONID=".len()..].to_owned().into_boxed_str());
    assert!(
        send(
            &gw,
            &Shot {
                guid: GuidSel::Literal(guid),
                ..Shot::default()
            }
        )
        .await
        .is_success()
    );
    assert!(
        send(&gw, &Shot::default()).await.is_success(),
        "old Guid still valid"
    );

    assert_eq!(
        sign_in("100").await.unwrap().json::<Value>().await.unwrap()["retcode"],
        "000-002"
    );
    let get = http
        .get(format!(
            "{}/agentgateway/resource/onlineagent/2001",
            gw.base_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.headers()["allow"], "PUT");
    gw.shutdown().await;
}

#[tokio::test]
async fn plain_http_serves_the_same() {
    let gw = start(&[], true).await;
    assert!(gw.base_url.starts_with("http://127.0.0.1:"));
    assert!(gw.ca_cert_pem.is_none());
    assert!(send(&gw, &Shot::default()).await.is_success());
    let answer = send(
        &gw,
        &Shot {
            guid: GuidSel::None,
            ..Shot::default()
        },
    )
    .await;
    assert_envelope(&answer, StatusCode::OK, "100-006");
    gw.shutdown().await;
}

#[tokio::test]
async fn https_offers_http1_only_and_a_cert_for_localhost() {
    let gw = start(&[], false).await;
    let http = client(&gw, true);
    let response = http
        .post(format!(
            "https://localhost:{}/agentgateway/resource/nothing",
            gw.addr().port()
        ))
        .send()
        .await
        .expect("the certificate names localhost");
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    // A client that would prefer h2 still gets HTTP/1.1 (ALPN http/1.1 only).
    let cert = reqwest::Certificate::from_pem(gw.ca_cert_pem.as_ref().unwrap().as_bytes()).unwrap();
    let h2_capable = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([cert])
        .build()
        .unwrap();
    let response = h2_capable.post(url(&gw, "1001")).send().await.unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    gw.shutdown().await;
}

/// What must hold of an answer; the gateway gives the agent ids.
type Holds = fn(&Answer, &RunningGateway) -> bool;

/// One row of the deviation table: a request that differs from the valid
/// baseline in one thing, what the documented gateway answers, and what the
/// gateway with `fault` answers instead.
struct Row {
    fault: Fault,
    /// The request, as one change to the baseline.
    shot: Shot,
    /// The documented answer.
    documented: Holds,
    /// The deviation, in words and as a predicate that the documented answer
    /// does not satisfy.
    deviation: &'static str,
    faulty: Holds,
}

fn row(fault: Fault, shot: Shot, documented: Holds, deviation: &'static str, faulty: Holds) -> Row {
    Row {
        fault,
        shot,
        documented,
        deviation,
        faulty,
    }
}

fn success(a: &Answer, _: &RunningGateway) -> bool {
    a.is_success()
}

fn no_guid() -> Shot {
    Shot {
        guid: GuidSel::None,
        ..Shot::default()
    }
}

fn path(agent: &'static str) -> Shot {
    Shot {
        path: PathAgent::Literal(agent),
        ..Shot::default()
    }
}

fn body(body: &'static str) -> Shot {
    Shot {
        body,
        ..Shot::default()
    }
}

fn content_type(value: &'static str) -> Shot {
    Shot {
        content_type: Some(value),
        ..Shot::default()
    }
}

fn message_of(a: &Answer) -> Option<&Value> {
    a.json.as_ref()?.get("message")
}

/// One row per request that shows a fault (a fault may need several).
fn deviation_table() -> Vec<Row> {
    use Fault::*;
    let refused_no_guid: Holds = |a, _| a.is_retcode("100-006");
    let invalid: Holds = |a, _| a.is_retcode("000-002");
    let mut rows = vec![
        row(
            MethodAny,
            Shot {
                method: Method::GET,
                ..Shot::default()
            },
            |a, _| a.status == StatusCode::METHOD_NOT_ALLOWED,
            "GET served",
            success,
        ),
        row(
            AgentidFromGuid,
            Shot {
                path: PathAgent::Other,
                ..Shot::default()
            },
            |a, _| a.is_retcode("000-003"),
            "the Guid's agent served on another agent's path",
            |a, gw| {
                a.is_success()
                    && a.result().map(|r| r["userId"].clone())
                        == Some(Value::from(gw.agent.agent_id.as_str()))
            },
        ),
        row(
            BoundUpperOff,
            path("60000"),
            invalid,
            "60000 in range",
            |a, _| a.is_retcode("000-003"),
        ),
        row(
            BoundLowerOff,
            path("100"),
            invalid,
            "100 in range",
            |a, _| a.is_retcode("000-003"),
        ),
        row(
            GuidOptional,
            no_guid(),
            refused_no_guid,
            "served without Guid",
            success,
        ),
        row(
            GuidAnyAgent,
            Shot {
                guid: GuidSel::Other,
                ..Shot::default()
            },
            |a, _| a.is_retcode("000-003"),
            "other agent's Guid accepted",
            success,
        ),
        row(
            GuidAnyValue,
            Shot {
                guid: GuidSel::Literal("279fe21d-2caa-4437-84c3-ab9e9dae20f5.AgentGateway1"),
                ..Shot::default()
            },
            refused_no_guid,
            "made-up Guid accepted",
            success,
        ),
        row(
            GuidHeaderCaseSensitive,
            Shot {
                title_case: false,
                ..Shot::default()
            },
            success,
            "lowercase guid ignored",
            refused_no_guid,
        ),
        row(
            ContentTypeIgnored,
            content_type("text/plain"),
            invalid,
            "text/plain served",
            success,
        ),
        row(
            CharsetRequired,
            content_type("application/json"),
            success,
            "plain application/json refused",
            invalid,
        ),
        row(
            BodyMissingServed,
            body(""),
            invalid,
            "empty body served",
            success,
        ),
        row(
            WrongTypesCoerced,
            body(r#"{"callid":12345,"userType":"agent"}"#),
            invalid,
            "number callid looked up",
            |a, _| a.is_retcode("106-011"),
        ),
        row(
            CallidIgnored,
            body(r#"{"callid":"${other_callid}","userType":"agent"}"#),
            |a, _| a.is_retcode("106-015"),
            "other agent's call served",
            success,
        ),
        row(
            ExtraFieldRefused,
            body(r#"{"callid":"${callid}","userType":"agent","x":"y"}"#),
            success,
            "extra field refused",
            invalid,
        ),
        row(
            ResultFieldMissing,
            Shot::default(),
            success,
            "no locationId",
            |a, _| a.is_success() && a.result().unwrap().get("locationId").is_none(),
        ),
        row(
            ResultFieldType,
            Shot::default(),
            success,
            "port is a number",
            |a, _| a.result().unwrap()["port"] == 6500,
        ),
        row(
            ResultBadDomain,
            Shot::default(),
            success,
            "bad domain",
            |a, _| a.result().unwrap()["signalingDomainOut"] == "https: //out.isdpdomain.example",
        ),
        row(ResultBadIp, Shot::default(), success, "bad ip", |a, _| {
            a.result().unwrap()["ip"] == "xxx.xxx.xxx.xxx"
        }),
        row(
            CtimeSeconds,
            Shot::default(),
            success,
            "ctime in seconds",
            |a, _| a.result().unwrap()["ctime"] == "4102444800",
        ),
        row(
            IpUnspecified,
            Shot::default(),
            success,
            "ip 0.0.0.0",
            |a, _| a.result().unwrap()["ip"] == "0.0.0.0",
        ),
        row(
            CredentialInError,
            no_guid(),
            refused_no_guid,
            "the agent's Guid in the message",
            |a, gw| {
                message_of(a)
                    .and_then(Value::as_str)
                    .is_some_and(|m| m.contains(gw.agent.guid.as_str()))
            },
        ),
        row(
            AllowLies,
            Shot {
                method: Method::DELETE,
                ..Shot::default()
            },
            |a, _| a.status == StatusCode::METHOD_NOT_ALLOWED,
            "Allow: GET, HEAD",
            |a, _| a.headers.get("allow").is_some_and(|v| v == "GET, HEAD"),
        ),
        row(
            UserIdMismatch,
            Shot::default(),
            success,
            "userId of the other agent",
            |a, gw| a.result().unwrap()["userId"] == gw.other_agent.agent_id.as_str(),
        ),
        row(
            DuplicateKeys,
            Shot::default(),
            success,
            "appId twice",
            |a, _| a.text.matches("\"appId\"").count() == 2,
        ),
        row(
            RetcodeNumber,
            Shot::default(),
            success,
            "numeric retcode 0",
            |a, _| a.retcode() == Some(&Value::from(0)),
        ),
        row(
            RetcodeNumber,
            no_guid(),
            refused_no_guid,
            "numeric retcode 100006",
            |a, _| a.retcode() == Some(&Value::from(100006)),
        ),
        row(
            MessageMissing,
            Shot::default(),
            success,
            "no message",
            |a, _| a.json.is_some() && message_of(a).is_none(),
        ),
        row(
            MessageMissing,
            no_guid(),
            refused_no_guid,
            "no message in a refusal",
            |a, _| a.json.is_some() && message_of(a).is_none(),
        ),
        row(
            UndocumentedRetcode,
            no_guid(),
            refused_no_guid,
            "retcode 999-999",
            |a, _| a.is_retcode("999-999"),
        ),
        row(
            Refusal5xx,
            no_guid(),
            refused_no_guid,
            "HTTP 500",
            |a, _| a.status == StatusCode::INTERNAL_SERVER_ERROR && a.is_retcode("100-006"),
        ),
        row(
            HtmlErrorPage,
            no_guid(),
            refused_no_guid,
            "HTML page",
            |a, _| {
                a.status == StatusCode::INTERNAL_SERVER_ERROR
                    && a.content_type().starts_with("text/html")
                    && a.text.contains("Internal Server Error")
            },
        ),
        row(
            InfoInError,
            no_guid(),
            refused_no_guid,
            "result in a refusal",
            |a, _| {
                a.is_retcode("100-006") && a.result().is_some_and(|r| r.get("signature").is_some())
            },
        ),
        row(
            StackTraceInError,
            no_guid(),
            refused_no_guid,
            "stack trace",
            |a, _| {
                message_of(a)
                    .and_then(Value::as_str)
                    .is_some_and(|m| m.contains("java.lang.NullPointerException\n\tat com.huawei"))
            },
        ),
        row(Redirect, Shot::default(), success, "302", |a, _| {
            a.status == StatusCode::FOUND
                && a.headers
                    .get("location")
                    .is_some_and(|l| l == "http://127.0.0.1:9/elsewhere")
        }),
        // A lower bound only: the fault sleeps at least SLOW; nothing asserts
        // how fast the documented answer is.
        row(Slow, Shot::default(), success, "delayed", |a, _| {
            a.is_success() && a.elapsed >= SLOW
        }),
        row(HugeBody, Shot::default(), success, "8 MiB body", |a, _| {
            a.is_success() && a.text.len() >= 8 * 1024 * 1024
        }),
        row(
            NotJson,
            Shot::default(),
            success,
            "OK text/plain",
            |a, _| a.text == "OK" && a.content_type().starts_with("text/plain"),
        ),
    ];
    // A fault that needs another request still changes one thing each time.
    for agent in ["01001", "%201001%20", "1001.0", "%D9%A1%D9%A0%D9%A0%D9%A1"] {
        rows.push(row(
            AgentidLenientParse,
            path(agent),
            invalid,
            "a non-canonical agentid served as 1001",
            |a, _| a.is_success() && a.result().unwrap()["userId"] == "1001",
        ));
    }
    // The fault ignores the lowercase name only: the usual `Guid` still works.
    rows.push(row(
        GuidHeaderCaseSensitive,
        Shot::default(),
        success,
        "title-case Guid honoured",
        success,
    ));
    rows
}

/// Sends `row`'s request to the documented gateway and to one with the fault.
async fn shows_deviation(documented: &RunningGateway, row: &Row) -> Result<(), String> {
    let gw = start(&[row.fault], false).await;
    let doc = send(documented, &row.shot).await;
    let bad = send(&gw, &row.shot).await;
    let problem = if !(row.documented)(&doc, documented) {
        Some("the documented gateway does not answer as documented")
    } else if !(row.faulty)(&bad, &gw) {
        Some("the faulty gateway does not show the deviation")
    } else {
        None
    };
    gw.shutdown().await;
    match problem {
        None => Ok(()),
        Some(problem) => Err(format!(
            "{} ({}): {problem}\n  documented: {} {}\n  faulty: {} {}",
            row.fault,
            row.deviation,
            doc.status,
            doc.text.chars().take(300).collect::<String>(),
            bad.status,
            bad.text.chars().take(300).collect::<String>()
        )),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_shows_its_deviation() {
    let table = deviation_table();
    // Session faults show theirs over a session (`session_gateway.rs`).
    let missing: Vec<&str> = Fault::all()
        .iter()
        .filter(|f| !f.is_session())
        .filter(|f| !table.iter().any(|r| r.fault == **f))
        .map(|f| f.name())
        .collect();
    assert!(missing.is_empty(), "faults without a row: {missing:?}");

    let documented = start(&[], false).await;
    let mut failures = Vec::new();
    for row in &table {
        if let Err(failure) = shows_deviation(&documented, row).await {
            failures.push(failure);
        }
    }
    documented.shutdown().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Each row tells the two gateways apart: the documented answer does not
/// satisfy the row's deviation (else the row could not fail). Rows whose
/// deviation is also documented behaviour are listed here by why.
#[tokio::test]
async fn no_deviation_holds_of_the_documented_answer() {
    let documented = start(&[], false).await;
    let mut failures = Vec::new();
    for row in deviation_table() {
        // The second row of a header-case fault checks that the usual header
        // still works, which is documented too; `slow` differs only in time,
        // and no test asserts how fast the documented gateway answers.
        let also_documented = (row.fault == Fault::GuidHeaderCaseSensitive && row.shot.title_case)
            || row.fault == Fault::Slow;
        let answer = send(&documented, &row.shot).await;
        if !also_documented && (row.faulty)(&answer, &documented) {
            failures.push(format!("{} ({})", row.fault, row.deviation));
        }
    }
    documented.shutdown().await;
    assert!(
        failures.is_empty(),
        "deviations the documented gateway shows: {failures:?}"
    );
}

#[tokio::test]
async fn faults_combine() {
    let gw = start(
        &[
            Fault::GuidOptional,
            Fault::ResultBadIp,
            Fault::RetcodeNumber,
        ],
        false,
    )
    .await;
    let answer = send(
        &gw,
        &Shot {
            guid: GuidSel::None,
            ..Shot::default()
        },
    )
    .await;
    assert_eq!(answer.retcode(), Some(&Value::from(0)));
    assert_eq!(answer.result().unwrap()["ip"], "xxx.xxx.xxx.xxx");
    gw.shutdown().await;
}

/// Sends raw HTTP/1.1 requests on one connection, returning each status and body.
async fn raw_exchange(addr: SocketAddr, requests: &[String]) -> Vec<(u16, String)> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut answers = Vec::new();
    let mut buffer = Vec::new();
    for request in requests {
        stream.write_all(request.as_bytes()).await.unwrap();
        loop {
            let text = String::from_utf8_lossy(&buffer).into_owned();
            if let Some(head_end) = text.find("\r\n\r\n") {
                let head = &text[..head_end];
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if buffer.len() >= head_end + 4 + length {
                    let status = head[9..12].parse().unwrap();
                    let body = text[head_end + 4..head_end + 4 + length].to_owned();
                    buffer.drain(..head_end + 4 + length);
                    answers.push((status, body));
                    break;
                }
            }
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed early");
            buffer.extend_from_slice(&chunk[..n]);
        }
    }
    answers
}

#[tokio::test]
async fn guid_header_case_is_seen_on_the_wire_per_request() {
    let gw = start(&[Fault::GuidHeaderCaseSensitive], true).await;
    let request = |name: &str, chunked: bool| {
        let body = format!(r#"{{"callid":"{}","userType":"agent"}}"#, gw.agent.callid);
        let framing = if chunked {
            format!(
                "Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
                body.len()
            )
        } else {
            format!("Content-Length: {}\r\n\r\n{body}", body.len())
        };
        format!(
            "POST /agentgateway/resource/mediacall/{}/getconnectinfo HTTP/1.1\r\nHost: x\r\n\
             Content-Type: application/json\r\n{name}: {}\r\n{framing}",
            gw.agent.agent_id, gw.agent.guid
        )
    };
    let answers = raw_exchange(
        gw.addr(),
        &[
            request("GUID", false),
            request("Guid", true),
            request("guid", true),
            request("Guid", false),
        ],
    )
    .await;
    let retcodes: Vec<String> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 200);
            serde_json::from_str::<Value>(body).unwrap()["retcode"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(retcodes, ["100-006", "0", "100-006", "0"]);
    gw.shutdown().await;
}

#[tokio::test]
async fn shutdown_frees_the_port() {
    let gw = start(&[Fault::Slow], false).await;
    let addr = gw.addr();
    assert!(TcpStream::connect(addr).await.is_ok());
    let started = Instant::now();
    gw.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(TcpStream::connect(addr).await.is_err(), "nobody listens");
    std::net::TcpListener::bind(addr).expect("port is free again");
}

#[tokio::test]
async fn a_slow_request_in_flight_does_not_hold_shutdown() {
    let gw = gateway::start(GatewayConfig {
        faults: vec![Fault::Slow],
        slow_delay: Duration::from_secs(30),
        ..GatewayConfig::default()
    })
    .await
    .unwrap();
    let http = client(&gw, true);
    let pending = tokio::spawn(http.post(url(&gw, "1001")).send());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    gw.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(pending.await.unwrap().is_err(), "the connection was closed");
}

#[tokio::test]
async fn drop_stops_the_server() {
    let gw = start(&[], true).await;
    let addr = gw.addr();
    drop(gw);
    let deadline = Instant::now() + Duration::from_secs(2);
    while TcpStream::connect(addr).await.is_ok() {
        assert!(Instant::now() < deadline, "still listening after drop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn bad_config_is_refused_with_the_field_named() {
    let err = gateway::start(GatewayConfig {
        agent_id: "99".into(),
        ..GatewayConfig::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("agent_id \"99\""), "{err}");
}
