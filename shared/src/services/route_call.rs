//! Where a call goes: the provider-neutral core of call resolution. One strongly consistent read
//! of the (dialled VN, caller) binding decides everything; the callee's number is decrypted here
//! and nowhere else.

use tracing::warn;

use super::caller_binding::{find_binding, live_at};
use crate::domain::pool::STATIC_PROVIDER;
use crate::domain::{OrderId, Provider, VirtualNumber, E164};
use crate::ports::{SharedClock, SharedStore, StoreError, StoredBinding};
use crate::privacy::{NumberVault, Owner, PrivacyError};
use crate::providers::ProviderKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Ring `callee`, presenting `caller_id` (the VN the callee dials to call back).
    Connect {
        order_id: OrderId,
        callee: E164,
        caller_id: VirtualNumber,
        /// Who is calling: the binding's caller side.
        caller_side: crate::domain::Side,
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
    /// Where `caller` dialling `dialled` through `webhook`'s answer URL goes.
    pub async fn route(
        &self,
        webhook: ProviderKind,
        dialled: &VirtualNumber,
        caller: &E164,
    ) -> Result<Route, RouteError> {
        // Only a binding live now counts (see `live_at`).
        let Some(binding) = find_binding(
            self.store.as_ref(),
            self.vault.caller_keys(),
            dialled,
            caller,
            live_at(self.clock.now()),
        )
        .await?
        else {
            return Ok(Route::OutOfSession);
        };
        if !served_by(&binding, webhook) {
            // A request to one provider's URL naming another provider's number is forged (or
            // misrouted): the provider would never send it. It learns nothing.
            warn!(%webhook, %dialled, "dialled number belongs to another provider; out of session");
            return Ok(Route::OutOfSession);
        }
        let callee = self.vault.open(
            &binding.callee,
            Owner {
                order: &binding.order_id,
                side: binding.caller_side.other(),
            },
        )?;
        Ok(Route::Connect {
            order_id: binding.order_id,
            callee,
            caller_id: binding.caller_id,
            caller_side: binding.caller_side,
        })
    }
}

/// Whether a binding may be resolved through `webhook`'s URL: a VN rented from one of the webhook
/// providers only through that provider's; a `static` VN (numbers routed by hand) through any;
/// one under any other label through none. A binding written before providers were recorded
/// carries no label and keeps resolving as it did.
pub fn served_by(binding: &StoredBinding, webhook: ProviderKind) -> bool {
    binding
        .provider
        .as_ref()
        .is_none_or(|owner| may_serve(owner, webhook))
}

/// Whether `webhook`'s requests may speak for a number rented from `owner`: a number of one of
/// the webhook providers only through that provider's own, a `static` one through any. An
/// unknown label (`twilio-us`, a typo) opens nothing: it fails closed, and the import refuses it.
pub fn may_serve(owner: &Provider, webhook: ProviderKind) -> bool {
    if owner.as_str() == STATIC_PROVIDER {
        return true;
    }
    owner
        .as_str()
        .parse::<ProviderKind>()
        .is_ok_and(|owner| owner == webhook)
}
