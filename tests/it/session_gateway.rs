//! The reference gateway's agent session: sign-in with a password,
//! forcelogin, the event long poll with dynamic Guids, expiry, idle sign-out,
//! sign-out, the flow limit, and the four session faults shown to deviate.
//! Timers are short; every wait is a lower bound (sleeping longer never
//! changes the answer), never a race.

use std::time::Duration;

use ccgw_conformance::gateway::{
    self, AuthMode, Fault, GatewayConfig, RunningGateway, SessionConfig, VideoCall,
};
use serde_json::Value;

pub const PASSWORD: &str = "pa55-w0rd-for-tests";

/// Dynamic mode, a password, long Guid timers (nothing expires by accident)
/// and a short long poll.
pub fn dynamic() -> SessionConfig {
    SessionConfig {
        auth_mode: AuthMode::Dynamic,
        guid_interval: Duration::from_secs(30),
        guid_timeout: Duration::from_secs(60),
        timeout_from_replacement: false,
        idle_sign_out: Duration::from_secs(60),
        poll_wait: Duration::from_millis(100),
        password: Some(PASSWORD.to_owned()),
        agent_signed_in: false,
        other_signed_in: true,
        video_call: VideoCall::Live,
        flow_limit: None,
    }
}

pub async fn start(session: SessionConfig, faults: &[Fault]) -> RunningGateway {
    gateway::start(GatewayConfig {
        faults: faults.to_vec(),
        session,
        plain_http: true,
        ..GatewayConfig::default()
    })
    .await
    .expect("gateway starts")
}

/// One client of the session routes.
pub struct Agent<'a> {
    gw: &'a RunningGateway,
    http: reqwest::Client,
    pub id: String,
}

/// An answer: retcode, the `Set-GUID` Guid, the body.
#[derive(Debug)]
pub struct Answer {
    pub retcode: String,
    pub set_guid: Option<String>,
    pub body: Value,
}

impl<'a> Agent<'a> {
    pub fn new(gw: &'a RunningGateway) -> Self {
        Agent {
            gw,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            id: gw.agent.agent_id.clone(),
        }
    }

    fn url(&self, rest: &str) -> String {
        format!("{}/agentgateway/resource/{rest}", self.gw.base_url)
    }

    async fn answer(request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("gateway answers");
        let set_guid = response
            .headers()
            .get("set-guid")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("JSESSIONID="))
            .map(str::to_owned);
        let body: Value = response.json().await.expect("JSON body");
        Answer {
            retcode: body["retcode"].as_str().unwrap_or_default().to_owned(),
            set_guid,
            body,
        }
    }

    pub async fn sign_in(&self, body: Option<Value>, force: bool) -> Answer {
        let path = if force {
            format!("onlineagent/{}/forcelogin", self.id)
        } else {
            format!("onlineagent/{}", self.id)
        };
        let mut request = self
            .http
            .put(self.url(&path))
            .header("Content-Type", "application/json; charset=UTF-8");
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        Self::answer(request).await
    }

    pub async fn sign_in_ok(&self) -> String {
        let answer = self
            .sign_in(Some(serde_json::json!({"password": PASSWORD})), false)
            .await;
        assert_eq!(answer.retcode, "0", "{:?}", answer.body);
        answer.set_guid.expect("Set-GUID")
    }

    pub async fn poll(&self, guid: &str) -> Answer {
        Self::answer(
            self.http
                .get(self.url(&format!("agentevent/{}", self.id)))
                .header("Guid", guid),
        )
        .await
    }

    pub async fn logout(&self, guid: &str) -> Answer {
        Self::answer(
            self.http
                .delete(self.url(&format!("onlineagent/{}/logout", self.id)))
                .header("Guid", guid),
        )
        .await
    }

    pub async fn connect(&self, guid: &str) -> Answer {
        Self::answer(
            self.http
                .post(self.url(&format!("mediacall/{}/getconnectinfo", self.id)))
                .header("Content-Type", "application/json")
                .header("Guid", guid)
                .body(
                    serde_json::json!({"callid": self.gw.agent.callid, "userType": "agent"})
                        .to_string(),
                ),
        )
        .await
    }

    /// Polls until the queue is empty; the event types seen.
    pub async fn drain(&self, guid: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let answer = self.poll(guid).await;
            assert_eq!(answer.retcode, "0", "{:?}", answer.body);
            match answer.body["event"]["eventType"].as_str() {
                Some(kind) => seen.push(kind.to_owned()),
                None => return seen,
            }
        }
    }
}

#[tokio::test]
async fn sign_in_checks_the_password_and_refuses_a_second_sign_in() {
    let gw = start(dynamic(), &[]).await;
    let agent = Agent::new(&gw);
    assert_eq!(agent.sign_in(None, false).await.retcode, "100-001");
    let wrong = agent
        .sign_in(Some(serde_json::json!({"password": "nope"})), false)
        .await;
    assert_eq!(wrong.retcode, "100-004");
    assert!(!gw.agent_session(&agent.id).unwrap().signed_in);

    let first = agent.sign_in_ok().await;
    assert!(first.ends_with(".AgentGateway0"));
    let again = agent
        .sign_in(Some(serde_json::json!({"password": PASSWORD})), false)
        .await;
    assert_eq!(again.retcode, "100-002");
    assert_eq!(agent.connect(&first).await.retcode, "0");

    let forced = agent
        .sign_in(Some(serde_json::json!({"password": PASSWORD})), true)
        .await;
    assert_eq!(forced.retcode, "0");
    let second = forced.set_guid.unwrap();
    assert_ne!(first, second);
    assert_eq!(
        agent.connect(&first).await.retcode,
        "100-006",
        "old session ended"
    );
    assert_eq!(agent.connect(&second).await.retcode, "0");
    assert_eq!(gw.agent_session(&agent.id).unwrap().sign_ins, 2);
    gw.shutdown().await;
}

#[tokio::test]
async fn the_poll_hands_out_events_and_in_dynamic_mode_new_guids() {
    let gw = start(
        SessionConfig {
            guid_interval: Duration::from_millis(200),
            ..dynamic()
        },
        &[],
    )
    .await;
    let agent = Agent::new(&gw);
    let guid = agent.sign_in_ok().await;
    let first = agent.poll(&guid).await;
    assert_eq!(first.body["event"]["eventType"], "AgentOther_InService");
    assert_eq!(
        first.set_guid.as_deref(),
        Some(guid.as_str()),
        "not yet due"
    );
    let events = agent.drain(&guid).await;
    assert_eq!(events, ["AgentState_Ready", "AgentEvent_RequestConnect"]);

    tokio::time::sleep(Duration::from_millis(250)).await;
    let rotated = agent.poll(&guid).await;
    let new = rotated.set_guid.expect("Set-GUID");
    assert_ne!(new, guid, "a poll after the interval hands out a new Guid");
    assert!(rotated.body["event"].is_null(), "{:?}", rotated.body);
    // Both serve until their timeout.
    assert_eq!(agent.connect(&guid).await.retcode, "0");
    assert_eq!(agent.connect(&new).await.retcode, "0");
    assert_eq!(gw.agent_session(&agent.id).unwrap().guids_issued, 2);
    gw.shutdown().await;
}

#[tokio::test]
async fn request_connect_carries_the_call_and_its_connection_info() {
    let gw = start(dynamic(), &[]).await;
    let agent = Agent::new(&gw);
    let guid = agent.sign_in_ok().await;
    let mut connect = None;
    for _ in 0..3 {
        let answer = agent.poll(&guid).await;
        if answer.body["event"]["eventType"] == "AgentEvent_RequestConnect" {
            connect = Some(answer.body["event"].clone());
        }
    }
    let connect = connect.expect("RequestConnect among the first three events");
    assert_eq!(connect["workNo"], agent.id.as_str());
    assert_eq!(connect["content"]["callid"], gw.agent.callid.as_str());
    assert_eq!(connect["content"]["userId"], agent.id.as_str());
    gw.shutdown().await;
}

#[tokio::test]
async fn a_call_after_sign_in_or_none_at_all() {
    let gw = start(
        SessionConfig {
            video_call: VideoCall::AfterSignIn(Duration::from_millis(150)),
            ..dynamic()
        },
        &[],
    )
    .await;
    let agent = Agent::new(&gw);
    let guid = agent.sign_in_ok().await;
    assert_eq!(agent.connect(&guid).await.retcode, "106-011", "no call yet");
    let mut events = agent.drain(&guid).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    events.extend(agent.drain(&guid).await);
    assert_eq!(
        events,
        [
            "AgentOther_InService",
            "AgentState_Ready",
            "AgentEvent_RequestConnect"
        ]
    );
    assert_eq!(agent.connect(&guid).await.retcode, "0");
    gw.shutdown().await;

    let gw = start(
        SessionConfig {
            video_call: VideoCall::Never,
            ..dynamic()
        },
        &[],
    )
    .await;
    let agent = Agent::new(&gw);
    let guid = agent.sign_in_ok().await;
    assert_eq!(
        agent.drain(&guid).await,
        ["AgentOther_InService", "AgentState_Ready"]
    );
    assert_eq!(agent.connect(&guid).await.retcode, "106-011");
    gw.shutdown().await;
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let gw = start(dynamic(), &[]).await;
    let agent = Agent::new(&gw);
    let guid = agent.sign_in_ok().await;
    assert_eq!(agent.logout(&guid).await.retcode, "0");
    let state = gw.agent_session(&agent.id).unwrap();
    assert!(!state.signed_in);
    assert_eq!(state.sign_outs, 1);
    assert_eq!(agent.connect(&guid).await.retcode, "100-006");
    assert_eq!(agent.poll(&guid).await.retcode, "100-006");
    assert_eq!(agent.logout(&guid).await.retcode, "100-006");
    // Signed out, the agent may sign in again without forcelogin.
    agent.sign_in_ok().await;
    gw.shutdown().await;
}

#[tokio::test]
async fn guids_expire_and_idle_agents_are_signed_out() {
    let gw = start(
        SessionConfig {
            guid_timeout: Duration::from_millis(150),
            ..dynamic()
        },
        &[],
    )
    .await;
    let agent = Agent::new(&gw);
    let guid = agent.sign_in_ok().await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(agent.connect(&guid).await.retcode, "100-006");
    gw.shutdown().await;

    let gw = start(
        SessionConfig {
            idle_sign_out: Duration::from_millis(150),
            ..dynamic()
        },
        &[],
    )
    .await;
    let agent = Agent::new(&gw);
    let guid = agent.sign_in_ok().await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(!gw.agent_session(&agent.id).unwrap().signed_in);
    assert_eq!(agent.connect(&guid).await.retcode, "100-006");
    gw.shutdown().await;
}

#[tokio::test]
async fn the_flow_limit_refuses_every_kth_call_but_never_a_retry_twice() {
    let gw = start(
        SessionConfig {
            flow_limit: Some(gateway::FlowLimit::EveryKth(2)),
            agent_signed_in: true,
            password: None,
            ..dynamic()
        },
        &[],
    )
    .await;
    let agent = Agent::new(&gw);
    let guid = gw.agent.guid.clone();
    // Sequential identical requests: every 2nd is refused, each refusal
    // followed by the retry that is served.
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(agent.connect(&guid).await.retcode);
    }
    assert_eq!(
        seen.iter().filter(|r| *r == "000-007").count(),
        2,
        "{seen:?}"
    );
    assert!(
        !seen
            .windows(2)
            .any(|w| w[0] == "000-007" && w[1] == "000-007"),
        "{seen:?}"
    );
    gw.shutdown().await;

    // Every call over the limit (K = 1): still never the same request twice.
    let gw = start(
        SessionConfig {
            flow_limit: Some(gateway::FlowLimit::EveryKth(1)),
            agent_signed_in: true,
            password: None,
            ..dynamic()
        },
        &[],
    )
    .await;
    let agent = Agent::new(&gw);
    let guid = gw.agent.guid.clone();
    let seen: Vec<String> = [
        agent.connect(&guid).await.retcode,
        agent.connect(&guid).await.retcode,
        agent.connect(&guid).await.retcode,
    ]
    .into();
    assert_eq!(seen, ["000-007", "0", "000-007"]);
    assert_eq!(gw.agent_session(&agent.id).unwrap().flow_refusals, 2);
    gw.shutdown().await;
}

/// The faulty gateway's session differs from the documented one (the
/// session faults' part of the deviation test in `gateway.rs`).
pub async fn shows_session_deviation(fault: Fault) -> Result<(), String> {
    let config = SessionConfig {
        guid_interval: Duration::from_millis(100),
        guid_timeout: Duration::from_millis(300),
        ..dynamic()
    };
    let mut seen = Vec::new();
    for faults in [vec![], vec![fault]] {
        let gw = start(config.clone(), &faults).await;
        let agent = Agent::new(&gw);
        let guid = agent.sign_in_ok().await;
        let observed = match fault {
            Fault::GuidNotRotated => {
                tokio::time::sleep(Duration::from_millis(150)).await;
                let answer = agent.poll(&guid).await;
                format!(
                    "rotated: {}",
                    answer.set_guid.as_deref() != Some(guid.as_str())
                )
            }
            Fault::SignedOutServed | Fault::SignOutIgnored => {
                agent.logout(&guid).await;
                format!("after sign-out: {}", agent.connect(&guid).await.retcode)
            }
            Fault::GuidNoExpiry => {
                // Keep the agent alive (polls) past the first Guid's timeout.
                for _ in 0..4 {
                    agent.poll(&guid).await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                format!(
                    "first Guid after timeout: {}",
                    agent.connect(&guid).await.retcode
                )
            }
            other => return Err(format!("{other} is not a session fault")),
        };
        seen.push(observed);
        gw.shutdown().await;
    }
    if seen[0] == seen[1] {
        Err(format!("{fault}: no deviation ({})", seen[0]))
    } else {
        Ok(())
    }
}

#[tokio::test]
async fn session_faults_deviate() {
    for fault in Fault::all().iter().copied().filter(|f| f.is_session()) {
        shows_session_deviation(fault).await.unwrap();
    }
}
