//! The agent session's section of report.md and report.html: what the run
//! did to the agent and the timeline of the session's own requests (time,
//! request, retcode, event type, Guid generation), apart from the cases.
//!
//! ```text
//! ## Agent session
//!
//! Agent 1001 signed in (Guid generations: 3); sign-out: signed out.
//!
//! | ms | request | HTTP | retcode | event | Guid | note |
//! |---:|---|---:|---|---|---:|---|
//! | 0 | PUT /agentgateway/resource/onlineagent/1001 | 200 | 0 |  | 1 | signed in: Guid generation 1 |
//! ```

use super::text::{cell, escape_html};
use crate::report::SessionReport;
use std::fmt::Write as _;

fn summary(session: &SessionReport) -> String {
    let how = if session.force_login {
        "signed in with forcelogin"
    } else {
        "signed in"
    };
    format!(
        "Agent {} {how} (Guid generations: {}); sign-out: {}.",
        session.agent_id, session.guid_generations, session.sign_out
    )
}

/// The line that stands for the requests left out before entry `i`.
fn omitted_before(session: &SessionReport, i: usize) -> Option<String> {
    (session.timeline_omitted > 0 && i == crate::report::TIMELINE_KEPT).then(|| {
        format!(
            "… {} more requests, not kept (the first and the last {} are)",
            session.timeline_omitted,
            crate::report::TIMELINE_KEPT
        )
    })
}

fn row(entry: &crate::report::SessionEntry) -> [String; 7] {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        entry.at_ms.to_string(),
        entry.request.clone(),
        entry.http_status.map(|s| s.to_string()).unwrap_or_default(),
        opt(&entry.retcode),
        opt(&entry.event_type),
        entry
            .guid_generation
            .map(|g| g.to_string())
            .unwrap_or_default(),
        opt(&entry.note),
    ]
}

/// The Markdown section.
pub(crate) fn markdown(out: &mut String, session: &SessionReport, title: &str) {
    let _ = writeln!(out, "## {title}\n");
    let _ = writeln!(out, "{}\n", cell(&summary(session)));
    out.push_str("| ms | request | HTTP | retcode | event | Guid | note |\n");
    out.push_str("|---:|---|---:|---|---|---:|---|\n");
    for (i, entry) in session.timeline.iter().enumerate() {
        if let Some(gap) = omitted_before(session, i) {
            let _ = writeln!(out, "| | {} | | | | | |", cell(&gap));
        }
        let cells: Vec<String> = row(entry).iter().map(|c| cell(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

/// The HTML section.
pub(crate) fn html(out: &mut String, session: &SessionReport, id: &str, title: &str) {
    let _ = write!(
        out,
        "<section id=\"{id}\">\n<h2>{}</h2>\n<p>{}</p>\n<table>\n\
         <tr><th>ms</th><th>request</th><th>HTTP</th><th>retcode</th><th>event</th>\
         <th>Guid generation</th><th>note</th></tr>\n",
        escape_html(title),
        escape_html(&summary(session))
    );
    for (i, entry) in session.timeline.iter().enumerate() {
        if let Some(gap) = omitted_before(session, i) {
            let _ = writeln!(
                out,
                "<tr><td></td><td colspan=\"6\">{}</td></tr>",
                escape_html(&gap)
            );
        }
        out.push_str("<tr>");
        for value in row(entry) {
            let _ = write!(out, "<td>{}</td>", escape_html(&value));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::SessionEntry;

    fn session() -> SessionReport {
        SessionReport {
            agent_id: "1001".into(),
            force_login: false,
            guid_generations: 2,
            sign_out: "signed out".into(),
            sign_out_refused: false,
            timeline: vec![SessionEntry {
                at_ms: 5,
                request: "GET /agentgateway/resource/agentevent/1001".into(),
                http_status: Some(200),
                retcode: Some("0".into()),
                event_type: Some("AgentState_Ready|<b>".into()),
                guid_generation: Some(2),
                note: None,
            }],
            timeline_omitted: 0,
            assumptions: Vec::new(),
        }
    }

    #[test]
    fn both_formats_show_the_timeline_escaped() {
        let mut md = String::new();
        markdown(&mut md, &session(), "Agent session");
        assert!(md.contains("| 5 | GET /agentgateway/resource/agentevent/1001 | 200 | 0 | AgentState\\_Ready\\|&lt;b&gt; | 2 |  |"), "{md}");
        let mut page = String::new();
        html(&mut page, &session(), "session", "Agent session");
        assert!(
            page.contains("<td>AgentState_Ready|&lt;b&gt;</td><td>2</td>"),
            "{page}"
        );
        assert!(page.contains("Guid generations: 2"));
    }

    #[test]
    fn a_cut_timeline_says_how_many_requests_it_left_out() {
        let mut long = session();
        let entry = long.timeline[0].clone();
        long.timeline = vec![entry; 2 * crate::report::TIMELINE_KEPT];
        long.timeline_omitted = 7_000;
        let gap = "… 7000 more requests, not kept (the first and the last 100 are)";
        let mut md = String::new();
        markdown(&mut md, &long, "Agent session");
        assert_eq!(md.matches(gap).count(), 1, "{md}");
        let mut page = String::new();
        html(&mut page, &long, "session", "Agent session");
        assert_eq!(page.matches(gap).count(), 1);
    }
}
