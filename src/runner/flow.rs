//! Flow control (cec_07_0584): the gateway refuses an agent's calls above an
//! unpublished limit with 000-007 (or, in front of it, a proxy with HTTP 429
//! or 503 and `Retry-After`). The run learns the limit instead of being told
//! it: each agent's requests are paced by an AIMD rule (on a refusal the
//! rate drops below the rate that was refused; after successes it comes
//! back up to it quickly, then creeps past it, a little more with each
//! success, to find a limit that went up), a refused
//! request waits with backoff and jitter and is sent again, and a case is
//! not assessed only when its time budget is spent. With `--sign-in` the
//! cases take the session's current Guid.

use super::guid::GuidSource;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The retcode of a flow-controlled refusal.
pub const FLOW_CONTROL_RETCODE: &str = "000-007";

/// How long a case may keep being refused by flow control before it is
/// "not assessed (flow control)".
pub const DEFAULT_FLOW_BUDGET: Duration = Duration::from_secs(60);

/// Multiplicative decrease: the rate after a refusal, as a share of the
/// rate that was refused.
const DECREASE: f64 = 0.85;
/// Below the rate last refused, each success closes this share of the
/// distance to it (back near it after some 10 successes, so a gateway that
/// refuses calls whatever their rate does not starve the run).
const RECOVER: f64 = 0.35;
/// Past that rate, the k-th success in a row adds k times this share of it
/// (a probe that is slow at first, where the limit most likely is, and
/// quicker the longer the gateway accepts).
const PROBE: f64 = 0.002;
/// Where recovering ends and probing starts, as a share of the rate last
/// refused.
const PLATEAU: f64 = 0.95;
/// Without a refusal yet, a paced agent (below its cap) goes up by this
/// share per success.
const INCREASE: f64 = 0.05;
/// At most one decrease in this time (a window limiter's refusals come in
/// bursts: one burst, one decrease).
const DECREASE_SPACING: Duration = Duration::from_secs(1);
/// The slowest pace: one request every 20 s.
const MIN_RATE: f64 = 0.05;
/// The longest backoff of one refused request.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How far back accepted requests are counted to measure the rate a
/// refusal came at.
const MEASURE_OVER: Duration = Duration::from_secs(2);
/// The shortest span that rate is measured over (a first burst says
/// nothing of a rate by itself).
const MEASURE_AT_LEAST: Duration = Duration::from_secs(1);
/// Accepted requests remembered per agent for that measure.
const ACCEPTED_KEPT: usize = 512;

/// How a run meets flow control and a live session.
#[derive(Debug, Clone)]
pub struct FlowControl {
    /// The session's Guid (with `--sign-in`): replaces the configured Guid
    /// in every request that carries it.
    pub guid: Option<GuidSource>,
    /// The other agent's session Guid (when it is signed in by the run as
    /// well): replaces the configured other Guid.
    pub other_guid: Option<GuidSource>,
    /// How long one case may keep being refused by flow control.
    pub budget: Duration,
    /// The pace of each agent's requests, learned as the run goes.
    pub pacing: Pacing,
    /// Why there is no live call, when the session waited for one in vain.
    pub no_call_reason: Option<String>,
}

impl Default for FlowControl {
    fn default() -> Self {
        FlowControl {
            guid: None,
            other_guid: None,
            budget: DEFAULT_FLOW_BUDGET,
            pacing: Pacing::new(None),
            no_call_reason: None,
        }
    }
}

/// What a run learned of one agent's flow limit (plain data for the report).
#[derive(Debug, Clone, PartialEq)]
pub struct LearnedFlow {
    /// The agent whose requests were paced.
    pub agent_id: String,
    /// Requests sent (every attempt).
    pub sent: u64,
    /// Attempts refused by flow control.
    pub refusals: u64,
    /// The rate at which the last refusal came, requests per second.
    pub refused_above: Option<f64>,
    /// The pace at the end of the run (`None`: never paced).
    pub paced_at: Option<f64>,
    /// Requests that waited before they were sent (pacing or backoff).
    pub waited_requests: u64,
    /// Their waits added up.
    pub waited: Duration,
}

/// When a request may go: handed out by [`Pacing::slot`], given back to
/// [`Pacing::answered`].
#[derive(Debug, Clone, Copy)]
struct Ticket {
    /// The pacing epoch the request was sent in: a refusal of a request
    /// sent before the last decrease lowers the rate no further.
    epoch: u64,
}

/// Per-agent pacing shared by every case of a run (and the session's own
/// checks). `Clone` shares it.
#[derive(Debug, Clone)]
pub struct Pacing {
    inner: Arc<Mutex<PacingState>>,
}

#[derive(Debug)]
struct PacingState {
    /// `--rate`: the starting pace of every agent and its cap.
    cap: Option<f64>,
    agents: BTreeMap<String, AgentPace>,
    /// Jitter's state (xorshift; nothing here needs to be unpredictable).
    jitter: u64,
}

#[derive(Debug)]
struct AgentPace {
    /// Requests per second; `None`: not paced (no cap, never refused).
    rate: Option<f64>,
    /// The rate last refused (the limit as learned).
    ceiling: Option<f64>,
    /// Successes in a row at or past the ceiling.
    probing: u32,
    /// The next free slot.
    next: Instant,
    epoch: u64,
    last_decrease: Option<Instant>,
    first_sent: Option<Instant>,
    accepted: VecDeque<Instant>,
    /// Recent sends (accepted or not), for the rate of an unpaced agent.
    sends: VecDeque<Instant>,
    sent: u64,
    refusals: u64,
    waited_requests: u64,
    waited: Duration,
}

impl AgentPace {
    fn new(cap: Option<f64>) -> AgentPace {
        AgentPace {
            rate: cap,
            ceiling: None,
            probing: 0,
            next: Instant::now(),
            epoch: 0,
            last_decrease: None,
            first_sent: None,
            accepted: VecDeque::new(),
            sends: VecDeque::new(),
            sent: 0,
            refusals: 0,
            waited_requests: 0,
            waited: Duration::ZERO,
        }
    }

    /// The rate of the instants `of` over the last [`MEASURE_OVER`] (or
    /// since the first request, over at least [`MEASURE_AT_LEAST`]), at
    /// least one in that span.
    fn rate_of(&self, of: &VecDeque<Instant>, now: Instant) -> f64 {
        let span = self
            .first_sent
            .map_or(MEASURE_AT_LEAST, |first| now.duration_since(first))
            .clamp(MEASURE_AT_LEAST, MEASURE_OVER);
        let since = now.checked_sub(span);
        let recent = of
            .iter()
            .filter(|at| since.is_none_or(|s| **at >= s))
            .count();
        recent.max(1) as f64 / span.as_secs_f64()
    }
}

impl PacingState {
    /// `agent`'s pace, started at the cap the first time.
    fn pace(&mut self, agent: &str) -> &mut AgentPace {
        let cap = self.cap;
        self.agents
            .entry(agent.to_owned())
            .or_insert_with(|| AgentPace::new(cap))
    }
}

/// Keeps `at` among the last [`ACCEPTED_KEPT`] instants of `kept`.
fn remember(kept: &mut VecDeque<Instant>, at: Instant) {
    if kept.len() == ACCEPTED_KEPT {
        kept.pop_front();
    }
    kept.push_back(at);
}

fn gap(rate: f64) -> Duration {
    Duration::from_secs_f64(1.0 / rate.max(MIN_RATE))
}

impl Pacing {
    /// Pacing that starts every agent at `cap` requests per second and
    /// never goes above it (`None`: not paced until refused).
    pub fn new(cap: Option<f64>) -> Pacing {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9_7f4a_7c15, |d| d.as_nanos() as u64)
            | 1;
        Pacing {
            inner: Arc::new(Mutex::new(PacingState {
                cap,
                agents: BTreeMap::new(),
                jitter: seed,
            })),
        }
    }

    /// Waits `backoff` (a refused request's, see [`Pacing::answered`]),
    /// then for `agent`'s next slot. A slot reserved before the rate went
    /// down is given up and taken again at the new pace.
    async fn slot(&self, agent: &str, backoff: Duration) -> Ticket {
        let asked = Instant::now();
        if !backoff.is_zero() {
            tokio::time::sleep(backoff).await;
        }
        loop {
            let reserved = {
                let Ok(mut state) = self.inner.lock() else {
                    return Ticket { epoch: 0 };
                };
                let pace = state.pace(agent);
                let now = Instant::now();
                match pace.rate {
                    None => None,
                    Some(rate) => {
                        let at = pace.next.max(now);
                        pace.next = at + gap(rate);
                        Some((at, pace.epoch))
                    }
                }
            };
            let Some((at, epoch)) = reserved else {
                return self.sent(agent, asked, 0);
            };
            tokio::time::sleep_until(at).await;
            let current = self
                .inner
                .lock()
                .ok()
                .and_then(|s| s.agents.get(agent).map(|p| p.epoch));
            if current.is_none_or(|now| now == epoch) {
                return self.sent(agent, asked, epoch);
            }
        }
    }

    /// Counts a request about to be sent and what it waited since `asked`.
    fn sent(&self, agent: &str, asked: Instant, epoch: u64) -> Ticket {
        let waited = asked.elapsed();
        if let Ok(mut state) = self.inner.lock() {
            let pace = state.pace(agent);
            pace.sent += 1;
            let now = Instant::now();
            pace.first_sent.get_or_insert(now);
            remember(&mut pace.sends, now);
            // Below a millisecond is the scheduler, not a wait.
            if waited >= Duration::from_millis(1) {
                pace.waited_requests += 1;
                pace.waited += waited;
            }
        }
        Ticket { epoch }
    }

    /// Takes the answer of a request sent with `ticket`: accepted (the pace
    /// creeps up) or refused by flow control (the pace drops, once per
    /// epoch). For a refusal, gives how long the request waits before it is
    /// sent again: the `nth` refusal in a row of one request backs off
    /// exponentially from the new gap (or the answer's `Retry-After`, if
    /// longer), with jitter.
    fn answered(
        &self,
        agent: &str,
        ticket: Ticket,
        refused: bool,
        retry_after: Option<Duration>,
        nth: u32,
    ) -> Option<Duration> {
        let Ok(mut state) = self.inner.lock() else {
            return refused.then_some(Duration::from_secs(1));
        };
        let cap = state.cap;
        let now = Instant::now();
        let jitter = next_jitter(&mut state.jitter);
        let pace = state.pace(agent);
        if !refused {
            remember(&mut pace.accepted, now);
            if let Some(rate) = pace.rate {
                let up = match pace.ceiling {
                    Some(ceiling) if rate < ceiling * PLATEAU => rate + (ceiling - rate) * RECOVER,
                    Some(ceiling) => {
                        pace.probing = pace.probing.saturating_add(1);
                        rate + ceiling * PROBE * f64::from(pace.probing)
                    }
                    None => rate * (1.0 + INCREASE),
                };
                pace.rate = Some(cap.map_or(up, |c| up.min(c)));
            }
            return None;
        }
        pace.refusals += 1;
        let spaced = pace
            .last_decrease
            .is_none_or(|at| now.duration_since(at) >= DECREASE_SPACING);
        if ticket.epoch == pace.epoch && spaced {
            // Refused at its pace: the new pace is a share of it. Not paced
            // yet: refused at the rate it was sent at, and the new pace
            // starts below what got through, but at least at half the
            // refused rate (the answers of a burst may not be in yet).
            let (refused_at, lower) = match pace.rate {
                Some(rate) => (rate, rate * DECREASE),
                None => {
                    let sent = pace.rate_of(&pace.sends, now);
                    let accepted = pace.rate_of(&pace.accepted, now);
                    (sent, accepted.max(sent * 0.5).min(sent) * DECREASE)
                }
            };
            let lower = lower.max(MIN_RATE);
            pace.ceiling = Some(refused_at);
            pace.probing = 0;
            pace.rate = Some(lower);
            pace.epoch += 1;
            pace.last_decrease = Some(now);
            pace.next = now + gap(lower);
        }
        let base = gap(pace.rate.unwrap_or(1.0)).max(retry_after.unwrap_or_default());
        let factor = 2f64.powi(i32::try_from(nth.saturating_sub(1).min(8)).unwrap_or(8));
        let backoff = base.mul_f64(factor).min(MAX_BACKOFF.max(base));
        // Equal jitter: half the backoff, plus up to the other half.
        Some(backoff.mul_f64(0.5 + 0.5 * jitter))
    }

    /// What was learned of each agent that was refused or paced.
    pub fn learned(&self) -> Vec<LearnedFlow> {
        let Ok(state) = self.inner.lock() else {
            return Vec::new();
        };
        state
            .agents
            .iter()
            .filter(|(_, p)| p.refusals > 0 || p.rate.is_some())
            .map(|(agent, p)| LearnedFlow {
                agent_id: agent.clone(),
                sent: p.sent,
                refusals: p.refusals,
                refused_above: p.ceiling,
                paced_at: p.rate,
                waited_requests: p.waited_requests,
                waited: p.waited,
            })
            .collect()
    }
}

/// A number in `[0, 1)`.
fn next_jitter(state: &mut u64) -> f64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Whether an answer is a flow-control refusal: 000-007, HTTP 429, or 503
/// with `Retry-After` (a proxy in front of the gateway).
pub fn is_flow_refusal(status: u16, retcode: Option<&str>, retry_after: Option<Duration>) -> bool {
    retcode == Some(FLOW_CONTROL_RETCODE)
        || status == 429
        || (status == 503 && retry_after.is_some())
}

/// One request sent until it is not refused by flow control or its budget
/// is spent: the loop of a case and of a session check.
///
/// ```text
/// let mut retrying = Retrying::new(&pacing, agent, budget);
/// loop {
///     retrying.slot().await;
///     let answer = send().await;
///     if !retrying.again(refusal_of(&answer)) { break answer; }
/// }
/// ```
#[derive(Debug)]
pub struct Retrying<'a> {
    pacing: &'a Pacing,
    agent: String,
    budget: Duration,
    started: Instant,
    ticket: Ticket,
    backoff: Duration,
    refusals: u32,
}

impl<'a> Retrying<'a> {
    /// A request of `agent`, paced by `pacing`, sent again within `budget`.
    pub fn new(pacing: &'a Pacing, agent: String, budget: Duration) -> Retrying<'a> {
        Retrying {
            pacing,
            agent,
            budget,
            started: Instant::now(),
            ticket: Ticket { epoch: 0 },
            backoff: Duration::ZERO,
            refusals: 0,
        }
    }

    /// Waits the backoff of the last refusal, then for the agent's slot.
    pub async fn slot(&mut self) {
        self.ticket = self.pacing.slot(&self.agent, self.backoff).await;
    }

    /// Takes the answer of the request just sent: `Some(retry_after)` when
    /// it was refused by flow control. True when it is to be sent again
    /// (refused, and the backoff fits in the budget).
    pub fn again(&mut self, refusal: Option<Option<Duration>>) -> bool {
        if refusal.is_some() {
            self.refusals += 1;
        }
        let next = self.pacing.answered(
            &self.agent,
            self.ticket,
            refusal.is_some(),
            refusal.flatten(),
            self.refusals,
        );
        match next {
            Some(wait) if self.started.elapsed() + wait <= self.budget => {
                self.backoff = wait;
                true
            }
            _ => false,
        }
    }

    /// The backoff waited before the request about to go (zero at first).
    pub fn backoff(&self) -> Duration {
        self.backoff
    }

    /// Refusals so far.
    pub fn refusals(&self) -> u32 {
        self.refusals
    }
}

/// A `Retry-After` header's delay (seconds; an HTTP date is read as one
/// second: the clocks of the two ends need not agree).
pub fn retry_after(value: &str) -> Duration {
    value
        .trim()
        .parse::<u64>()
        .map_or(Duration::from_secs(1), |s| {
            Duration::from_secs(s.min(MAX_BACKOFF.as_secs() * 6))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refusal_lowers_the_pace_once_per_epoch_and_successes_raise_it() {
        // Fast rates: the slots' waits are below a millisecond.
        let pacing = Pacing::new(Some(4000.0));
        for _ in 0..100 {
            let t = pacing.slot("1001", Duration::ZERO).await;
            pacing.answered("1001", t, false, None, 0);
        }
        let first = pacing.slot("1001", Duration::ZERO).await;
        let second = pacing.slot("1001", Duration::ZERO).await;
        // Two requests of the same epoch refused: one decrease.
        let wait = pacing.answered("1001", first, true, None, 1).unwrap();
        pacing.answered("1001", second, true, None, 1).unwrap();
        let learned = &pacing.learned()[0];
        assert_eq!(learned.refusals, 2);
        // Refused at its pace; paced again at a share of it.
        assert_eq!(learned.refused_above, Some(4000.0));
        let lower = learned.paced_at.unwrap();
        assert!((lower - 4000.0 * DECREASE).abs() < 1e-9, "{lower}");
        // The backoff is at least half the new gap.
        assert!(wait >= gap(lower).mul_f64(0.5), "{wait:?}");
        let third = pacing.slot("1001", Duration::ZERO).await;
        pacing.answered("1001", third, false, None, 0);
        assert!(pacing.learned()[0].paced_at.unwrap() > lower);
        // Never above the cap.
        for _ in 0..500 {
            let t = pacing.slot("1001", Duration::ZERO).await;
            pacing.answered("1001", t, false, None, 0);
        }
        assert_eq!(pacing.learned()[0].paced_at, Some(4000.0));
    }

    #[tokio::test]
    async fn an_unpaced_agent_is_paced_from_its_measured_rate_after_a_refusal() {
        let pacing = Pacing::new(None);
        for _ in 0..10 {
            let t = pacing.slot("1001", Duration::ZERO).await;
            pacing.answered("1001", t, false, None, 0);
        }
        assert!(pacing.learned().is_empty(), "not paced, never refused");
        let t = pacing.slot("1001", Duration::ZERO).await;
        pacing.answered("1001", t, true, Some(Duration::from_secs(3)), 1);
        let learned = &pacing.learned()[0];
        // 11 sent within a second (the shortest span measured), refused
        // there; 10 got through.
        assert_eq!(learned.refused_above, Some(11.0));
        assert_eq!(learned.paced_at, Some(10.0 * DECREASE));
        // Other agents are not slowed down.
        let other = pacing.slot("1002", Duration::ZERO).await;
        assert_eq!(other.epoch, 0);
    }

    #[test]
    fn a_refusal_is_000_007_a_429_or_a_503_that_says_when() {
        let after = Some(Duration::from_secs(2));
        assert!(is_flow_refusal(200, Some("000-007"), None));
        assert!(is_flow_refusal(429, None, None));
        assert!(is_flow_refusal(503, None, after));
        assert!(
            !is_flow_refusal(503, None, None),
            "a 503 alone is an outage"
        );
        assert!(!is_flow_refusal(200, Some("0"), after));
    }

    #[tokio::test]
    async fn retry_after_and_repeated_refusals_lengthen_the_backoff() {
        let pacing = Pacing::new(Some(100.0));
        let t = pacing.slot("1001", Duration::ZERO).await;
        let wait = pacing
            .answered("1001", t, true, Some(Duration::from_secs(4)), 1)
            .unwrap();
        assert!(wait >= Duration::from_secs(2) && wait <= Duration::from_secs(4));
        let t = pacing.slot("1001", Duration::ZERO).await;
        let third = pacing.answered("1001", t, true, None, 3).unwrap();
        assert!(third >= gap(100.0 * DECREASE).mul_f64(2.0), "{third:?}");
        assert!(third <= MAX_BACKOFF);
        assert_eq!(retry_after(" 7 "), Duration::from_secs(7));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Duration::from_secs(1)
        );
    }
}
