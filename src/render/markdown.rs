//! The Markdown report, fit for a pull-request comment, in the order a
//! reader asks: the verdict and counts, what was tested (label, target,
//! profile, date, tool), the requirements matrix (documentation reference,
//! verdict, counts), the failures (findings, and a `curl` line that replays
//! each), the comparison with a baseline when there is one, every case in
//! tables per family folded into `<details>`, then the environment,
//! expectations and assumptions the verdicts rest on.
//!
//! Text from the report is escaped for Markdown so that data (which may come
//! from the gateway) never turns into markup, links or images: identifiers are
//! code spans, other text has `&`, `<`, `>` as entities and emphasis or link
//! characters backslash-escaped; inside table cells `|` is escaped and a
//! newline is a `<br>`.
//!
//! From a run against the reference gateway with the fault `guid-optional`:
//!
//! ````markdown
//! # getconnectinfo conformance: Not conformant
//!
//! **52 cases**: 50 passed, 2 failed, 0 errored, 0 skipped (2 required failed, 0 required skipped)
//!
//! ## What was tested
//!
//! - Run: **R23.200 staging, node 2**
//! - Target: https://127.0.0.1:41103 (embedded reference gateway)
//! ...
//! ## Failures
//!
//! ### FAIL `guid/empty` (required)
//! ...
//! Replay:
//!
//! ```sh
//! curl -sS -i --path-as-is --cacert "$CCGW_CA_CERT" -X POST 'https://127.0.0.1:41103/agentgateway/resource/mediacall/1001/getconnectinfo' ...
//! ```
//! ````

use super::text::{cell, inline};
use super::{FLUSH_AT, ReportView, flush, text};
use crate::report::{CaseResult, Comparison, RunReport};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Renders the report as Markdown.
pub fn render(report: &RunReport) -> String {
    super::to_string(|out| write(&ReportView::new(report), out))
}

/// Writes the report as Markdown, the cases one at a time.
pub fn write(view: &ReportView<'_>, w: &mut dyn Write) -> io::Result<()> {
    let report = view.report();
    let mut out = String::new();
    // The reader's questions in order: the verdict, what was tested, the
    // requirements, the failures; the details after.
    header(&mut out, report);
    counts(&mut out, report);
    cause(&mut out, report);
    advisory(&mut out, report);
    tested(&mut out, report);
    requirements(&mut out, report);
    findings(&mut out, view, w)?;
    if let Some(comparison) = &report.comparison {
        comparison_section(&mut out, comparison);
    }
    case_tables(&mut out, report, w)?;
    environment(&mut out, report);
    if let Some(session) = &report.session {
        super::session::markdown(&mut out, session, "Agent session");
    }
    if let Some(session) = &report.other_session {
        super::session::markdown(&mut out, session, "The other agent's session");
    }
    expectations(&mut out, report);
    assumptions(&mut out, report);
    sign_off(&mut out, report);
    // One trailing newline, whatever the last section wrote.
    while out.ends_with("\n\n") {
        out.pop();
    }
    w.write_all(out.as_bytes())
}

fn header(out: &mut String, report: &RunReport) {
    let _ = writeln!(
        out,
        "# {}: {}\n",
        text::TITLE,
        inline(&text::headline(report))
    );
    if report.interrupted {
        out.push_str(
            "> **Interrupted:** the run was stopped before every case finished; \
             the verdict covers the cases that ran.\n\n",
        );
    }
}

/// The cause in full, once, when the headline gives it short.
fn cause(out: &mut String, report: &RunReport) {
    if let Some(detail) = &report.assessment.detail {
        let _ = writeln!(out, "## Why it is not assessed\n\n{}\n", inline(detail));
    }
}

/// The advisory findings, after the counts: reported, not the verdict.
fn advisory(out: &mut String, report: &RunReport) {
    if !report.assessment.advisory_findings.is_empty() {
        let label = if report.assessment.strict {
            "Advisory findings (counted as required: --strict)"
        } else {
            "Advisory findings (reported, they do not change the verdict)"
        };
        let _ = writeln!(out, "{label}:\n");
        // By id, once: a search per finding is quadratic in the number of cases.
        let mut by_id: HashMap<&str, &CaseResult> = HashMap::new();
        for case in &report.cases {
            by_id.entry(case.id.as_str()).or_insert(case);
        }
        let cases: Vec<&CaseResult> = report
            .assessment
            .advisory_findings
            .iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .collect();
        for group in text::group_findings(&cases) {
            let check = group
                .check
                .map(|c| format!(" ({})", code(c)))
                .unwrap_or_default();
            let ids: Vec<String> = group.cases.iter().map(|c| code(&c.id)).collect();
            if let [only] = ids.as_slice() {
                let _ = writeln!(out, "- {only}: {}{check}", cell(&group.words));
            } else {
                let _ = writeln!(
                    out,
                    "- {} cases: {}{check}: {}",
                    ids.len(),
                    cell(&group.words),
                    ids.join(", ")
                );
            }
        }
        out.push('\n');
    }
}

/// What was tested: the run's label, target, profile, date and tool.
fn tested(out: &mut String, report: &RunReport) {
    let env = &report.environment;
    out.push_str("## What was tested\n\n");
    if let Some(label) = &env.label {
        let _ = writeln!(out, "- Run: **{}**", inline(label));
    }
    let gateway = if env.embedded_gateway {
        " (embedded reference gateway)"
    } else {
        ""
    };
    let _ = writeln!(out, "- Target: {}{gateway}", inline(&env.target));
    let _ = writeln!(
        out,
        "- Profile: {} ({})",
        inline(&env.profile),
        inline(&env.profile_title)
    );
    let _ = writeln!(out, "- Date: {}", inline(&env.started_at));
    if let Some(us) = env.wall_time_us {
        let _ = writeln!(out, "- Took: {}", text::duration(us));
    }
    let _ = writeln!(
        out,
        "- Tool: {} {}\n",
        inline(&report.tool.name),
        inline(&report.tool.described())
    );
}

/// The traceability matrix: requirement, documentation, verdict, counts.
fn requirements(out: &mut String, report: &RunReport) {
    out.push_str("## Requirements\n\n");
    if report.requirements.is_empty() {
        out.push_str("No requirement was checked.\n\n");
        return;
    }
    out.push_str("| Requirement | Documentation | Verdict | Cases |\n|---|---|---|---|\n");
    for requirement in &report.requirements {
        let mut counts = std::collections::BTreeMap::new();
        // By set: a search per case and requirement is quadratic.
        let ids: HashSet<&str> = requirement.cases.iter().map(String::as_str).collect();
        for case in report.cases.iter().filter(|c| ids.contains(c.id.as_str())) {
            *counts.entry(case.status).or_insert(0usize) += 1;
        }
        let counts: Vec<String> = counts
            .iter()
            .map(|(status, n)| format!("{n} {}", status.as_str()))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            pipes(code(&requirement.id)),
            cell(&requirement.spec_ref),
            cell(&text::requirement_verdict(requirement)),
            counts.join(", ")
        );
    }
    out.push('\n');
}

fn environment(out: &mut String, report: &RunReport) {
    let env = &report.environment;
    out.push_str("## Environment\n\n");
    let tls = text::tls(env.tls);
    if env.tls == crate::report::TlsMode::Insecure {
        let _ = writeln!(out, "- TLS: **{tls}**");
    } else {
        let _ = writeln!(out, "- TLS: {tls}");
    }
    let _ = writeln!(out, "- Agent: {}", inline(&env.agent_id));
    let _ = writeln!(out, "- Suite: {}", inline(&env.suite));
    if let Some(only) = &env.only {
        let _ = writeln!(out, "- Only: {}", inline(only));
    }
    if !env.has_callid {
        out.push_str("- Callid: none given (success cases are skipped)\n");
    }
    if !env.gateway_faults.is_empty() {
        let faults: Vec<_> = env.gateway_faults.iter().map(|f| inline(f)).collect();
        let _ = writeln!(out, "- Gateway faults: {}", faults.join(", "));
    }
    if !env.inputs.is_empty() {
        let inputs: Vec<_> = env
            .inputs
            .iter()
            .map(|i| format!("{} ({})", inline(&i.option), inline(&text::input_origin(i))))
            .collect();
        let _ = writeln!(out, "- Inputs: {}", inputs.join(", "));
    }
    out.push('\n');
}

fn counts(out: &mut String, report: &RunReport) {
    let s = &report.summary;
    let _ = writeln!(
        out,
        "**{} cases**: {} passed, {} failed, {} errored, {} skipped \
         ({} required failed, {} required skipped)\n",
        s.total, s.passed, s.failed, s.errored, s.skipped, s.required_failed, s.required_skipped
    );
    if let Some(waited) = text::waited(report) {
        let _ = writeln!(out, "{}.\n", inline(&waited));
    }
    let flow = text::flow_lines(report);
    if !flow.is_empty() {
        let _ = writeln!(out, "Flow control, as learned by the run:\n");
        for line in flow {
            let _ = writeln!(out, "- {}", inline(&line));
        }
        let _ = writeln!(out);
    }
}

/// Every case, one table per family, collapsed (`<details>`): the failures
/// are above.
fn case_tables(out: &mut String, report: &RunReport, w: &mut dyn Write) -> io::Result<()> {
    out.push_str("## Cases\n\n");
    if report.cases.is_empty() {
        out.push_str("No case was selected.\n\n");
        return Ok(());
    }
    let _ = writeln!(
        out,
        "<details><summary>All {} cases, by family</summary>\n",
        report.cases.len()
    );
    for (family, cases) in text::by_family(&report.cases) {
        let _ = writeln!(out, "### {}\n", inline(family));
        out.push_str("| Case | Status | Severity | Requirements | Reason |\n");
        out.push_str("|---|---|---|---|---|\n");
        for case in cases.into_iter().map(|i| &report.cases[i]) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                pipes(code(&case.id)),
                match text::attempts(case) {
                    Some(a) => format!(
                        "{}, {}",
                        text::case_marker(case, report.assessment.strict),
                        cell(&a)
                    ),
                    None => text::case_marker(case, report.assessment.strict).to_owned(),
                },
                case.severity.as_str(),
                pipes(code_list(&case.requirements)),
                cell(&text::reason(case).unwrap_or_default()),
            );
            if out.len() > FLUSH_AT {
                flush(out, w)?;
            }
        }
        out.push('\n');
        flush(out, w)?;
    }
    out.push_str("</details>\n\n");
    Ok(())
}

fn findings(out: &mut String, view: &ReportView<'_>, w: &mut dyn Write) -> io::Result<()> {
    let report = view.report();
    let failed: Vec<usize> = (0..report.cases.len())
        .filter(|&i| text::is_failure_to_show(&report.cases[i]))
        .collect();
    out.push_str("## Failures\n\n");
    if let Some(line) = text::not_run_line(report) {
        let _ = writeln!(out, "{}\n", inline(&line));
    }
    if failed.is_empty() {
        out.push_str("No case failed or errored.\n\n");
        return Ok(());
    }
    for index in failed {
        let case = view.case(index)?;
        let _ = writeln!(
            out,
            "### {} {} ({})\n",
            text::case_marker(&case, report.assessment.strict),
            code(&case.id),
            case.severity.as_str()
        );
        let _ = writeln!(out, "{}\n", inline(&case.title));
        let _ = writeln!(out, "- Expected: {}", inline(&case.expected));
        if let Some(reason) = &case.reason {
            let _ = writeln!(out, "- Reason: {}", inline(reason));
        }
        if let Some(response) = &case.response {
            let mut observed = format!("HTTP {}", response.status);
            if let Some(retcode) = &response.retcode {
                let _ = write!(observed, ", retcode {}", code(retcode));
            }
            if let Some(message) = &response.message {
                let _ = write!(observed, ", message \"{}\"", inline(message));
            }
            let _ = writeln!(out, "- Observed: {observed}");
        }
        for finding in &case.findings {
            let _ = write!(
                out,
                "- {}: {}",
                code(finding.check.as_str()),
                inline(&finding.message)
            );
            if let Some(path) = &finding.instance_path {
                let _ = write!(out, " at {}", code(text::display_pointer(path)));
            }
            if let Some(path) = &finding.schema_path {
                let _ = write!(out, " (schema {})", code(text::display_pointer(path)));
            }
            out.push('\n');
        }
        for note in &case.notes {
            let _ = writeln!(out, "- Note: {}", inline(note));
        }
        if let Some(attempts) = text::attempts(&case) {
            let _ = writeln!(out, "- Attempts: {}", inline(&attempts));
        }
        if let Some(line) = super::curl::repro_for_failure(&case, &report.environment) {
            let _ = writeln!(out, "\nReplay:\n\n{}", fenced(&line));
        }
        out.push('\n');
        flush(out, w)?;
    }
    let _ = writeln!(
        out,
        "To replay: {}.\n",
        with_code_spans(&super::curl::variables_note(&report.environment))
    );
    Ok(())
}

/// The sign-off block, last, when `--sign-off` gave one.
fn sign_off(out: &mut String, report: &RunReport) {
    let Some(s) = &report.environment.sign_off else {
        return;
    };
    out.push_str("## Sign-off\n\n| | |\n|---|---|\n");
    let _ = writeln!(out, "| Tester | {} |", cell(&s.tester));
    let _ = writeln!(out, "| Organisation | {} |", cell(&s.organisation));
    let _ = writeln!(out, "| Date | {} |", cell(s.date.as_deref().unwrap_or("")));
    out.push_str("| Signature | |\n\n");
}

/// A fenced code block that no backtick run inside `text` can close.
fn fenced(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}sh\n{text}\n{fence}")
}

fn expectations(out: &mut String, report: &RunReport) {
    let expectations = &report.environment.expectations;
    out.push_str("## Expectations\n\n");
    if expectations.is_empty() {
        out.push_str("None recorded.\n\n");
        return;
    }
    out.push_str("| Expectation | Value | Source | Reference |\n|---|---|---|---|\n");
    for e in expectations {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            pipes(code(&e.name)),
            pipes(code(&e.value)),
            text::source(e.source),
            cell(&e.reference)
        );
    }
    out.push('\n');
}

fn assumptions(out: &mut String, report: &RunReport) {
    out.push_str("## Assumptions\n\n");
    if report.environment.assumptions.is_empty() {
        out.push_str("None.\n\n");
        return;
    }
    for assumption in &report.environment.assumptions {
        let _ = writeln!(out, "- {}", with_code_spans(assumption));
    }
    out.push('\n');
}

fn comparison_section(out: &mut String, comparison: &Comparison) {
    out.push_str("## Comparison\n\n");
    let _ = writeln!(
        out,
        "Baseline: {}  \nCurrent: {}\n",
        inline(&comparison.baseline),
        inline(&comparison.current)
    );
    super::comparison::markdown_body(out, comparison, "###");
    out.push('\n');
}

/// Text of this tool's own that marks names with backticks (`` `retcodes.auth` ``):
/// each marked name as a code span, the rest as [`inline`]; text with an odd
/// number of backticks all as [`inline`].
fn with_code_spans(text: &str) -> String {
    if text.matches('`').count() % 2 == 1 {
        return inline(text);
    }
    text.split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { code(part) } else { inline(part) })
        .collect()
}

/// An identifier as a code span, fenced by more backticks than it holds so a
/// backtick inside cannot close it. A code span holds one line: newlines
/// become spaces. In a table, pass the result through [`pipes`].
fn code(text: &str) -> String {
    let text = text::visible(&text.replace(['\r', '\n'], " "));
    if text.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A code span inside a table cell: GitHub-flavoured Markdown ends the cell
/// at a bare `|` even inside a code span.
fn pipes(code: String) -> String {
    code.replace('|', "\\|")
}

/// A list of identifiers as code spans, comma separated.
fn code_list(items: &[String]) -> String {
    items.iter().map(|i| code(i)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_escapes_pipes_newlines_and_markup() {
        assert_eq!(
            cell("a|b\r\n<script>&![x](y)"),
            "a\\|b<br>&lt;script&gt;&amp;!\\[x\\](y)"
        );
    }

    #[test]
    fn code_spans_cannot_be_closed_by_the_data() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a``"), "``` `a`` ```");
        assert_eq!(code(""), "");
    }
}
