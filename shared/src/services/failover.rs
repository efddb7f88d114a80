//! Number health: a VN the provider reports unhealthy takes no new sessions, and every live
//! session on it moves to a healthy number of its region (its backup first), one atomic write
//! per session. The apps are told through `MaskedNumbersChanged`, which the table's stream
//! announces once each move commits (`services::announce`): a move is never left untold.

use futures::stream::{self, StreamExt};
use rand::SeedableRng;
use tracing::{info, warn};

use super::candidates::{learn_from, CandidatePool};
use super::owned_write::write_owned;
use super::retry::MAX_ATTEMPTS;
use super::seats::seat;
use super::session_plan::transition;
use crate::domain::events::PublishedEvent;
use crate::domain::pool::{Health, PoolNumber};
use crate::domain::session::SessionStatus;
use crate::domain::{AllocationPolicy, OrderId, PairMode, Session, Side, VirtualNumber};
use crate::ports::{
    SessionRecord, SharedClock, SharedPoolStore, SharedPublisher, SharedStore, StoreError,
    WriteError,
};
use crate::privacy::CallerKey;

/// Sessions moved concurrently; each is its own transaction, so this only bounds the fan-out.
const PARALLEL_MOVES: usize = 8;
/// Re-checks for sessions that claimed the VN just before it was marked (their write was already
/// in flight). The claim's condition check makes a claim after the mark impossible, so one
/// re-check finds the last of them; the bound only guards against a misbehaving store.
const SWEEPS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum FailoverError {
    #[error("{0} is not one of our numbers")]
    UnknownNumber(VirtualNumber),
    #[error("gave up moving order {0} after {MAX_ATTEMPTS} contended attempts")]
    Contended(OrderId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a failover did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailoverReport {
    /// Orders now on other numbers.
    pub moved: Vec<OrderId>,
    /// Orders left on the number because the region had nothing usable to move them to.
    pub stranded: Vec<OrderId>,
}

enum Move {
    Moved,
    NotAffected,
    Stranded(AllocationPolicy),
}

pub struct Failover {
    pub store: SharedStore,
    pub pool: SharedPoolStore,
    /// `PoolExhausted` when a session is stranded (the moves themselves leave from the stream).
    pub publisher: SharedPublisher,
    pub clock: SharedClock,
    /// `BACKUP_NUMBERS=on`: replacements keep (or regain) a backup on another operator.
    pub backups: bool,
    /// `MAX_SESSIONS_PER_NUMBER`: a replacement number must have a free slot.
    pub session_cap: Option<u32>,
}

impl Failover {
    /// Marks the VN unhealthy and moves every live session off it. Safe to repeat: a second run
    /// finds nothing left to move (or finishes what a crashed run started).
    pub async fn mark_unhealthy(
        &self,
        vn: &VirtualNumber,
    ) -> Result<FailoverReport, FailoverError> {
        let number = self
            .pool
            .set_health(vn, Health::Unhealthy)
            .await?
            .ok_or_else(|| FailoverError::UnknownNumber(vn.clone()))?;
        warn!(%vn, region = %number.region, operator = %number.operator,
              "number marked unhealthy; moving its sessions");
        let report = self.move_sessions_off(&number).await?;
        info!(%vn, moved = report.moved.len(), stranded = report.stranded.len(), "failover done");
        Ok(report)
    }

    /// Lets the VN take new sessions again (sessions already moved stay where they are).
    pub async fn mark_healthy(&self, vn: &VirtualNumber) -> Result<PoolNumber, FailoverError> {
        let number = self
            .pool
            .set_health(vn, Health::Healthy)
            .await?
            .ok_or_else(|| FailoverError::UnknownNumber(vn.clone()))?;
        info!(%vn, "number marked healthy");
        Ok(number)
    }

    async fn move_sessions_off(
        &self,
        number: &PoolNumber,
    ) -> Result<FailoverReport, FailoverError> {
        let mut report = FailoverReport::default();
        let mut stranded_policy = AllocationPolicy::default();
        for _ in 0..SWEEPS {
            let orders: Vec<OrderId> = self
                .pool
                .orders_on(&number.vn, self.clock.now())
                .await?
                .into_iter()
                .filter(|o| !report.stranded.contains(o))
                .collect();
            if orders.is_empty() {
                break;
            }
            let outcomes: Vec<(OrderId, Result<Move, FailoverError>)> = stream::iter(orders)
                .map(|order| async move {
                    let outcome = self.move_session(&order, &number.vn).await;
                    (order, outcome)
                })
                .buffer_unordered(PARALLEL_MOVES)
                .collect()
                .await;
            for (order, outcome) in outcomes {
                match outcome? {
                    Move::Moved => report.moved.push(order),
                    Move::Stranded(policy) => {
                        stranded_policy = policy;
                        report.stranded.push(order)
                    }
                    Move::NotAffected => {}
                }
            }
        }
        if !report.stranded.is_empty() {
            let signal = PublishedEvent::PoolExhausted {
                region: number.region.clone(),
                order_id: report.stranded[0].clone(),
                policy: stranded_policy,
            };
            if let Err(e) = self.publisher.publish(&signal).await {
                warn!(error = %e, "could not publish PoolExhausted after a stranded failover");
            }
        }
        Ok(report)
    }

    async fn move_session(
        &self,
        order_id: &OrderId,
        vn: &VirtualNumber,
    ) -> Result<Move, FailoverError> {
        // The candidates and the parties they were narrowed for: a driver change between two
        // attempts makes the first agent's exclusions wrong for the new one.
        let mut known_candidates: Option<(CandidatePool, [CallerKey; 2])> = None;
        for attempt in 0..MAX_ATTEMPTS {
            let now = self.clock.now();
            let Some(record) = self.store.load_session(order_id).await? else {
                return Ok(Move::NotAffected);
            };
            let (Some(numbers), Some(region), Some(customer), Some(driver)) = (
                &record.session.numbers,
                &record.session.region,
                &record.customer,
                &record.driver,
            ) else {
                return Ok(Move::NotAffected);
            };
            if !numbers.uses(vn) || record.session.status_at(now) == SessionStatus::Expired {
                return Ok(Move::NotAffected);
            }
            let parties_now = [customer.key.clone(), driver.key.clone()];
            if known_candidates
                .as_ref()
                .is_none_or(|(_, loaded_for)| loaded_for != &parties_now)
            {
                let parties = [(Side::Customer, customer), (Side::Driver, driver)];
                let mut loaded =
                    CandidatePool::open(self.store.as_ref(), region, order_id, parties, now)
                        .await?;
                loaded.candidates.rule_out_everywhere(vn.clone());
                known_candidates = Some((loaded, parties_now));
            }
            let (pool, _) = known_candidates.as_mut().expect("loaded above");
            pool.know_current(self.store.as_ref(), Some(numbers))
                .await?;
            let with_backups = self.backups || numbers.customer_backup.is_some();
            let chosen = pool
                .choose(
                    self.store.as_ref(),
                    Some(numbers),
                    with_backups,
                    PairMode::of(numbers),
                    &mut rand::rngs::StdRng::from_entropy(),
                )
                .await?;
            let candidates = &mut pool.candidates;
            let Some(replacement) = chosen else {
                warn!(%order_id, %vn, "no healthy number left in the region to move the session to");
                return Ok(Move::Stranded(record.policy));
            };
            let mut after = SessionRecord {
                providers: candidates.providers_of(replacement.all()),
                session: Session {
                    numbers: Some(replacement),
                    ..record.session.clone()
                },
                ..record.clone()
            };
            let (store, cap) = (self.store.as_ref(), self.session_cap);
            let mut rng = rand::rngs::StdRng::from_entropy();
            if !seat(
                store,
                candidates,
                &mut after,
                Some(&record),
                cap,
                now,
                &mut rng,
            )
            .await?
            {
                continue; // the replacement was full: choose again without it
            }
            let mut write = transition(Some(&record), after);
            match write_owned(self.store.as_ref(), &mut write, now).await {
                Ok(()) => {
                    info!(%order_id, replaced = %vn, attempt, "session moved off an unhealthy number");
                    return Ok(Move::Moved);
                }
                Err(WriteError::Rejected(rejected)) => {
                    learn_from(candidates, rejected, attempt).await
                }
                Err(WriteError::Store(e)) => return Err(e.into()),
            }
        }
        Err(FailoverError::Contended(order_id.clone()))
    }
}
