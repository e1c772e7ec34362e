//! Running a suite against a target: cases are resolved, sent with bounded
//! concurrency, checked, and returned as plain data. The runner never prints:
//! it emits [`RunEvent`]s to a listener.

mod control;
mod events;
mod execute;
mod flow;
mod guid;
mod http;
mod plan;
mod request;
mod run;
mod tls;

pub use control::CONTROL_ID;
pub use events::{EventListener, NoListener, RunEvent};
pub use flow::{
    DEFAULT_FLOW_BUDGET, FLOW_CONTROL_RETCODE, FlowControl, LearnedFlow, Pacing, Retrying,
    is_flow_refusal, retry_after,
};
pub use guid::{GuidSource, guid_of_set_guid, parse_guid};
pub use http::{ClientError, Clients};
pub use plan::{
    ConnectionPolicy, Credentials, DEFAULT_BODY_CAP, DEFAULT_CONTROL_EVERY, DEFAULT_TIMEOUT,
    EXAMPLE_CALLID, RunPlan, SessionHealth, UNKNOWN_CALLID, UNKNOWN_GUID,
};
pub use request::{Prepared, Resolution, other_agent_id, resolve};
pub use run::{RunError, run};
pub use tls::{
    ClientIdentity, Target, TlsInputError, TlsProblem, TlsSetup, certificates, check_identity,
    classify, private_key,
};
