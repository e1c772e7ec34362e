//! Check ids: the stable names of the checks, as findings, JUnit and
//! comparisons carry them (`result.schema`, `retcode.expected`, ...). They are
//! part of the report format: a finding serializes its check as the id string.

use super::model::Finding;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

/// Every check, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckId {
    /// A 3xx answer: never followed; the Guid must not travel elsewhere.
    Redirect,
    /// The body is larger than the cap.
    BodySize,
    /// The HTTP status is not in the accepted set.
    HttpStatus,
    /// The body is not JSON where a JSON envelope is required.
    BodyJson,
    /// A JSON object repeats a key (RFC 8259: names SHOULD be unique).
    UniqueKeys,
    /// The envelope does not satisfy its schema.
    EnvelopeSchema,
    /// A request that must be served was refused.
    OutcomeServed,
    /// A request that must be refused was served.
    OutcomeRefused,
    /// The retcode is not one the case accepts.
    RetcodeExpected,
    /// The retcode is not a documented one.
    RetcodeDocumented,
    /// A refusal carries connection info.
    NoConnectionInfo,
    /// A refusal exposes internals (CWE-209).
    NoInternals,
    /// The Table 5 result does not satisfy its schema.
    ResultSchema,
    /// `userId` is not the path agent id.
    ResultUserId,
    /// `ctime` is not an expiration time ahead of the answer.
    ResultCtime,
    /// `ip` (or an IP host of a signaling domain) is no address a client
    /// can connect to.
    ResultAddress,
    /// The answer discloses a credential its request did not carry.
    NoForeignCredentials,
    /// An `Allow` header claims what the interface does not do.
    HeadersAllow,
    /// Dynamic mode: no new Guid within the Guid interval (session check).
    SessionGuidRotated,
    /// Dynamic mode: a Guid served after its timeout (session check).
    SessionGuidExpired,
    /// A Guid served after an accepted sign-out (session check).
    SessionSignedOut,
}

impl CheckId {
    /// Every check.
    pub const ALL: [CheckId; 21] = [
        CheckId::Redirect,
        CheckId::BodySize,
        CheckId::HttpStatus,
        CheckId::BodyJson,
        CheckId::UniqueKeys,
        CheckId::EnvelopeSchema,
        CheckId::OutcomeServed,
        CheckId::OutcomeRefused,
        CheckId::RetcodeExpected,
        CheckId::RetcodeDocumented,
        CheckId::NoConnectionInfo,
        CheckId::NoInternals,
        CheckId::ResultSchema,
        CheckId::ResultUserId,
        CheckId::ResultCtime,
        CheckId::ResultAddress,
        CheckId::NoForeignCredentials,
        CheckId::HeadersAllow,
        CheckId::SessionGuidRotated,
        CheckId::SessionGuidExpired,
        CheckId::SessionSignedOut,
    ];

    /// The stable id, e.g. `result.schema`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Redirect => "transport.redirect",
            CheckId::BodySize => "body.size",
            CheckId::HttpStatus => "http.status",
            CheckId::BodyJson => "body.json",
            CheckId::UniqueKeys => "body.unique_keys",
            CheckId::EnvelopeSchema => "envelope.schema",
            CheckId::OutcomeServed => "outcome.served",
            CheckId::OutcomeRefused => "outcome.refused",
            CheckId::RetcodeExpected => "retcode.expected",
            CheckId::RetcodeDocumented => "retcode.documented",
            CheckId::NoConnectionInfo => "refusal.no_connection_info",
            CheckId::NoInternals => "refusal.no_internals",
            CheckId::ResultSchema => "result.schema",
            CheckId::ResultUserId => "result.user_id",
            CheckId::ResultCtime => "result.ctime",
            CheckId::ResultAddress => "result.address",
            CheckId::NoForeignCredentials => "answer.no_foreign_credentials",
            CheckId::HeadersAllow => "headers.allow",
            CheckId::SessionGuidRotated => "session.guid_rotated",
            CheckId::SessionGuidExpired => "session.guid_expired",
            CheckId::SessionSignedOut => "session.signed_out",
        }
    }

    /// One line on what the check asks.
    pub fn description(self) -> &'static str {
        match self {
            CheckId::Redirect => {
                "no redirect: a 3xx is never followed, so the Guid never travels to another origin"
            }
            CheckId::BodySize => "the body stays under the size cap",
            CheckId::HttpStatus => "the HTTP status is one the expectations accept",
            CheckId::BodyJson => {
                "the body is JSON, labelled application/json, where an envelope is required"
            }
            CheckId::UniqueKeys => "no JSON object repeats a key (RFC 8259)",
            CheckId::EnvelopeSchema => {
                "the response envelope satisfies its schema (retcode, message)"
            }
            CheckId::OutcomeServed => "a valid request is served with retcode \"0\"",
            CheckId::OutcomeRefused => "an invalid request is never served",
            CheckId::RetcodeExpected => "a refusal carries a retcode accepted for its cause",
            CheckId::RetcodeDocumented => "a refusal carries a documented retcode",
            CheckId::NoConnectionInfo => "a refusal carries no connection info",
            CheckId::NoInternals => {
                "an error exposes no internals (stack traces, class names, paths)"
            }
            CheckId::ResultSchema => "the result satisfies Table 5",
            CheckId::ResultUserId => "result.userId is the path agentid",
            CheckId::ResultCtime => {
                "result.ctime is an expiration time (milliseconds) ahead of the answer, within 100 years"
            }
            CheckId::ResultAddress => {
                "result.ip and the signaling domains' IP hosts are addresses a client can connect to"
            }
            CheckId::NoForeignCredentials => {
                "no answer discloses a credential of the run that its request did not carry"
            }
            CheckId::HeadersAllow => {
                "an Allow header names POST, the one method served, and no method the interface refuses"
            }
            CheckId::SessionGuidRotated => {
                "dynamic mode: an event poll hands out a new Guid within the Guid interval"
            }
            CheckId::SessionGuidExpired => "dynamic mode: a Guid is refused after its timeout",
            CheckId::SessionSignedOut => "after an accepted sign-out the agent's Guid is refused",
        }
    }

    /// A finding of this check with `message` and no JSON pointers.
    pub(crate) fn finding(self, message: impl Into<String>) -> Finding {
        Finding {
            check: self,
            message: message.into(),
            instance_path: None,
            schema_path: None,
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Check ids order as their strings, so findings sort as they always did.
impl Ord for CheckId {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for CheckId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A string that is no check id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown check id `{0}`")]
pub struct UnknownCheckId(pub String);

impl std::str::FromStr for CheckId {
    type Err = UnknownCheckId;

    fn from_str(id: &str) -> Result<CheckId, UnknownCheckId> {
        CheckId::ALL
            .into_iter()
            .find(|c| c.as_str() == id)
            .ok_or_else(|| UnknownCheckId(id.to_owned()))
    }
}

impl Serialize for CheckId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CheckId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<CheckId, D::Error> {
        let id = String::deserialize(deserializer)?;
        id.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::CheckId;

    #[test]
    fn ids_round_trip_and_sort_as_strings() {
        for check in CheckId::ALL {
            assert_eq!(check.as_str().parse::<CheckId>(), Ok(check));
            let json = serde_json::to_string(&check).unwrap();
            assert_eq!(json, format!("\"{}\"", check.as_str()));
            assert_eq!(serde_json::from_str::<CheckId>(&json).unwrap(), check);
        }
        assert!("auth.missing_guid".parse::<CheckId>().is_err());
        let mut sorted = CheckId::ALL;
        sorted.sort();
        let strings: Vec<&str> = sorted.iter().map(|c| c.as_str()).collect();
        let mut expected = strings.clone();
        expected.sort_unstable();
        assert_eq!(strings, expected);
    }
}
