//! What an app shows: the numbers of an order, by order id. Virtual numbers only.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::events::rfc3339;
use crate::domain::session::SessionStatus;
use crate::domain::{OrderId, VirtualNumber};
use crate::ports::{SessionRecord, SharedClock, SharedStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderNumbersView {
    pub order_id: OrderId,
    pub state: SessionStatus,
    pub customer_dials: Option<VirtualNumber>,
    pub driver_dials: Option<VirtualNumber>,
    /// Present only for sessions with backups (`BACKUP_NUMBERS=on`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_backup: Option<VirtualNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver_backup: Option<VirtualNumber>,
    pub expires_at: Option<String>,
    /// The session's version, as carried by the `MaskedNumbers*` events: an app holding an event
    /// or a view with a higher version keeps that one.
    pub version: u64,
}

pub struct OrderNumbers {
    pub store: SharedStore,
    pub clock: SharedClock,
}

impl OrderNumbers {
    /// `None` when the order is unknown.
    pub async fn view(&self, order_id: &OrderId) -> Result<Option<OrderNumbersView>, StoreError> {
        let record = self.store.load_session(order_id).await?;
        Ok(record.map(|record| OrderNumbersView::of(&record, self.clock.now())))
    }
}

impl OrderNumbersView {
    /// What an app is shown of `record` at `now`: what a use case that just wrote a session
    /// answers with, without reading it back.
    pub fn of(record: &SessionRecord, now: DateTime<Utc>) -> OrderNumbersView {
        let session = &record.session;
        let state = if session.is_tombstone() {
            // Released before it was ever assigned: say what happened rather than "expired".
            SessionStatus::Released
        } else {
            session.status_at(now)
        };
        let numbers = session.numbers.as_ref();
        OrderNumbersView {
            order_id: session.order_id.clone(),
            state,
            customer_dials: numbers.map(|n| n.customer_dials.clone()),
            driver_dials: numbers.map(|n| n.driver_dials.clone()),
            customer_backup: numbers.and_then(|n| n.customer_backup.clone()),
            driver_backup: numbers.and_then(|n| n.driver_backup.clone()),
            expires_at: numbers.map(|_| rfc3339(session.live_until)),
            version: record.version,
        }
    }
}
