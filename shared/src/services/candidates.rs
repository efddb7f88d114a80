//! The candidates a session may claim, and what a refused claim teaches about them: shared by
//! allocation and failover so both follow the same rule.

use chrono::{DateTime, Utc};

use super::retry::jittered_pause;
use crate::domain::policy::Candidates;
use crate::domain::{OrderId, Region, Side};
use crate::ports::{SessionStore, StoreError, WriteRejected};
use crate::privacy::CallerKey;

/// The region's allocatable VNs, minus those where either party already has a live binding for
/// another order (a hint; the conditional write stays the authority). `None` for a region that
/// has never had a number or a target.
pub async fn load_candidates(
    store: &dyn SessionStore,
    region: &Region,
    order_id: &OrderId,
    parties: [(Side, &CallerKey); 2],
    now: DateTime<Utc>,
) -> Result<Option<Candidates>, StoreError> {
    let Some(pool) = store.region_pool(region).await? else {
        return Ok(None);
    };
    let providers = pool
        .iter()
        .map(|n| (n.vn.clone(), n.provider.clone()))
        .collect();
    let allocatable = pool
        .into_iter()
        .filter(|n| n.allocatable())
        .map(|n| (n.vn, n.operator))
        .collect();
    let mut candidates = Candidates::new(allocatable).with_providers(providers);
    for (side, key) in parties {
        for live in store.live_numbers_of(key, now).await? {
            if &live.order_id != order_id {
                candidates.rule_out_for(side, live.vn);
            }
        }
    }
    Ok(Some(candidates))
}

/// Narrows the candidates after a refused write (or waits out contention) before the next try.
pub async fn learn_from(candidates: &mut Candidates, rejected: WriteRejected, attempt: u32) {
    match rejected {
        // Nothing learned about candidates: re-read (or, for a removal, see `owned_write`).
        WriteRejected::SessionChanged
        | WriteRejected::BindingNotOurs(_)
        | WriteRejected::LockNotOurs(_) => {}
        WriteRejected::BindingTaken { side, vn } => candidates.rule_out_for(side, vn),
        WriteRejected::LockTaken { vn } | WriteRejected::NumberUnavailable { vn } => {
            candidates.rule_out_everywhere(vn)
        }
        WriteRejected::Contention => jittered_pause(attempt).await,
    }
}
