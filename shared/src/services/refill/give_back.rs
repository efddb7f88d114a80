//! Giving surplus numbers back, in two steps so no session claims a number on its way out: mark it
//! *retiring*, then (once it is confirmed idle and the provider has it back) let it go.
//!
//! The provider's answer decides what happens to a retiring number:
//! - done (or "no such number", which the adapters report as done): it leaves the pool, or goes to
//!   standby for imported numbers;
//! - refused: nothing happened, so it is active again;
//! - unavailable (a timeout or a 5xx): the provider may have taken it back already, so it stays
//!   retiring — taking no sessions — and the next run asks again.

use tracing::{error, info, warn};

use super::{HeldLease, OperatorRefill, Refill};
use crate::domain::pool::{PoolNumber, PoolState};
use crate::domain::VirtualNumber;
use crate::ports::{NumberProviderError, StoreError};

impl Refill {
    /// Gives back an idle surplus number.
    pub(super) async fn give_back(
        &self,
        number: &PoolNumber,
        lease: &HeldLease<'_>,
        outcome: &mut OperatorRefill,
    ) -> Result<(), StoreError> {
        if !self.still_holds(lease, outcome).await?
            || !self.pool.begin_give_back(&number.vn).await?
        {
            return Ok(());
        }
        self.finish_retiring(number, lease, outcome).await
    }

    /// Finishes a give-back an earlier run left half-done (it stopped, or the provider's answer
    /// was ambiguous).
    pub(super) async fn resume_give_back(
        &self,
        vn: &VirtualNumber,
        lease: &HeldLease<'_>,
        outcome: &mut OperatorRefill,
    ) -> Result<(), StoreError> {
        // The plan came from an index that may be behind: act on what the table says now.
        let Some(number) = self.pool.pool_number(vn).await? else {
            return Ok(());
        };
        if number.state != PoolState::Retiring {
            return Ok(());
        }
        info!(vn = %vn, "resuming a give-back left unfinished");
        self.finish_retiring(&number, lease, outcome).await
    }

    async fn finish_retiring(
        &self,
        number: &PoolNumber,
        lease: &HeldLease<'_>,
        outcome: &mut OperatorRefill,
    ) -> Result<(), StoreError> {
        let usage = self.pool.usage(&number.vn, self.clock.now()).await?;
        if !usage.live_callers.is_empty() || usage.locked {
            // A session claimed it before it was retired: keep it.
            self.pool.cancel_give_back(&number.vn).await?;
            return Ok(());
        }
        // The number's own source, which may differ from the target's if the target changed.
        let Some(provider) = self.providers.get(&number.provider) else {
            let problem = format!(
                "no number source configured for provider {}; a retiring number waits",
                number.provider
            );
            error!(vn = %number.vn, "{problem}");
            outcome.problem = Some(problem);
            return Ok(());
        };
        // A lost lease leaves the number retiring: whichever run holds the lease finishes it.
        if !self.still_holds(lease, outcome).await? {
            return Ok(());
        }
        match provider.give_back(number).await {
            Ok(()) => {
                self.pool
                    .finish_give_back(&number.vn, provider.keeps_given_back_numbers())
                    .await?;
                info!(vn = %number.vn, "surplus number given back");
                outcome.given_back += 1;
            }
            Err(e @ NumberProviderError::Unavailable { .. }) => {
                warn!(vn = %number.vn, error = %e,
                      "giving a number back may or may not have happened; it stays retiring and the next run retries");
                outcome.problem = Some(e.to_string());
            }
            Err(e @ NumberProviderError::Refused { .. }) => {
                warn!(vn = %number.vn, error = %e, "the provider refused to take the number back; it stays in the pool");
                self.pool.cancel_give_back(&number.vn).await?;
                outcome.problem = Some(e.to_string());
            }
        }
        Ok(())
    }
}
