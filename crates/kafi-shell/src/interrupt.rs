//! Stopping a running command from outside (a signal handler) and seeing
//! how far it got.
//!
//! An [`Interrupt`] is a flag plus live progress counters, shared by clones.
//! Give one to the reading commands through [`ReadOptions::interrupt`]: the
//! read loops check the flag before every message and, once it is set, stop
//! cleanly — the outputs of the messages processed so far are written and
//! flushed and, for a named group, committed — and fail with
//! [`Error::Stopped`] wrapped in the usual counts. Whoever set the flag can
//! read the counters meanwhile, e.g. to report them if the work does not
//! come back to the flag (a runaway jq expression).
//!
//! [`ReadOptions::interrupt`]: crate::ReadOptions::interrupt
//! [`Error::Stopped`]: crate::Error::Stopped

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;

/// A request to stop, with the progress of the work it stops.
#[derive(Clone, Debug, Default)]
pub struct Interrupt {
    state: Arc<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The signal number of the request; 0 = none.
    signal: AtomicI32,
    /// Set when a read loop saw the request and is stopping.
    acknowledged: AtomicBool,
    /// Set once a read loop reports counts.
    tracked: AtomicBool,
    consumed: AtomicU64,
    produced: AtomicU64,
}

impl Interrupt {
    /// A new flag, not set, with zero counts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the work to stop; `signal` names the cause (a signal number,
    /// e.g. 2 for SIGINT). The first request wins.
    pub fn request(&self, signal: i32) {
        let _ = self.state.signal.compare_exchange(
            0,
            signal.max(1),
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }

    /// The signal of the request, if one was made.
    #[inline]
    pub fn requested(&self) -> Option<i32> {
        match self.state.signal.load(Ordering::Relaxed) {
            0 => None,
            signal => Some(signal),
        }
    }

    /// Whether a read loop saw the request and is stopping cleanly.
    pub fn acknowledged(&self) -> bool {
        self.state.acknowledged.load(Ordering::Acquire)
    }

    /// Messages consumed and produced so far, if a read loop reports them.
    pub fn progress(&self) -> Option<(u64, u64)> {
        self.state.tracked.load(Ordering::Acquire).then(|| {
            (
                self.state.consumed.load(Ordering::Relaxed),
                self.state.produced.load(Ordering::Relaxed),
            )
        })
    }

    /// Marks the request as seen; returns its signal.
    pub(crate) fn acknowledge(&self) -> Option<i32> {
        let signal = self.requested()?;
        self.state.acknowledged.store(true, Ordering::Release);
        Some(signal)
    }

    pub(crate) fn track(&self) {
        self.state.tracked.store(true, Ordering::Release);
    }

    /// Plain stores: the counters have one writer each.
    #[inline]
    pub(crate) fn set_consumed(&self, consumed: u64) {
        self.state.consumed.store(consumed, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn set_produced(&self, produced: u64) {
        self.state.produced.store(produced, Ordering::Relaxed);
    }
}

/// The name of a signal number, for messages.
pub fn signal_name(signal: i32) -> String {
    match signal {
        1 => "SIGHUP".into(),
        2 => "SIGINT".into(),
        3 => "SIGQUIT".into(),
        15 => "SIGTERM".into(),
        other => format!("signal {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_request_wins_and_clones_share_it() {
        let interrupt = Interrupt::new();
        let clone = interrupt.clone();
        assert_eq!(interrupt.requested(), None);
        assert_eq!(interrupt.progress(), None);
        clone.request(15);
        interrupt.request(2);
        assert_eq!(interrupt.requested(), Some(15));
        assert!(!interrupt.acknowledged());
        assert_eq!(clone.acknowledge(), Some(15));
        assert!(interrupt.acknowledged());
        clone.track();
        clone.set_consumed(7);
        clone.set_produced(3);
        assert_eq!(interrupt.progress(), Some((7, 3)));
        assert_eq!(signal_name(2), "SIGINT");
    }
}
