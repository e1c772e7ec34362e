//! The shared Guid of a run (rotating with `--sign-in`): every `Set-GUID` the event poll
//! sees replaces it for the next request; requests in flight keep theirs.
//! Each generation is registered with the redactor the moment it is learnt.
//! (It lives in the runner, which reads it; the session feeds it.)

use crate::redact::Redactor;
use std::sync::{Arc, RwLock};

/// The current Guid and its generation (1 = the sign-in's), shared by the
/// session and the runner. `Debug` never shows the value.
#[derive(Clone)]
pub struct GuidSource {
    current: Arc<RwLock<(String, u32)>>,
    redactor: Redactor,
    /// What the evidence shows in its place (`<guid>`, `<other-guid>`).
    placeholder: &'static str,
}

impl std::fmt::Debug for GuidSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuidSource")
            .field("generation", &self.current().1)
            .finish_non_exhaustive()
    }
}

impl GuidSource {
    /// Generation 1: `guid`, registered with `redactor` (and its clones).
    pub fn new(guid: &str, redactor: &Redactor) -> GuidSource {
        GuidSource::shown_as(guid, redactor, "<guid>")
    }

    /// [`GuidSource::new`] for a Guid shown as `placeholder` (the other
    /// agent's: `<other-guid>`).
    pub fn shown_as(guid: &str, redactor: &Redactor, placeholder: &'static str) -> GuidSource {
        redactor.add_generation(guid, placeholder);
        GuidSource {
            current: Arc::new(RwLock::new((guid.to_owned(), 1))),
            redactor: redactor.clone(),
            placeholder,
        }
    }

    /// The Guid for the next request and its generation.
    pub fn current(&self) -> (String, u32) {
        self.current
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Takes `guid` if it differs from the current one; the new generation.
    pub fn offer(&self, guid: &str) -> Option<u32> {
        let guid = guid.trim();
        if guid.is_empty() {
            return None;
        }
        self.redactor.add_generation(guid, self.placeholder);
        let mut current = self.current.write().ok()?;
        if current.0 == guid {
            return None;
        }
        current.0 = guid.to_owned();
        current.1 += 1;
        Some(current.1)
    }
}

/// A Guid as the platform writes it in `Set-GUID` (`JSESSIONID=<guid>`,
/// cookie attributes after a `;`), or as a user copied it from there: the
/// bare Guid, and whether a `JSESSIONID=` prefix (in any ASCII case) was
/// cut. The one reading of that form, for the sign-in, the event polls and
/// a Guid given to `run`. Attributes are cut only after the prefix: a value
/// without it is the Guid as it stands.
pub fn parse_guid(value: &str) -> Option<(&str, bool)> {
    let value = value.trim();
    let guid = match value.get(..11) {
        Some(prefix) if prefix.eq_ignore_ascii_case("JSESSIONID=") => {
            let rest = &value[11..];
            let guid = rest.split(';').next().unwrap_or_default().trim();
            return (!guid.is_empty()).then_some((guid, true));
        }
        _ => value,
    };
    (!guid.is_empty()).then_some((guid, false))
}

/// The Guid in a `Set-GUID` header value (`JSESSIONID=<guid>`).
pub fn guid_of_set_guid(value: &str) -> Option<&str> {
    parse_guid(value).map(|(guid, _)| guid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_count_changes_and_register_secrets() {
        let redactor = Redactor::new();
        let source = GuidSource::new("first-guid.AgentGateway0", &redactor);
        assert_eq!(source.current().1, 1);
        assert_eq!(source.offer("first-guid.AgentGateway0"), None);
        assert_eq!(source.offer("second-guid.AgentGateway0"), Some(2));
        assert_eq!(
            source.current(),
            ("second-guid.AgentGateway0".to_owned(), 2)
        );
        let text = redactor.text("first-guid.AgentGateway0 second-guid.AgentGateway0");
        assert_eq!(text, "<guid> <guid>");
        assert!(!format!("{source:?}").contains("second"));
    }

    #[test]
    fn set_guid_values() {
        assert_eq!(
            guid_of_set_guid("JSESSIONID=abc.AgentGateway0"),
            Some("abc.AgentGateway0")
        );
        assert_eq!(guid_of_set_guid("JSESSIONID=abc; Path=/"), Some("abc"));
        assert_eq!(guid_of_set_guid("JSESSIONID="), None);
        // One reading for every place: the prefix in any case, attributes
        // cut only after it, surrounding spaces gone.
        assert_eq!(parse_guid(" jsessionid=abc ; Path=/"), Some(("abc", true)));
        assert_eq!(
            parse_guid("abc.AgentGateway1"),
            Some(("abc.AgentGateway1", false))
        );
        assert_eq!(parse_guid("  "), None);
    }
}
