//! The switchable faults of the reference gateway: one realistic deviation
//! from the documented `getconnectinfo` behaviour each, selected by a
//! kebab-case name (`--fault method-any`, `catches = ["method-any"]`).

use std::fmt;
use std::str::FromStr;

/// Declares the fault enum with its names and descriptions in one table, so
/// the three can never drift apart.
macro_rules! faults {
    ($($(#[$doc:meta])* $variant:ident => $name:literal, $description:literal;)+) => {
        /// One deviation the reference gateway can be switched into.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault {
            $($(#[$doc])* $variant,)+
        }

        impl Fault {
            const ALL: &'static [Fault] = &[$(Fault::$variant,)+];

            /// Every fault, in declaration order.
            pub fn all() -> &'static [Fault] {
                Self::ALL
            }

            /// The kebab-case name used on the command line and in suite files.
            pub fn name(self) -> &'static str {
                match self {
                    $(Fault::$variant => $name,)+
                }
            }

            /// One line saying how the gateway deviates.
            pub fn description(self) -> &'static str {
                match self {
                    $(Fault::$variant => $description,)+
                }
            }
        }
    };
}

faults! {
    /// Every method is handled like POST.
    MethodAny => "method-any", "every method is answered like POST";
    /// The path agentid is ignored and the Guid's agent is served.
    AgentidFromGuid => "agentid-from-guid", "the path agentid is ignored: the Guid's agent is served (range still checked)";
    /// The upper bound of the agentid range is not enforced.
    BoundUpperOff => "bound-upper-off", "the agentid upper bound is not enforced";
    /// The lower bound of the agentid range is not enforced.
    BoundLowerOff => "bound-lower-off", "the agentid lower bound is not enforced (0..=max is in range)";
    /// The agentid is parsed leniently.
    AgentidLenientParse => "agentid-lenient-parse", "agentid parsed leniently: leading zeros, spaces, a decimal part, Unicode digits";
    /// A request without a Guid is served as the path agent.
    GuidOptional => "guid-optional", "a request without a Guid header is served as the path agent";
    /// A Guid of another signed-in agent is accepted.
    GuidAnyAgent => "guid-any-agent", "a valid Guid of another agent is accepted (no binding check)";
    /// Any well-formed Guid is accepted.
    GuidAnyValue => "guid-any-value", "any well-formed Guid is accepted as the path agent";
    /// The Guid header is only recognised under the exact name `Guid`.
    GuidHeaderCaseSensitive => "guid-header-case-sensitive", "the Guid header is only recognised when its name on the wire is exactly `Guid`";
    /// Content-Type is not checked.
    ContentTypeIgnored => "content-type-ignored", "Content-Type is not checked";
    /// Content-Type must carry `charset=UTF-8`.
    CharsetRequired => "charset-required", "Content-Type must be exactly `application/json; charset=UTF-8`";
    /// A missing or unusable body is served with the agent's live call.
    BodyMissingServed => "body-missing-served", "a missing, empty or unparseable body or a missing callid is served with the agent's live call";
    /// Non-string `callid`/`userType` are coerced to strings.
    WrongTypesCoerced => "wrong-types-coerced", "non-string callid/userType are coerced to strings";
    /// The callid is not looked up.
    CallidIgnored => "callid-ignored", "the callid is not looked up: any callid is served with the agent's live call";
    /// A body with an extra field is refused.
    ExtraFieldRefused => "extra-field-refused", "a body with a field other than callid/userType is refused with 000-002";
    /// The success result lacks `locationId`.
    ResultFieldMissing => "result-field-missing", "the success result lacks locationId";
    /// The success result has `port` as a number.
    ResultFieldType => "result-field-type", "the success result has port as the JSON number 6500";
    /// `signalingDomainOut` breaks its documented format.
    ResultBadDomain => "result-bad-domain", "signalingDomainOut is \"https: //out.isdpdomain.example\"";
    /// `ip` is a placeholder, not an address.
    ResultBadIp => "result-bad-ip", "ip is \"xxx.xxx.xxx.xxx\"";
    /// `ctime` written in seconds, not milliseconds: an expiration in 1970.
    CtimeSeconds => "ctime-seconds", "ctime is written in seconds (\"4102444800\"), so as milliseconds it lies in 1970";
    /// `ip` is the unspecified address.
    IpUnspecified => "ip-unspecified", "ip is \"0.0.0.0\", an address no client can connect to";
    /// Every refusal's message names the agent's Guid.
    CredentialInError => "credential-in-error", "every refusal's message names the agent's current Guid";
    /// A 405 claims other methods than POST.
    AllowLies => "allow-lies", "a 405 answers `Allow: GET, HEAD`: it claims methods the interface refuses, and not POST";
    /// `userId` is the other agent's id.
    UserIdMismatch => "user-id-mismatch", "userId in the result is the other agent's id";
    /// The success body repeats `appId`.
    DuplicateKeys => "duplicate-keys", "the success body repeats the appId key";
    /// `retcode` is a JSON number.
    RetcodeNumber => "retcode-number", "retcode is a JSON number (0 on success, e.g. 100006 on errors)";
    /// Envelopes have no `message`.
    MessageMissing => "message-missing", "envelopes (success and errors) have no message";
    /// Every refusal answers retcode `999-999`.
    UndocumentedRetcode => "undocumented-retcode", "every refusal answers retcode 999-999";
    /// Every refusal is answered with HTTP 500.
    Refusal5xx => "refusal-5xx", "every refusal is answered with HTTP 500 (same JSON envelope)";
    /// Every refusal is an HTML error page.
    HtmlErrorPage => "html-error-page", "every refusal is an HTML error page (text/html, HTTP 500)";
    /// Every refusal carries the connection info.
    InfoInError => "info-in-error", "every refusal also carries the agent's full result object";
    /// Every refusal's message carries a Java stack trace.
    StackTraceInError => "stack-trace-in-error", "every refusal's message carries a Java stack trace";
    /// Every getconnectinfo request is redirected.
    Redirect => "redirect", "every getconnectinfo request is answered 302 to http://127.0.0.1:9/elsewhere";
    /// Every getconnectinfo answer is delayed.
    Slow => "slow", "every getconnectinfo answer is delayed by the configured slow delay";
    /// The success body is padded to 8 MiB.
    HugeBody => "huge-body", "the success body is padded to 8 MiB";
    /// The success body is `OK` as text/plain.
    NotJson => "not-json", "the success body is `OK` with text/plain";
    /// Dynamic mode: polls never hand out a new Guid.
    GuidNotRotated => "guid-not-rotated", "dynamic mode: the event poll never hands out a new Guid";
    /// A signed-out agent's Guid is still served.
    SignedOutServed => "signed-out-served", "the Guid of a signed-out agent is still served";
    /// Sign-out answers success and changes nothing.
    SignOutIgnored => "sign-out-ignored", "sign-out answers success but the agent stays signed in";
    /// Dynamic mode: a Guid stays valid after its timeout.
    GuidNoExpiry => "guid-no-expiry", "dynamic mode: a Guid stays valid after its timeout";
}

impl Fault {
    /// True for a fault of the agent session (sign-in, Guid rotation and
    /// expiry, sign-out): only a run that drives a session can catch it.
    pub fn is_session(self) -> bool {
        matches!(
            self,
            Fault::GuidNotRotated
                | Fault::SignedOutServed
                | Fault::SignOutIgnored
                | Fault::GuidNoExpiry
        )
    }

    /// The fault named `name` (exact kebab-case), if any.
    pub fn from_name(name: &str) -> Option<Fault> {
        Self::all()
            .iter()
            .copied()
            .find(|fault| fault.name() == name)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault name that is not one of [`Fault::all`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {name:?}{suggestion}; valid faults: {valid}")]
pub struct UnknownFault {
    /// The name as given.
    pub name: String,
    suggestion: String,
    valid: String,
}

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        if let Some(fault) = Fault::from_name(name) {
            return Ok(fault);
        }
        let closest = Fault::all()
            .iter()
            .map(|fault| (strsim::levenshtein(name, fault.name()), fault.name()))
            .min()
            .filter(|(distance, _)| *distance <= 3);
        let suggestion = closest
            .map(|(_, near)| format!(" (did you mean {near:?}?)"))
            .unwrap_or_default();
        let valid = Fault::all()
            .iter()
            .map(|fault| fault.name())
            .collect::<Vec<_>>()
            .join(", ");
        Err(UnknownFault {
            name: name.to_owned(),
            suggestion,
            valid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names: Vec<_> = Fault::all().iter().map(|f| f.name()).collect();
        for fault in Fault::all() {
            assert_eq!(Fault::from_name(fault.name()), Some(*fault));
            assert_eq!(fault.name().parse::<Fault>(), Ok(*fault));
            assert!(!fault.description().is_empty());
            assert!(!fault.description().contains('\n'));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Fault::all().len());
        assert_eq!(Fault::all().len(), 40);
    }

    #[test]
    fn unknown_name_lists_valid_names_and_suggests() {
        let err = "method-anyy".parse::<Fault>().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("did you mean \"method-any\"?"), "{text}");
        assert!(text.contains("not-json"), "{text}");
        let err = "zzzzzzzzzzzzzzzz".parse::<Fault>().unwrap_err();
        assert!(!err.to_string().contains("did you mean"));
    }
}
