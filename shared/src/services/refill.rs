//! Refill: keep every targeted (region, operator) at its wanted count of healthy numbers, buying
//! (or activating) what is missing and giving back what has been idle too long.
//!
//! Safe to run twice at once: each (region, operator) is refilled under a lease, so a schedule
//! tick and a `PoolExhausted` burst never both buy the same shortfall. Safe to repeat: every run
//! re-reads the pool and acts only on the difference.
//!
//! Safe to stop anywhere, and never fooled by an ambiguous answer. A provider call that times out
//! or fails with a 5xx may have taken effect, so:
//! - each number is recorded the moment it is bought, and before buying refill records what the
//!   provider lists as ours but the pool does not know (a purchase whose answer was lost);
//! - each purchase is also noted on the lease, so the next run counts it even while the pool index
//!   (eventually consistent) does not show it yet;
//! - a give-back whose answer was lost leaves the number *retiring* (no new sessions), and every
//!   run finishes the retiring numbers it finds; only a definite refusal makes one active again.

mod acquire;
mod fence;
mod give_back;

use fence::HeldLease;
pub use fence::LEASE_LOST;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use tracing::{error, info};

use crate::domain::pool::{PoolNumber, PoolState};
use crate::domain::refill_plan::{
    operator_figures, plan_region, OperatorFigures, OperatorPlan, RefillRules, VnUsage,
};
use crate::domain::{Operator, Provider, Region, VirtualNumber};
use crate::metrics;
use crate::ports::{NumberProvider, SharedClock, SharedPoolStore, StoreError};

/// Longer than a refill can run (refill-pool's timeout in `template.yaml`, which a test holds
/// below this), so a crashed holder's lease lapses soon after, and a live holder is never overtaken.
pub const REFILL_LEASE_SECONDS: i64 = 360;
/// How long a finished refill keeps the lease, so the pool index usually shows what it activated
/// before the next run plans. Only an economy: the lease's notes are what prevent a double buy.
const SETTLE_SECONDS: i64 = 3;
const PARALLEL_READS: usize = 16;

/// What refill did for one (region, operator).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OperatorRefill {
    pub operator: Option<Operator>,
    pub wanted: u32,
    pub healthy_before: u32,
    pub acquired: u32,
    /// Of `acquired`, numbers the provider already held for us that the pool did not know (a
    /// purchase whose answer was lost), recorded instead of buying more.
    pub recovered: u32,
    pub given_back: u32,
    /// Another refill held the lease; it does the work.
    pub skipped_busy: bool,
    /// This run outlived its lease and stopped (see `fence.rs`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub lease_lost: bool,
    /// Why acquiring or giving back failed (the next run retries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionRefill {
    pub region: Region,
    pub operators: Vec<OperatorRefill>,
    /// The pool per operator after the run, for dashboards (see [`RegionRefill::metric_lines`]).
    pub figures: BTreeMap<Operator, OperatorFigures>,
    #[serde(skip)]
    pub measured_at: DateTime<Utc>,
}

impl RegionRefill {
    /// The figures as CloudWatch EMF lines; the function prints them, a CLI need not.
    pub fn metric_lines(&self) -> Vec<String> {
        self.figures
            .iter()
            .map(|(operator, figures)| {
                metrics::pool_figures_line(&self.region, operator, figures, self.measured_at)
            })
            .collect()
    }
}

pub struct Refill {
    pub pool: SharedPoolStore,
    /// Number sources by the pool's `provider` value.
    pub providers: HashMap<Provider, Arc<dyn NumberProvider>>,
    pub clock: SharedClock,
    pub rules: RefillRules,
}

impl Refill {
    /// Refills every region (the schedule).
    pub async fn run_all(&self) -> Result<Vec<RegionRefill>, StoreError> {
        let mut done = Vec::new();
        for region in self.pool.regions().await? {
            done.push(self.run_region(&region).await?);
        }
        Ok(done)
    }

    /// Refills one region (a `PoolExhausted` or `OrderPlaced` there). Its active numbers missing
    /// from the allocation index (added before the index existed) are indexed first, whatever
    /// the rest of the run does: a region answering `PoolExhausted` because of them recovers on
    /// the refill that answer triggers.
    pub async fn run_region(&self, region: &Region) -> Result<RegionRefill, StoreError> {
        let indexed = self.pool.index_for_allocation(region).await?;
        if indexed > 0 {
            info!(%region, indexed, "active numbers added to the allocation index");
        }
        let targets = self.pool.targets(region).await?;
        let numbers = self.pool.numbers_of_region(region).await?;
        let now = self.clock.now();
        let usage = self.usage_of(&numbers).await?;
        let plans = plan_region(&self.rules, &targets, &numbers, &usage, now);
        let mut operators = Vec::with_capacity(plans.len());
        for plan in plans {
            operators.push(self.run_operator(region, &plan).await?);
        }
        // Most runs change nothing: the figures then come from what was already read.
        let changed = operators.iter().any(|o| o.acquired > 0 || o.given_back > 0);
        let figures = if changed {
            let numbers = self.pool.numbers_of_region(region).await?;
            operator_figures(&numbers, &self.usage_of(&numbers).await?)
        } else {
            operator_figures(&numbers, &usage)
        };
        Ok(RegionRefill {
            region: region.clone(),
            operators,
            figures,
            measured_at: self.clock.now(),
        })
    }

    async fn usage_of(
        &self,
        numbers: &[PoolNumber],
    ) -> Result<HashMap<VirtualNumber, VnUsage>, StoreError> {
        let now = self.clock.now();
        stream::iter(numbers.iter().filter(|n| n.state != PoolState::Standby))
            .map(|n| async move { Ok((n.vn.clone(), self.pool.usage(&n.vn, now).await?)) })
            .buffer_unordered(PARALLEL_READS)
            .try_collect()
            .await
    }

    /// `plan` only decides whether there is work (and reports what was wanted); the work itself
    /// is planned again under the lease.
    async fn run_operator(
        &self,
        region: &Region,
        plan: &OperatorPlan,
    ) -> Result<OperatorRefill, StoreError> {
        let operator = &plan.target.operator;
        let mut outcome = OperatorRefill {
            operator: Some(operator.clone()),
            wanted: plan.wanted,
            healthy_before: plan.healthy,
            ..OperatorRefill::default()
        };
        if plan.deficit == 0 && plan.give_back.is_empty() && plan.retiring.is_empty() {
            return Ok(outcome);
        }
        let Some(provider) = self.providers.get(&plan.target.provider) else {
            let problem = format!(
                "no number source configured for provider {}",
                plan.target.provider
            );
            error!(%region, %operator, "{problem}");
            outcome.problem = Some(problem);
            return Ok(outcome);
        };
        let holder = uuid::Uuid::new_v4().to_string();
        let now = self.clock.now();
        if !self
            .pool
            .take_refill_lease(
                region,
                operator,
                &holder,
                now,
                now + Duration::seconds(REFILL_LEASE_SECONDS),
            )
            .await?
        {
            info!(%region, %operator, "another refill is running for this operator; skipped");
            outcome.skipped_busy = true;
            return Ok(outcome);
        }
        let lease = HeldLease {
            region,
            operator,
            holder: &holder,
        };
        let result = self
            .refill_under_lease(&lease, provider.as_ref(), &mut outcome)
            .await;
        let settle = self.clock.now() + Duration::seconds(SETTLE_SECONDS);
        self.pool
            .end_refill_lease(region, operator, &holder, settle)
            .await?;
        result?;
        info!(%region, %operator, wanted = plan.wanted, healthy_before = plan.healthy,
              acquired = outcome.acquired, given_back = outcome.given_back, "refill done");
        Ok(outcome)
    }

    async fn refill_under_lease(
        &self,
        lease: &HeldLease<'_>,
        provider: &dyn NumberProvider,
        outcome: &mut OperatorRefill,
    ) -> Result<(), StoreError> {
        let (region, operator) = (lease.region, lease.operator);
        // Plan again under the lease: the plan that asked for the lease may predate a refill that
        // just finished, and acting on it could buy or give back the same numbers twice.
        let targets = self.pool.targets(region).await?;
        let numbers = self.numbers_under_lease(region, operator).await?;
        let usage = self.usage_of(&numbers).await?;
        let plans = plan_region(&self.rules, &targets, &numbers, &usage, self.clock.now());
        let Some(plan) = plans.into_iter().find(|p| &p.target.operator == operator) else {
            return Ok(()); // the target was removed meanwhile
        };
        for vn in &plan.retiring {
            if !outcome.lease_lost {
                self.resume_give_back(vn, lease, outcome).await?;
            }
        }
        if plan.deficit > 0 && !outcome.lease_lost {
            self.acquire(lease, &plan, provider, outcome).await?;
        }
        for vn in &plan.give_back {
            if let Some(number) = numbers.iter().find(|n| &n.vn == vn) {
                if !outcome.lease_lost {
                    self.give_back(number, lease, outcome).await?;
                }
            }
        }
        Ok(())
    }

    /// The region's numbers as the pool index lists them, corrected by the lease's notes: each
    /// number this operator acquired lately is read strongly consistently, so the plan counts it
    /// even while the index lags. Notes the index has caught up with, or whose number is gone,
    /// are dropped.
    async fn numbers_under_lease(
        &self,
        region: &Region,
        operator: &Operator,
    ) -> Result<Vec<PoolNumber>, StoreError> {
        let mut numbers = self.pool.numbers_of_region(region).await?;
        let mut settled = Vec::new();
        for vn in self.pool.recent_acquisitions(region, operator).await? {
            let fresh = self.pool.pool_number(&vn).await?;
            let listed = numbers.iter().position(|n| n.vn == vn);
            match (fresh, listed) {
                (Some(fresh), Some(i)) if numbers[i] == fresh => settled.push(vn),
                (Some(fresh), Some(i)) => numbers[i] = fresh,
                (Some(fresh), None) => numbers.push(fresh),
                (None, listed) => {
                    if let Some(i) = listed {
                        numbers.remove(i);
                    }
                    settled.push(vn);
                }
            }
        }
        self.pool
            .forget_acquisitions(region, operator, &settled)
            .await?;
        Ok(numbers)
    }
}
