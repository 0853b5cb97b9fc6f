//! Random ids and jittered backoff, without a random-number dependency:
//! std's `RandomState` is seeded from the operating system's random source.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// 64 random bits, distinct across calls, threads and processes.
pub(crate) fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    if let Ok(since) = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
        hasher.write_u128(since.as_nanos());
    }
    hasher.finish()
}

/// A random id of 16 lower-case hex digits (topic incarnations, writers).
pub(crate) fn random_id() -> String {
    format!("{:016x}", random_u64())
}

/// Whether `id` looks like a [`random_id`].
pub(crate) fn is_random_id(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Exponential backoff with full jitter: each wait is uniform in
/// `0..=min(cap, first * 2^n)`.
pub(crate) struct Backoff {
    first: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub(crate) fn new(first: Duration, cap: Duration) -> Self {
        Self {
            first,
            cap,
            attempt: 0,
        }
    }

    /// The next wait, without sleeping.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let ceiling = self
            .first
            .saturating_mul(1 << self.attempt.min(20))
            .min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        let nanos = ceiling.as_nanos().min(u64::MAX as u128) as u64;
        Duration::from_nanos(random_u64() % nanos.saturating_add(1))
    }

    /// Sleeps for the next wait.
    pub(crate) async fn wait(&mut self) {
        tokio::time::sleep(self.next_delay()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_hex() {
        let ids: std::collections::BTreeSet<String> = (0..1000).map(|_| random_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| is_random_id(id)));
        assert!(!is_random_id("meta"));
        assert!(!is_random_id("../../etc/passwd"));
    }

    #[test]
    fn backoff_stays_under_its_cap() {
        let mut b = Backoff::new(Duration::from_millis(1), Duration::from_millis(8));
        for _ in 0..100 {
            assert!(b.next_delay() <= Duration::from_millis(8));
        }
        let mut b = Backoff::new(Duration::from_millis(1), Duration::from_millis(8));
        assert!(b.next_delay() <= Duration::from_millis(1));
    }
}
