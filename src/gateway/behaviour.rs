//! The gateway's behaviour as plain switches, derived once from the fault set.
//!
//! The handler reads these switches instead of the fault list, so each fault
//! is one small branch and `Behaviour::default()` is the documented behaviour.

use super::fault::Fault;

/// How the Content-Type header is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ContentTypeRule {
    /// `application/json`, any case, parameters allowed (documented).
    #[default]
    Json,
    /// Not checked at all.
    Ignored,
    /// Exactly `application/json; charset=UTF-8`.
    ExactCharset,
}

/// Every switch the handler consults; the default is the documented path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Behaviour {
    pub(crate) any_method: bool,
    pub(crate) agent_from_guid: bool,
    pub(crate) upper_bound_off: bool,
    pub(crate) lower_bound_off: bool,
    pub(crate) lenient_agent_id: bool,
    pub(crate) guid_optional: bool,
    pub(crate) guid_any_agent: bool,
    pub(crate) guid_any_value: bool,
    pub(crate) guid_case_sensitive: bool,
    pub(crate) content_type: ContentTypeRule,
    pub(crate) missing_body_served: bool,
    pub(crate) coerce_types: bool,
    pub(crate) callid_ignored: bool,
    pub(crate) extra_field_refused: bool,
    pub(crate) result: ResultShape,
    pub(crate) envelope: EnvelopeShape,
    pub(crate) refusal: RefusalShape,
    pub(crate) redirect: bool,
    pub(crate) slow: bool,
    pub(crate) session: SessionFaults,
}

/// Deviations of the agent session (see `session.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SessionFaults {
    pub(crate) guid_not_rotated: bool,
    pub(crate) signed_out_served: bool,
    pub(crate) sign_out_ignored: bool,
    pub(crate) guid_no_expiry: bool,
}

/// Deviations of the success result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ResultShape {
    pub(crate) drop_location_id: bool,
    pub(crate) port_as_number: bool,
    pub(crate) bad_domain: bool,
    pub(crate) bad_ip: bool,
    pub(crate) user_id_mismatch: bool,
    pub(crate) ctime_seconds: bool,
    pub(crate) ip_unspecified: bool,
    pub(crate) duplicate_app_id: bool,
    pub(crate) huge: bool,
    pub(crate) not_json: bool,
}

/// Deviations shared by success and error envelopes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct EnvelopeShape {
    pub(crate) retcode_number: bool,
    pub(crate) message_missing: bool,
}

/// Deviations of refusals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RefusalShape {
    pub(crate) undocumented_retcode: bool,
    pub(crate) status_500: bool,
    pub(crate) html: bool,
    pub(crate) with_result: bool,
    pub(crate) names_guid: bool,
    pub(crate) allow_lies: bool,
    pub(crate) stack_trace: bool,
}

impl Behaviour {
    /// The behaviour with every fault in `faults` switched on.
    pub(crate) fn from_faults(faults: &[Fault]) -> Self {
        let mut b = Behaviour::default();
        for fault in faults {
            match fault {
                Fault::MethodAny => b.any_method = true,
                Fault::AgentidFromGuid => b.agent_from_guid = true,
                Fault::BoundUpperOff => b.upper_bound_off = true,
                Fault::BoundLowerOff => b.lower_bound_off = true,
                Fault::AgentidLenientParse => b.lenient_agent_id = true,
                Fault::GuidOptional => b.guid_optional = true,
                Fault::GuidAnyAgent => b.guid_any_agent = true,
                Fault::GuidAnyValue => b.guid_any_value = true,
                Fault::GuidHeaderCaseSensitive => b.guid_case_sensitive = true,
                Fault::ContentTypeIgnored => b.content_type = ContentTypeRule::Ignored,
                Fault::CharsetRequired => b.content_type = ContentTypeRule::ExactCharset,
                Fault::BodyMissingServed => b.missing_body_served = true,
                Fault::WrongTypesCoerced => b.coerce_types = true,
                Fault::CallidIgnored => b.callid_ignored = true,
                Fault::ExtraFieldRefused => b.extra_field_refused = true,
                Fault::ResultFieldMissing => b.result.drop_location_id = true,
                Fault::ResultFieldType => b.result.port_as_number = true,
                Fault::ResultBadDomain => b.result.bad_domain = true,
                Fault::ResultBadIp => b.result.bad_ip = true,
                Fault::UserIdMismatch => b.result.user_id_mismatch = true,
                Fault::CtimeSeconds => b.result.ctime_seconds = true,
                Fault::IpUnspecified => b.result.ip_unspecified = true,
                Fault::CredentialInError => b.refusal.names_guid = true,
                Fault::AllowLies => b.refusal.allow_lies = true,
                Fault::DuplicateKeys => b.result.duplicate_app_id = true,
                Fault::RetcodeNumber => b.envelope.retcode_number = true,
                Fault::MessageMissing => b.envelope.message_missing = true,
                Fault::UndocumentedRetcode => b.refusal.undocumented_retcode = true,
                Fault::Refusal5xx => b.refusal.status_500 = true,
                Fault::HtmlErrorPage => b.refusal.html = true,
                Fault::InfoInError => b.refusal.with_result = true,
                Fault::StackTraceInError => b.refusal.stack_trace = true,
                Fault::Redirect => b.redirect = true,
                Fault::Slow => b.slow = true,
                Fault::HugeBody => b.result.huge = true,
                Fault::NotJson => b.result.not_json = true,
                Fault::GuidNotRotated => b.session.guid_not_rotated = true,
                Fault::SignedOutServed => b.session.signed_out_served = true,
                Fault::SignOutIgnored => b.session.sign_out_ignored = true,
                Fault::GuidNoExpiry => b.session.guid_no_expiry = true,
            }
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_fault_is_the_documented_behaviour() {
        assert_eq!(Behaviour::from_faults(&[]), Behaviour::default());
    }

    #[test]
    fn every_fault_changes_the_behaviour() {
        for fault in Fault::all() {
            assert_ne!(
                Behaviour::from_faults(&[*fault]),
                Behaviour::default(),
                "{fault} switches nothing"
            );
        }
    }
}
