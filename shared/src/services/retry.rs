//! Bounded retries for optimistic writes.

use std::time::Duration;

use rand::Rng;

/// How many times a use case re-reads and re-tries before giving up. Each conflict either rules
/// out a candidate for good or means another writer made progress, so this bound is only reached
/// under pathological contention; the message is then retried by SQS.
pub const MAX_ATTEMPTS: u32 = 200;

/// A short random pause after a transaction conflict, so colliding writers fall out of step.
pub async fn jittered_pause(attempt: u32) {
    let ceiling_ms = 5 + 5 * u64::from(attempt.min(10));
    let pause = rand::thread_rng().gen_range(1..=ceiling_ms);
    tokio::time::sleep(Duration::from_millis(pause)).await;
}
