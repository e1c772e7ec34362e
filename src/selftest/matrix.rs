//! The fault matrix as one library call: one run of the suite per fault,
//! each against its own reference gateway on 127.0.0.1 port 0, several at a
//! time, the reports handed back in the order the faults were asked for.
//!
//! The session faults' runs are the ones with timers (a Guid that rotates
//! every 300 ms and expires after 1.5 s, see [`super::fast_dynamic`]): their
//! cases must carry a Guid the background poll renewed moments before. So
//! they start first and alone, and the other runs start only when every
//! session run has its case results; from then on a session run only waits
//! for its checks' moments, and its few requests carry the Guid of a poll
//! that runs as a task of its own. The `slow` run starts next (it only waits
//! for its timeouts), then the plain runs, at most [`PARALLEL_RUNS`] at once.

use super::options::{SelfTestError, SelfTestOptions};
use super::run::run_embedded;
use crate::contract::Profile;
use crate::gateway::Fault;
use crate::report::RunReport;
use crate::runner::{EventListener, NoListener, RunEvent};
use crate::schemas::Schemas;
use crate::suite::Suite;
use futures_util::StreamExt;
use futures_util::stream;
use tokio::sync::Semaphore;

/// At most this many runs without a session at once: enough to keep two
/// cores busy while some runs wait for answers, few enough that each run's
/// requests still get their answers well within the timeout.
pub const PARALLEL_RUNS: usize = 4;

/// The report of the run against one fault.
#[derive(Debug, Clone)]
pub struct FaultRun {
    pub fault: Fault,
    pub report: RunReport,
}

/// The runs of a fault matrix, in the order the faults were asked for.
#[derive(Debug, Clone, Default)]
pub struct FaultRuns {
    pub runs: Vec<FaultRun>,
}

impl FaultRuns {
    /// The fault matrix of these runs, one row per run, in their order.
    pub fn matrix(&self, suite: &Suite) -> super::table::FaultMatrix {
        super::table::FaultMatrix {
            rows: self
                .runs
                .iter()
                .map(|run| super::table::fault_row(suite, run.fault, &run.report))
                .collect(),
        }
    }
}

/// A fault run that failed to start.
#[derive(Debug, thiserror::Error)]
#[error("fault {}: {source}", .fault.name())]
pub struct FaultRunError {
    pub fault: Fault,
    #[source]
    pub source: SelfTestError,
}

/// Progress of a fault matrix: a run has finished.
#[derive(Debug, Clone, Copy)]
pub struct FaultRunFinished {
    pub fault: Fault,
    /// Runs finished so far, this one included.
    pub done: usize,
    pub total: usize,
}

/// Runs the suite once per fault of `faults` (see the module's comment for
/// the order they run in) and gives the reports in the order of `faults`.
/// `on_finished` hears of each run as it finishes. Stops at the first run
/// that cannot start.
pub async fn run_fault_matrix(
    suite: &Suite,
    schemas: &Schemas,
    profile: &Profile,
    faults: &[Fault],
    options: &SelfTestOptions,
    on_finished: &mut dyn FnMut(FaultRunFinished),
) -> Result<FaultRuns, FaultRunError> {
    let (sessions, mut others): (Vec<_>, Vec<_>) = faults
        .iter()
        .copied()
        .enumerate()
        .partition(|(_, fault)| fault.is_session());
    // `slow` first among the others: it only waits, so it may as well start
    // waiting early.
    others.sort_by_key(|(_, fault)| *fault != Fault::Slow);

    // Each session run gives one permit when its cases are done.
    let cases_done = Semaphore::new(0);
    let session_count = u32::try_from(sessions.len()).unwrap_or(u32::MAX);
    let session_runs = stream::iter(sessions)
        .map(|(index, fault)| {
            let cases_done = &cases_done;
            async move {
                let mut gate = CasesDone::new(cases_done);
                let report = run_one(suite, schemas, profile, fault, options, &mut gate).await;
                (index, fault, report)
            }
        })
        .buffer_unordered(faults.len().max(1));
    let other_runs = stream::once(async {
        // The semaphore is never closed, so this only waits.
        let _ = cases_done.acquire_many(session_count).await;
    })
    .flat_map(|()| {
        stream::iter(others.iter().copied())
            .map(|(index, fault)| async move {
                let report =
                    run_one(suite, schemas, profile, fault, options, &mut NoListener).await;
                (index, fault, report)
            })
            .buffer_unordered(PARALLEL_RUNS)
    });
    let all = stream::select(session_runs, other_runs);
    tokio::pin!(all);

    let total = faults.len();
    let mut reports: Vec<Option<RunReport>> = vec![None; total];
    let mut done = 0;
    while let Some((index, fault, report)) = all.next().await {
        reports[index] = Some(report?);
        done += 1;
        on_finished(FaultRunFinished { fault, done, total });
    }
    Ok(FaultRuns {
        runs: faults
            .iter()
            .zip(reports)
            .filter_map(|(fault, report)| {
                report.map(|report| FaultRun {
                    fault: *fault,
                    report,
                })
            })
            .collect(),
    })
}

/// The run against `fault`, telling `listener` its events.
async fn run_one(
    suite: &Suite,
    schemas: &Schemas,
    profile: &Profile,
    fault: Fault,
    options: &SelfTestOptions,
    listener: &mut dyn EventListener,
) -> Result<RunReport, FaultRunError> {
    run_embedded(suite, schemas, profile, &[fault], None, options, listener)
        .await
        .map_err(|source| FaultRunError { fault, source })
}

/// Gives its run's permit once: when the run's cases are done, or at the
/// latest when the run ends (a run that could not start).
struct CasesDone<'a> {
    semaphore: &'a Semaphore,
    given: bool,
}

impl<'a> CasesDone<'a> {
    fn new(semaphore: &'a Semaphore) -> Self {
        CasesDone {
            semaphore,
            given: false,
        }
    }

    fn give(&mut self) {
        if !self.given {
            self.given = true;
            self.semaphore.add_permits(1);
        }
    }
}

impl EventListener for CasesDone<'_> {
    fn on_event(&mut self, event: &RunEvent<'_>) {
        if let RunEvent::RunFinished { .. } = event {
            self.give();
        }
    }
}

impl Drop for CasesDone<'_> {
    fn drop(&mut self) {
        self.give();
    }
}
