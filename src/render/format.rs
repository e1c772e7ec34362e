//! [`Format`]: the report formats, their file names and their renderers.

use super::{ReportView, html, json, junit, markdown};
use crate::report::RunReport;
use std::io::{self, Write};

/// One report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `report.json`: the report data, valid against `schemas/report.schema.json`.
    Json,
    /// `junit.xml`: JUnit XML for CI test tabs.
    Junit,
    /// `report.md`: Markdown fit for a pull-request comment.
    Markdown,
    /// `report.html`: one self-contained page.
    Html,
}

impl Format {
    /// Every format, in the order files are written.
    pub const ALL: [Format; 4] = [Format::Json, Format::Junit, Format::Markdown, Format::Html];

    /// File name of the format inside the report folder.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Junit => "junit.xml",
            Format::Markdown => "report.md",
            Format::Html => "report.html",
        }
    }

    /// Renders `report` in this format.
    pub fn render(self, report: &RunReport) -> String {
        super::to_string(|out| self.write(&ReportView::new(report), out))
    }

    /// Writes the report in this format into `out`, one case at a time.
    pub fn write(self, view: &ReportView<'_>, out: &mut dyn Write) -> io::Result<()> {
        match self {
            Format::Json => json::write(view, out),
            Format::Junit => junit::write(view, out),
            Format::Markdown => markdown::write(view, out),
            Format::Html => html::write(view, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_distinct() {
        let mut names: Vec<_> = Format::ALL.iter().map(|f| f.file_name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Format::ALL.len());
    }
}
