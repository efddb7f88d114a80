//! `MAX_SESSIONS_PER_NUMBER`: a seat (slot) on each number a session newly takes, so that no
//! number carries more live sessions than its cap.
//!
//! A capped VN has `cap` slot items; a session holds one per VN, written in the session's own
//! transaction with the same guard as a binding (free, expired, or this order's), so DynamoDB —
//! not this read — refuses the session that would exceed the cap, under any concurrency. A slot
//! carries its session's deadline, so it frees itself when the session is released (after grace)
//! or expires, with no sweeper. `exclusive` needs no slots: its lock is the cap of 1.

use chrono::{DateTime, Utc};
use rand::seq::SliceRandom;
use rand::Rng;

use crate::domain::policy::Candidates;
use crate::domain::AllocationPolicy;
use crate::ports::{SessionRecord, SessionStore, StoreError};

/// Gives every VN `after` newly takes a free slot (reading which are held), keeping the slots
/// `before` held on the VNs it keeps. A kept VN that had no slot (the session predates the cap)
/// stays without one rather than moving the order. `false` when a VN has no free slot: it is
/// ruled out, and the caller chooses again.
pub async fn seat<R: Rng + ?Sized>(
    store: &dyn SessionStore,
    candidates: &mut Candidates,
    after: &mut SessionRecord,
    before: Option<&SessionRecord>,
    cap: Option<u32>,
    now: DateTime<Utc>,
    rng: &mut R,
) -> Result<bool, StoreError> {
    after.slots.clear();
    let (Some(cap), AllocationPolicy::Shared) = (cap, after.policy) else {
        return Ok(true);
    };
    let Some(numbers) = after.session.numbers.clone() else {
        return Ok(true);
    };
    let kept = |vn| {
        before
            .and_then(|b| b.session.numbers.as_ref())
            .is_some_and(|n| n.uses(vn))
    };
    for vn in numbers.all() {
        if kept(vn) {
            if let Some(slot) = before.and_then(|b| b.slots.get(vn)) {
                after.slots.insert(vn.clone(), *slot);
            }
            continue;
        }
        let held = store.held_slots(vn, now).await?;
        let order = &after.session.order_id;
        let free: Vec<u32> = (0..cap)
            .filter(|slot| held.get(slot).is_none_or(|holder| holder == order))
            .collect();
        match free.choose(rng) {
            Some(slot) => {
                after.slots.insert(vn.clone(), *slot);
            }
            None => {
                candidates.rule_out_everywhere(vn.clone());
                return Ok(false);
            }
        }
    }
    Ok(true)
}
