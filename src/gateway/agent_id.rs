//! Parsing and range-checking of the `{agentid}` path segment.
//!
//! Documented: ASCII digits only, no leading zero, a value in `min..=max`.
//! Anything that does not fit a `u64` is simply invalid. The lenient parser
//! (fault `agentid-lenient-parse`) behaves like Java's `Integer.parseInt`
//! after a `trim()` and a float cast: surrounding whitespace, a `+` sign,
//! leading zeros, a decimal part (truncated) and Unicode decimal digits of the
//! common scripts are all accepted.
//!
//! The strict parser deliberately does not reuse the checker's
//! `spec::profile::canonical_decimal`: the gateway is the suite's test bench,
//! and one shared function would hide the same bug on both sides.

/// The accepted agentid range, with the bound faults applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    pub(crate) min: u64,
    pub(crate) max: u64,
    pub(crate) lower_off: bool,
    pub(crate) upper_off: bool,
}

impl Bounds {
    /// The documented range `min..=max`.
    pub(crate) fn documented(min: u64, max: u64) -> Self {
        Bounds {
            min,
            max,
            lower_off: false,
            upper_off: false,
        }
    }

    /// True when `value` is accepted.
    pub(crate) fn contains(self, value: u64) -> bool {
        (self.lower_off || value >= self.min) && (self.upper_off || value <= self.max)
    }
}

/// The value of a strictly written agentid: ASCII digits, no leading zero.
pub(crate) fn parse_strict(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if bytes.len() > 1 && bytes[0] == b'0' {
        return None;
    }
    text.parse().ok()
}

/// The value of a leniently written agentid (see the module doc).
pub(crate) fn parse_lenient(text: &str) -> Option<u64> {
    let text = text.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let fraction_ok = fraction.is_none_or(|digits| {
        !digits.is_empty() && digits.chars().all(|c| digit_value(c).is_some())
    });
    if !fraction_ok {
        return None;
    }
    if whole.is_empty() {
        return None;
    }
    whole.chars().try_fold(0u64, |acc, c| {
        let digit = digit_value(c)?;
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// Code points of the digit zero of the Unicode decimal-digit blocks that
/// Java's `Character.digit` understands and that show up in practice.
const ZEROS: &[u32] = &[
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x17E0, 0x1810, 0xFF10, 0x1D7CE, 0x1D7D8, 0x1D7E2,
    0x1D7EC, 0x1D7F6,
];

/// The value of a decimal digit of any of the [`ZEROS`] blocks.
fn digit_value(c: char) -> Option<u32> {
    let code = u32::from(c);
    ZEROS
        .iter()
        .find(|zero| (**zero..**zero + 10).contains(&code))
        .map(|zero| code - zero)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_accepts_only_canonical_decimal() {
        assert_eq!(parse_strict("1001"), Some(1001));
        assert_eq!(parse_strict("0"), Some(0));
        for bad in [
            "",
            "01001",
            " 1001",
            "1001 ",
            "+1001",
            "-1",
            "1001.0",
            "1e3",
            "\u{0661}\u{0660}\u{0660}\u{0661}",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_strict(bad), None, "{bad:?}");
        }
        assert_eq!(parse_strict("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_strict("18446744073709551616"), None);
    }

    #[test]
    fn lenient_accepts_what_java_would() {
        assert_eq!(parse_lenient("01001"), Some(1001));
        assert_eq!(parse_lenient(" 1001 "), Some(1001));
        assert_eq!(parse_lenient("+1001"), Some(1001));
        assert_eq!(parse_lenient("1001.0"), Some(1001));
        assert_eq!(parse_lenient("1001.9"), Some(1001));
        assert_eq!(
            parse_lenient("\u{0661}\u{0660}\u{0660}\u{0661}"),
            Some(1001)
        );
        assert_eq!(
            parse_lenient("\u{FF11}\u{FF10}\u{FF10}\u{FF11}"),
            Some(1001)
        );
        for bad in [
            "",
            " ",
            "1001.",
            ".5",
            "10a1",
            "-1",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_lenient(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn bounds_with_and_without_faults() {
        let documented = Bounds::documented(101, 59999);
        assert!(documented.contains(101) && documented.contains(59999));
        assert!(!documented.contains(100) && !documented.contains(60000));
        let open_top = Bounds {
            upper_off: true,
            ..documented
        };
        assert!(open_top.contains(u64::MAX) && !open_top.contains(100));
        let open_bottom = Bounds {
            lower_off: true,
            ..documented
        };
        assert!(open_bottom.contains(0) && !open_bottom.contains(60000));
    }
}
