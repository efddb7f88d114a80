//! `PATCH /v1/sessions/{order_id}` with `expires_in`: a live session stays callable for longer.
//! The bindings carry the session's deadline, so they are written again with it, in the same
//! conditional transaction as the session, like every other change of a session. The new
//! deadline reaches the apps as `MaskedNumbersAssigned`, from the table's stream
//! (`services::announce`).

use chrono::Duration;
use tracing::info;

use super::owned_write::write_owned;
use super::retry::{jittered_pause, MAX_ATTEMPTS};
use super::session_plan::transition;
use crate::domain::session::SessionStatus;
use crate::domain::OrderId;
use crate::ports::{
    SessionRecord, SharedClock, SharedStore, StoreError, WriteError, WriteRejected,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtendOutcome {
    /// The deadline moved; the stream tells the apps (`MaskedNumbersAssigned`, the new version).
    Extended(SessionRecord),
    /// The session already lives at least that long: nothing was written.
    Unchanged(SessionRecord),
    NotFound,
    /// Released, expired, or ended before it was assigned: it is not extended.
    Over,
    /// The session is no longer at the version the request expected (`If-Match`).
    VersionMoved,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtendError {
    #[error("gave up extending order {0} after {MAX_ATTEMPTS} contended attempts")]
    Contended(OrderId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Extender {
    pub store: SharedStore,
    pub clock: SharedClock,
    /// `SESSION_MAX_SECONDS`: no extension asks for more than this from now.
    pub session_max: Duration,
}

impl Extender {
    /// Keeps `order_id`'s session callable until `lifetime` from now, if it is live and (with
    /// `expected_version`) still at that version.
    pub async fn extend(
        &self,
        order_id: &OrderId,
        lifetime: Duration,
        expected_version: Option<u64>,
    ) -> Result<ExtendOutcome, ExtendError> {
        for attempt in 0..MAX_ATTEMPTS {
            let now = self.clock.now();
            let Some(before) = self.store.load_session(order_id).await? else {
                return Ok(ExtendOutcome::NotFound);
            };
            if expected_version.is_some_and(|v| v != before.version) {
                return Ok(ExtendOutcome::VersionMoved);
            }
            if before.session.status_at(now) != SessionStatus::Active {
                return Ok(ExtendOutcome::Over);
            }
            let live_until = now + lifetime.min(self.session_max);
            if live_until <= before.session.live_until {
                return Ok(ExtendOutcome::Unchanged(before));
            }
            let mut after = before.clone();
            after.session.live_until = live_until;
            let mut write = transition(Some(&before), after);
            match write_owned(self.store.as_ref(), &mut write, now).await {
                Ok(()) => {
                    info!(%order_id, attempt, "session extended");
                    return Ok(ExtendOutcome::Extended(write.record));
                }
                Err(WriteError::Rejected(WriteRejected::Contention)) => {
                    jittered_pause(attempt).await
                }
                // The session changed under us: read it again (and judge `If-Match` again).
                Err(WriteError::Rejected(_)) => {}
                Err(WriteError::Store(e)) => return Err(e.into()),
            }
        }
        Err(ExtendError::Contended(order_id.clone()))
    }
}
