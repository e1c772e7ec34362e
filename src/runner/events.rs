//! Events of a run, for live progress. The runner emits them; a listener (the
//! CLI's progress display, a test's recorder) renders or records them.

use crate::report::{CaseResult, ControlRecord};

/// Something that happened during a run.
#[derive(Debug)]
pub enum RunEvent<'a> {
    /// The run is about to send its first request.
    RunStarted { total: usize, target: &'a str },
    /// One case has its result.
    CaseFinished {
        result: &'a CaseResult,
        done: usize,
        total: usize,
    },
    /// A control request was answered (or not): see [`ControlRecord`].
    ControlChecked { record: &'a ControlRecord },
    /// Every case has a result (or the run was interrupted).
    RunFinished { done: usize, interrupted: bool },
    /// With an agent session: its checks wait up to `wait` (for the Guid to
    /// rotate or expire) before the agent signs out; a signal ends the wait.
    SessionChecksWaiting { wait: std::time::Duration },
}

/// Receives the events of a run.
pub trait EventListener {
    fn on_event(&mut self, event: &RunEvent<'_>);
}

/// A listener that ignores everything.
pub struct NoListener;

impl EventListener for NoListener {
    fn on_event(&mut self, _: &RunEvent<'_>) {}
}
