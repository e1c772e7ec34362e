//! The order in which reports list the kinds of change.

use super::model::ChangeKind;

impl ChangeKind {
    /// Every kind, in the order every report lists them: most urgent first.
    pub const ALL: [ChangeKind; 7] = [
        ChangeKind::NewFailure,
        ChangeKind::Fixed,
        ChangeKind::StillFailing,
        ChangeKind::Changed,
        ChangeKind::Added,
        ChangeKind::Removed,
        ChangeKind::Unchanged,
    ];
}
