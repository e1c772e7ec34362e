//! Words shared by the human-readable reporters, so that every format names a
//! verdict, a status or a TLS mode the same way.

use crate::report::{CaseResult, ChangeKind, ExpectationSource, Finding, Status, TlsMode, Verdict};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Title of every human-readable report.
pub(crate) const TITLE: &str = "getconnectinfo conformance";

/// Verdict as a person reads it.
pub(crate) fn verdict(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Conformant => "Conformant",
        Verdict::NotConformant => "Not conformant",
        Verdict::NotAssessed => "Not assessed",
        Verdict::Incomplete => "Incomplete",
    }
}

/// The verdict in one line, as every output shows it: the report's headline
/// (see `crate::report::headline`), or the verdict alone for a report written
/// before headlines existed.
pub(crate) fn headline(report: &crate::report::RunReport) -> String {
    if report.assessment.headline.is_empty() {
        let interrupted = if report.interrupted {
            " (interrupted)"
        } else {
            ""
        };
        format!("{}{interrupted}", verdict(report.summary.verdict))
    } else {
        report.assessment.headline.clone()
    }
}

/// A requirement's verdict as the matrix shows it: advisory findings are
/// named beside a verdict they do not change.
pub(crate) fn requirement_verdict(requirement: &crate::report::RequirementResult) -> String {
    let verdict = verdict(requirement.verdict);
    match requirement.advisory_findings.len() {
        0 => verdict.to_owned(),
        1 => format!("{verdict}, 1 advisory finding"),
        n => format!("{verdict}, {n} advisory findings"),
    }
}

/// Verdict as in the JSON report.
pub(crate) fn verdict_key(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Conformant => "conformant",
        Verdict::NotConformant => "not_conformant",
        Verdict::NotAssessed => "not_assessed",
        Verdict::Incomplete => "incomplete",
    }
}

/// Plain-text marker of a status, readable without colour or emoji.
pub(crate) fn status_marker(status: Status) -> &'static str {
    match status {
        Status::Passed => "PASS",
        Status::Failed => "FAIL",
        Status::Errored => "ERROR",
        Status::Skipped => "SKIP",
    }
}

/// Whether `case` failed or errored as an advisory case only: reported, it
/// does not change the verdict (without `--strict`).
pub(crate) fn is_advisory_only(case: &CaseResult, strict: bool) -> bool {
    !strict && case.is_advisory_finding()
}

/// The marker of a case: its status's, or `ADVISORY` for an advisory
/// finding, which must not look like a failure of the run.
pub(crate) fn case_marker(case: &CaseResult, strict: bool) -> &'static str {
    if is_advisory_only(case, strict) {
        "ADVISORY"
    } else if case.cause == Some(crate::report::Cause::NotRunUnreachable) {
        "NOT RUN"
    } else {
        status_marker(case.status)
    }
}

/// TLS mode as in the JSON report.
pub(crate) fn tls_key(tls: TlsMode) -> &'static str {
    match tls {
        TlsMode::Verified => "verified",
        TlsMode::CustomCa => "custom_ca",
        TlsMode::Insecure => "insecure",
        TlsMode::PlainHttp => "plain_http",
    }
}

/// TLS mode as a person reads it; `--insecure` is spelled out as a warning.
/// Where an option came from, in words: `flag`, `environment: CCGW_TARGET`,
/// `config file: target of [target.lab] in x.toml:3`.
pub(crate) fn input_origin(input: &crate::report::InputRecord) -> String {
    use crate::report::InputSource;
    match input.source {
        InputSource::Flag => "flag".to_owned(),
        InputSource::Environment => format!("environment: {}", input.from),
        InputSource::ConfigFile => format!("config file: {}", input.from),
    }
}

pub(crate) fn tls(tls: TlsMode) -> &'static str {
    match tls {
        TlsMode::Verified => "verified (system roots)",
        TlsMode::CustomCa => "verified (custom CA)",
        TlsMode::Insecure => "NOT VERIFIED (--insecure): the certificate was not checked",
        TlsMode::PlainHttp => "none (plain HTTP)",
    }
}

/// Where an expectation came from, as in the JSON report.
pub(crate) fn source(source: ExpectationSource) -> &'static str {
    match source {
        ExpectationSource::Documentation => "documentation",
        ExpectationSource::Profile => "profile",
        ExpectationSource::File => "file",
    }
}

/// Kind of change as a person reads it.
pub(crate) fn change_kind(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::NewFailure => "new failure",
        ChangeKind::Fixed => "fixed",
        ChangeKind::StillFailing => "still failing",
        ChangeKind::Unchanged => "unchanged",
        ChangeKind::Changed => "changed",
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
    }
}

/// The indices of `cases` grouped by family, families sorted by name, cases
/// kept in report order.
pub(crate) fn by_family(cases: &[CaseResult]) -> BTreeMap<&str, Vec<usize>> {
    let mut families: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, case) in cases.iter().enumerate() {
        families
            .entry(case.family.as_str())
            .or_default()
            .push(index);
    }
    families
}

/// Pushes `c`, or a visible `\u001b`-style escape when it is a control
/// character other than tab, newline and carriage return, or a bidi override
/// or zero-width character (they break terminals, XML and Markdown alike, and
/// hide what a gateway really sent; see [`crate::console::needs_escape`]).
pub(crate) fn push_visible(out: &mut String, c: char) {
    if c != '\r' && crate::console::needs_escape(c, true) {
        let _ = write!(out, "\\u{:04x}", u32::from(c));
    } else {
        out.push(c);
    }
}

/// Appends `text` to `out`: each character `special` names written as its
/// replacement, every other one as [`push_visible`] writes it. What needs
/// neither (most of a report: printable ASCII, tab, newline) is copied in
/// runs, not a character at a time.
pub(crate) fn push_escaped(
    out: &mut String,
    text: &str,
    special: impl Fn(char) -> Option<&'static str>,
) {
    let bytes = text.as_bytes();
    // `text[run..at]` is copied as it is.
    let mut run = 0;
    let mut at = 0;
    while at < bytes.len() {
        let b = bytes[at];
        let is_plain_ascii = matches!(b, b' '..=b'~' | b'\t' | b'\n' | b'\r');
        if is_plain_ascii && special(char::from(b)).is_none() {
            at += 1;
            continue;
        }
        out.push_str(&text[run..at]);
        let c = text[at..]
            .chars()
            .next()
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        match special(c) {
            Some(replacement) => out.push_str(replacement),
            None => push_visible(out, c),
        }
        at += c.len_utf8();
        run = at;
    }
    out.push_str(&text[run..]);
}

/// The empty JSON pointer is the whole document; say so instead of printing nothing.
pub(crate) fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() {
        "(root)"
    } else {
        pointer
    }
}

/// Where a finding points, e.g. `at /result/port, schema /properties/port/type`.
pub(crate) fn finding_location(finding: &Finding) -> Option<String> {
    let instance = finding
        .instance_path
        .as_deref()
        .map(|p| format!("at {}", display_pointer(p)));
    let schema = finding
        .schema_path
        .as_deref()
        .map(|p| format!("schema {}", display_pointer(p)));
    match (instance, schema) {
        (None, None) => None,
        (Some(one), None) | (None, Some(one)) => Some(one),
        (Some(instance), Some(schema)) => Some(format!("{instance}, {schema}")),
    }
}

/// Why a case ended as it did: the runner's reason, or for a failed case
/// without one, its first finding.
pub(crate) fn reason(case: &CaseResult) -> Option<String> {
    if case.cause == Some(crate::report::Cause::NotRunUnreachable) {
        // The same error for every such case: said once, in the report's cause.
        return Some("not run: the target could not be reached".to_owned());
    }
    if let Some(reason) = &case.reason {
        return Some(reason.clone());
    }
    match case.findings.as_slice() {
        [] => None,
        [only] => Some(only.message.clone()),
        [first, rest @ ..] => Some(format!("{} (and {} more)", first.message, rest.len())),
    }
}

/// Text with its control characters made visible (see [`push_visible`]).
pub(crate) fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text, |_| None);
    out
}

/// A case's wall time as reports show it: to a hundredth of a millisecond
/// under 100 ms (`0.21 ms`), whole milliseconds under 10 s, then seconds.
/// From `duration_us`, or `duration_ms` in a report written before it.
pub fn case_duration(case: &CaseResult) -> String {
    let us = if case.duration_us > 0 {
        case.duration_us
    } else {
        case.duration_ms.saturating_mul(1000)
    };
    duration(us)
}

/// A duration in microseconds as reports show it (see [`case_duration`]).
pub fn duration(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    if ms < 100.0 {
        format!("{ms:.2} ms")
    } else if ms < 10_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// `n` and `noun`, with an `s` when `n` is not 1 (`1 case`, `2 cases`).
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A case's attempts when it was sent more than once (retried under flow
/// control) or refused by it: `3 attempts (000-007, 000-007, 0)`.
pub fn attempts(case: &CaseResult) -> Option<String> {
    let refused = case
        .attempts
        .iter()
        .any(|a| a.retcode.as_deref() == Some("000-007"));
    if case.attempts.len() < 2 && !refused {
        return None;
    }
    let each: Vec<String> = case
        .attempts
        .iter()
        .map(crate::report::Attempt::answer)
        .collect();
    Some(format!(
        "{} ({})",
        count(case.attempts.len(), "attempt"),
        each.join(", ")
    ))
}

/// What the run learned of each agent's flow limit, one sentence per agent:
/// `agent 1001: refused above about 2.4 requests/s (23 answers 000-007);
/// 18 requests waited 7.2 s in all; paced at 2.3 requests/s at the end`.
pub fn flow_lines(report: &crate::report::RunReport) -> Vec<String> {
    report
        .flow_control
        .iter()
        .map(|agent| {
            let mut parts = vec![match agent.refused_above_per_s {
                Some(rate) if agent.refusals > 0 => format!(
                    "refused above about {} requests/s ({} refused by flow control)",
                    rate_words(rate),
                    count(
                        usize::try_from(agent.refusals).unwrap_or(usize::MAX),
                        "request"
                    )
                ),
                _ => "never refused by flow control".to_owned(),
            }];
            parts.push(format!(
                "{} of {} waited {} in all",
                count(
                    usize::try_from(agent.waited_requests).unwrap_or(usize::MAX),
                    "request"
                ),
                agent.sent,
                duration(agent.waited_ms.saturating_mul(1000))
            ));
            if let Some(rate) = agent.paced_at_per_s {
                parts.push(format!(
                    "paced at {} requests/s at the end",
                    rate_words(rate)
                ));
            }
            format!("agent {}: {}", agent.agent_id, parts.join("; "))
        })
        .collect()
}

/// A rate with one decimal (`2.4`), or none when it is whole (`5`).
fn rate_words(rate: f64) -> String {
    let tenths = (rate * 10.0).round() / 10.0;
    if tenths.fract() == 0.0 {
        format!("{tenths:.0}")
    } else {
        format!("{tenths:.1}")
    }
}

/// How many cases waited for the gateway's flow control (sent again after a
/// 000-007), in words, or `None` when none did.
pub fn waited(report: &crate::report::RunReport) -> Option<String> {
    let n = report
        .cases
        .iter()
        .filter(|c| attempts(c).is_some())
        .count();
    (n > 0).then(|| {
        format!(
            "{} waited for flow control (000-007, sent again)",
            if n == 1 {
                "1 case".to_owned()
            } else {
                format!("{n} cases")
            }
        )
    })
}

/// Cases that share one finding (or one reason), for the lists a reader
/// sees first: the finding in plain words, its check id after them, the
/// cases in their order.
pub(crate) struct FindingGroup<'a> {
    pub words: String,
    pub check: Option<&'static str>,
    pub cases: Vec<&'a CaseResult>,
}

/// `cases` grouped by their first finding (check and message) or, without
/// one, the first line of their reason; groups in order of first appearance.
pub(crate) fn group_findings<'a>(cases: &[&'a CaseResult]) -> Vec<FindingGroup<'a>> {
    let mut groups: Vec<FindingGroup<'a>> = Vec::new();
    let mut index: std::collections::HashMap<(Option<&'static str>, String), usize> =
        std::collections::HashMap::new();
    for &case in cases {
        let (check, words) = match case.findings.first() {
            Some(f) => (Some(f.check.as_str()), f.message.clone()),
            None => (
                None,
                case.reason
                    .as_deref()
                    .and_then(|r| r.lines().next())
                    .unwrap_or_default()
                    .to_owned(),
            ),
        };
        match index.get(&(check, words.clone())) {
            Some(&i) => groups[i].cases.push(case),
            None => {
                index.insert((check, words.clone()), groups.len());
                groups.push(FindingGroup {
                    words,
                    check,
                    cases: vec![case],
                });
            }
        }
    }
    groups
}

/// Whether a case is listed among the failures: failed, or errored after
/// it was sent (a case that never ran is counted in one line instead, see
/// [`not_run_line`]).
pub fn is_failure_to_show(case: &CaseResult) -> bool {
    matches!(case.status, Status::Failed | Status::Errored)
        && case.cause != Some(crate::report::Cause::NotRunUnreachable)
}

/// One line for the cases that never ran because the target was down, or
/// `None` when every case ran.
pub fn not_run_line(report: &crate::report::RunReport) -> Option<String> {
    let n = report
        .cases
        .iter()
        .filter(|c| c.cause == Some(crate::report::Cause::NotRunUnreachable))
        .count();
    (n > 0).then(|| {
        format!(
            "{} not run: the target could not be reached.",
            count(n, "case")
        )
    })
}

/// Escapes text for HTML element content and quoted attribute values;
/// control characters are made visible (`\u001b`).
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        _ => None,
    });
    out
}

/// Text in running Markdown, escaped so that report data never becomes
/// markup: `&`, `<`, `>` become entities (no HTML, no entity), the characters
/// of emphasis, links, images and code are backslash-escaped, control
/// characters are made visible and a newline becomes a `<br>` line break.
pub(crate) fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '\\' => Some("\\\\"),
        '`' => Some("\\`"),
        '*' => Some("\\*"),
        '_' => Some("\\_"),
        '[' => Some("\\["),
        ']' => Some("\\]"),
        '~' => Some("\\~"),
        '\r' => Some(""),
        '\n' => Some("<br>"),
        _ => None,
    });
    out
}

/// Text inside a table cell: as [`inline`], and `|` cannot end the cell.
pub(crate) fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`push_escaped`] as it reads: a character at a time.
    fn escaped_by_char(text: &str, special: impl Fn(char) -> Option<&'static str>) -> String {
        let mut out = String::new();
        for c in text.chars() {
            match special(c) {
                Some(replacement) => out.push_str(replacement),
                None => push_visible(&mut out, c),
            }
        }
        out
    }

    fn markup(c: char) -> Option<&'static str> {
        match c {
            '&' => Some("&amp;"),
            '<' => Some("&lt;"),
            '\n' => Some("<br>"),
            '\r' => Some(""),
            '\u{e9}' => Some("e"),
            _ => None,
        }
    }

    /// Text mixing what each branch of [`push_escaped`] handles: plain
    /// ASCII, special characters (ASCII and not), controls, bidi and
    /// zero-width characters, other non-ASCII.
    fn mixed_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let interesting = proptest::sample::select(vec![
            'a',
            ' ',
            '~',
            '&',
            '<',
            '\n',
            '\r',
            '\t',
            '\u{0}',
            '\u{1b}',
            '\u{7f}',
            '\u{85}',
            '\u{e9}',
            '\u{200b}',
            '\u{202e}',
            '\u{feff}',
            '\u{1f600}',
        ]);
        proptest::collection::vec(prop_oneof![interesting, any::<char>()], 0..40)
            .prop_map(|chars| chars.into_iter().collect())
    }

    proptest::proptest! {
        #[test]
        fn escaping_in_runs_equals_escaping_by_character(text in mixed_text()) {
            let mut ours = String::new();
            push_escaped(&mut ours, &text, markup);
            proptest::prop_assert_eq!(ours, escaped_by_char(&text, markup));
            let mut plain = String::new();
            push_escaped(&mut plain, &text, |_| None);
            proptest::prop_assert_eq!(plain, escaped_by_char(&text, |_| None));
        }
    }

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(
            visible("a\u{1b}[0m\u{0}\tb\r\n"),
            "a\\u001b[0m\\u0000\tb\r\n"
        );
    }
}
