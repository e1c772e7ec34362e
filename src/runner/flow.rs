//! Flow control (cec_07_0584): a case answered 000-007 ("the interface is
//! invoked repeatedly") is retried after a pause, a bounded number of times,
//! and `--rate N/s` paces every request of the cases. With `--sign-in` the
//! cases take the session's current Guid.

use super::guid::GuidSource;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The retcode of a flow-controlled refusal.
pub const FLOW_CONTROL_RETCODE: &str = "000-007";

/// How a run meets flow control and a live session.
#[derive(Debug, Clone)]
pub struct FlowControl {
    /// The session's Guid (with `--sign-in`): replaces the configured Guid
    /// in every request that carries it.
    pub guid: Option<GuidSource>,
    /// Retries of a case answered 000-007.
    pub retries: u32,
    /// Pause before a retry (the gateway's limit is unpublished).
    pub retry_pause: Duration,
    /// Requests per second over the whole run, if paced.
    pub rate: Option<Pacer>,
    /// Why there is no live call, when the session waited for one in vain.
    pub no_call_reason: Option<String>,
}

impl Default for FlowControl {
    fn default() -> Self {
        FlowControl {
            guid: None,
            retries: 2,
            retry_pause: Duration::from_secs(1),
            rate: None,
            no_call_reason: None,
        }
    }
}

/// Spaces requests `1/N` s apart, across concurrent cases.
#[derive(Debug, Clone)]
pub struct Pacer {
    gap: Duration,
    next: Arc<Mutex<Option<Instant>>>,
}

impl Pacer {
    /// `per_second` requests per second (must be > 0).
    pub fn new(per_second: f64) -> Pacer {
        Pacer {
            gap: Duration::from_secs_f64(1.0 / per_second.max(0.001)),
            next: Arc::new(Mutex::new(None)),
        }
    }

    /// Waits for the next slot.
    pub async fn wait(&self) {
        let at = {
            let Ok(mut next) = self.next.lock() else {
                return;
            };
            let now = Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + self.gap);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_pacer_hands_out_slots_one_gap_apart() {
        let pacer = Pacer::new(1000.0);
        pacer.wait().await;
        let first = pacer.next.lock().unwrap().unwrap();
        pacer.wait().await;
        let second = pacer.next.lock().unwrap().unwrap();
        // The slots themselves, not the time the test took.
        assert!(second >= first + Duration::from_millis(1));
    }
}
