//! The expectations in force, as the report lists them.

use super::model::ExpectationRecord;
use crate::contract::Expectations;

impl Expectations {
    /// Every entry as report records, sorted by key.
    pub fn records(&self) -> Vec<ExpectationRecord> {
        self.entries()
            .map(|(name, e)| ExpectationRecord {
                name: name.to_owned(),
                value: e.value.to_string(),
                source: e.source,
                reference: e.reference.clone(),
            })
            .collect()
    }
}
