//! Where a call goes: the provider-neutral core of call resolution. One strongly consistent read
//! of the (dialled VN, caller) binding decides everything; the callee's number is decrypted here
//! and nowhere else.

use crate::domain::{OrderId, VirtualNumber, E164};
use crate::ports::{SharedClock, SharedStore, StoreError};
use crate::privacy::{NumberVault, PrivacyError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Ring `callee`, presenting `caller_id` (the VN the callee dials to call back).
    Connect {
        order_id: OrderId,
        callee: E164,
        caller_id: VirtualNumber,
    },
    /// The caller is not a party of a live session on this VN: they learn nothing.
    OutOfSession,
}

#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Privacy(#[from] PrivacyError),
}

pub struct CallRouter {
    pub store: SharedStore,
    pub clock: SharedClock,
    pub vault: NumberVault,
}

impl CallRouter {
    pub async fn route(&self, dialled: &VirtualNumber, caller: &E164) -> Result<Route, RouteError> {
        let key = self.vault.caller_key(caller);
        let Some(binding) = self.store.binding(dialled, &key).await? else {
            return Ok(Route::OutOfSession);
        };
        // Expiry is judged here, not by TTL, which may leave an expired item for days.
        if binding.live_until <= self.clock.now() {
            return Ok(Route::OutOfSession);
        }
        Ok(Route::Connect {
            order_id: binding.order_id,
            callee: self.vault.open(&binding.callee)?,
            caller_id: binding.caller_id,
        })
    }
}
