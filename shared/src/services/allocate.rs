//! DriverAssigned: claim an order's masked numbers, idempotently and without ever binding a
//! (VN, caller) pair twice. The numbers are announced from the table's stream once the write
//! commits (`services::announce`), never from here.

use chrono::{DateTime, Duration, Utc};
use rand::SeedableRng;
use tracing::{info, warn};

use super::candidates::{learn_from, CandidatePool};
use super::owned_write::write_owned;
use super::retry::MAX_ATTEMPTS;
use super::seats::seat;
use super::session_plan::transition;
use crate::domain::events::{DriverAssigned, PublishedEvent};
use crate::domain::ordering::Precedence;
use crate::domain::policy::Candidates;
use crate::domain::session::AssignedNumbers;
use crate::domain::session::SessionStatus;
use crate::domain::{
    AllocationPolicy, OrderId, PairMode, Participant, Region, Session, SessionState, Side,
    VirtualNumber,
};
use crate::metrics;
use crate::ports::{
    SessionRecord, SharedClock, SharedPublisher, SharedStore, StoreError, StoredParticipant,
    WriteError,
};
use crate::privacy::{NumberVault, Owner};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllocationOutcome {
    /// Numbers were claimed for a new session (as written, version included).
    Created(SessionRecord),
    /// The same (order, agent) was already assigned: the same numbers, nothing written (the
    /// first write's announcement is in the stream whatever happened to its writer).
    AlreadyAssigned(SessionRecord),
    /// A newer assignment took over: a different agent (the agent's side moved, the customer's
    /// stayed when it could), or the agent in force assigned again later (the numbers stay; the
    /// newer assignment is recorded).
    DriverChanged(SessionRecord),
    /// The order was delivered or cancelled first; a late DriverAssigned allocates nothing.
    IgnoredReleased,
    /// Older than the assignment already in force (a redelivered earlier agent).
    IgnoredStale,
    /// Another agent's assignment that cannot be ordered against the one in force (same second,
    /// and no `sequence` or `assigned_at` tells them apart): the one in force stays.
    IgnoredUndecided,
    /// The session outlived its maximum lifetime; the order is over as far as calls go.
    IgnoredExpired,
    /// The event itself is older than a session's maximum life (a DLQ redrive days later): its
    /// order is over, and acting on it would bring the order back after its records are gone.
    IgnoredTooOld,
    /// A request made on a version of the session (`If-Match`) that is no longer the one in
    /// force: another change landed first, and nothing was written.
    VersionMoved,
}

/// How an assignment reached Maskline, which decides how it is weighed against the one in force.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Door {
    /// A DriverAssigned from the bus: events arrive late, twice and out of order, so it is ordered
    /// against the assignment in force by its stamp, and lives for a session's maximum life.
    #[default]
    Bus,
    /// A request to the sessions API. It is answered while the caller waits, so it is the newest
    /// word on the order: another agent is a driver change whatever the clocks say, and the same
    /// agent again is a repeat of the request (nothing is written).
    Request(RequestTerms),
}

/// What a sessions API request adds to an assignment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestTerms {
    /// `expires_in`: how long the numbers stay callable from now (at most a session's maximum
    /// life). Absent: a new session lives its maximum life, a moved one keeps its deadline.
    pub lifetime: Option<Duration>,
    /// `If-Match`: the session version the caller last saw; any other refuses the request.
    pub expected_version: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum AllocationError {
    #[error("region {0} has no virtual numbers (unknown region)")]
    UnknownRegion(Region),
    #[error("no virtual number is free in region {region} for order {order_id}")]
    PoolExhausted { region: Region, order_id: OrderId },
    /// Under one number per order the caller decides the direction of a call: a person on both
    /// sides could never be routed.
    #[error(
        "order {0} names one phone number for both parties, which one shared number cannot route"
    )]
    OnePersonOnBothSides(OrderId),
    #[error("gave up on order {0} after {MAX_ATTEMPTS} contended attempts")]
    Contended(OrderId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AllocationError {
    /// Whether delivering the same message again can succeed. An unknown region, or one person
    /// on both sides of a single-number order, will not fix itself by retrying: such a message
    /// belongs in the dead-letter queue at once.
    pub fn is_retryable(&self) -> bool {
        !matches!(
            self,
            AllocationError::UnknownRegion(_) | AllocationError::OnePersonOnBothSides(_)
        )
    }
}

pub struct Allocator {
    pub store: SharedStore,
    pub publisher: SharedPublisher,
    pub clock: SharedClock,
    pub vault: NumberVault,
    pub policy: AllocationPolicy,
    /// `BACKUP_NUMBERS=on`: each side also gets a backup VN on a different operator.
    pub backups: bool,
    /// `PAIR_MODE`: a number per side, or one for both (a session keeps the mode it was
    /// written in).
    pub pair_mode: PairMode,
    /// `MAX_SESSIONS_PER_NUMBER` (shared policy): the most live sessions one VN may carry.
    pub session_cap: Option<u32>,
    pub session_max: Duration,
}

impl Allocator {
    /// A DriverAssigned from the bus.
    pub async fn assign(
        &self,
        event: &DriverAssigned,
    ) -> Result<AllocationOutcome, AllocationError> {
        self.assign_through(event, Door::Bus).await
    }

    /// The same assignment asked for through the sessions API (see [`Door::Request`]).
    pub async fn assign_requested(
        &self,
        event: &DriverAssigned,
        terms: RequestTerms,
    ) -> Result<AllocationOutcome, AllocationError> {
        self.assign_through(event, Door::Request(terms)).await
    }

    async fn assign_through(
        &self,
        event: &DriverAssigned,
        door: Door,
    ) -> Result<AllocationOutcome, AllocationError> {
        if self.too_old(event) {
            return Ok(AllocationOutcome::IgnoredTooOld);
        }
        let customer = self.stored(&event.customer, &event.order_id, Side::Customer);
        let driver = self.stored(&event.driver, &event.order_id, Side::Driver);
        let mut known_candidates: Option<CandidatePool> = None;

        for attempt in 0..MAX_ATTEMPTS {
            let now = self.clock.now();
            let existing = self.store.load_session(&event.order_id).await?;
            if let Door::Request(RequestTerms {
                expected_version: Some(expected),
                ..
            }) = door
            {
                if existing.as_ref().map(|r| r.version) != Some(expected) {
                    return Ok(AllocationOutcome::VersionMoved);
                }
            }
            if let Some(record) = &existing {
                if let Some(done) = self.settled(record, event, &driver, now, door).await? {
                    return Ok(done);
                }
            }
            let current = existing.as_ref().and_then(|r| r.session.numbers.as_ref());
            // A new order takes the mode it asks for (or the deployment's); a session keeps its own.
            let asked = event.pair_mode.unwrap_or(self.pair_mode);
            let mode = current.map_or(asked, PairMode::of);
            if mode == PairMode::Single && customer.key == driver.key {
                return Err(AllocationError::OnePersonOnBothSides(
                    event.order_id.clone(),
                ));
            }
            // Loaded once per event: later attempts learn from rejections instead of re-reading.
            if known_candidates.is_none() {
                known_candidates = Some(self.candidates(event, &customer, &driver, now).await?);
            }
            let pool = known_candidates.as_mut().expect("loaded above");
            pool.know_current(self.store.as_ref(), current).await?;
            let chosen = pool
                .choose(
                    self.store.as_ref(),
                    current,
                    self.backups,
                    mode,
                    &mut rand::rngs::StdRng::from_entropy(),
                )
                .await?;
            let Some(numbers) = chosen else {
                if !self.store.region_exists(&event.region).await? {
                    return Err(AllocationError::UnknownRegion(event.region.clone()));
                }
                return Err(self.exhausted(event).await);
            };
            let candidates = &mut pool.candidates;
            let parties = (&customer, &driver);
            let live_until = self.live_until(door, existing.as_ref(), now);
            let mut after = self.assigned(
                event,
                parties,
                numbers,
                candidates,
                existing.as_ref(),
                live_until,
            );
            let before = existing.as_ref();
            let (store, cap) = (self.store.as_ref(), self.session_cap);
            let mut rng = rand::rngs::StdRng::from_entropy();
            if !seat(store, candidates, &mut after, before, cap, now, &mut rng).await? {
                continue; // a number was full: choose again without it
            }
            let mut write = transition(existing.as_ref(), after);
            // Numbers the session keeps (a driver change keeps the customer's) are checked like
            // new ones when the write lands: a number marked unhealthy since it was read is
            // moved off now, not kept until failover gets to it.
            write.newly_claimed = held_numbers(&write.record);
            match write_owned(self.store.as_ref(), &mut write, now).await {
                Ok(()) => {
                    let record = write.record;
                    info!(order_id = %record.session.order_id, region = %event.region, attempt,
                          moved = existing.is_some(), "numbers assigned");
                    metrics::numbers_assigned(&event.region);
                    return Ok(match existing {
                        Some(_) => AllocationOutcome::DriverChanged(record),
                        None => AllocationOutcome::Created(record),
                    });
                }
                Err(WriteError::Rejected(rejected)) => {
                    learn_from(candidates, rejected, attempt).await
                }
                Err(WriteError::Store(e)) => return Err(e.into()),
            }
        }
        Err(AllocationError::Contended(event.order_id.clone()))
    }

    /// An assignment older than a session's whole life: nothing it asks for could still be live.
    fn too_old(&self, event: &DriverAssigned) -> bool {
        let age = self.clock.now() - event.occurred_at();
        if age < self.session_max {
            return false;
        }
        warn!(order_id = %event.order_id, age_seconds = age.num_seconds(),
              "DriverAssigned older than a session's maximum life; ignored");
        metrics::event_ignored("DriverAssigned", "too_old");
        true
    }

    /// Until when the session written for `door` stays callable.
    fn live_until(
        &self,
        door: Door,
        existing: Option<&SessionRecord>,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        match door {
            Door::Bus => now + self.session_max,
            Door::Request(RequestTerms {
                lifetime: Some(lifetime),
                ..
            }) => now + lifetime.min(self.session_max),
            // A driver change through the API keeps the deadline the platform asked for.
            Door::Request(_) => existing.map_or(now + self.session_max, |r| r.session.live_until),
        }
    }

    /// The session `event` asks for, on the chosen `numbers`: callable until `live_until`, under
    /// the policy it was first written with.
    fn assigned(
        &self,
        event: &DriverAssigned,
        (customer, driver): (&StoredParticipant, &StoredParticipant),
        numbers: AssignedNumbers,
        candidates: &Candidates,
        existing: Option<&SessionRecord>,
        live_until: DateTime<Utc>,
    ) -> SessionRecord {
        SessionRecord {
            providers: candidates.providers_of(numbers.all()),
            session: Session {
                order_id: event.order_id.clone(),
                region: Some(event.region.clone()),
                state: SessionState::Active,
                customer_id: Some(customer.id.clone()),
                driver_id: Some(driver.id.clone()),
                numbers: Some(numbers),
                assignment: Some(event.stamp),
                live_until,
                released_at: None,
            },
            policy: existing.map_or(self.policy, |r| r.policy),
            customer: Some(customer.clone()),
            driver: Some(driver.clone()),
            version: 0,
            slots: Default::default(),
        }
    }

    /// Decides events that need no new claim: redelivery, a late assignment after release, a
    /// stale agent, an expired session.
    async fn settled(
        &self,
        record: &SessionRecord,
        event: &DriverAssigned,
        driver: &StoredParticipant,
        now: DateTime<Utc>,
        door: Door,
    ) -> Result<Option<AllocationOutcome>, AllocationError> {
        let session = &record.session;
        if session.state == SessionState::Released {
            info!(order_id = %session.order_id, "order already released; DriverAssigned ignored");
            return Ok(Some(AllocationOutcome::IgnoredReleased));
        }
        if session.status_at(now) == SessionStatus::Expired {
            warn!(order_id = %session.order_id, "session past its maximum lifetime; DriverAssigned ignored");
            return Ok(Some(AllocationOutcome::IgnoredExpired));
        }
        // The same person: the stored key may be under an older hash key still listed.
        let same_driver = record
            .driver
            .as_ref()
            .is_some_and(|d| d.id == driver.id && driver.every_key().any(|k| *k == d.key));
        let precedence = session
            .assignment
            .as_ref()
            .map(|in_force| event.stamp.compared_to(in_force));
        if let Door::Request(_) = door {
            if !same_driver {
                return Ok(None);
            }
            // A repeated request: the numbers it was answered with (already in the stream).
            return Ok(Some(AllocationOutcome::AlreadyAssigned(record.clone())));
        }
        if same_driver {
            // The agent in force assigned again, later (agent 1, agent 2, agent 1 again, arriving
            // out of order): the newer assignment is written like any other, or the one between
            // would still look newer than what is recorded and take the order.
            if precedence == Some(Precedence::Newer) {
                return Ok(None);
            }
            // A redelivery: already written, so already in the stream.
            return Ok(Some(AllocationOutcome::AlreadyAssigned(record.clone())));
        }
        let Some(precedence) = precedence else {
            return Ok(None);
        };
        match precedence {
            Precedence::Newer => Ok(None),
            Precedence::Older => {
                info!(order_id = %session.order_id, "DriverAssigned older than the assignment in force; ignored");
                Ok(Some(AllocationOutcome::IgnoredStale))
            }
            Precedence::Undecided => {
                warn!(order_id = %session.order_id,
                      "another agent's DriverAssigned cannot be ordered against the assignment in force (same time, no sequence or assigned_at to tell them apart); the one in force stays");
                metrics::event_ignored("DriverAssigned", "undecided_order");
                Ok(Some(AllocationOutcome::IgnoredUndecided))
            }
        }
    }

    async fn candidates(
        &self,
        event: &DriverAssigned,
        customer: &StoredParticipant,
        driver: &StoredParticipant,
        now: DateTime<Utc>,
    ) -> Result<CandidatePool, AllocationError> {
        let parties = [(Side::Customer, customer), (Side::Driver, driver)];
        Ok(CandidatePool::open(
            self.store.as_ref(),
            &event.region,
            &event.order_id,
            parties,
            now,
        )
        .await?)
    }

    async fn exhausted(&self, event: &DriverAssigned) -> AllocationError {
        warn!(order_id = %event.order_id, region = %event.region, policy = %self.policy,
              "pool exhausted");
        metrics::pool_exhausted(&event.region);
        let signal = PublishedEvent::PoolExhausted {
            region: event.region.clone(),
            order_id: event.order_id.clone(),
            policy: self.policy,
        };
        if let Err(e) = self.publisher.publish(&signal).await {
            // The allocation fails either way and will be retried; the refill schedule still runs.
            warn!(error = %e, "could not publish PoolExhausted");
        }
        AllocationError::PoolExhausted {
            region: event.region.clone(),
            order_id: event.order_id.clone(),
        }
    }

    fn stored(&self, participant: &Participant, order: &OrderId, side: Side) -> StoredParticipant {
        StoredParticipant {
            id: participant.id.clone(),
            key: self.vault.caller_key(&participant.phone),
            key_id: Some(self.vault.caller_keys().current_id().clone()),
            older_keys: self
                .vault
                .caller_keys()
                .older_caller_keys(&participant.phone),
            sealed: self.vault.seal(&participant.phone, Owner { order, side }),
        }
    }
}

/// Every number the session holds: what an allocation's write checks is still taking sessions.
fn held_numbers(record: &SessionRecord) -> Vec<VirtualNumber> {
    record
        .session
        .numbers
        .iter()
        .flat_map(|numbers| numbers.all())
        .cloned()
        .collect()
}
