//! The sessions API (`/v1/sessions`): the order platform starts, reads, changes and ends an
//! order's masking over HTTP instead of through the bus. There is no second allocation path: a
//! request is the same use case an event is ([`Allocator`], [`Releaser`], [`OrderNumbers`]),
//! entered through [`Door::Request`](super::allocate::Door), so what is written and published
//! cannot tell which door an order came through.

use chrono::{DateTime, Utc};
use tracing::error;

use super::allocate::RequestTerms;
use super::extend::{ExtendError, ExtendOutcome, Extender};
use super::{AllocationError, AllocationOutcome, Allocator, OrderNumbers, OrderNumbersView};
use super::{ReleaseError, ReleaseOutcome, Releaser};
use crate::domain::events::{DriverAssigned, OrderEnded, OrderOutcome};
use crate::domain::ordering::AssignmentStamp;
use crate::domain::session_requests::{ChangeSession, OpenSession, RequestRules};
use crate::domain::{OrderId, Participant, Region, Side};
use crate::ports::{SessionRecord, StoreError};
use crate::privacy::Owner;

/// How long a caller refused for an exhausted pool waits before asking again: refill takes the
/// `PoolExhausted` this publishes within its queue's one-minute batching window.
pub const POOL_EXHAUSTED_RETRY_AFTER_SECONDS: u32 = 60;

pub struct Sessions {
    pub allocator: Allocator,
    pub releaser: Releaser,
    pub numbers: OrderNumbers,
    pub extender: Extender,
    /// How request bodies are read (national format, the longest `expires_in`).
    pub rules: RequestRules,
}

/// A session as a request leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// Whether the request wrote a new session (`201`) rather than found or changed one.
    pub created: bool,
    pub view: OrderNumbersView,
}

/// A session ended by `DELETE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub view: OrderNumbersView,
    /// The numbers keep connecting the parties until then (the grace window).
    pub callable_until: DateTime<Utc>,
}

/// Why a request was not carried out. Nothing was written for any of them.
#[derive(Debug, thiserror::Error)]
pub enum SessionsError {
    #[error("unknown order")]
    NotFound,
    #[error("the session is over (released or expired)")]
    Over,
    #[error("the session changed since the version given in If-Match")]
    VersionMoved,
    #[error("unknown region")]
    UnknownRegion,
    #[error("one phone number on both sides of an order in single-number mode")]
    OnePersonOnBothSides,
    #[error("no virtual number is free in the region; refill has been asked for more")]
    PoolExhausted,
    #[error("too many concurrent changes of this order; try again")]
    Contended,
    #[error("temporarily unavailable")]
    Unavailable,
}

impl Sessions {
    /// `POST /v1/sessions`.
    pub async fn open(&self, request: &OpenSession) -> Result<Answered, SessionsError> {
        let mut assignment = self.assignment(
            &request.order_id,
            &request.region,
            request.customer.clone(),
            request.driver.clone(),
        );
        assignment.pair_mode = request.pair_mode;
        let terms = RequestTerms {
            lifetime: request.expires_in,
            expected_version: None,
        };
        self.assign(&assignment, terms).await
    }

    /// `GET /v1/sessions/{order_id}`.
    pub async fn view(&self, order_id: &OrderId) -> Result<OrderNumbersView, SessionsError> {
        match self.numbers.view(order_id).await {
            Ok(Some(view)) => Ok(view),
            Ok(None) => Err(SessionsError::NotFound),
            Err(e) => Err(unavailable(order_id, e)),
        }
    }

    /// `PATCH /v1/sessions/{order_id}`: a new agent (the customer keeps their number where it
    /// can), a later deadline, or both; only from `expected_version` when given (`If-Match`).
    pub async fn change(
        &self,
        order_id: &OrderId,
        change: &ChangeSession,
        expected_version: Option<u64>,
    ) -> Result<Answered, SessionsError> {
        let Some(driver) = &change.driver else {
            let lifetime = change.expires_in.expect("a change asks for something");
            return self.extend(order_id, lifetime, expected_version).await;
        };
        // `If-Match` is judged by the allocator, on the record its conditional write starts from.
        let record = self.load(order_id).await?;
        let (Some(region), Some(customer)) = (&record.session.region, &record.customer) else {
            // Ended before it was ever assigned.
            return Err(SessionsError::Over);
        };
        // The customer stays: their number is read back from its sealed copy, as a call would.
        let owner = Owner {
            order: order_id,
            side: Side::Customer,
        };
        let phone = self
            .allocator
            .vault
            .open(&customer.sealed, owner)
            .map_err(|e| {
                error!(%order_id, error = %e, "the customer's stored number cannot be opened");
                SessionsError::Unavailable
            })?;
        let customer = Participant {
            id: customer.id.clone(),
            phone,
        };
        let assignment = self.assignment(order_id, region, customer, driver.clone());
        let terms = RequestTerms {
            lifetime: change.expires_in,
            expected_version,
        };
        self.assign(&assignment, terms).await
    }

    /// `DELETE /v1/sessions/{order_id}`: the order is over; the numbers stay callable for the
    /// grace window. Repeating it changes nothing.
    pub async fn close(&self, order_id: &OrderId) -> Result<Closed, SessionsError> {
        // An unknown order is refused, not tombstoned: a typo in an id must not write anything.
        self.load(order_id).await?;
        let ended = OrderEnded {
            order_id: order_id.clone(),
            outcome: OrderOutcome::Closed,
            occurred_at: self.now(),
        };
        let record = match self.releaser.end(&ended).await {
            Ok(
                ReleaseOutcome::Released(record)
                | ReleaseOutcome::AlreadyReleased(record)
                | ReleaseOutcome::Tombstoned(record),
            ) => record,
            Ok(ReleaseOutcome::IgnoredTooOld) => unreachable!("a request is never too old"),
            Err(ReleaseError::Contended(_)) => return Err(SessionsError::Contended),
            Err(e) => {
                error!(%order_id, error = %e, "release failed");
                return Err(SessionsError::Unavailable);
            }
        };
        Ok(Closed {
            view: OrderNumbersView::of(&record, self.now()),
            callable_until: record.session.live_until,
        })
    }

    /// An assignment as of now: a request is the newest word on its order (see `Door::Request`).
    fn assignment(
        &self,
        order_id: &OrderId,
        region: &Region,
        customer: Participant,
        driver: Participant,
    ) -> DriverAssigned {
        let now = self.now();
        DriverAssigned {
            order_id: order_id.clone(),
            region: region.clone(),
            customer,
            driver,
            stamp: AssignmentStamp {
                sequence: None,
                assigned_at: Some(now),
                event_time: now,
            },
            pair_mode: None,
        }
    }

    async fn assign(
        &self,
        assignment: &DriverAssigned,
        terms: RequestTerms,
    ) -> Result<Answered, SessionsError> {
        let order_id = &assignment.order_id;
        let answered = |created, record: SessionRecord| Answered {
            created,
            view: OrderNumbersView::of(&record, self.now()),
        };
        match self.allocator.assign_requested(assignment, terms).await {
            Ok(AllocationOutcome::Created(record)) => Ok(answered(true, record)),
            Ok(
                AllocationOutcome::AlreadyAssigned(record)
                | AllocationOutcome::DriverChanged(record),
            ) => Ok(answered(false, record)),
            Ok(AllocationOutcome::VersionMoved) => Err(SessionsError::VersionMoved),
            Ok(AllocationOutcome::IgnoredReleased | AllocationOutcome::IgnoredExpired) => {
                Err(SessionsError::Over)
            }
            Ok(
                other @ (AllocationOutcome::IgnoredStale
                | AllocationOutcome::IgnoredUndecided
                | AllocationOutcome::IgnoredTooOld),
            ) => {
                // A request is never ordered against others, nor old: reaching here is a bug.
                error!(%order_id, outcome = ?other, "a sessions request was weighed like an event");
                Err(SessionsError::Unavailable)
            }
            Err(AllocationError::UnknownRegion(_)) => Err(SessionsError::UnknownRegion),
            Err(AllocationError::OnePersonOnBothSides(_)) => {
                Err(SessionsError::OnePersonOnBothSides)
            }
            Err(AllocationError::PoolExhausted { .. }) => Err(SessionsError::PoolExhausted),
            Err(AllocationError::Contended(_)) => Err(SessionsError::Contended),
            Err(e) => {
                error!(%order_id, error = %e, "allocation failed");
                Err(SessionsError::Unavailable)
            }
        }
    }

    async fn extend(
        &self,
        order_id: &OrderId,
        lifetime: chrono::Duration,
        expected_version: Option<u64>,
    ) -> Result<Answered, SessionsError> {
        let record = match self
            .extender
            .extend(order_id, lifetime, expected_version)
            .await
        {
            Ok(ExtendOutcome::Extended(record) | ExtendOutcome::Unchanged(record)) => record,
            Ok(ExtendOutcome::NotFound) => return Err(SessionsError::NotFound),
            Ok(ExtendOutcome::Over) => return Err(SessionsError::Over),
            Ok(ExtendOutcome::VersionMoved) => return Err(SessionsError::VersionMoved),
            Err(ExtendError::Contended(_)) => return Err(SessionsError::Contended),
            Err(e) => {
                error!(%order_id, error = %e, "extension failed");
                return Err(SessionsError::Unavailable);
            }
        };
        Ok(Answered {
            created: false,
            view: OrderNumbersView::of(&record, self.now()),
        })
    }

    async fn load(&self, order_id: &OrderId) -> Result<SessionRecord, SessionsError> {
        match self.numbers.store.load_session(order_id).await {
            Ok(Some(record)) => Ok(record),
            Ok(None) => Err(SessionsError::NotFound),
            Err(e) => Err(unavailable(order_id, e)),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.numbers.clock.now()
    }
}

fn unavailable(order_id: &OrderId, e: StoreError) -> SessionsError {
    error!(%order_id, error = %e, "session lookup failed");
    SessionsError::Unavailable
}
