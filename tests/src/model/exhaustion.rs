//! Liveness of the allocator: a `PoolExhausted` must mean the pool had no pair to give. The safety
//! checks alone would pass an allocator that refused every order; this one fails it.
//!
//! Judged only where the answer is certain, against the consistent snapshot taken before the batch:
//! the batch's only assignment (no other claim could take the numbers first), nothing else in the
//! batch that removes numbers (failover, refill), and indexes that do not lag (a lagging
//! allocation index may rightly hide a number that has just become free). A number is free when it
//! is active, healthy and carries no live binding and no exclusive lock at all, so it is usable
//! for any order under either policy; two free numbers are a pair (backups are best effort).

use std::collections::HashSet;

use maskline::domain::pool::{Health, PoolState};

use super::check::{vn_index, Snapshot};
use super::ops::Done;
use super::schedule::Op;
use crate::fixtures::vn;
use crate::world::Item;

/// What the check made of one batch.
#[derive(Debug, Default)]
pub struct Judgement {
    /// `PoolExhausted` answers the check could judge (the report shows it is exercised).
    pub judged: usize,
    /// Those answered while the snapshot before the batch held a pair of free numbers.
    pub violations: Vec<String>,
}

/// Judges every `PoolExhausted` of the batch that can be judged.
pub fn judge_exhaustion(
    ops: &[Op],
    done: &[Done],
    before: &Snapshot,
    now_ms: i64,
    lagging_indexes: bool,
) -> Judgement {
    let exhausted: Vec<&Op> = ops
        .iter()
        .zip(done)
        .filter(|(op, done)| matches!(op, Op::Assign { .. }) && done.outcome == "PoolExhausted")
        .map(|(op, _)| op)
        .collect();
    if exhausted.is_empty() || lagging_indexes || !judgeable(ops) {
        return Judgement::default();
    }
    let free = free_numbers(before, now_ms);
    let violations = if free.len() < 2 {
        Vec::new()
    } else {
        exhausted
            .into_iter()
            .map(|op| {
                let shown: Vec<String> = free.iter().take(4).map(|i| vn(*i).to_string()).collect();
                format!(
                    "{op:?} answered PoolExhausted while {} numbers were free before it (e.g. {})",
                    free.len(),
                    shown.join(", ")
                )
            })
            .collect()
    };
    Judgement {
        judged: 1,
        violations,
    }
}

/// One assignment, and besides it only operations that take no number away (ends free numbers,
/// "healthy again" adds one).
fn judgeable(ops: &[Op]) -> bool {
    let assignments = ops
        .iter()
        .filter(|op| matches!(op, Op::Assign { .. }))
        .count();
    assignments == 1
        && ops
            .iter()
            .all(|op| matches!(op, Op::Assign { .. } | Op::End { .. } | Op::Healthy { .. }))
}

/// Active, healthy numbers with no live binding or lock, by VN index.
pub fn free_numbers(snapshot: &Snapshot, now_ms: i64) -> Vec<u32> {
    let taken: HashSet<u32> = snapshot
        .items
        .iter()
        .filter(|item| holds_the_number(item, now_ms))
        .filter_map(|item| vn_index(text(item, "pk")))
        .collect();
    let mut free: Vec<u32> = snapshot
        .pool
        .iter()
        .filter(|(i, (health, state))| {
            *health == Health::Healthy && *state == PoolState::Active && !taken.contains(i)
        })
        .map(|(i, _)| *i)
        .collect();
    free.sort_unstable();
    free
}

/// A live binding (any caller, any key, shadows included) or a live exclusive lock.
fn holds_the_number(item: &Item, now_ms: i64) -> bool {
    let sk = text(item, "sk").unwrap_or_default();
    let live = item
        .get("live_until")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .is_some_and(|until| until > now_ms);
    live && (sk.starts_with("BIND#") || sk == "LOCK")
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}
