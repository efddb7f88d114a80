//! Refill: keep every targeted (region, operator) at its wanted count of healthy numbers, buying
//! (or activating) what is missing and giving back what has been idle too long.
//!
//! Safe to run twice at once: each (region, operator) is refilled under a lease, so a schedule
//! tick and a `PoolExhausted` burst never both buy the same shortfall. Safe to repeat: every run
//! re-reads the pool and acts only on the difference.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use tracing::{error, info, warn};

use crate::domain::pool::{Health, PoolNumber, PoolState};
use crate::domain::refill_plan::{
    operator_figures, plan_region, OperatorFigures, OperatorPlan, RefillRules, VnUsage,
};
use crate::domain::{Operator, Provider, Region, VirtualNumber};
use crate::metrics;
use crate::ports::{
    Activation, NumberProvider, NumberRequest, SharedClock, SharedPoolStore, StoreError,
};

/// Longer than a refill can run (refill-pool's timeout in `template.yaml`, which a test holds
/// below this), so a crashed holder's lease lapses soon after, and a live holder is never overtaken.
pub const REFILL_LEASE_SECONDS: i64 = 360;
/// How long a finished refill keeps the lease, so the pool index shows what it activated.
const SETTLE_SECONDS: i64 = 3;
const PARALLEL_READS: usize = 16;

/// What refill did for one (region, operator).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OperatorRefill {
    pub operator: Option<Operator>,
    pub wanted: u32,
    pub healthy_before: u32,
    pub acquired: u32,
    pub given_back: u32,
    /// Another refill held the lease; it does the work.
    pub skipped_busy: bool,
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

    /// Refills one region (a `PoolExhausted` or `OrderPlaced` there).
    pub async fn run_region(&self, region: &Region) -> Result<RegionRefill, StoreError> {
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
        if plan.deficit == 0 && plan.give_back.is_empty() {
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
        let result = self
            .refill_under_lease(region, operator, provider.as_ref(), &mut outcome)
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
        region: &Region,
        operator: &Operator,
        provider: &dyn NumberProvider,
        outcome: &mut OperatorRefill,
    ) -> Result<(), StoreError> {
        // Plan again under the lease: the plan that asked for the lease may predate a refill that
        // just finished, and acting on it could buy or give back the same numbers twice.
        let targets = self.pool.targets(region).await?;
        let numbers = self.pool.numbers_of_region(region).await?;
        let usage = self.usage_of(&numbers).await?;
        let plans = plan_region(&self.rules, &targets, &numbers, &usage, self.clock.now());
        let Some(plan) = plans.into_iter().find(|p| &p.target.operator == operator) else {
            return Ok(()); // the target was removed meanwhile
        };
        if plan.deficit > 0 {
            self.acquire(region, &plan, plan.deficit, provider, outcome)
                .await?;
        }
        for vn in &plan.give_back {
            if let Some(number) = numbers.iter().find(|n| &n.vn == vn) {
                self.give_back(number, provider, outcome).await?;
            }
        }
        Ok(())
    }

    async fn acquire(
        &self,
        region: &Region,
        plan: &OperatorPlan,
        deficit: u32,
        provider: &dyn NumberProvider,
        outcome: &mut OperatorRefill,
    ) -> Result<(), StoreError> {
        let request = NumberRequest {
            region: region.clone(),
            operator: plan.target.operator.clone(),
            count: deficit,
            search: plan.target.search.clone(),
        };
        let acquired = match provider.acquire(&request).await {
            Ok(acquired) => acquired,
            Err(e) => {
                warn!(%region, operator = %plan.target.operator, error = %e, "acquiring numbers failed");
                outcome.problem = Some(e.to_string());
                return Ok(());
            }
        };
        if (acquired.len() as u32) < deficit {
            warn!(%region, operator = %plan.target.operator, wanted = deficit, got = acquired.len(),
                  "the provider had fewer numbers than needed");
        }
        for number in acquired {
            let joined = PoolNumber {
                vn: number.vn,
                region: region.clone(),
                operator: plan.target.operator.clone(),
                provider: provider.provider(),
                health: Health::Healthy,
                state: PoolState::Active,
                suspect: false,
                provider_ref: number.provider_ref,
                activated_at: self.clock.now(),
            };
            match self.pool.activate(&joined).await {
                Ok(Activation::Activated) => outcome.acquired += 1,
                Ok(Activation::Unchanged) => {}
                Err(e) => {
                    // Not recorded means never used: return it rather than pay for it.
                    if let Err(back) = provider.give_back(&joined).await {
                        error!(vn = %joined.vn, error = %back, "a bought number could not be recorded nor returned; release it by hand");
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Retire first, so no session can claim the number while it is checked and returned.
    async fn give_back(
        &self,
        number: &PoolNumber,
        provider: &dyn NumberProvider,
        outcome: &mut OperatorRefill,
    ) -> Result<(), StoreError> {
        if !self.pool.begin_give_back(&number.vn).await? {
            return Ok(());
        }
        let usage = self.pool.usage(&number.vn, self.clock.now()).await?;
        if !usage.live_callers.is_empty() || usage.locked {
            // A session claimed it between the plan and the retirement: keep it.
            self.pool.cancel_give_back(&number.vn).await?;
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
            Err(e) => {
                warn!(vn = %number.vn, error = %e, "giving a number back failed; it stays in the pool");
                self.pool.cancel_give_back(&number.vn).await?;
                outcome.problem = Some(e.to_string());
            }
        }
        Ok(())
    }
}
