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

/// Checks the faulty answer against the documented one for a fault's probe.
async fn shows_deviation(documented: &RunningGateway, fault: Fault) -> Result<(), String> {
    let gw = start(&[fault], false).await;
    let both = |shot: Shot| {
        let gw = &gw;
        async move { (send(documented, &shot).await, send(gw, &shot).await) }
    };
    let ensure = |holds: bool, what: &str, doc: &Answer, bad: &Answer| {
        if holds {
            Ok(())
        } else {
            Err(format!(
                "{fault}: {what}\n  documented: {} {}\n  faulty: {} {}",
                doc.status,
                doc.text.chars().take(300).collect::<String>(),
                bad.status,
                bad.text.chars().take(300).collect::<String>()
            ))
        }
    };
    let no_guid = Shot {
        guid: GuidSel::None,
        ..Shot::default()
    };
    let result = match fault {
        Fault::GuidNotRotated
        | Fault::SignedOutServed
        | Fault::SignOutIgnored
        | Fault::GuidNoExpiry => crate::session_gateway::shows_session_deviation(fault).await,
        Fault::MethodAny => {
            let (doc, bad) = both(Shot {
                method: Method::GET,
                ..Shot::default()
            })
            .await;
            ensure(
                doc.status == StatusCode::METHOD_NOT_ALLOWED && bad.is_success(),
                "GET served",
                &doc,
                &bad,
            )
        }
        Fault::AgentidFromGuid => {
            let (doc, bad) = both(Shot {
                path: PathAgent::Other,
                ..Shot::default()
            })
            .await;
            let user_id = bad.result().map(|r| r["userId"].clone());
            ensure(
                doc.is_retcode("000-003")
                    && bad.is_success()
                    && user_id == Some(Value::from(gw.agent.agent_id.as_str())),
                "the Guid's agent served on another agent's path",
                &doc,
                &bad,
            )
        }
        Fault::BoundUpperOff => {
            let (doc, bad) = both(Shot {
                path: PathAgent::Literal("60000"),
                ..Shot::default()
            })
            .await;
            ensure(
                doc.is_retcode("000-002") && bad.is_retcode("000-003"),
                "60000 in range",
                &doc,
                &bad,
            )
        }
        Fault::BoundLowerOff => {
            let (doc, bad) = both(Shot {
                path: PathAgent::Literal("100"),
                ..Shot::default()
            })
            .await;
            ensure(
                doc.is_retcode("000-002") && bad.is_retcode("000-003"),
                "100 in range",
                &doc,
                &bad,
            )
        }
        Fault::AgentidLenientParse => {
            let mut outcome = Ok(());
            for agent in ["01001", "%201001%20", "1001.0", "%D9%A1%D9%A0%D9%A0%D9%A1"] {
                let (doc, bad) = both(Shot {
                    path: PathAgent::Literal(agent),
                    ..Shot::default()
                })
                .await;
                outcome = outcome.and(ensure(
                    doc.is_retcode("000-002")
                        && bad.is_success()
                        && bad.result().unwrap()["userId"] == "1001",
                    agent,
                    &doc,
                    &bad,
                ));
            }
            outcome
        }
        Fault::GuidOptional => {
            let (doc, bad) = both(no_guid).await;
            ensure(
                doc.is_retcode("100-006") && bad.is_success(),
                "served without Guid",
                &doc,
                &bad,
            )
        }
        Fault::GuidAnyAgent => {
            let (doc, bad) = both(Shot {
                guid: GuidSel::Other,
                ..Shot::default()
            })
            .await;
            ensure(
                doc.is_retcode("000-003") && bad.is_success(),
                "other agent's Guid accepted",
                &doc,
                &bad,
            )
        }
        Fault::GuidAnyValue => {
            let (doc, bad) = both(Shot {
                guid: GuidSel::Literal("279fe21d-2caa-4437-84c3-ab9e9dae20f5.AgentGateway1"),
                ..Shot::default()
            })
            .await;
            ensure(
                doc.is_retcode("100-006") && bad.is_success(),
                "made-up Guid accepted",
                &doc,
                &bad,
            )
        }
        Fault::GuidHeaderCaseSensitive => {
            let (doc, bad) = both(Shot {
                title_case: false,
                ..Shot::default()
            })
            .await;
            let title = send(&gw, &Shot::default()).await;
            ensure(
                doc.is_success() && bad.is_retcode("100-006") && title.is_success(),
                "lowercase guid ignored, Guid honoured",
                &doc,
                &bad,
            )
        }
        Fault::ContentTypeIgnored => {
            let (doc, bad) = both(Shot {
                content_type: Some("text/plain"),
                ..Shot::default()
            })
            .await;
            ensure(
                doc.is_retcode("000-002") && bad.is_success(),
                "text/plain served",
                &doc,
                &bad,
            )
        }
        Fault::CharsetRequired => {
            let (doc, bad) = both(Shot {
                content_type: Some("application/json"),
                ..Shot::default()
            })
            .await;
            ensure(
                doc.is_success() && bad.is_retcode("000-002"),
                "plain application/json refused",
                &doc,
                &bad,
            )
        }
        Fault::BodyMissingServed => {
            let (doc, bad) = both(Shot {
                body: "",
                ..Shot::default()
            })
            .await;
            ensure(
                doc.is_retcode("000-002") && bad.is_success(),
                "empty body served",
                &doc,
                &bad,
            )
        }
        Fault::WrongTypesCoerced => {
            let (doc, bad) = both(Shot {
                body: r#"{"callid":12345,"userType":"agent"}"#,
                ..Shot::default()
            })
            .await;
            ensure(
                doc.is_retcode("000-002") && bad.is_retcode("106-011"),
                "number callid looked up",
                &doc,
                &bad,
            )
        }
        Fault::CallidIgnored => {
            let (doc, bad) = both(Shot {
                body: r#"{"callid":"${other_callid}","userType":"agent"}"#,
                ..Shot::default()
            })
            .await;
            ensure(
                doc.is_retcode("106-015") && bad.is_success(),
                "other agent's call served",
                &doc,
                &bad,
            )
        }
        Fault::ExtraFieldRefused => {
            let (doc, bad) = both(Shot {
                body: r#"{"callid":"${callid}","userType":"agent","x":"y"}"#,
                ..Shot::default()
            })
            .await;
            ensure(
                doc.is_success() && bad.is_retcode("000-002"),
                "extra field refused",
                &doc,
                &bad,
            )
        }
        Fault::ResultFieldMissing => {
            let (doc, bad) = both(Shot::default()).await;
            ensure(
                bad.is_success() && bad.result().unwrap().get("locationId").is_none(),
                "no locationId",
                &doc,
                &bad,
            )
        }
        Fault::ResultFieldType => {
            let (doc, bad) = both(Shot::default()).await;
            ensure(
                bad.result().unwrap()["port"] == 6500,
                "port is a number",
                &doc,
                &bad,
            )
        }
        Fault::ResultBadDomain => {
            let (doc, bad) = both(Shot::default()).await;
            ensure(
                bad.result().unwrap()["signalingDomainOut"] == "https: //out.isdpdomain.example",
                "bad domain",
                &doc,
                &bad,
            )
        }
        Fault::ResultBadIp => {
            let (doc, bad) = both(Shot::default()).await;
            ensure(
                bad.result().unwrap()["ip"] == "xxx.xxx.xxx.xxx",
                "bad ip",
                &doc,
                &bad,
            )
        }
        Fault::UserIdMismatch => {
            let (doc, bad) = both(Shot::default()).await;
            ensure(
                bad.result().unwrap()["userId"] == gw.other_agent.agent_id.as_str(),
                "userId of the other agent",
                &doc,
                &bad,
            )
        }
        Fault::DuplicateKeys => {
            let (doc, bad) = both(Shot::default()).await;
            ensure(
                bad.text.matches("\"appId\"").count() == 2,
                "appId twice",
                &doc,
                &bad,
            )
        }
        Fault::RetcodeNumber => {
            let (doc, bad) = both(Shot::default()).await;
            let (_, bad_error) = both(no_guid).await;
            ensure(
                bad.retcode() == Some(&Value::from(0))
                    && bad_error.retcode() == Some(&Value::from(100006)),
                "numeric retcodes",
                &doc,
                &bad,
            )
        }
        Fault::MessageMissing => {
            let (doc, bad) = both(Shot::default()).await;
            let (_, bad_error) = both(no_guid).await;
            let has_message = |a: &Answer| a.json.as_ref().unwrap().get("message").is_some();
            ensure(
                !has_message(&bad) && !has_message(&bad_error),
                "no message",
                &doc,
                &bad,
            )
        }
        Fault::UndocumentedRetcode => {
            let (doc, bad) = both(no_guid).await;
            ensure(bad.is_retcode("999-999"), "retcode 999-999", &doc, &bad)
        }
        Fault::Refusal5xx => {
            let (doc, bad) = both(no_guid).await;
            ensure(
                bad.status == StatusCode::INTERNAL_SERVER_ERROR && bad.is_retcode("100-006"),
                "HTTP 500",
                &doc,
                &bad,
            )
        }
        Fault::HtmlErrorPage => {
            let (doc, bad) = both(no_guid).await;
            ensure(
                bad.status == StatusCode::INTERNAL_SERVER_ERROR
                    && bad.content_type().starts_with("text/html")
                    && bad.text.contains("Internal Server Error"),
                "HTML page",
                &doc,
                &bad,
            )
        }
        Fault::InfoInError => {
            let (doc, bad) = both(no_guid).await;
            ensure(
                bad.is_retcode("100-006")
                    && bad.result().is_some_and(|r| r.get("signature").is_some()),
                "result in a refusal",
                &doc,
                &bad,
            )
        }
        Fault::StackTraceInError => {
            let (doc, bad) = both(no_guid).await;
            let message = bad.json.as_ref().unwrap()["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            ensure(
                message.contains("java.lang.NullPointerException\n\tat com.huawei"),
                "stack trace",
                &doc,
                &bad,
            )
        }
        Fault::Redirect => {
            let (doc, bad) = both(Shot::default()).await;
            ensure(
                bad.status == StatusCode::FOUND
                    && bad.headers["location"] == "http://127.0.0.1:9/elsewhere",
                "302",
                &doc,
                &bad,
            )
        }
        Fault::Slow => {
            let (doc, bad) = both(Shot::default()).await;
            ensure(
                bad.is_success() && bad.elapsed >= SLOW && doc.elapsed < SLOW,
                "delayed",
                &doc,
                &bad,
            )
        }
        Fault::HugeBody => {
            let (doc, bad) = both(Shot::default()).await;
            ensure(
                bad.is_success() && bad.text.len() >= 8 * 1024 * 1024,
                "8 MiB body",
                &doc,
                &bad,
            )
        }
        Fault::NotJson => {
            let (doc, bad) = both(Shot::default()).await;
            ensure(
                bad.text == "OK" && bad.content_type().starts_with("text/plain"),
                "OK text/plain",
                &doc,
                &bad,
            )
        }
    };
    gw.shutdown().await;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_shows_its_deviation() {
    let documented = start(&[], false).await;
    let mut failures = Vec::new();
    for fault in Fault::all() {
        if let Err(failure) = shows_deviation(&documented, *fault).await {
            failures.push(failure);
        }
    }
    documented.shutdown().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
