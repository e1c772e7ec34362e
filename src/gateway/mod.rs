//! The reference CC-Gateway (cargo feature `gateway`, on by default; without
//! it only [`Fault`], the names, is compiled): a real HTTPS (or HTTP) server on 127.0.0.1 that
//! implements the documented `getconnectinfo` behaviour, with switchable
//! [`Fault`]s. It is the default target of the main command and the test
//! bench of the suite: every check of the suite is shown to catch a fault.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ccgw_conformance::gateway::GatewayError> {
//! use ccgw_conformance::gateway::{self, Fault, GatewayConfig};
//! let gw = gateway::start(GatewayConfig {
//!     faults: vec![Fault::MethodAny],
//!     ..GatewayConfig::default()
//! })
//! .await?;
//! println!("{}", gw.base_url); // https://127.0.0.1:PORT
//! gw.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Documented behaviour (no fault)
//!
//! Transport: HTTPS with a self-signed certificate made at start (SANs
//! `127.0.0.1`, `localhost`; given back as [`RunningGateway::ca_cert_pem`]),
//! rustls with the ring provider, ALPN `http/1.1` only; the server speaks
//! HTTP/1 only (also over plain HTTP).
//!
//! Routes (only at the root, no path prefix):
//! - `/agentgateway/resource/mediacall/{agentid}/getconnectinfo`. An empty
//!   `{agentid}` (`mediacall//getconnectinfo`) reaches the handler and is
//!   answered 000-002 like any bad agentid. The segment is percent-decoded.
//! - `PUT /agentgateway/resource/onlineagent/{agentid}` (no Guid): static
//!   sign-in of an in-range agent. Answers 200
//!   `{"retcode":"0","message":"success"}` with
//!   `Set-GUID: JSESSIONID=<uuid>.AgentGateway0`; the Guid is the part after
//!   `JSESSIONID=`. Earlier Guids stay valid. The new agent has no live call
//!   unless it is one of the two configured agents. Other methods: 405.
//! - Anything else: 404 `{"retcode":"000-002","message":"unknown resource"}`.
//!
//! Errors are the envelope `{"retcode":"...","message":"..."}` with no
//! `result`, `Content-Type: application/json`. getconnectinfo checks, in order:
//! 1. Method not POST: HTTP 405, `Allow: POST`, 000-002 (HEAD: no body).
//! 2. agentid: ASCII digits, no leading zero, in `min..=max` (101..=59999 by
//!    default), fitting a u64; else HTTP 200, 000-002.
//! 3. Guid header (name in any case): missing, empty or never issued: 100-006;
//!    issued to another agent than the path agentid: 000-003 (so a valid,
//!    in-range agentid that is not signed in answers 000-003 to our Guid).
//! 4. Content-Type: `application/json`, any case, parameters allowed; else 000-002.
//! 5. Body (at most 64 KiB): a JSON object with non-empty string `callid` and
//!    `userType`, extra members tolerated; else 000-002. `userType` other
//!    than `agent`: 000-002.
//! 6. callid: not a live call: 106-011; the live call of another agent: 106-015.
//! 7. HTTP 200 `{"retcode":"0","message":"success","result":{...}}` with the
//!    eleven Table 5 fields as strings, in table order: userId (the path
//!    agentid, canonical), ctime (`4102444800000`, ms, fixed), channelId,
//!    role `0`, ip `192.0.2.10`, port `6500`, signalingDomainIn/Out
//!    (`https://{in,out}.isdpdomain.example:8443`), locationId `65535`,
//!    signature (random per start: a secret), appId (fixed).
//!
//! 100-007 is answered only when something inside fails (a poisoned lock, a
//! full session table). Guids, callids and the signature are random per
//! start; everything else is fixed so snapshots are stable. The gateway
//! writes no logs, and [`AgentCredentials`]' `Debug` hides the Guid.
//!
//! # Faults
//!
//! See [`Fault`] (name and one-line description each). They are read through
//! one `Behaviour` value, the documented path being its default; several may
//! be on at once. Choices worth knowing:
//! - Refusal faults (`undocumented-retcode`, `refusal-5xx`, `html-error-page`,
//!   `info-in-error`, `stack-trace-in-error`) apply to every refusal of the
//!   getconnectinfo route, 405 included, not to 404 or sign-in answers.
//!   `info-in-error` leaks the configured agent's connection info.
//! - `agentid-lenient-parse` accepts what Java's parsing would: spaces, `+`,
//!   leading zeros, a decimal part (truncated), Unicode decimal digits.
//! - `body-missing-served` also defaults a missing `userType` to `agent`.
//! - `duplicate-keys` writes `"appId":"8345234631"` after channelId and the
//!   normal appId last, as in the documentation's example.
//! - `slow` delays every getconnectinfo answer (redirects included).
//! - `guid-header-case-sensitive` is implemented below hyper (see
//!   `sniff.rs`): the plaintext request head is scanned for how the Guid
//!   header name was spelled.

#[cfg(feature = "gateway")]
mod agent_id;
#[cfg(feature = "gateway")]
mod behaviour;
#[cfg(feature = "gateway")]
mod draw;
#[cfg(feature = "gateway")]
mod error;
mod fault;
#[cfg(feature = "gateway")]
mod handler;
#[cfg(feature = "gateway")]
pub mod mtls;
#[cfg(feature = "gateway")]
mod response;
#[cfg(feature = "gateway")]
mod server;
#[cfg(feature = "gateway")]
mod session;
#[cfg(feature = "gateway")]
mod session_routes;
#[cfg(feature = "gateway")]
mod sniff;
#[cfg(feature = "gateway")]
mod state;

#[cfg(feature = "gateway")]
pub use error::GatewayError;
pub use fault::{Fault, UnknownFault};
#[cfg(feature = "gateway")]
pub use server::{GatewayConfig, RunningGateway, start};
#[cfg(feature = "gateway")]
pub use session::{AgentSession, AuthMode, FlowLimit, SessionConfig, VideoCall};
#[cfg(feature = "gateway")]
pub use state::AgentCredentials;
