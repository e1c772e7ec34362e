//! The run loop: bounded concurrency, early stop when the target cannot be
//! reached, interruption, and assembly of the report.

use super::events::{EventListener, RunEvent};
use super::execute::{CaseRunner, Executed, skeleton};
use super::http::{ClientError, Clients};
use super::plan::RunPlan;
use crate::checks::CheckContext;
use crate::redact::Redactor;
use crate::report::{RunReport, Status};
use crate::schemas::Schemas;
use crate::suite::{Case, Suite};
use futures_util::StreamExt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

/// A failure that prevents a run from starting.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// Runs `cases` of `suite` under `plan`. Stops early, marking the rest as not
/// run, when `interrupt` completes or when the target cannot be reached.
pub async fn run(
    suite: &Suite,
    cases: &[&Case],
    plan: &RunPlan,
    schemas: &Schemas,
    redactor: &Redactor,
    listener: &mut dyn EventListener,
    interrupt: impl Future<Output = ()>,
) -> Result<RunReport, RunError> {
    let clients = Clients::new(&plan.target, plan.timeout, plan.connections)?;
    let expectations = &plan.expectations;
    let documented = expectations
        .retcodes(&expectations.builtin().documented)
        .to_vec();
    let runner = CaseRunner {
        plan,
        clients: &clients,
        checks: CheckContext {
            schemas,
            documented: &documented,
        },
        redactor,
    };
    let target = redactor.text(&crate::report::display_target(&plan.target.base_url));
    listener.on_event(&RunEvent::RunStarted {
        total: cases.len(),
        target: &target,
    });

    let reached = AtomicBool::new(false);
    let unreachable: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);
    let runner = &runner;
    let (reached_ref, unreachable_ref) = (&reached, &unreachable);
    let mut stream = futures_util::stream::iter(cases.iter().copied())
        .map(|case| async move {
            let known_down = unreachable_ref
                .lock()
                .map(|g| g.clone())
                .unwrap_or_default();
            if let (Some(why), false) = (known_down, reached_ref.load(Ordering::SeqCst)) {
                let mut result = skeleton(case);
                result.reason = Some(format!("not run: {why}"));
                return Executed {
                    result,
                    reached: false,
                    unreachable: true,
                };
            }
            let executed = runner.execute(case).await;
            if executed.reached {
                reached_ref.store(true, Ordering::SeqCst);
            } else if executed.unreachable {
                if let Ok(mut slot) = unreachable_ref.lock() {
                    slot.get_or_insert_with(|| executed.result.reason.clone().unwrap_or_default());
                }
            }
            executed
        })
        .buffer_unordered(plan.concurrency.max(1));

    let mut results = Vec::with_capacity(cases.len());
    let mut interrupted = false;
    tokio::pin!(interrupt);
    loop {
        tokio::select! {
            biased;
            () = &mut interrupt => {
                interrupted = true;
                break;
            }
            next = stream.next() => match next {
                Some(executed) => {
                    results.push(executed.result);
                    let last = results.last().expect("just pushed");
                    listener.on_event(&RunEvent::CaseFinished { result: last, done: results.len(), total: cases.len() });
                }
                None => break,
            }
        }
    }
    drop(stream);
    if interrupted {
        let finished: std::collections::HashSet<String> =
            results.iter().map(|r| r.id.clone()).collect();
        for case in cases {
            if !finished.contains(&case.id) {
                let mut result = skeleton(case);
                result.status = Status::Errored;
                result.reason = Some("interrupted before it finished".to_owned());
                results.push(result);
            }
        }
    }
    let mut report = crate::report::assemble(suite, plan, results, interrupted);
    // With every secret now known (one learned late is hidden early too).
    redactor.report(&mut report);
    listener.on_event(&RunEvent::RunFinished {
        summary: &report.summary,
        interrupted,
    });
    Ok(report)
}
