//! Classification of every case between a baseline and a current report.
//!
//! A case is reduced to a [`CaseDigest`] (status, HTTP status, retcode,
//! message, body shape, failed check ids): everything that is time-dependent
//! or secret (durations, `started_at`, the redacted Guid, callid and
//! signature, the raw body) is left out, so two runs of the same gateway
//! compare all-unchanged.
//!
//! Detail lines come in a fixed order (status, HTTP status, retcode, message,
//! shape, checks) and list their items sorted, e.g.:
//!
//! ```text
//! passed -> failed
//! http status 200 -> 404
//! retcode 0 -> 000-002
//! shape: +/message (string), -/result/appId (string)
//! checks: +http.status, +result.schema
//! ```

use std::collections::{BTreeMap, BTreeSet};

use crate::report::{
    CaseChange, CaseDigest, CaseResult, ChangeKind, CheckId, ComparedRuns, Comparison, RunDigest,
    RunReport, Severity, Status,
};

/// Reduces a case to what a comparison looks at.
///
/// Failed check ids are sorted and deduplicated; the shape is sorted and
/// deduplicated as well, so an unsorted input cannot show up as a change.
pub fn digest(case: &CaseResult) -> CaseDigest {
    let response = case.response.as_ref();
    let shape: BTreeSet<&String> = response
        .map(|r| r.shape.iter().collect())
        .unwrap_or_default();
    let checks: BTreeSet<CheckId> = case.findings.iter().map(|f| f.check).collect();
    CaseDigest {
        status: case.status,
        http_status: response.map(|r| r.status),
        retcode: response.and_then(|r| r.retcode.clone()),
        message: response.and_then(|r| r.message.clone()),
        shape: shape.into_iter().cloned().collect(),
        failed_checks: checks.into_iter().collect(),
    }
}

/// Compares `current` with `baseline`, case by case (union of both reports'
/// case ids, sorted by id).
///
/// The labels are stored as given; they name the two reports in renderings
/// (a path, or see [`report_label`]).
pub fn compare(
    baseline: &RunReport,
    current: &RunReport,
    baseline_label: &str,
    current_label: &str,
) -> Comparison {
    let before = by_id(baseline);
    let after = by_id(current);
    let ids: BTreeSet<&str> = before.keys().chain(after.keys()).copied().collect();

    let cases: Vec<CaseChange> = ids
        .into_iter()
        .map(|id| classify(id, before.get(id).copied(), after.get(id).copied()))
        .collect();

    let mut counts: BTreeMap<ChangeKind, usize> = ChangeKind::ALL.iter().map(|k| (*k, 0)).collect();
    for change in &cases {
        *counts.entry(change.kind).or_default() += 1;
    }

    Comparison {
        baseline: baseline_label.to_owned(),
        current: current_label.to_owned(),
        warnings: warnings(baseline, current, &counts),
        cases,
        counts,
        runs: Some(ComparedRuns {
            baseline: digest_run(baseline),
            current: digest_run(current),
        }),
        baseline_verdict: Some(crate::render::text::headline(baseline)),
        current_verdict: Some(crate::render::text::headline(current)),
    }
}

/// The facts of one run that a comparison shows.
fn digest_run(report: &RunReport) -> RunDigest {
    let env = &report.environment;
    RunDigest {
        label: env.label.clone(),
        target: env.target.clone(),
        started_at: env.started_at.clone(),
        profile: env.profile.clone(),
        tool_version: report.tool.described(),
        verdict: report.summary.verdict,
        cases: report.cases.len(),
        only: env.only.clone(),
    }
}

/// What makes two runs compare other than like for like.
fn warnings(
    baseline: &RunReport,
    current: &RunReport,
    counts: &BTreeMap<ChangeKind, usize>,
) -> Vec<String> {
    let (old, new) = (&baseline.environment, &current.environment);
    let mut out = Vec::new();
    if old.profile != new.profile {
        out.push(format!(
            "the runs used different profiles ({} in the baseline, {} now): cases that follow the profile expect different answers",
            old.profile, new.profile
        ));
    }
    let (added, removed) = (
        counts.get(&ChangeKind::Added).copied().unwrap_or(0),
        counts.get(&ChangeKind::Removed).copied().unwrap_or(0),
    );
    if old.only != new.only || added + removed > 0 {
        let pattern = |only: &Option<String>| {
            only.as_deref()
                .map_or_else(|| "all cases".to_owned(), |p| format!("--only {p}"))
        };
        let selections = if old.only == new.only {
            String::new()
        } else {
            format!(
                " (the baseline ran {}, this run {})",
                pattern(&old.only),
                pattern(&new.only)
            )
        };
        out.push(format!(
            "the runs had different cases{selections}: {removed} only in the baseline are listed as removed, {added} only in this run as added; that says nothing about the gateway"
        ));
    }
    out
}

/// True when a case fails now that did not fail in the baseline: a
/// [`ChangeKind::NewFailure`], or an [`ChangeKind::Added`] case that failed or
/// errored (the baseline never accepted it).
///
/// Severity is not part of a comparison, so advisory cases count too; see
/// [`FailOn::fails_run`] for the exit decision, which weighs severity.
pub fn has_new_failures(c: &Comparison) -> bool {
    c.cases.iter().any(is_new_failure)
}

/// What makes `run --baseline` fail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailOn {
    /// Fail only on required cases that fail now and did not in the baseline.
    New,
    /// Fail on any required case that fails or errors, known or not.
    #[default]
    Any,
}

impl FailOn {
    /// Decides whether the run fails, from the current report and its
    /// comparison with the baseline.
    ///
    /// `New`: a required case of `current` is a new failure (see
    /// [`has_new_failures`]). `Any`: a required case of `current` failed or
    /// errored, whatever the baseline says.
    pub fn fails_run(self, current: &RunReport, comparison: &Comparison) -> bool {
        let required: BTreeSet<&str> = current
            .cases
            .iter()
            .filter(|c| c.severity == Severity::Required)
            .map(|c| c.id.as_str())
            .collect();
        match self {
            FailOn::Any => current
                .cases
                .iter()
                .any(|c| c.severity == Severity::Required && is_failed_ish(c.status)),
            FailOn::New => comparison
                .cases
                .iter()
                .any(|c| is_new_failure(c) && required.contains(c.id.as_str())),
        }
    }
}

/// A label for a report when no path names it: its target and start time.
pub fn report_label(report: &RunReport) -> String {
    format!(
        "{} ({})",
        report.environment.target, report.environment.started_at
    )
}

fn is_new_failure(change: &CaseChange) -> bool {
    match change.kind {
        ChangeKind::NewFailure => true,
        ChangeKind::Added => change
            .after
            .as_ref()
            .is_some_and(|d| is_failed_ish(d.status)),
        _ => false,
    }
}

fn by_id(report: &RunReport) -> BTreeMap<&str, &CaseResult> {
    report.cases.iter().map(|c| (c.id.as_str(), c)).collect()
}

fn is_failed_ish(status: Status) -> bool {
    matches!(status, Status::Failed | Status::Errored)
}

fn classify(id: &str, before: Option<&CaseResult>, after: Option<&CaseResult>) -> CaseChange {
    let before = before.map(digest);
    let after = after.map(digest);
    let (kind, details) = match (&before, &after) {
        (Some(b), Some(a)) => kind_and_details(b, a),
        (None, Some(_)) => (ChangeKind::Added, Vec::new()),
        (Some(_), None) => (ChangeKind::Removed, Vec::new()),
        (None, None) => unreachable!("case id {id} comes from one of the two reports"),
    };
    CaseChange {
        id: id.to_owned(),
        kind,
        before,
        after,
        details,
    }
}

fn kind_and_details(before: &CaseDigest, after: &CaseDigest) -> (ChangeKind, Vec<String>) {
    let details = details(before, after);
    let kind = match (is_failed_ish(before.status), is_failed_ish(after.status)) {
        (false, true) => ChangeKind::NewFailure,
        (true, false) if after.status == Status::Passed => ChangeKind::Fixed,
        (true, true) if before.failed_checks == after.failed_checks => ChangeKind::StillFailing,
        (true, true) => ChangeKind::Changed,
        // Failed before, skipped now: not fixed, only not assessed.
        (true, false) => ChangeKind::Changed,
        (false, false) if details.is_empty() => ChangeKind::Unchanged,
        (false, false) => ChangeKind::Changed,
    };
    (kind, details)
}

/// Detail lines, in a fixed field order. When either side was skipped it has
/// no response, so only the status and the checks are compared.
fn details(before: &CaseDigest, after: &CaseDigest) -> Vec<String> {
    let mut lines = Vec::new();
    if before.status != after.status {
        lines.push(format!(
            "{} -> {}",
            before.status.as_str(),
            after.status.as_str()
        ));
    }
    let skipped = before.status == Status::Skipped || after.status == Status::Skipped;
    if !skipped {
        if before.http_status != after.http_status {
            lines.push(format!(
                "http status {} -> {}",
                opt_number(before.http_status),
                opt_number(after.http_status)
            ));
        }
        if before.retcode != after.retcode {
            lines.push(format!(
                "retcode {} -> {}",
                opt_code(before.retcode.as_deref()),
                opt_code(after.retcode.as_deref())
            ));
        }
        if before.message != after.message {
            lines.push(format!(
                "message {} -> {}",
                opt_quoted(before.message.as_deref()),
                opt_quoted(after.message.as_deref())
            ));
        }
        if let Some(line) = set_diff("shape", &before.shape, &after.shape) {
            lines.push(line);
        }
    }
    if let Some(line) = set_diff("checks", &before.failed_checks, &after.failed_checks) {
        lines.push(line);
    }
    lines
}

/// `"{label}: +added, -removed"`, each side sorted; `None` when equal.
fn set_diff<T: Ord + std::fmt::Display>(label: &str, before: &[T], after: &[T]) -> Option<String> {
    let before: BTreeSet<&T> = before.iter().collect();
    let after: BTreeSet<&T> = after.iter().collect();
    let added = after.difference(&before).map(|s| format!("+{s}"));
    let removed = before.difference(&after).map(|s| format!("-{s}"));
    let items: Vec<String> = added.chain(removed).collect();
    (!items.is_empty()).then(|| format!("{label}: {}", items.join(", ")))
}

fn opt_number(n: Option<u16>) -> String {
    n.map_or_else(|| "none".to_owned(), |n| n.to_string())
}

/// A retcode as written, quoted only when it would otherwise be unreadable.
fn opt_code(code: Option<&str>) -> String {
    match code {
        None => "none".to_owned(),
        Some(c) if c.is_empty() || c.chars().any(|ch| ch.is_whitespace() || ch.is_control()) => {
            format!("{c:?}")
        }
        Some(c) => c.to_owned(),
    }
}

fn opt_quoted(text: Option<&str>) -> String {
    text.map_or_else(|| "none".to_owned(), |t| format!("{t:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(status: Status) -> CaseDigest {
        CaseDigest {
            status,
            http_status: Some(200),
            retcode: Some("0".into()),
            message: Some("success".into()),
            shape: vec!["/message (string)".into(), "/retcode (string)".into()],
            failed_checks: vec![],
        }
    }

    #[test]
    fn details_follow_field_order() {
        let before = d(Status::Passed);
        let mut after = d(Status::Failed);
        after.http_status = Some(404);
        after.retcode = Some("000-002".into());
        after.message = Some(String::new());
        after.shape = vec!["/retcode (string)".into(), "/result (object)".into()];
        after.failed_checks = vec![CheckId::HttpStatus, CheckId::ResultSchema];
        assert_eq!(
            details(&before, &after),
            vec![
                "passed -> failed",
                "http status 200 -> 404",
                "retcode 0 -> 000-002",
                "message \"success\" -> \"\"",
                "shape: +/result (object), -/message (string)",
                "checks: +http.status, +result.schema",
            ]
        );
    }

    #[test]
    fn skipped_side_compares_status_and_checks_only() {
        let before = d(Status::Passed);
        let mut after = d(Status::Skipped);
        after.http_status = None;
        after.retcode = None;
        after.message = None;
        after.shape.clear();
        assert_eq!(details(&before, &after), vec!["passed -> skipped"]);
    }

    #[test]
    fn unreadable_retcodes_are_quoted() {
        assert_eq!(opt_code(Some("")), "\"\"");
        assert_eq!(opt_code(Some("0 ")), "\"0 \"");
        assert_eq!(opt_code(Some("100-006")), "100-006");
        assert_eq!(opt_code(None), "none");
    }
}
