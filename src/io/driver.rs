//! The one driver loop step shared by every I/O shell around a sans-IO machine (`siyi-bridge
//! run`, the `camera` subcommand): wait for an input or the machine's deadline, hand the input
//! in, then run every timer that is due **by the clock** — never by whether the sleep fired.
//!
//! Why the clock and not the sleep (quinn's lesson): a tokio `Sleep` can be left pending by the
//! cooperative budget or lose a `select!` race against an input that arrived at the same time,
//! and a timer may come due while an input is being handled. Comparing `poll_timeout()` with the
//! clock after every wake covers all three.
//!
//! This module knows no protocol and imports nothing from `core`: a machine plugs in through
//! [`Timed`]. It is the place where the shells read the monotonic and the UTC clocks.
#![allow(clippy::disallowed_methods)] // the shells' clock

use std::future::Future;
use std::ops::ControlFlow;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The shells' monotonic clock (the core never reads one).
pub fn clock_now() -> Instant {
    Instant::now()
}

/// Wall-clock UTC in microseconds since the Unix epoch (0 if the clock is before 1970).
pub fn utc_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// A sans-IO machine with timers.
pub trait Timed {
    /// When the machine next wants [`Timed::handle_timeout`] (None: no timer armed).
    fn poll_timeout(&self) -> Option<Instant>;
    /// Runs every timer due at `now`.
    fn handle_timeout(&mut self, now: Instant);
}

/// The earlier of two optional instants (None = never).
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Waits for `input` until `wake` (None: no limit). `None` means the wait ended without an
/// input; the caller must still ask the clock what is due. `input` must be cancel-safe: it is
/// dropped when `wake` comes first.
pub async fn wait<T>(input: impl Future<Output = T>, wake: Option<Instant>) -> Option<T> {
    let sleep = async {
        match wake {
            Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        biased;
        v = input => Some(v),
        () = sleep => None,
    }
}

/// Runs the machine's timers when they are due by the clock; true if it did.
pub fn run_due<M: Timed + ?Sized>(machine: &mut M) -> bool {
    let now = clock_now();
    let due = machine.poll_timeout().is_some_and(|t| t <= now);
    if due {
        machine.handle_timeout(now);
    }
    due
}

/// One turn of a driver loop: wait for `input` until the machine's deadline (or `limit`, if
/// earlier), give the input to `on_input` with the time it arrived, then run every timer that is
/// due by the clock. `on_input` returning [`ControlFlow::Break`] ends the turn at once (no timers)
/// and the value is returned; otherwise the turn returns `Continue`.
///
/// The caller drains the machine's outputs before the next turn.
pub async fn turn<M, T, B>(
    machine: &mut M,
    limit: Option<Instant>,
    input: impl Future<Output = T>,
    on_input: impl FnOnce(&mut M, Instant, T) -> ControlFlow<B>,
) -> ControlFlow<B>
where
    M: Timed + ?Sized,
{
    let wake = earliest(machine.poll_timeout(), limit);
    if let Some(v) = wait(input, wake).await {
        on_input(machine, clock_now(), v)?;
    }
    run_due(machine);
    ControlFlow::Continue(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A machine whose only timer is at `at`, counting how often it ran.
    struct Alarm {
        at: Option<Instant>,
        fired: u32,
    }

    impl Timed for Alarm {
        fn poll_timeout(&self) -> Option<Instant> {
            self.at
        }
        fn handle_timeout(&mut self, now: Instant) {
            if self.at.is_some_and(|t| t <= now) {
                self.at = None;
                self.fired += 1;
            }
        }
    }

    #[tokio::test]
    async fn a_due_timer_runs_even_when_an_input_wins_the_race() {
        // The deadline has passed already and an input is ready: the input is handled first,
        // then the timer runs because the clock says so (the sleep never got to fire).
        let mut m = Alarm {
            at: Some(clock_now()),
            fired: 0,
        };
        let mut got = None;
        let flow: ControlFlow<()> = turn(&mut m, None, async { 7 }, |_, _, v| {
            got = Some(v);
            ControlFlow::Continue(())
        })
        .await;
        assert_eq!(
            (flow, got, m.fired),
            (ControlFlow::Continue(()), Some(7), 1)
        );
    }

    #[tokio::test]
    async fn a_limit_ends_the_wait_without_running_timers_early() {
        let mut m = Alarm {
            at: Some(clock_now() + Duration::from_secs(3600)),
            fired: 0,
        };
        let limit = clock_now() + Duration::from_millis(5);
        let flow: ControlFlow<()> = turn(
            &mut m,
            Some(limit),
            std::future::pending::<()>(),
            |_, _, ()| ControlFlow::Continue(()),
        )
        .await;
        assert!(flow.is_continue());
        assert!(clock_now() >= limit);
        assert_eq!(m.fired, 0);
    }

    #[tokio::test]
    async fn break_skips_the_timers() {
        let mut m = Alarm {
            at: Some(clock_now()),
            fired: 0,
        };
        let flow = turn(&mut m, None, async { "stop" }, |_, _, v| {
            ControlFlow::Break(v)
        })
        .await;
        assert_eq!((flow, m.fired), (ControlFlow::Break("stop"), 0));
    }
}
