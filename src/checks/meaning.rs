//! Checks of meaning: values that are well-formed but cannot be used (an
//! expiration in the past, an address no client can connect to), headers
//! that claim what the interface does not do, and credentials an answer
//! gives to a request that did not carry them. The schemas check the form;
//! these check what the form says.

use crate::report::CheckId;
use crate::report::Finding;
use serde_json::Value;
use std::net::IpAddr;

/// How far ahead an expiration time may lie: 100 years. The documentation
/// gives no window; a millisecond timestamp beyond this is another unit
/// (microseconds), one before the answer is expired or in seconds.
const CTIME_HORIZON_MS: u64 = 100 * 366 * 24 * 60 * 60 * 1000;

/// The methods the interface refuses (cec_07_1280: only POST): an `Allow`
/// header naming one of them claims what the interface does not do.
/// (HEAD and OPTIONS are left alone: servers add them to every resource.)
const REFUSED_METHODS: [&str; 4] = ["GET", "PUT", "DELETE", "PATCH"];

/// `result.ctime` is an expiration time ahead of `received_at_ms` (the
/// answer's time, milliseconds since the epoch), within the horizon.
pub(super) fn ctime(findings: &mut Vec<Finding>, result: &Value, received_at_ms: u64) {
    let Some(text) = result.get("ctime").and_then(Value::as_str) else {
        return; // Reported by result.schema.
    };
    let Ok(ctime) = text.parse::<u64>() else {
        return; // Not decimal digits: reported by result.schema.
    };
    let finding = |message: String| Finding {
        instance_path: Some("/result/ctime".to_owned()),
        ..CheckId::ResultCtime.finding(message)
    };
    if ctime <= received_at_ms {
        findings.push(finding(format!(
            "ctime {text} ({}) is not ahead of the answer ({}): the connection info has expired, or ctime is not in milliseconds (the platform's long timestamps are)",
            date(ctime),
            date(received_at_ms)
        )));
    } else if ctime - received_at_ms > CTIME_HORIZON_MS {
        findings.push(finding(format!(
            "ctime {text} lies more than 100 years after the answer ({}): not an expiration time in milliseconds",
            date(received_at_ms)
        )));
    }
}

fn date(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(
            || "beyond the calendar".to_owned(),
            |d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
}

/// `result.ip` and the IP hosts of the signaling domains are addresses a
/// client can connect to.
pub(super) fn addresses(findings: &mut Vec<Finding>, result: &Value, allow_loopback: bool) {
    let unusable = |ip: IpAddr| unusable(ip).filter(|_| !(allow_loopback && ip.is_loopback()));
    if let Some(ip) = result.get("ip").and_then(Value::as_str) {
        if let Some(why) = ip.parse::<IpAddr>().ok().and_then(unusable) {
            findings.push(Finding {
                instance_path: Some("/result/ip".to_owned()),
                ..CheckId::ResultAddress.finding(format!(
                    "ip {ip} is {why}: no client can reach the media server there"
                ))
            });
        }
    }
    for field in ["signalingDomainIn", "signalingDomainOut"] {
        let Some(domain) = result.get(field).and_then(Value::as_str) else {
            continue;
        };
        let Some(host) = host_of(domain) else {
            continue; // Not https://host:port: reported by result.schema.
        };
        let why = match host.parse::<IpAddr>() {
            Ok(ip) => unusable(ip),
            Err(_) => {
                let name = host.to_ascii_lowercase();
                (!allow_loopback && (name == "localhost" || name.ends_with(".localhost")))
                    .then_some("the local host (loopback)")
            }
        };
        if let Some(why) = why {
            findings.push(Finding {
                instance_path: Some(format!("/result/{field}")),
                ..CheckId::ResultAddress.finding(format!(
                    "{field} {domain} names {why}: no client can reach the signaling server there"
                ))
            });
        }
    }
}

/// Why `ip` is no address to connect to, if it is not.
fn unusable(ip: IpAddr) -> Option<&'static str> {
    if ip.is_unspecified() {
        Some("the unspecified address")
    } else if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else if matches!(ip, IpAddr::V4(v4) if v4.is_broadcast()) {
        Some("the broadcast address")
    } else {
        None
    }
}

/// The host of `https://host:port` (an IPv6 literal without its brackets).
fn host_of(domain: &str) -> Option<&str> {
    let rest = domain.strip_prefix("https://")?;
    let (host, port) = rest.rsplit_once(':')?;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        host.strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host),
    )
}

/// An `Allow` header names POST and none of the methods the interface
/// refuses.
pub(super) fn allow(findings: &mut Vec<Finding>, allow: Option<&str>) {
    let Some(value) = allow else { return };
    let methods: Vec<String> = value
        .split(',')
        .map(|m| m.trim().to_ascii_uppercase())
        .filter(|m| !m.is_empty())
        .collect();
    if !methods.iter().any(|m| m == "POST") {
        findings.push(CheckId::HeadersAllow.finding(format!(
            "Allow: {value} does not name POST, the one method the interface serves (cec_07_1280)"
        )));
    }
    let refused: Vec<&str> = REFUSED_METHODS
        .into_iter()
        .filter(|r| methods.iter().any(|m| m == r))
        .collect();
    if !refused.is_empty() {
        findings.push(CheckId::HeadersAllow.finding(format!(
            "Allow: {value} names {}, which the interface does not serve (cec_07_1280: only POST)",
            refused.join(", ")
        )));
    }
}

/// The answer carries `disclosed` (credentials of the run, as their
/// placeholders) that its request did not carry.
pub(super) fn credentials(findings: &mut Vec<Finding>, disclosed: &[String]) {
    for placeholder in disclosed {
        let what = match placeholder.as_str() {
            "<guid>" => "the agent's Guid",
            "<other-guid>" => "the other agent's Guid",
            "<other-callid>" => "the other agent's callid",
            "<password>" => "a password",
            _ => "a credential of the run",
        };
        findings.push(CheckId::NoForeignCredentials.finding(format!(
            "the answer discloses {what} ({placeholder}), which its request did not carry"
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_765_000_000_000; // 2025-12-06

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.check.as_str()).collect()
    }

    #[test]
    fn ctime_must_lie_ahead_in_milliseconds() {
        for (value, fails) in [
            ("4102444800000", false),           // 2100, ms
            ("1765003600000", false),           // an hour ahead
            ("4102444800", true),               // seconds: 1970
            ("1765000000000", true),            // the answer's own time
            ("1700000000000", true),            // expired
            ("4102444800000000", true),         // microseconds
            ("99999999999999999999999", false), // not a u64: the schema's business
        ] {
            let mut findings = Vec::new();
            ctime(&mut findings, &json!({ "ctime": value }), NOW);
            assert_eq!(!findings.is_empty(), fails, "{value}: {findings:?}");
        }
    }

    #[test]
    fn addresses_must_be_reachable() {
        for (ip, fails) in [
            ("192.0.2.10", false),
            ("10.1.2.3", false),
            ("2001:db8::1", false),
            ("0.0.0.0", true),
            ("127.0.0.1", true),
            ("::1", true),
            ("::", true),
            ("224.0.0.1", true),
            ("ff02::1", true),
            ("255.255.255.255", true),
            ("xxx.xxx.xxx.xxx", false), // not an address: the schema's business
        ] {
            let mut findings = Vec::new();
            addresses(&mut findings, &json!({ "ip": ip }), false);
            assert_eq!(ids(&findings).contains(&"result.address"), fails, "{ip}");
        }
        // A profile that allows a loopback media server (a lab gateway):
        // loopback passes, the rest is still refused.
        for (ip, fails) in [("127.0.0.1", false), ("::1", false), ("0.0.0.0", true)] {
            let mut findings = Vec::new();
            addresses(
                &mut findings,
                &json!({ "ip": ip, "signalingDomainIn": "https://localhost:8443" }),
                true,
            );
            assert_eq!(!findings.is_empty(), fails, "{ip}: {findings:?}");
        }
        for (domain, fails) in [
            ("https://in.isdpdomain.example:8443", false),
            ("https://10.0.0.1:443", false),
            ("https://[2001:db8::2]:443", false),
            ("https://127.0.0.1:8443", true),
            ("https://[::1]:8443", true),
            ("https://0.0.0.0:8443", true),
            ("https://LOCALHOST:8443", true),
            ("https: //in.isdpdomain.example", false), // malformed: the schema's
        ] {
            let mut findings = Vec::new();
            addresses(
                &mut findings,
                &json!({ "signalingDomainIn": domain }),
                false,
            );
            assert_eq!(!findings.is_empty(), fails, "{domain}");
        }
    }

    #[test]
    fn allow_names_post_and_nothing_refused() {
        for (value, count) in [
            ("POST", 0),
            ("POST, OPTIONS, HEAD", 0),
            ("post", 0),
            ("GET, HEAD", 2),
            ("GET, POST", 1),
            ("", 1),
        ] {
            let mut findings = Vec::new();
            allow(&mut findings, Some(value));
            assert_eq!(findings.len(), count, "{value:?}: {findings:?}");
        }
        let mut findings = Vec::new();
        allow(&mut findings, None);
        assert!(findings.is_empty());
    }

    #[test]
    fn a_disclosed_credential_is_named_never_shown() {
        let mut findings = Vec::new();
        credentials(&mut findings, &["<other-guid>".to_owned()]);
        assert_eq!(ids(&findings), ["answer.no_foreign_credentials"]);
        assert!(findings[0].message.contains("the other agent's Guid"));
    }
}
