//! Applies a session write, leaving alone what is no longer the order's to remove.
//!
//! A binding (or exclusive lock) of an order can be claimed by another order once its deadline
//! passes. A write planned from before that moment still lists it for removal, and the removal's
//! ownership guard refuses it; re-planning would list it again, forever. The order has nothing
//! left there to remove, so the write goes ahead without that removal.

use chrono::{DateTime, Utc};
use tracing::warn;

use crate::ports::{SessionStore, SessionWrite, WriteError, WriteRejected};

pub async fn write_owned(
    store: &dyn SessionStore,
    write: &mut SessionWrite,
    now: DateTime<Utc>,
) -> Result<(), WriteError> {
    // Each refusal drops one removal, so this ends after at most that many tries.
    loop {
        match store.write_session(write, now).await {
            Err(WriteError::Rejected(WriteRejected::BindingNotOurs(key))) => {
                warn!(order_id = %write.record.session.order_id, vn = %key.vn,
                      "a binding this order was removing belongs to another order now; left alone");
                write.delete_bindings.retain(|k| k != &key);
            }
            Err(WriteError::Rejected(WriteRejected::LockNotOurs(vn))) => {
                warn!(order_id = %write.record.session.order_id, %vn,
                      "a lock this order was removing belongs to another order now; left alone");
                write.delete_locks.retain(|v| v != &vn);
            }
            Err(WriteError::Rejected(WriteRejected::SlotNotOurs(slot))) => {
                warn!(order_id = %write.record.session.order_id, vn = %slot.vn,
                      "a slot this order was removing belongs to another order now; left alone");
                write.delete_slots.retain(|s| s != &slot);
            }
            other => return other,
        }
    }
}
