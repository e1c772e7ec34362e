//! Every rendering of a [`Comparison`], in one place: the `comparison.md`,
//! `comparison.html` and `comparison.json` files, and the comparison
//! sections of `report.md` and `report.html`, which reuse the same counts
//! table and the same rows. One order of change kinds
//! ([`ChangeKind::ALL`], new failures first) and one order of rows (by kind,
//! then by case id) for all of them. Pure functions: no I/O, no clock.
//!
//! Markdown sample:
//!
//! ```text
//! # Comparison with the baseline
//!
//! - Baseline: old/report.json
//! - Current: new/report.json
//!
//! | change | cases |
//! |---|---:|
//! | new failure | 1 |
//! ...
//! | total | 7 |
//!
//! ## Cases that are not unchanged
//!
//! | case | change | before | after | details |
//! |---|---|---|---|---|
//! | method/get | **new failure** | passed, http 405 | failed, http 200, retcode 0 | passed -> failed<br>http status 405 -> 200 |
//! ```
//!
//! Rows are ordered by kind (new failures first) and then by case id.

use std::fmt::Write as _;

use super::text::change_kind;
use super::text::{cell, escape_html};
use crate::report::{CaseChange, CaseDigest, ChangeKind, Comparison, RunDigest};

/// The comparison in one line, e.g. "2 regressions, 1 changed answer, 49
/// unchanged": the non-zero kinds in [`ChangeKind::ALL`] order.
pub fn headline(c: &Comparison) -> String {
    let parts: Vec<String> = ChangeKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let n = count(c, kind);
            let plural = if n == 1 { "" } else { "s" };
            let words = match kind {
                ChangeKind::NewFailure => format!("regression{plural}"),
                ChangeKind::Changed => format!("changed answer{plural}"),
                other => change_kind(other).to_owned(),
            };
            (n > 0).then(|| format!("{n} {words}"))
        })
        .collect();
    if parts.is_empty() {
        "no case to compare".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The rows of the "what was compared" table: a name, then the baseline's
/// and the current run's value.
fn compared_rows(c: &Comparison) -> Vec<(&'static str, String, String)> {
    let Some(runs) = &c.runs else {
        return Vec::new();
    };
    let row = |name, f: &dyn Fn(&RunDigest) -> String| (name, f(&runs.baseline), f(&runs.current));
    vec![
        row("label", &|d| {
            d.label.clone().unwrap_or_else(|| "-".to_owned())
        }),
        row("target", &|d| d.target.clone()),
        row("date", &|d| d.started_at.clone()),
        row("profile", &|d| d.profile.clone()),
        row("cases", &|d| match &d.only {
            Some(only) => format!("{} (--only {only})", d.cases),
            None => d.cases.to_string(),
        }),
        row("tool version", &|d| d.tool_version.clone()),
        row("verdict", &|d| super::text::verdict(d.verdict).to_owned()),
    ]
}

/// ` (verdict: ...)` after a report's label, escaped for the format.
fn verdict_suffix(verdict: Option<&str>, escape: fn(&str) -> String) -> String {
    verdict
        .map(|v| format!(" (verdict: {})", escape(v)))
        .unwrap_or_default()
}

/// The comparison as Markdown: the two labels, a counts table, then a table
/// of every case that is not unchanged.
pub fn markdown(c: &Comparison) -> String {
    let mut out = String::new();
    out.push_str("# Comparison with the baseline\n\n");
    let _ = writeln!(
        out,
        "- Baseline: {}{}",
        cell(&c.baseline),
        verdict_suffix(c.baseline_verdict.as_deref(), cell)
    );
    let _ = writeln!(
        out,
        "- Current: {}{}",
        cell(&c.current),
        verdict_suffix(c.current_verdict.as_deref(), cell)
    );
    out.push('\n');
    markdown_body(&mut out, c, "##");
    out
}

/// The counts table and the table of changed cases, under a heading of
/// level `level` (`##` in `comparison.md`, `###` inside `report.md`).
pub(crate) fn markdown_body(out: &mut String, c: &Comparison, level: &str) {
    let _ = writeln!(out, "**{}**\n", headline(c));
    for warning in &c.warnings {
        let _ = writeln!(out, "> **Warning:** {}\n", cell(warning));
    }
    let rows = compared_rows(c);
    if !rows.is_empty() {
        out.push_str("| compared | baseline | current |\n|---|---|---|\n");
        for (name, before, after) in rows {
            let _ = writeln!(out, "| {name} | {} | {} |", cell(&before), cell(&after));
        }
        out.push('\n');
    }
    out.push_str("| change | cases |\n|---|---:|\n");
    for kind in ChangeKind::ALL {
        let _ = writeln!(out, "| {} | {} |", change_kind(kind), count(c, kind));
    }
    let _ = writeln!(out, "| total | {} |", c.cases.len());

    let _ = writeln!(out, "\n{level} Cases that are not unchanged\n");
    let rows = changed_rows(c);
    if rows.is_empty() {
        out.push_str("Every case is unchanged.\n");
        return;
    }
    out.push_str("| case | change | before | after | details |\n|---|---|---|---|---|\n");
    for change in rows {
        let kind = match change.kind {
            ChangeKind::NewFailure => format!("**{}**", change_kind(change.kind)),
            k => change_kind(k).to_owned(),
        };
        let details: Vec<String> = change.details.iter().map(|d| cell(d)).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&change.id),
            kind,
            cell(&digest_summary(change.before.as_ref())),
            cell(&digest_summary(change.after.as_ref())),
            details.join("<br>"),
        );
    }
}

/// The comparison as one self-contained HTML page: inline CSS, no scripts,
/// no external resources, every value escaped.
pub fn html(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Comparison: {} vs {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        escape_html(&c.baseline),
        escape_html(&c.current),
    );
    out.push_str("<h1>Comparison with the baseline</h1>\n<table class=\"meta\">\n");
    let _ = writeln!(
        out,
        "<tr><th>Baseline</th><td>{}{}</td></tr>\n<tr><th>Current</th><td>{}{}</td></tr>\n</table>",
        escape_html(&c.baseline),
        verdict_suffix(c.baseline_verdict.as_deref(), escape_html),
        escape_html(&c.current),
        verdict_suffix(c.current_verdict.as_deref(), escape_html),
    );
    html_body(&mut out, c, "h2", &|_| None);

    let unchanged: Vec<&CaseChange> = c
        .cases
        .iter()
        .filter(|ch| ch.kind == ChangeKind::Unchanged)
        .collect();
    if !unchanged.is_empty() {
        let _ = writeln!(
            out,
            "<details>\n<summary>Unchanged cases ({})</summary>\n<ul>",
            unchanged.len()
        );
        for change in unchanged {
            let _ = writeln!(out, "<li><code>{}</code></li>", escape_html(&change.id));
        }
        out.push_str("</ul>\n</details>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The counts table and the table of changed cases, under headings `heading`
/// (`h2` in `comparison.html`, `h3` inside `report.html`). `link` gives the
/// page anchor of a case id, if the page has one.
pub(crate) fn html_body(
    out: &mut String,
    c: &Comparison,
    heading: &str,
    link: &dyn Fn(&str) -> Option<String>,
) {
    let _ = writeln!(
        out,
        "<p class=\"headline\"><strong>{}</strong></p>",
        escape_html(&headline(c))
    );
    for warning in &c.warnings {
        let _ = writeln!(
            out,
            "<p class=\"warn\">Warning: {}</p>",
            escape_html(warning)
        );
    }
    let rows = compared_rows(c);
    if !rows.is_empty() {
        out.push_str("<table class=\"compared\">\n<thead><tr><th>Compared</th><th>Baseline</th><th>Current</th></tr></thead>\n<tbody>\n");
        for (name, before, after) in rows {
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{name}</th><td>{}</td><td>{}</td></tr>",
                escape_html(&before),
                escape_html(&after)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    let _ = writeln!(
        out,
        "<{heading}>Counts</{heading}>\n<table class=\"counts\">\n<thead><tr><th>Change</th><th>Cases</th></tr></thead>\n<tbody>"
    );
    for kind in ChangeKind::ALL {
        let _ = writeln!(
            out,
            "<tr class=\"{}\"><td>{}</td><td>{}</td></tr>",
            kind_class(kind),
            change_kind(kind),
            count(c, kind)
        );
    }
    let _ = writeln!(
        out,
        "<tr class=\"total\"><td>total</td><td>{}</td></tr>\n</tbody>\n</table>",
        c.cases.len()
    );

    let _ = writeln!(out, "<{heading}>Cases that are not unchanged</{heading}>");
    let rows = changed_rows(c);
    if rows.is_empty() {
        out.push_str("<p>Every case is unchanged.</p>\n");
        return;
    }
    out.push_str("<table class=\"cases\">\n<thead><tr><th>Case</th><th>Change</th><th>Before</th><th>After</th><th>Details</th></tr></thead>\n<tbody>\n");
    for change in rows {
        let details = if change.details.is_empty() {
            String::new()
        } else {
            let items: String = change
                .details
                .iter()
                .map(|d| format!("<li>{}</li>", escape_html(d)))
                .collect();
            format!("<ul>{items}</ul>")
        };
        let id = format!("<code>{}</code>", escape_html(&change.id));
        let id = match link(&change.id) {
            Some(anchor) => format!("<a href=\"#{}\">{id}</a>", escape_html(&anchor)),
            None => id,
        };
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td>{id}</td><td><span class=\"kind {class}\">{}</span></td><td>{}</td><td>{}</td><td>{details}</td></tr>",
            change_kind(change.kind),
            escape_html(&digest_summary(change.before.as_ref())),
            escape_html(&digest_summary(change.after.as_ref())),
            class = kind_class(change.kind),
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The comparison's files: `comparison.md`, `comparison.html` and
/// `comparison.json`, with their contents.
pub fn render_files(c: &Comparison) -> Vec<(&'static str, String)> {
    vec![
        ("comparison.md", markdown(c)),
        ("comparison.html", html(c)),
        ("comparison.json", json(c)),
    ]
}

/// The comparison as pretty-printed JSON (the `comparison` object of the
/// report format), ending in a newline.
pub fn json(c: &Comparison) -> String {
    let mut text = serde_json::to_string_pretty(c)
        .expect("a comparison is plain data with string map keys, so it always serializes");
    text.push('\n');
    text
}

/// Every case that is not unchanged, new failures first, then by id.
fn changed_rows(c: &Comparison) -> Vec<&CaseChange> {
    let mut rows: Vec<&CaseChange> = c
        .cases
        .iter()
        .filter(|ch| ch.kind != ChangeKind::Unchanged)
        .collect();
    rows.sort_by(|a, b| rank(a.kind).cmp(&rank(b.kind)).then(a.id.cmp(&b.id)));
    rows
}

fn rank(kind: ChangeKind) -> usize {
    ChangeKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(usize::MAX)
}

fn count(c: &Comparison, kind: ChangeKind) -> usize {
    c.counts.get(&kind).copied().unwrap_or(0)
}

/// One line for one side of a case: status, then what was observed.
fn digest_summary(d: Option<&CaseDigest>) -> String {
    let Some(d) = d else {
        return "absent".to_owned();
    };
    let mut parts = vec![d.status.as_str().to_owned()];
    if let Some(status) = d.http_status {
        parts.push(format!("http {status}"));
    }
    if let Some(retcode) = &d.retcode {
        parts.push(format!("retcode {retcode}"));
    }
    parts.join(", ")
}

fn kind_class(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::NewFailure => "new_failure",
        ChangeKind::Fixed => "fixed",
        ChangeKind::StillFailing => "still_failing",
        ChangeKind::Unchanged => "unchanged",
        ChangeKind::Changed => "changed",
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
    }
}

const CSS: &str = "\
body{font-family:system-ui,sans-serif;margin:2em;color:#1b1b1b}\
table{border-collapse:collapse;margin:1em 0}\
th,td{border:1px solid #bbb;padding:.3em .6em;text-align:left;vertical-align:top}\
th{background:#f0f0f0}\
td ul{margin:0;padding-left:1.2em}\
code{font-family:ui-monospace,monospace}\
.kind{font-weight:600}\
.warn{color:#b3261e;font-weight:600}\
.kind.new_failure{color:#a00000}\
.kind.fixed{color:#006400}\
.kind.still_failing{color:#8a4b00}\
tr.new_failure td{background:#fde8e8}\
tr.fixed td{background:#e8f6e8}\
tr.total td{font-weight:600}\
@media print{body{margin:0;color:#000}tr.new_failure td,tr.fixed td{background:none}details{display:block}}\
";
