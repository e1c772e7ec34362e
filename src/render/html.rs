//! The HTML report: one self-contained page to read or print and sign off.
//! Inline CSS only: no script, no external resource, no web font; a
//! Content-Security-Policy `<meta>` makes the browser refuse any load the page
//! might still attempt (`tests/it/browser.rs` opens it in headless Chromium).
//!
//! The first screen answers a reader's questions in order: the verdict banner
//! (naming the required cases that failed or were skipped), what was tested
//! (label, target, profile, date, tool), the requirement traceability matrix
//! (cases linked by anchor), then the failures, expanded, each with the
//! `curl` line that replays it. Then the comparison with a baseline when
//! there is one, every case in one table, the passed and skipped cases
//! collapsed (`<details>`, no script), and last the environment,
//! expectations, assumptions and the sign-off block when there is one. JSON evidence is re-indented, token for
//! token. Printed (`@media print`), the collapsed cases are left out: the
//! summary, the failures and the table of all cases. Every piece of report
//! data goes through [`escape_html`].
//!
//! From a run against the reference gateway with the fault `guid-optional`:
//!
//! ```html
//! <!DOCTYPE html>
//! <html lang="en">
//! <head>
//! <meta charset="utf-8">
//! <meta http-equiv="Content-Security-Policy" content="default-src 'none'; ...">
//! ...
//! <title>getconnectinfo conformance: Not conformant</title>
//! ...
//! <header class="banner not-conformant">
//! ...
//! <h1>Not conformant</h1>
//! ...
//! <li><span class="status failed">FAIL</span> <a href="#case-guid/missing"><code>guid/missing</code></a>: outcome.refused: ...</li>
//! ...
//! <tr><td><code class="nowrap">REQ-GUID</code></td><td>Every request carries the Guid of a signed-in agent in the Guid header</td>...</tr>
//! ...
//! <section id="tested">
//! <h2>What was tested</h2>
//! ...
//! <section id="failures">
//! ...
//! <section class="case failed" id="case-guid/missing">
//! <h4><span class="status failed">FAIL</span> <code>guid/missing</code></h4>
//! ...
//! <pre class="repro"><code>curl -sS -i --path-as-is --cacert &quot;$CCGW_CA_CERT&quot; -X POST ...</code></pre>
//! ...
//! <details class="case passed" id="case-method/get">
//! <summary><h4><span class="status passed">PASS</span> <code>method/get</code></h4></summary>
//! ...
//! ```

use super::text::escape_html;
use super::{FLUSH_AT, ReportView, flush, text};
use crate::report::{
    CaseResult, Comparison, RequestEvidence, ResponseEvidence, RunReport, Severity, Status,
    TlsMode, Verdict,
};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Write};

/// The page's style sheet: readable on screen and on paper.
const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:72rem;padding:1rem 1.5rem;color:#1b1b1b;line-height:1.45}
h1,h2,h3{line-height:1.2}
h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0;width:100%}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}
th[scope=row]{white-space:nowrap;width:1%}
pre{background:#f6f6f6;border:1px solid #ddd;padding:.5rem;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere}
code{font-family:ui-monospace,Menlo,Consolas,monospace}
.banner{border-radius:.4rem;padding:.8rem 1.2rem;margin-bottom:1rem;border:2px solid}
.banner h1{margin:.2rem 0}
.conformant{background:#e6f4ea;border-color:#1e7e34}
.not-conformant{background:#fdecea;border-color:#b3261e}
.not-assessed{background:#fff4e5;border-color:#b26a00}
td.conformant,td.not-conformant,td.not-assessed{border-color:#ccc;font-weight:bold}
.nowrap{white-space:nowrap}
ul.cases{list-style:none;margin:0;padding:0}
.banner ul{margin:.2rem 0}
.warn{color:#b3261e;font-weight:bold}
.status{display:inline-block;min-width:3.5rem;text-align:center;font-weight:bold;border-radius:.25rem;padding:0 .3rem;border:1px solid}
.status.passed{color:#1e7e34}
.status.failed{color:#b3261e}
.status.errored{color:#8a4b00}
.status.skipped{color:#555}
.status.advisory{color:#7a5c00}
.case{border:1px solid #ddd;border-left:6px solid #999;border-radius:.3rem;padding:.2rem 1rem .6rem;margin:1rem 0}
.case.passed{border-left-color:#1e7e34}
.case.failed{border-left-color:#b3261e}
.case.advisory{border-left-color:#7a5c00}
.case.errored{border-left-color:#8a4b00}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dt{font-weight:bold}
dd{margin:0}
dd,td,li{white-space:pre-line}
details.case>summary{cursor:pointer;padding:.3rem 0}
details.case>summary h4{display:inline;margin:0}
pre.repro{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85em}
table.sign-off td{height:2.2rem;width:70%}
@media print{@page{margin:12mm}body{max-width:none;padding:0;font-size:8.5pt;line-height:1.3}h2{margin-top:1rem}tr{break-inside:avoid}pre{font-size:7.5pt;padding:.2rem}a{color:inherit;text-decoration:none}.banner,.status,th{print-color-adjust:exact;-webkit-print-color-adjust:exact}details.case,details.shape,.screen-only,.all-cases td:nth-child(3),.all-cases th:nth-child(3){display:none}}
";

/// The page's Content-Security-Policy: nothing but its own inline style
/// sheet may load, so a reader's browser makes no request for it.
const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/// Renders the report as one HTML page.
pub fn render(report: &RunReport) -> String {
    super::to_string(|out| write(&ReportView::new(report), out))
}

/// Writes the report as one HTML page, the cases one at a time.
pub fn write(view: &ReportView<'_>, w: &mut dyn Write) -> io::Result<()> {
    let report = view.report();
    let mut out = String::new();
    let title = format!("{}: {}", text::TITLE, text::headline(report));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        escape_html(&title)
    );
    // The reader's questions in order: the verdict, what was tested, the
    // requirements, the failures; the details after.
    banner(&mut out, report);
    tested(&mut out, report);
    requirements(&mut out, report, w)?;
    failures(&mut out, view, w)?;
    if let Some(comparison) = &report.comparison {
        comparison_section(&mut out, comparison, report);
    }
    cases(&mut out, view, w)?;
    environment(&mut out, report);
    if let Some(session) = &report.session {
        super::session::html(&mut out, session, "session", "Agent session");
    }
    if let Some(session) = &report.other_session {
        super::session::html(
            &mut out,
            session,
            "other-session",
            "The other agent's session",
        );
    }
    expectations(&mut out, report);
    assumptions(&mut out, report);
    sign_off(&mut out, report);
    let _ = write!(
        out,
        "<footer><p>Written by {} {}.</p></footer>\n</body>\n</html>\n",
        escape_html(&report.tool.name),
        escape_html(&report.tool.described())
    );
    w.write_all(out.as_bytes())
}

/// A JSON pointer in a table cell, or a dash when there is none.
fn pointer_cell(pointer: Option<&str>) -> String {
    match pointer {
        Some(p) => format!("<code>{}</code>", escape_html(text::display_pointer(p))),
        None => "&ndash;".to_owned(),
    }
}

/// Anchor id of a case, `case-` and the id with every character outside
/// `[A-Za-z0-9-./:]` written as `_XX` per UTF-8 byte (`_` included, so two
/// ids never share an anchor).
fn case_anchor(id: &str) -> String {
    let mut out = String::from("case-");
    for byte in id.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'/' | b':' => {
                out.push(char::from(byte));
            }
            _ => {
                let _ = write!(out, "_{byte:02X}");
            }
        }
    }
    out
}

/// CSS class of a verdict.
fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Conformant => "conformant",
        Verdict::NotConformant => "not-conformant",
        Verdict::NotAssessed | Verdict::Incomplete => "not-assessed",
    }
}

/// A status badge.
fn status_badge(status: Status) -> String {
    format!(
        "<span class=\"status {}\">{}</span>",
        status.as_str(),
        text::status_marker(status)
    )
}

/// A case's badge: its status's, or its own `ADVISORY` badge and colour for
/// an advisory finding (it does not fail the run).
fn case_badge(case: &CaseResult, strict: bool) -> String {
    if text::is_advisory_only(case, strict) {
        "<span class=\"status advisory\">ADVISORY</span>".to_owned()
    } else {
        status_badge(case.status)
    }
}

fn banner(out: &mut String, report: &RunReport) {
    let s = &report.summary;
    let _ = writeln!(
        out,
        "<header class=\"banner {}\">\n<p>{}</p>\n<h1>{}</h1>",
        verdict_class(s.verdict),
        escape_html(text::TITLE),
        escape_html(&text::headline(report))
    );
    if report.interrupted {
        out.push_str(
            "<p class=\"warn\">Interrupted: the run was stopped before every case finished; \
             the verdict covers the cases that ran.</p>\n",
        );
    }
    if report.environment.tls == TlsMode::Insecure {
        out.push_str(
            "<p class=\"warn\">TLS was not verified (--insecure): the target's identity \
             is unproven.</p>\n",
        );
    }
    let _ = writeln!(
        out,
        "<p>{} cases: {} passed, {} failed, {} errored, {} skipped \
         ({} required failed, {} required skipped).</p>",
        s.total, s.passed, s.failed, s.errored, s.skipped, s.required_failed, s.required_skipped
    );
    if let Some(waited) = text::waited(report) {
        let _ = writeln!(out, "<p>{}.</p>", escape_html(&waited));
    }
    let flow = text::flow_lines(report);
    if !flow.is_empty() {
        let _ = writeln!(out, "<p>Flow control, as learned by the run:</p>\n<ul>");
        for line in flow {
            let _ = writeln!(out, "<li>{}</li>", escape_html(&line));
        }
        let _ = writeln!(out, "</ul>");
    }
    if let Some(detail) = &report.assessment.detail {
        let _ = writeln!(
            out,
            "<p>Why it is not assessed: {}</p>",
            escape_html(detail)
        );
    }
    // The cases the verdict rests on, so a reader sees why before scrolling.
    let required = |status: Status| {
        report
            .cases
            .iter()
            .filter(move |c| c.severity == Severity::Required && c.status == status)
    };
    let failed: Vec<&CaseResult> = required(Status::Failed)
        .chain(required(Status::Errored))
        .filter(|c| text::is_failure_to_show(c))
        .collect();
    let strict = report.assessment.strict;
    banner_cases(
        out,
        "Required cases that failed or errored",
        &failed,
        strict,
    );
    let skipped: Vec<&CaseResult> = required(Status::Skipped).collect();
    banner_cases(out, "Required cases not run", &skipped, strict);
    // By set: a search per case is quadratic in the number of cases.
    let advisory_ids: HashSet<&str> = report
        .assessment
        .advisory_findings
        .iter()
        .map(String::as_str)
        .collect();
    let advisory: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| advisory_ids.contains(c.id.as_str()))
        .collect();
    let label = if report.assessment.strict {
        "Advisory findings (counted as required: --strict)"
    } else {
        "Advisory findings (reported, they do not change the verdict)"
    };
    banner_cases(out, label, &advisory, strict);
    out.push_str("</header>\n");
}

/// A labelled list inside the banner, nothing when `cases` is empty: the
/// cases grouped by their finding (`33 cases: the refusal carries connection
/// information (no_connection_info): a, b, c and 30 more`), each a link.
fn banner_cases(out: &mut String, label: &str, cases: &[&CaseResult], strict: bool) {
    if cases.is_empty() {
        return;
    }
    let _ = writeln!(out, "<p>{label}:</p>\n<ul>");
    for group in text::group_findings(cases) {
        let badge = case_badge(group.cases[0], strict);
        let check = group
            .check
            .map(|c| format!(" (<code>{}</code>)", escape_html(c)))
            .unwrap_or_default();
        let link = |case: &CaseResult| {
            format!(
                "<a href=\"#{}\"><code>{}</code></a>",
                escape_html(&case_anchor(&case.id)),
                escape_html(&case.id)
            )
        };
        if let [only] = group.cases.as_slice() {
            let why = if group.words.is_empty() {
                String::new()
            } else {
                format!(": {}{check}", escape_html(&group.words))
            };
            let _ = writeln!(out, "<li>{badge} {}{why}</li>", link(only));
            continue;
        }
        let shown: Vec<String> = group
            .cases
            .iter()
            .take(GROUP_SHOWN)
            .map(|c| link(c))
            .collect();
        let more = group.cases.len().saturating_sub(GROUP_SHOWN);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<li>{badge} {} cases: {}{check}: {}{more}</li>",
            group.cases.len(),
            escape_html(&group.words),
            shown.join(", ")
        );
    }
    out.push_str("</ul>\n");
}

/// Cases named in one group of a banner list before `and N more`.
const GROUP_SHOWN: usize = 5;

/// One `<tr><th>name</th><td>value</td></tr>`; `value_html` is already escaped.
fn row(out: &mut String, name: &str, value_html: &str) {
    let _ = writeln!(
        out,
        "<tr><th scope=\"row\">{name}</th><td>{value_html}</td></tr>"
    );
}

/// What was tested: the run's label, target, profile, date and tool.
fn tested(out: &mut String, report: &RunReport) {
    let env = &report.environment;
    out.push_str("<section id=\"tested\">\n<h2>What was tested</h2>\n<table>\n");
    if let Some(label) = &env.label {
        row(
            out,
            "Run",
            &format!("<strong>{}</strong>", escape_html(label)),
        );
    }
    let mut target = escape_html(&env.target);
    if env.embedded_gateway {
        target.push_str(" (embedded reference gateway)");
    }
    row(out, "Target", &target);
    row(
        out,
        "Profile",
        &format!(
            "{} ({})",
            escape_html(&env.profile),
            escape_html(&env.profile_title)
        ),
    );
    row(out, "Date", &escape_html(&env.started_at));
    if let Some(us) = env.wall_time_us {
        row(out, "Took", &escape_html(&text::duration(us)));
    }
    row(
        out,
        "Tool",
        &format!(
            "{} {}",
            escape_html(&report.tool.name),
            escape_html(&report.tool.described())
        ),
    );
    out.push_str("</table>\n</section>\n");
}

fn environment(out: &mut String, report: &RunReport) {
    let env = &report.environment;
    out.push_str("<section id=\"environment\">\n<h2>Environment</h2>\n<table>\n");
    let tls = text::tls(env.tls);
    if env.tls == TlsMode::Insecure {
        row(out, "TLS", &format!("<span class=\"warn\">{tls}</span>"));
    } else {
        row(out, "TLS", tls);
    }
    row(out, "Agent", &escape_html(&env.agent_id));
    row(
        out,
        "Callid",
        if env.has_callid {
            "given"
        } else {
            "none given (success cases are skipped)"
        },
    );
    row(out, "Suite", &escape_html(&env.suite));
    row(out, "Expectations", &expectations_summary(report));
    if let Some(comparison) = &report.comparison {
        row(
            out,
            "Baseline",
            &format!(
                "{} (<a href=\"#comparison\">comparison</a>)",
                escape_html(&comparison.baseline)
            ),
        );
    }
    if let Some(only) = &env.only {
        row(out, "Only", &escape_html(only));
    }
    if !env.gateway_faults.is_empty() {
        let faults: Vec<_> = env.gateway_faults.iter().map(|f| escape_html(f)).collect();
        row(out, "Gateway faults", &faults.join(", "));
    }
    if !env.inputs.is_empty() {
        let inputs: Vec<_> = env
            .inputs
            .iter()
            .map(|i| {
                format!(
                    "<code>{}</code> ({})",
                    escape_html(&i.option),
                    escape_html(&text::input_origin(i))
                )
            })
            .collect();
        row(out, "Inputs", &inputs.join(", "));
    }
    out.push_str("</table>\n</section>\n");
}

/// "12 in force: 11 from the documentation, 1 from file x.toml", linked to
/// the expectations table; the files are named since they change verdicts.
fn expectations_summary(report: &RunReport) -> String {
    use crate::report::ExpectationSource;
    let records = &report.environment.expectations;
    let mut parts = Vec::new();
    for source in [
        ExpectationSource::Documentation,
        ExpectationSource::Profile,
        ExpectationSource::File,
    ] {
        let n = records.iter().filter(|e| e.source == source).count();
        if n > 0 {
            parts.push(format!("{n} from the {}", text::source(source)));
        }
    }
    let mut files: Vec<&str> = records
        .iter()
        .filter(|e| e.source == ExpectationSource::File)
        .map(|e| e.reference.split(": ").next().unwrap_or_default())
        .collect();
    files.sort_unstable();
    files.dedup();
    let files = if files.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = files
            .iter()
            .map(|f| format!("<code>{}</code>", escape_html(f)))
            .collect();
        format!(" ({})", names.join(", "))
    };
    format!(
        "<a href=\"#expectations\">{} in force</a>: {}{files}",
        records.len(),
        parts.join(", ")
    )
}

fn expectations(out: &mut String, report: &RunReport) {
    out.push_str("<section id=\"expectations\">\n<h2>Expectations</h2>\n");
    let expectations = &report.environment.expectations;
    if expectations.is_empty() {
        out.push_str("<p>None recorded.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<table>\n<tr><th>Expectation</th><th>Value</th><th>Source</th><th>Reference</th></tr>\n",
    );
    for e in expectations {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape_html(&e.name),
            e.value
                .split(", ")
                .map(|v| format!("<code class=\"nowrap\">{}</code>", escape_html(v)))
                .collect::<Vec<_>>()
                .join(", "),
            text::source(e.source),
            escape_html(&e.reference)
        );
    }
    out.push_str("</table>\n</section>\n");
}

fn requirements(out: &mut String, report: &RunReport, w: &mut dyn Write) -> io::Result<()> {
    out.push_str("<section id=\"requirements\">\n<h2>Requirements</h2>\n");
    if report.requirements.is_empty() {
        out.push_str("<p>No requirement was checked.</p>\n</section>\n");
        return Ok(());
    }
    out.push_str(
        "<table>\n<tr><th>Requirement</th><th>Title</th><th>Documentation</th>\
         <th>Cases</th><th>Verdict</th></tr>\n",
    );
    // By id, once: a search per link is quadratic in the number of cases.
    let status_of: HashMap<&str, Status> = report
        .cases
        .iter()
        .map(|case| (case.id.as_str(), case.status))
        .collect();
    let status = |id: &String| status_of.get(id.as_str()).copied();
    for requirement in &report.requirements {
        let _ = write!(
            out,
            "<tr><td><code class=\"nowrap\">{}</code></td><td>{}</td><td>{}</td>\
             <td><ul class=\"cases\">",
            escape_html(&requirement.id),
            escape_html(&requirement.title),
            escape_html(&requirement.spec_ref),
        );
        // Cases that did not pass are listed; the passes fold into one line.
        let (passed, shown): (Vec<&String>, Vec<&String>) = requirement
            .cases
            .iter()
            .partition(|id| status(id) == Some(Status::Passed));
        for id in shown {
            case_link(out, id, status(id));
            if out.len() > FLUSH_AT {
                flush(out, w)?;
            }
        }
        if !passed.is_empty() {
            let _ = write!(
                out,
                "<li><details><summary>{} passed</summary><ul class=\"cases\">",
                passed.len()
            );
            for id in passed {
                case_link(out, id, Some(Status::Passed));
                if out.len() > FLUSH_AT {
                    flush(out, w)?;
                }
            }
            out.push_str("</ul></details></li>");
        }
        let _ = writeln!(
            out,
            "</ul></td><td class=\"{}\">{}</td></tr>",
            verdict_class(requirement.verdict),
            escape_html(&text::requirement_verdict(requirement))
        );
    }
    out.push_str("</table>\n</section>\n");
    Ok(())
}

/// One case of the requirements matrix, linked to its section.
fn case_link(out: &mut String, id: &str, status: Option<Status>) {
    let _ = write!(
        out,
        "<li class=\"nowrap\">{}<a href=\"#{}\"><code>{}</code></a></li>",
        status.map(|s| status_badge(s) + " ").unwrap_or_default(),
        escape_html(&case_anchor(id)),
        escape_html(id)
    );
}

fn comparison_section(out: &mut String, comparison: &Comparison, report: &RunReport) {
    out.push_str("<section id=\"comparison\">\n<h2>Comparison with the baseline</h2>\n<table>\n");
    row(out, "Baseline", &escape_html(&comparison.baseline));
    row(out, "Current", &escape_html(&comparison.current));
    out.push_str("</table>\n");
    // A removed case has no section in this report to link to. By set: a
    // search per changed case is quadratic in the number of cases.
    let in_report: HashSet<&str> = report.cases.iter().map(|c| c.id.as_str()).collect();
    let link = |id: &str| in_report.contains(id).then(|| case_anchor(id));
    super::comparison::html_body(out, comparison, "h3", &link);
    out.push_str("</section>\n");
}

/// Whether a case is shown open (failed or errored) or collapsed.
fn is_open(case: &CaseResult) -> bool {
    matches!(case.status, Status::Failed | Status::Errored)
}

/// The failed and errored cases, expanded, with the evidence and the `curl`
/// line that replays each.
fn failures(out: &mut String, view: &ReportView<'_>, w: &mut dyn Write) -> io::Result<()> {
    let report = view.report();
    let failed: Vec<usize> = (0..report.cases.len())
        .filter(|&i| text::is_failure_to_show(&report.cases[i]))
        .collect();
    out.push_str("<section id=\"failures\">\n<h2>Failures</h2>\n");
    if let Some(line) = text::not_run_line(report) {
        let _ = writeln!(out, "<p>{}</p>", escape_html(&line));
    }
    if failed.is_empty() {
        out.push_str("<p>No case failed or errored.</p>\n</section>\n");
        return Ok(());
    }
    let _ = writeln!(
        out,
        "<p>{} failed or errored. Each has a <code>curl</code> line that replays it \
         ({}).</p>",
        text::count(failed.len(), "case"),
        escape_html(&super::curl::variables_note(&report.environment))
    );
    for index in failed {
        let case = view.case(index)?;
        case_section(out, &case, report);
        flush(out, w)?;
    }
    out.push_str("</section>\n");
    Ok(())
}

/// Every case in one table (the printed list of passes), then the passed
/// and skipped cases collapsed with their evidence.
fn cases(out: &mut String, view: &ReportView<'_>, w: &mut dyn Write) -> io::Result<()> {
    let report = view.report();
    out.push_str("<section id=\"cases\">\n<h2>Cases</h2>\n");
    if report.cases.is_empty() {
        out.push_str("<p>No case was selected.</p>\n</section>\n");
        return Ok(());
    }
    out.push_str(
        "<table class=\"all-cases\">\n<tr><th>Status</th><th>Case</th><th>Title</th>\
         <th>Requirements</th></tr>\n",
    );
    for case in &report.cases {
        let _ = writeln!(
            out,
            "<tr><td>{}{}</td><td><a href=\"#{}\"><code>{}</code></a></td><td>{}</td><td>{}</td></tr>",
            case_badge(case, report.assessment.strict),
            text::attempts(case)
                .map(|a| format!(" <small>{}</small>", escape_html(&a)))
                .unwrap_or_default(),
            escape_html(&case_anchor(&case.id)),
            escape_html(&case.id),
            escape_html(&case.title),
            escape_html(&case.requirements.join(", "))
        );
        if out.len() > FLUSH_AT {
            flush(out, w)?;
        }
    }
    out.push_str("</table>\n");
    for (family, cases) in text::by_family(&report.cases) {
        let collapsed: Vec<usize> = cases
            .into_iter()
            .filter(|&i| !is_open(&report.cases[i]))
            .collect();
        if collapsed.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<h3 class=\"screen-only\">{}</h3>",
            escape_html(family)
        );
        for index in collapsed {
            let case = view.case(index)?;
            case_section(out, &case, report);
            flush(out, w)?;
        }
    }
    out.push_str("</section>\n");
    Ok(())
}

fn case_section(out: &mut String, case: &CaseResult, report: &RunReport) {
    let heading = format!(
        "<h4>{} <code>{}</code></h4>",
        case_badge(case, report.assessment.strict),
        escape_html(&case.id)
    );
    let (open, head) = if is_open(case) {
        ("section", heading)
    } else {
        // Collapsed: the heading is the summary, the rest opens on a click.
        ("details", format!("<summary>{heading}</summary>"))
    };
    let _ = writeln!(
        out,
        "<{open} class=\"case {}\" id=\"{}\">\n{head}\n<p>{}</p>\n<dl>",
        if text::is_advisory_only(case, report.assessment.strict) {
            "advisory"
        } else {
            case.status.as_str()
        },
        escape_html(&case_anchor(&case.id)),
        escape_html(&case.title)
    );
    let severity = match case.severity {
        Severity::Required => "required",
        Severity::Advisory => "advisory (reported, does not fail the run)",
    };
    let _ = writeln!(out, "<dt>Severity</dt><dd>{severity}</dd>");
    let requirements: Vec<_> = case
        .requirements
        .iter()
        .map(|r| format!("<code>{}</code>", escape_html(r)))
        .collect();
    let _ = writeln!(
        out,
        "<dt>Requirements</dt><dd>{}</dd>",
        requirements.join(", ")
    );
    let _ = writeln!(
        out,
        "<dt>Expected</dt><dd>{}</dd>",
        escape_html(&case.expected)
    );
    if let Some(reason) = &case.reason {
        let _ = writeln!(out, "<dt>Reason</dt><dd>{}</dd>", escape_html(reason));
    }
    if let Some(attempts) = text::attempts(case) {
        let _ = writeln!(out, "<dt>Attempts</dt><dd>{}</dd>", escape_html(&attempts));
    }
    let _ = writeln!(
        out,
        "<dt>Duration</dt><dd>{}</dd>\n</dl>",
        text::case_duration(case)
    );
    if !case.findings.is_empty() {
        out.push_str(
            "<table>\n<tr><th>Check</th><th>Finding</th><th>Instance path</th>\
             <th>Schema path</th></tr>\n",
        );
        for finding in &case.findings {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape_html(finding.check.as_str()),
                escape_html(&finding.message),
                pointer_cell(finding.instance_path.as_deref()),
                pointer_cell(finding.schema_path.as_deref())
            );
        }
        out.push_str("</table>\n");
    }
    if !case.notes.is_empty() {
        out.push_str("<ul class=\"notes\">\n");
        for note in &case.notes {
            let _ = writeln!(out, "<li>Note: {}</li>", escape_html(note));
        }
        out.push_str("</ul>\n");
    }
    if let Some(line) = super::curl::repro_for_failure(case, &report.environment) {
        let _ = writeln!(
            out,
            "<p><strong>Replay</strong></p>\n<pre class=\"repro\"><code>{}</code></pre>",
            escape_html(&line)
        );
    }
    if let Some(request) = &case.request {
        request_evidence(out, request);
    }
    if let Some(response) = &case.response {
        response_evidence(out, response);
    }
    let _ = writeln!(out, "</{open}>");
}

fn request_evidence(out: &mut String, request: &RequestEvidence) {
    let mut text = format!("{} {}\n", request.method, request.path);
    for header in &request.headers {
        let _ = writeln!(text, "{}: {}", header.name, header.value);
    }
    if let Some(body) = &request.body {
        let _ = write!(text, "\n{}", super::pretty::json(body));
    }
    let _ = writeln!(
        out,
        "<p><strong>Request</strong></p>\n<pre>{}</pre>",
        escape_html(text.trim_end())
    );
}

fn response_evidence(out: &mut String, response: &ResponseEvidence) {
    let mut text = format!("HTTP {}\n", response.status);
    for header in &response.headers {
        let _ = writeln!(text, "{}: {}", header.name, header.value);
    }
    // A cut body is not valid JSON, so it stays as received.
    let _ = write!(text, "\n{}", super::pretty::json(&response.body));
    let mut summary = format!("{} bytes", response.body_bytes);
    if response.truncated {
        summary.push_str(", body cut");
    }
    if let Some(retcode) = &response.retcode {
        let _ = write!(summary, ", retcode <code>{}</code>", escape_html(retcode));
    }
    if let Some(message) = &response.message {
        let _ = write!(summary, ", message <code>{}</code>", escape_html(message));
    }
    let _ = writeln!(
        out,
        "<p><strong>Response</strong> ({summary})</p>\n<pre>{}</pre>",
        escape_html(text.trim_end())
    );
    if !response.shape.is_empty() {
        let shape: Vec<_> = response.shape.iter().map(|s| escape_html(s)).collect();
        let _ = writeln!(
            out,
            "<details class=\"shape\"><summary><strong>Shape</strong></summary>\n<pre>{}</pre>\n</details>",
            shape.join("\n")
        );
    }
}

/// The sign-off block, last, when `--sign-off` gave one: the names, the
/// date (or a line to write it on) and a line for the signature.
fn sign_off(out: &mut String, report: &RunReport) {
    let Some(s) = &report.environment.sign_off else {
        return;
    };
    out.push_str("<section id=\"sign-off\">\n<h2>Sign-off</h2>\n<table class=\"sign-off\">\n");
    row(out, "Tester", &escape_html(&s.tester));
    row(out, "Organisation", &escape_html(&s.organisation));
    row(
        out,
        "Date",
        &s.date.as_deref().map(escape_html).unwrap_or_default(),
    );
    row(out, "Signature", "");
    out.push_str("</table>\n</section>\n");
}

fn assumptions(out: &mut String, report: &RunReport) {
    out.push_str("<section id=\"assumptions\">\n<h2>Assumptions</h2>\n");
    if report.environment.assumptions.is_empty() {
        out.push_str("<p>None.</p>\n</section>\n");
        return;
    }
    out.push_str("<ul>\n");
    for assumption in &report.environment.assumptions {
        let _ = writeln!(out, "<li>{}</li>", escape_html(assumption));
    }
    out.push_str("</ul>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(
            escape_html(r#"<script>"&'</script>"#),
            "&lt;script&gt;&quot;&amp;&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn anchors_are_distinct_and_safe() {
        assert_eq!(case_anchor("auth/missing-guid"), "case-auth/missing-guid");
        assert_ne!(case_anchor("a_b"), case_anchor("a b"));
        assert_eq!(case_anchor("a b\"é"), "case-a_20b_22_C3_A9");
    }
}
