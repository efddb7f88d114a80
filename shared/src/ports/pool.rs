//! The pool as refill, failover and health tracking change it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::pool::{Health, PoolNumber, PoolTarget};
use crate::domain::refill_plan::VnUsage;
use crate::domain::{Operator, OrderId, Region, VirtualNumber};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// The number joined the pool (or left standby) and takes sessions now.
    Activated,
    /// Already active (another refill got there first), or an unhealthy standby number: nothing
    /// changed.
    Unchanged,
}

#[async_trait]
pub trait PoolStore: Send + Sync {
    /// Every region that has had a number or a target.
    async fn regions(&self) -> Result<Vec<Region>, StoreError>;

    /// Every number of the region, whatever its state.
    async fn numbers_of_region(&self, region: &Region) -> Result<Vec<PoolNumber>, StoreError>;

    /// One number, read strongly consistently; `None` when it is not ours.
    async fn pool_number(&self, vn: &VirtualNumber) -> Result<Option<PoolNumber>, StoreError>;

    async fn targets(&self, region: &Region) -> Result<Vec<PoolTarget>, StoreError>;

    /// Creates or replaces the target of (region, operator) and registers the region.
    async fn set_target(&self, target: &PoolTarget) -> Result<(), StoreError>;

    /// Who holds live bindings (or the lock) on the VN, read strongly consistently.
    async fn usage(&self, vn: &VirtualNumber, now: DateTime<Utc>) -> Result<VnUsage, StoreError>;

    /// The orders with a live binding or lock on the VN.
    async fn orders_on(
        &self,
        vn: &VirtualNumber,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderId>, StoreError>;

    /// Puts the region's active numbers missing from the allocation index into it (numbers added
    /// before the index existed); reads the region's numbers once, as every refill run of the
    /// region does anyway. Returns how many were indexed.
    async fn index_for_allocation(&self, region: &Region) -> Result<u32, StoreError>;

    /// Takes the refill lease of (region, operator) for `holder` until `until`, unless someone
    /// else holds a lease that is still running. Two refills at once thus never buy twice.
    async fn take_refill_lease(
        &self,
        region: &Region,
        operator: &Operator,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Extends `holder`'s lease to `until`, only while `holder` still holds it and it has not
    /// lapsed at `now`: the fence refill renews before each purchase or give-back. `false` when
    /// the lease is lost (another run may hold it).
    async fn renew_refill_lease(
        &self,
        region: &Region,
        operator: &Operator,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Shortens `holder`'s lease to end at `settle_until` (a lease someone else took over is left
    /// alone). The short tail usually lets the pool index catch up with what this refill
    /// activated, so the next refill finds no work; when the index lags longer, the lease's notes
    /// ([`PoolStore::recent_acquisitions`]) still keep it from buying the same shortfall again.
    async fn end_refill_lease(
        &self,
        region: &Region,
        operator: &Operator,
        holder: &str,
        settle_until: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Notes on the (region, operator) lease that refill has just acquired `vn`. The pool index
    /// is eventually consistent, so the next refill reads these notes (strongly consistently) to
    /// count the number even while the index does not show it.
    async fn note_acquisition(
        &self,
        region: &Region,
        operator: &Operator,
        vn: &VirtualNumber,
    ) -> Result<(), StoreError>;

    /// The numbers noted by [`PoolStore::note_acquisition`] and not yet forgotten.
    async fn recent_acquisitions(
        &self,
        region: &Region,
        operator: &Operator,
    ) -> Result<Vec<VirtualNumber>, StoreError>;

    /// Drops notes the index has caught up with (or whose number is gone).
    async fn forget_acquisitions(
        &self,
        region: &Region,
        operator: &Operator,
        vns: &[VirtualNumber],
    ) -> Result<(), StoreError>;

    /// Adds a healthy active number, or activates a standby one, and registers its region.
    async fn activate(&self, number: &PoolNumber) -> Result<Activation, StoreError>;

    /// Moves an idle healthy active number to retiring, so no new session can claim it while
    /// refill confirms it is idle. `false` when it is not (or no longer) healthy and active.
    async fn begin_give_back(&self, vn: &VirtualNumber) -> Result<bool, StoreError>;

    /// Completes a give-back: the number goes to standby (`keep`) or leaves the pool.
    async fn finish_give_back(&self, vn: &VirtualNumber, keep: bool) -> Result<(), StoreError>;

    /// Undoes [`PoolStore::begin_give_back`] (a session slipped in, or the provider definitely
    /// refused). Never after an ambiguous failure: the provider may have taken the number back.
    async fn cancel_give_back(&self, vn: &VirtualNumber) -> Result<(), StoreError>;

    /// Sets the number's health; `None` when the number is not ours.
    async fn set_health(
        &self,
        vn: &VirtualNumber,
        health: Health,
    ) -> Result<Option<PoolNumber>, StoreError>;

    /// Counts a call outcome on the number: a failure adds to its run of consecutive failures,
    /// a connected call ends the run. Returns the run's length after this call.
    async fn record_call_outcome(
        &self,
        vn: &VirtualNumber,
        failed: bool,
    ) -> Result<u32, StoreError>;

    /// Flags the number as suspect; `false` when it already was.
    async fn mark_suspect(&self, vn: &VirtualNumber) -> Result<bool, StoreError>;
}
