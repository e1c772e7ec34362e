//! Profiles: `suites/<suite>/profiles/<name>.toml`, kept as data.

use super::error::ContractError;
use super::expectations::Expectations;
use super::raw::RawExpectations;
use super::terms::ExpectationSource;
use serde::Deserialize;

/// The parts of the contract that vary by gateway release.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Short name, e.g. `cec-23`.
    pub name: String,
    /// Human title.
    pub title: String,
    /// Where the documentation states it.
    pub reference: String,
    /// Smallest valid agent id.
    pub agent_id_min: u64,
    /// Largest valid agent id.
    pub agent_id_max: u64,
    /// Where the bounds come from.
    pub agent_id_reference: String,
    /// The documented expectations with this profile's overrides on top,
    /// resolved when the suite is loaded.
    pub expectations: Expectations,
    /// A loopback address is a usable media server or signaling host (a lab
    /// gateway on one machine); `result.address` refuses it otherwise.
    pub allow_loopback_media: bool,
}

/// A profile file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    /// Short name, e.g. `cec-23`.
    pub name: String,
    /// Human title.
    pub title: String,
    /// Where the documentation states it.
    pub reference: String,
    /// The valid agent ids.
    pub agent_id: RawAgentIdRange,
    /// Expectations this profile overrides.
    #[serde(default)]
    pub expectations: RawExpectations,
    /// A loopback media address is usable (a lab gateway on one machine).
    #[serde(default)]
    pub allow_loopback_media: bool,
}

/// `[agent_id]` of a profile file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAgentIdRange {
    /// Smallest valid agent id.
    pub min: u64,
    /// Largest valid agent id.
    pub max: u64,
    /// Where the bounds come from; the profile's reference when absent.
    #[serde(default)]
    pub reference: Option<String>,
}

impl Profile {
    /// Checks a profile file and resolves its expectations on top of the
    /// `documented` ones.
    pub(crate) fn from_raw(
        raw: RawProfile,
        documented: &Expectations,
    ) -> Result<Profile, ContractError> {
        if raw.agent_id.min > raw.agent_id.max {
            return Err(ContractError::AgentIdRange {
                min: raw.agent_id.min,
                max: raw.agent_id.max,
            });
        }
        let mut expectations = documented.clone();
        expectations.overlay(
            &raw.expectations,
            ExpectationSource::Profile,
            &raw.reference,
        )?;
        Ok(Profile {
            agent_id_reference: raw
                .agent_id
                .reference
                .unwrap_or_else(|| raw.reference.clone()),
            name: raw.name,
            title: raw.title,
            reference: raw.reference,
            agent_id_min: raw.agent_id.min,
            agent_id_max: raw.agent_id.max,
            allow_loopback_media: raw.allow_loopback_media,
            expectations,
        })
    }

    /// Whether `text` is a canonical decimal agent id (ASCII digits, no leading
    /// zero) inside this profile's range.
    pub fn is_valid_agent_id(&self, text: &str) -> bool {
        canonical_decimal(text)
            .is_some_and(|n| (self.agent_id_min..=self.agent_id_max).contains(&n))
    }
}

/// Parses ASCII decimal digits without sign, leading zero or overflow.
pub(crate) fn canonical_decimal(text: &str) -> Option<u64> {
    let is_canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if is_canonical {
        text.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_decimal;

    /// A lab profile may take a loopback media server as usable; the key is
    /// off unless written, and a misspelling is refused.
    #[test]
    fn a_profile_may_allow_a_loopback_media_server() {
        let text = "name = \"lab\"\ntitle = \"lab\"\nreference = \"r\"\n\
                    allow_loopback_media = true\n[agent_id]\nmin = 101\nmax = 999\n";
        let raw: super::RawProfile = toml::from_str(text).unwrap();
        let raw_documented: super::RawExpectations = toml::from_str(include_str!(
            "../../suites/getconnectinfo/expectations.toml"
        ))
        .unwrap();
        let documented = super::Expectations::documented(&raw_documented).unwrap();
        assert!(
            super::Profile::from_raw(raw, &documented)
                .unwrap()
                .allow_loopback_media
        );
        let off: super::RawProfile =
            toml::from_str(&text.replace("allow_loopback_media = true\n", "")).unwrap();
        assert!(
            !super::Profile::from_raw(off, &documented)
                .unwrap()
                .allow_loopback_media
        );
        assert!(
            toml::from_str::<super::RawProfile>(
                &text.replace("allow_loopback_media", "allow_loopback")
            )
            .is_err()
        );
    }

    #[test]
    fn canonical_decimal_rejects_what_a_string_id_should_not_be() {
        assert_eq!(canonical_decimal("1001"), Some(1001));
        assert_eq!(canonical_decimal("0"), Some(0));
        for bad in [
            "",
            "01001",
            "-1",
            "1.0",
            " 1",
            "١٠١",
            "18446744073709551616",
            "abc",
        ] {
            assert_eq!(canonical_decimal(bad), None, "{bad:?}");
        }
    }
}
