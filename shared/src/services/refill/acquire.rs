//! Acquiring the numbers an operator lacks, one at a time, each recorded the moment it is ours.
//!
//! A purchase can go through while its answer is lost, and a run can stop between buying and
//! recording. So refill first records what the provider lists as ours but the pool does not know,
//! and only then buys the rest; after an ambiguous failure it stops buying for this run.

use tracing::{info, warn};

use super::{HeldLease, OperatorRefill, Refill};
use crate::domain::pool::{Health, PoolNumber, PoolState};
use crate::domain::refill_plan::OperatorPlan;
use crate::domain::{Operator, Region};
use crate::ports::{
    AcquiredNumber, Activation, NumberProvider, NumberProviderError, NumberRequest, StoreError,
};

impl Refill {
    /// Brings the operator up by `plan.deficit`. Provider failures end up in `outcome.problem`
    /// (the next run retries); only store failures are errors.
    pub(super) async fn acquire(
        &self,
        lease: &HeldLease<'_>,
        plan: &OperatorPlan,
        provider: &dyn NumberProvider,
        outcome: &mut OperatorRefill,
    ) -> Result<(), StoreError> {
        let region = lease.region;
        let operator = &plan.target.operator;
        let mut request = NumberRequest {
            region: region.clone(),
            operator: operator.clone(),
            count: plan.deficit,
            search: plan.target.search.clone(),
        };
        let held = match provider.held(&request).await {
            Ok(held) => held,
            Err(e) => return stop(outcome, region, operator, "listing held numbers", e),
        };
        for number in held {
            if self.pool.pool_number(&number.vn).await?.is_some() {
                continue;
            }
            warn!(%region, %operator, vn = %number.vn,
                  "the provider holds a number the pool did not know (a lost answer?); recording it");
            if self.record(region, operator, provider, number).await? == Activation::Activated {
                outcome.acquired += 1;
                outcome.recovered += 1;
            }
        }

        let missing = plan.deficit.saturating_sub(outcome.acquired);
        if missing == 0 {
            return Ok(());
        }
        request.count = missing;
        let offered = match provider.offered(&request).await {
            Ok(offered) => offered,
            Err(e) => return stop(outcome, region, operator, "finding numbers", e),
        };
        let mut bought = 0;
        for vn in offered {
            if bought >= missing || !self.still_holds(lease, outcome).await? {
                break;
            }
            match provider.acquire_one(&request, &vn).await {
                Ok(Some(number)) => {
                    if self.record(region, operator, provider, number).await?
                        == Activation::Activated
                    {
                        bought += 1;
                        outcome.acquired += 1;
                    }
                }
                Ok(None) => {}
                // Buying on after an ambiguous failure could pay twice for one shortfall; the
                // next run finds the number in the provider's listing if it was bought.
                Err(e) => return stop(outcome, region, operator, "acquiring a number", e),
            }
        }
        if outcome.lease_lost {
            return Ok(());
        }
        if bought < missing {
            warn!(%region, %operator, wanted = missing, got = bought,
                  "the provider had fewer numbers than needed");
        } else {
            info!(%region, %operator, acquired = bought, "acquired numbers");
        }
        Ok(())
    }

    /// Puts an acquired number in the pool, active. Noted on the lease first: once it is active
    /// the note is what keeps the next plan from buying it again while the index lags.
    async fn record(
        &self,
        region: &Region,
        operator: &Operator,
        provider: &dyn NumberProvider,
        number: AcquiredNumber,
    ) -> Result<Activation, StoreError> {
        self.pool
            .note_acquisition(region, operator, &number.vn)
            .await?;
        self.pool
            .activate(&PoolNumber {
                vn: number.vn,
                region: region.clone(),
                operator: operator.clone(),
                provider: provider.provider(),
                health: Health::Healthy,
                state: PoolState::Active,
                suspect: false,
                provider_ref: number.provider_ref,
                activated_at: self.clock.now(),
            })
            .await
    }
}

/// Ends acquiring for this run: a provider failure is reported, not an error, and the next run
/// retries.
fn stop(
    outcome: &mut OperatorRefill,
    region: &Region,
    operator: &Operator,
    doing: &str,
    e: NumberProviderError,
) -> Result<(), StoreError> {
    warn!(%region, %operator, error = %e, "{doing} failed; the next run retries");
    outcome.problem = Some(e.to_string());
    Ok(())
}
