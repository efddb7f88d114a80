//! OrderDelivered / OrderCancelled: end the session, keep it callable for the grace window.
//! `MaskedNumbersReleased` leaves from the table's stream once the write commits
//! (`services::announce`), never from here.

use chrono::{DateTime, Duration, Utc};
use tracing::{info, warn};

use super::owned_write::write_owned;
use super::retry::{jittered_pause, MAX_ATTEMPTS};
use super::session_plan::transition;
use crate::domain::events::OrderEnded;
use crate::domain::session::SessionStatus;
use crate::domain::{OrderId, Session, SessionState};
use crate::metrics;
use crate::ports::{
    SessionRecord, SharedClock, SharedStore, StoreError, WriteError, WriteRejected,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseOutcome {
    /// The session ended; its bindings stay callable until the session's `live_until`.
    Released(SessionRecord),
    /// Already released earlier: nothing changed (the release was announced when written).
    AlreadyReleased(SessionRecord),
    /// No assignment yet: a tombstone now stops any late DriverAssigned.
    Tombstoned(SessionRecord),
    /// The event is older than a session's maximum life (a DLQ redrive days later): whatever
    /// session it ended is long over, and a tombstone written now would outlive nothing useful.
    IgnoredTooOld,
}

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("gave up releasing order {0} after {MAX_ATTEMPTS} contended attempts")]
    Contended(OrderId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Releaser {
    pub store: SharedStore,
    pub clock: SharedClock,
    pub grace: Duration,
    pub session_max: Duration,
}

impl Releaser {
    pub async fn end(&self, event: &OrderEnded) -> Result<ReleaseOutcome, ReleaseError> {
        let age = self.clock.now() - event.occurred_at;
        if age >= self.session_max {
            warn!(order_id = %event.order_id, age_seconds = age.num_seconds(),
                  "order end older than a session's maximum life; ignored");
            metrics::event_ignored("OrderEnded", "too_old");
            return Ok(ReleaseOutcome::IgnoredTooOld);
        }
        for attempt in 0..MAX_ATTEMPTS {
            let now = self.clock.now();
            let before = self.store.load_session(&event.order_id).await?;
            let outcome_if_written: fn(SessionRecord) -> ReleaseOutcome = match &before {
                Some(record) if record.session.state == SessionState::Released => {
                    return Ok(ReleaseOutcome::AlreadyReleased(record.clone()));
                }
                Some(_) => ReleaseOutcome::Released,
                None => ReleaseOutcome::Tombstoned,
            };
            let after = match &before {
                Some(record) => self.released(record, now),
                None => tombstone(event, now),
            };
            let mut write = transition(before.as_ref(), after);
            if before
                .as_ref()
                .is_some_and(|r| r.session.status_at(now) == SessionStatus::Expired)
            {
                // Past its lifetime the bindings may already belong to other orders: only the
                // session item changes.
                write.put_bindings.clear();
                write.put_locks.clear();
            }
            match write_owned(self.store.as_ref(), &mut write, now).await {
                Ok(()) => {
                    info!(order_id = %write.record.session.order_id, outcome = ?event.outcome,
                          attempt, "order released");
                    return Ok(outcome_if_written(write.record));
                }
                Err(WriteError::Rejected(WriteRejected::Contention)) => {
                    jittered_pause(attempt).await
                }
                // The session changed under us (an assignment landed first): read it again.
                Err(WriteError::Rejected(_)) => {}
                Err(WriteError::Store(e)) => return Err(e.into()),
            }
        }
        Err(ReleaseError::Contended(event.order_id.clone()))
    }

    fn released(&self, record: &SessionRecord, now: DateTime<Utc>) -> SessionRecord {
        let mut after = record.clone();
        after.session.state = SessionState::Released;
        after.session.released_at = Some(now);
        // The grace window never extends a session beyond its original lifetime.
        after.session.live_until = record.session.live_until.min(now + self.grace);
        after
    }
}

fn tombstone(event: &OrderEnded, now: DateTime<Utc>) -> SessionRecord {
    SessionRecord {
        session: Session {
            order_id: event.order_id.clone(),
            region: None,
            state: SessionState::Released,
            customer_id: None,
            driver_id: None,
            numbers: None,
            assignment: None,
            live_until: now,
            released_at: Some(now),
        },
        policy: Default::default(),
        customer: None,
        driver: None,
        version: 0,
        providers: Default::default(),
        slots: Default::default(),
    }
}
