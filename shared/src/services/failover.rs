//! Number health: a VN the provider reports unhealthy takes no new sessions, and every live
//! session on it moves to a healthy number of its region (its backup first), one atomic write
//! per session, with the apps told through `MaskedNumbersChanged`.

use futures::stream::{self, StreamExt};
use rand::SeedableRng;
use tracing::{error, info, warn};

use super::candidates::{learn_from, CandidatePool};
use super::owned_write::write_owned;
use super::retry::MAX_ATTEMPTS;
use super::session_plan::transition;
use crate::domain::events::PublishedEvent;
use crate::domain::pool::{Health, PoolNumber};
use crate::domain::session::SessionStatus;
use crate::domain::{AllocationPolicy, OrderId, Region, Session, Side, VirtualNumber};
use crate::ports::{
    SessionRecord, SessionWrite, SharedClock, SharedPoolStore, SharedPublisher, SharedStore,
    StoreError, WriteError,
};
use crate::privacy::CallerKey;

/// A move still unannounced this long after it was made is not some run's work in progress:
/// the scheduled sweep announces it (a run that is in progress announces within seconds).
pub const STALE_MOVE_SECONDS: i64 = 120;
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
    /// Moved orders whose `MaskedNumbersChanged` could not be published (see the log). The move
    /// is noted in the VN's partition, and the next failover run of the VN announces it.
    pub unannounced: Vec<OrderId>,
    /// Orders an earlier run moved without announcing, announced by this run.
    pub announced_late: Vec<OrderId>,
}

enum Move {
    Moved { announced: bool },
    NotAffected,
    Stranded(AllocationPolicy),
}

pub struct Failover {
    pub store: SharedStore,
    pub pool: SharedPoolStore,
    pub publisher: SharedPublisher,
    pub clock: SharedClock,
    /// `BACKUP_NUMBERS=on`: replacements keep (or regain) a backup on another operator.
    pub backups: bool,
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
        self.announce_earlier_moves(&number.vn, &mut report).await?;
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
                    Move::Moved { announced } => {
                        if !announced {
                            report.unannounced.push(order.clone());
                        }
                        report.moved.push(order)
                    }
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
                    &mut rand::rngs::StdRng::from_entropy(),
                )
                .await?;
            let candidates = &mut pool.candidates;
            let Some(replacement) = chosen else {
                warn!(%order_id, %vn, "no healthy number left in the region to move the session to");
                return Ok(Move::Stranded(record.policy));
            };
            let after = SessionRecord {
                providers: candidates.providers_of(replacement.all()),
                session: Session {
                    numbers: Some(replacement),
                    ..record.session.clone()
                },
                ..record.clone()
            };
            let mut write = SessionWrite {
                moved_off: Some(vn.clone()),
                ..transition(Some(&record), after)
            };
            match write_owned(self.store.as_ref(), &mut write, now).await {
                Ok(()) => {
                    info!(%order_id, replaced = %vn, attempt, "session moved off an unhealthy number");
                    let announced = self.announce(&write.record, vn).await?;
                    return Ok(Move::Moved { announced });
                }
                Err(WriteError::Rejected(rejected)) => {
                    learn_from(candidates, rejected, attempt).await
                }
                Err(WriteError::Store(e)) => return Err(e.into()),
            }
        }
        Err(FailoverError::Contended(order_id.clone()))
    }

    /// Publishes `MaskedNumbersChanged` and clears the move's note. A failed publish leaves the
    /// note (the move itself is done and must not be undone) for the next run to retry.
    async fn announce(
        &self,
        record: &SessionRecord,
        vn: &VirtualNumber,
    ) -> Result<bool, FailoverError> {
        let session = &record.session;
        let Some(numbers) = &session.numbers else {
            return Ok(true);
        };
        let published = self
            .publisher
            .publish(&PublishedEvent::MaskedNumbersChanged {
                order_id: session.order_id.clone(),
                numbers: numbers.clone(),
                replaced: vn.clone(),
                expires_at: session.live_until,
                version: record.version,
                state: session.state,
            })
            .await;
        match published {
            Ok(()) => {
                self.pool.move_announced(vn, &session.order_id).await?;
                Ok(true)
            }
            Err(e) => {
                error!(order_id = %session.order_id, error = %e,
                       "session moved but MaskedNumbersChanged was not published; the next failover run of this number retries");
                Ok(false)
            }
        }
    }

    /// Announces the moves of `region` that were left unannounced (the bus was down and nobody
    /// retried the report): run on the refill schedule, so no lost `MaskedNumbersChanged` waits
    /// for a report about the same number that may never come. Returns the orders announced;
    /// a move still unannounceable stays for the next run.
    pub async fn announce_stale_moves(
        &self,
        region: &Region,
    ) -> Result<Vec<OrderId>, FailoverError> {
        let cutoff = self.clock.now() - chrono::Duration::seconds(STALE_MOVE_SECONDS);
        let mut announced = Vec::new();
        for (vn, order_id) in self.pool.unannounced_moves_in(region, cutoff).await? {
            match self.store.load_session(&order_id).await? {
                Some(record) if self.announce(&record, &vn).await? => announced.push(order_id),
                Some(_) => {}
                None => self.pool.move_announced(&vn, &order_id).await?,
            }
        }
        if !announced.is_empty() {
            info!(%region, announced = announced.len(), "announced moves an earlier failover left unannounced");
        }
        Ok(announced)
    }

    /// Re-sends the announcements an earlier run could not publish, with the numbers in force now.
    async fn announce_earlier_moves(
        &self,
        vn: &VirtualNumber,
        report: &mut FailoverReport,
    ) -> Result<(), FailoverError> {
        for order_id in self.pool.unannounced_moves(vn).await? {
            match self.store.load_session(&order_id).await? {
                Some(record) if self.announce(&record, vn).await? => {
                    report.announced_late.push(order_id)
                }
                Some(_) => report.unannounced.push(order_id),
                // The session is gone: nothing left to announce.
                None => self.pool.move_announced(vn, &order_id).await?,
            }
        }
        Ok(())
    }
}
