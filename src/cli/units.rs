//! Durations and sizes on the command line: `500ms`, `10s`, `2m` (humantime)
//! and `1MiB`, `512KiB`, `64kB`; a bare number is seconds or bytes.

use std::time::Duration;

/// Longest accepted timeout: an hour is already a hang.
const MAX_DURATION: Duration = Duration::from_secs(3600);

/// Parses `500ms`, `10s`, `2m`, `1m 30s` or a bare number of seconds (`10`, `0.5`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let duration = match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 && secs <= MAX_DURATION.as_secs_f64() => {
            Duration::from_secs_f64(secs)
        }
        Ok(_) => return Err(format!("`{text}` is outside 1ms..=1h")),
        Err(_) => humantime::parse_duration(text).map_err(|e| {
            format!("`{text}` is not a duration ({e}); expected e.g. 500ms, 10s or 2m")
        })?,
    };
    if duration < Duration::from_millis(1) || duration > MAX_DURATION {
        return Err(format!("`{text}` is outside 1ms..=1h"));
    }
    Ok(duration)
}

/// [`parse_duration`] that also takes zero (`0`, `0s`).
pub fn parse_duration_or_zero(text: &str) -> Result<Duration, String> {
    let zero = text
        .trim()
        .trim_end_matches('s')
        .parse::<f64>()
        .is_ok_and(|n| n == 0.0);
    if zero {
        Ok(Duration::ZERO)
    } else {
        parse_duration(text)
    }
}

/// Parses `1MiB`, `512KiB`, `64kB`, `2MB`, `100B` or a bare number of bytes.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let unit = unit.trim();
    let factor: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1_000,
        "kib" => 1 << 10,
        "mb" | "m" => 1_000_000,
        "mib" => 1 << 20,
        "gb" | "g" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "`{text}`: unknown size unit `{unit}`; expected B, kB, KiB, MB, MiB, GB or GiB"
            ));
        }
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size; expected e.g. 1MiB, 512KiB or 65536"))?;
    let bytes = number
        .checked_mul(factor)
        .and_then(|b| usize::try_from(b).ok())
        .ok_or_else(|| format!("`{text}` is too large"))?;
    if bytes == 0 {
        return Err(format!("`{text}`: the size must be at least 1 byte"));
    }
    Ok(bytes)
}

/// Parses `tester=Jane Doe,organisation=ACME GmbH[,date=2026-11-25]` for `--sign-off`.
pub fn parse_sign_off(text: &str) -> Result<ccgw_conformance::report::SignOff, String> {
    let (mut tester, mut organisation, mut date) = (None, None, None);
    let fields = sign_off_fields(text)?;
    for field in fields.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
        let (key, value) = field.split_once('=').ok_or_else(|| {
            format!("`{field}` is not KEY=VALUE (keys: tester, organisation, date)")
        })?;
        let slot = match key.trim() {
            "tester" => &mut tester,
            "organisation" | "organization" => &mut organisation,
            "date" => &mut date,
            other => {
                return Err(format!(
                    "unknown sign-off field `{other}`; expected tester, organisation or date"
                ));
            }
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        *slot = Some(value.replace("\\\"", "\"").replace("\\,", ",")).filter(|v| !v.is_empty());
    }
    match (tester, organisation) {
        (Some(tester), Some(organisation)) => Ok(ccgw_conformance::report::SignOff {
            tester,
            organisation,
            date,
        }),
        _ => Err("a sign-off needs tester=... and organisation=...".to_owned()),
    }
}

/// The `KEY=VALUE` fields of a sign-off, split at commas outside double
/// quotes (`organisation="ACME, Inc."`); `\,` is a comma too.
fn sign_off_fields(text: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                current.push(c);
                current.extend(chars.next());
            }
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => fields.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if quoted {
        return Err("a double quote in the sign-off is not closed".to_owned());
    }
    fields.push(current);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_off_values_may_hold_commas_quoted_or_escaped() {
        let s = parse_sign_off(r#"tester=Jane Doe, organisation="ACME, Inc.", date=2026-12-07"#)
            .unwrap();
        assert_eq!(s.organisation, "ACME, Inc.");
        assert_eq!(s.date.as_deref(), Some("2026-12-07"));
        let s = parse_sign_off(r"tester=J,organisation=ACME\, Inc.").unwrap();
        assert_eq!(s.organisation, "ACME, Inc.");
        assert!(parse_sign_off(r#"tester=J,organisation="ACME"#).is_err());
    }

    #[test]
    fn sign_off_takes_named_fields() {
        let s = parse_sign_off("tester=Jane Doe, organisation=ACME GmbH").unwrap();
        assert_eq!(
            (s.tester.as_str(), s.organisation.as_str()),
            ("Jane Doe", "ACME GmbH")
        );
        assert_eq!(s.date, None);
        let s = parse_sign_off("date=2026-11-25,tester=J,organization=O").unwrap();
        assert_eq!(s.date.as_deref(), Some("2026-11-25"));
        for bad in [
            "",
            "tester=J",
            "tester=J,organisation=",
            "tester=J,org=O",
            "Jane",
        ] {
            assert!(parse_sign_off(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn durations_take_units_or_seconds() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1m 30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("0.25"), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn durations_out_of_range_or_garbled_are_refused() {
        for bad in ["0", "0s", "-1", "2h", "ten", "10 parsecs", "NaN", "inf"] {
            assert!(parse_duration(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn sizes_take_binary_and_decimal_units() {
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("512KiB"), Ok(512 << 10));
        assert_eq!(parse_size("64kB"), Ok(64_000));
        assert_eq!(parse_size("2 MB"), Ok(2_000_000));
        assert_eq!(parse_size("100B"), Ok(100));
        assert_eq!(parse_size("65536"), Ok(65536));
    }

    #[test]
    fn sizes_garbled_or_zero_are_refused() {
        for bad in ["", "0", "MiB", "1.5MiB", "1 parsec", "-1", "99999999999GiB"] {
            assert!(parse_size(bad).is_err(), "{bad} was accepted");
        }
    }
}
