//! The refill lease as a fence. A run can outlive its lease (a `maskctl refill` on a laptop that
//! slept, a Lambda paused by a slow provider): once it lapses another run may take it over, and
//! two runs acting on one shortfall would buy it twice. So before every action the provider bills
//! or cannot take back (a purchase, a give-back) the run renews its lease, on the condition that
//! it still holds it and it has not lapsed; a run that cannot stops there.

use chrono::Duration;
use tracing::warn;

use super::{OperatorRefill, Refill, REFILL_LEASE_SECONDS};
use crate::domain::{Operator, Region};
use crate::ports::StoreError;

/// What a run that lost its lease reports.
pub const LEASE_LOST: &str =
    "the refill lease lapsed and may be held by another run; this run stopped before acting again";

/// The lease one run holds for one (region, operator).
pub(super) struct HeldLease<'a> {
    pub region: &'a Region,
    pub operator: &'a Operator,
    pub holder: &'a str,
}

impl Refill {
    /// Renews `lease` for another full term, or, when it is lost, notes why the run stops in
    /// `outcome` and answers `false`.
    pub(super) async fn still_holds(
        &self,
        lease: &HeldLease<'_>,
        outcome: &mut OperatorRefill,
    ) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let renewed = self
            .pool
            .renew_refill_lease(
                lease.region,
                lease.operator,
                lease.holder,
                now,
                now + Duration::seconds(REFILL_LEASE_SECONDS),
            )
            .await?;
        if !renewed {
            warn!(region = %lease.region, operator = %lease.operator, "{LEASE_LOST}");
            outcome.problem = Some(LEASE_LOST.to_string());
            outcome.lease_lost = true;
        }
        Ok(renewed)
    }
}
