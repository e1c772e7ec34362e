//! The fault matrix as data: per fault, the cases that name it and the
//! cases that caught it.

use crate::gateway::Fault;
use std::collections::{BTreeMap, BTreeSet};

/// One row of the fault matrix: a fault, the cases that name it, and the
/// cases that failed (or errored) with it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRow {
    pub fault: String,
    pub description: String,
    /// Cases whose `catches` name this fault.
    pub expected: BTreeSet<String>,
    /// Cases that failed or errored against the faulty gateway.
    pub caught_by: BTreeSet<String>,
    /// Check ids of all findings of the run.
    pub checks: BTreeSet<String>,
}

impl FaultRow {
    /// Cases that name the fault but did not catch it.
    pub fn missed(&self) -> Vec<&str> {
        self.expected
            .difference(&self.caught_by)
            .map(String::as_str)
            .collect()
    }
}

/// The fault matrix: for each fault, which cases catch it. Built from one run
/// per fault.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultMatrix {
    pub rows: Vec<FaultRow>,
}

impl FaultMatrix {
    /// Faults that no case catches, or that a naming case misses.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for row in &self.rows {
            if row.expected.is_empty() {
                out.push(format!("fault `{}` is named by no case", row.fault));
            }
            if row.caught_by.is_empty() {
                out.push(format!("fault `{}` is caught by no case", row.fault));
            }
            for case in row.missed() {
                out.push(format!(
                    "case `{case}` names fault `{}` but passed against it",
                    row.fault
                ));
            }
        }
        out
    }

    /// Check ids that no fault run produced a finding for.
    pub fn unexercised_checks(&self) -> Vec<&'static str> {
        let seen: BTreeSet<&str> = self
            .rows
            .iter()
            .flat_map(|r| r.checks.iter().map(String::as_str))
            .collect();
        crate::checks::CheckId::ALL
            .iter()
            .map(|c| c.as_str())
            .filter(|c| !seen.contains(c))
            .collect()
    }

    /// Plain-text rendering: one line per fault.
    pub fn render(&self) -> String {
        let mut out =
            String::from("fault matrix (fault: cases that caught it; * = named by the case)\n");
        for row in &self.rows {
            // Cases that name the fault first; the others only counted past a few.
            let (named, others): (Vec<&String>, Vec<&String>) = row
                .caught_by
                .iter()
                .partition(|c| row.expected.contains(*c));
            let mut shown: Vec<String> = named.iter().map(|c| format!("{c}*")).collect();
            shown.extend(others.iter().take(3).map(|c| (*c).clone()));
            if others.len() > 3 {
                shown.push(format!("(+{} more)", others.len() - 3));
            }
            let status = if row.missed().is_empty() && !row.caught_by.is_empty() {
                "caught"
            } else {
                "MISSED"
            };
            out.push_str(&format!(
                "{:<28} {status:<7} {:>2} case(s): {}\n",
                row.fault,
                row.caught_by.len(),
                shown.join(" ")
            ));
        }
        let caught = self
            .rows
            .iter()
            .filter(|r| !r.caught_by.is_empty() && r.missed().is_empty())
            .count();
        out.push_str(&format!(
            "mutation score: {caught}/{} faults caught\n",
            self.rows.len()
        ));
        out
    }
}

/// Which cases name each fault.
pub fn cases_by_fault(suite: &crate::suite::Suite) -> BTreeMap<String, BTreeSet<String>> {
    let mut map: BTreeMap<String, BTreeSet<String>> = Fault::all()
        .iter()
        .map(|f| (f.name().to_owned(), BTreeSet::new()))
        .collect();
    // Session faults are caught by the session's checks (a session-aware run).
    for check in crate::session::SESSION_CHECKS {
        for fault in check.catches {
            map.entry((*fault).to_owned())
                .or_default()
                .insert(check.id.to_owned());
        }
    }
    for case in &suite.cases {
        for fault in &case.catches {
            map.entry(fault.clone())
                .or_default()
                .insert(case.id.clone());
        }
    }
    map
}

/// A matrix row from a run against the gateway with `fault` on.
pub fn fault_row(
    suite: &crate::suite::Suite,
    fault: Fault,
    report: &crate::report::RunReport,
) -> FaultRow {
    use crate::report::Status;
    FaultRow {
        fault: fault.name().to_owned(),
        description: fault.description().to_owned(),
        expected: cases_by_fault(suite)
            .remove(fault.name())
            .unwrap_or_default(),
        caught_by: report
            .cases
            .iter()
            .filter(|c| matches!(c.status, Status::Failed | Status::Errored))
            .map(|c| c.id.clone())
            .collect(),
        checks: report
            .cases
            .iter()
            .flat_map(|c| c.findings.iter().map(|f| f.check.to_string()))
            .collect(),
    }
}
