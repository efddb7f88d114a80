//! Click-to-call: when dialling the VN keeps failing (or always, if so configured), the app asks
//! Maskline to have the provider ring the requesting party first and bridge them to the other,
//! each leg showing one of the order's healthy VNs — the same numbers the apps already show.

use std::collections::HashMap;
use std::sync::Arc;

use tracing::{info, warn};

use crate::config::ClickToCallMode;
use crate::domain::pool::{Health, PoolNumber};
use crate::domain::session::{AssignedNumbers, SessionStatus};
use crate::domain::{OrderId, Provider, Side, VirtualNumber};
use crate::ports::{
    BridgeCall, CallDialer, CallRecord, DialError, SharedCallLog, SharedClock, SharedPoolStore,
    SharedStore, StoreError,
};
use crate::privacy::{Owner, SealKeys};

#[derive(Debug, thiserror::Error)]
pub enum ClickToCallError {
    #[error("unknown order")]
    UnknownOrder,
    #[error("the order's numbers are no longer callable")]
    NotCallable,
    #[error("click-to-call is turned off")]
    Off,
    #[error(
        "click-to-call opens after {needed} failed calls in a row from this side; so far {so_far}"
    )]
    NotYet { needed: u32, so_far: u32 },
    #[error("none of the order's numbers for this side is healthy")]
    NoHealthyNumber,
    #[error("provider {0} offers no click-to-call here")]
    NoDialer(Provider),
    #[error(transparent)]
    Dial(#[from] DialError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A bridge call the provider accepted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClickToCallPlaced {
    pub order_id: OrderId,
    pub provider: Provider,
    pub call_id: String,
    /// What the requesting party's phone shows when it rings.
    pub caller_sees: VirtualNumber,
    /// What the other party's phone shows.
    pub callee_sees: VirtualNumber,
}

pub struct ClickToCall {
    pub store: SharedStore,
    pub calls: SharedCallLog,
    pub pool: SharedPoolStore,
    /// Outbound-call APIs by the pool's `provider` value.
    pub dialers: HashMap<Provider, Arc<dyn CallDialer>>,
    pub clock: SharedClock,
    /// Opens the two parties' numbers to dial them. Only the encryption key: the session names
    /// both parties, so click-to-call never finds anyone by number and holds no hash key.
    pub seal_keys: SealKeys,
    pub mode: ClickToCallMode,
    pub max_call_seconds: u32,
}

impl ClickToCall {
    pub async fn request(
        &self,
        order_id: &OrderId,
        from: Side,
    ) -> Result<ClickToCallPlaced, ClickToCallError> {
        self.request_served_at(order_id, from, None).await
    }

    /// [`ClickToCall::request`] for a request that reached Maskline at `served_base`: the
    /// provider reports the call there when the deployment names no public base.
    pub async fn request_served_at(
        &self,
        order_id: &OrderId,
        from: Side,
        served_base: Option<String>,
    ) -> Result<ClickToCallPlaced, ClickToCallError> {
        let record = self
            .store
            .load_session(order_id)
            .await?
            .ok_or(ClickToCallError::UnknownOrder)?;
        let session = &record.session;
        let (Some(numbers), Some(customer), Some(driver)) =
            (&session.numbers, &record.customer, &record.driver)
        else {
            return Err(ClickToCallError::NotCallable);
        };
        if session.status_at(self.clock.now()) == SessionStatus::Expired {
            return Err(ClickToCallError::NotCallable);
        }
        self.check_enabled(order_id, from).await?;

        // The requester sees the number they would dial to reach the other party, and the other
        // party sees the number they would dial back: the apps' contacts stay right.
        let number = self.healthy_number_of(numbers, from).await?;
        let caller_sees = number.vn.clone();
        let callee_sees = self.healthy_number_of(numbers, from.other()).await?.vn;
        let dialer = self
            .dialers
            .get(&number.provider)
            .ok_or_else(|| ClickToCallError::NoDialer(number.provider.clone()))?;
        let (first, second) = match from {
            Side::Customer => (customer, driver),
            Side::Driver => (driver, customer),
        };
        let open = |sealed, side| {
            self.seal_keys
                .open(
                    sealed,
                    Owner {
                        order: order_id,
                        side,
                    },
                )
                .map_err(|e| StoreError::Corrupt(format!("a stored number cannot be opened: {e}")))
        };
        let placed = dialer
            .bridge(&BridgeCall {
                order_id: order_id.clone(),
                first: open(&first.sealed, from)?,
                first_sees: caller_sees.clone(),
                second: open(&second.sealed, from.other())?,
                second_sees: callee_sees.clone(),
                max_call_seconds: self.max_call_seconds,
                served_base,
            })
            .await?;
        info!(%order_id, side = from.as_str(), provider = %number.provider, call_id = %placed.call_id,
              "click-to-call placed");
        Ok(ClickToCallPlaced {
            order_id: order_id.clone(),
            provider: number.provider,
            call_id: placed.call_id,
            caller_sees,
            callee_sees,
        })
    }

    async fn check_enabled(&self, order_id: &OrderId, from: Side) -> Result<(), ClickToCallError> {
        let needed = match self.mode {
            ClickToCallMode::Off => return Err(ClickToCallError::Off),
            ClickToCallMode::Always => return Ok(()),
            ClickToCallMode::AfterFailures(needed) => needed,
        };
        let log = self.calls.call_log(order_id).await?;
        let so_far = consecutive_failures(&log, from);
        if so_far < needed {
            return Err(ClickToCallError::NotYet { needed, so_far });
        }
        Ok(())
    }

    /// The side's primary VN when healthy, else its backup when that is (with its pool entry,
    /// which also names the provider that can place the call).
    async fn healthy_number_of(
        &self,
        numbers: &AssignedNumbers,
        side: Side,
    ) -> Result<PoolNumber, ClickToCallError> {
        for vn in numbers.all_of(side) {
            match self.pool.pool_number(vn).await? {
                Some(n) if n.health == Health::Healthy => return Ok(n),
                _ => warn!(%vn, "skipping an unhealthy number for click-to-call"),
            }
        }
        Err(ClickToCallError::NoHealthyNumber)
    }
}

/// How many of the side's latest calls on the order, in a row, ended without the parties
/// talking. Each call counts once, by its final status.
pub fn consecutive_failures(log: &[CallRecord], side: Side) -> u32 {
    let mut finals: Vec<&CallRecord> = log
        .iter()
        .filter(|c| c.caller_side == side && c.status.is_final())
        .collect();
    finals.sort_by_key(|c| c.reported_at);
    finals
        .iter()
        .rev()
        .take_while(|c| c.status.is_failure())
        .count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{CallStatus, ProviderKind};
    use chrono::{Duration, Utc};

    fn call(side: Side, status: CallStatus, minutes_ago: i64) -> CallRecord {
        CallRecord {
            order_id: OrderId::parse("ORD-1").unwrap(),
            provider: ProviderKind::Twilio,
            call_id: format!("CA{minutes_ago}"),
            status,
            caller_side: side,
            dialled: VirtualNumber::parse("+918041000001", None).unwrap(),
            duration_seconds: None,
            reported_at: Utc::now() - Duration::minutes(minutes_ago),
            retried_on_backup: false,
        }
    }

    #[test]
    fn counts_the_sides_latest_run_of_failures() {
        let log = vec![
            call(Side::Driver, CallStatus::Failed, 1),
            call(Side::Driver, CallStatus::Ringing, 2),
            call(Side::Customer, CallStatus::Completed, 3),
            call(Side::Driver, CallStatus::NoAnswer, 4),
            call(Side::Driver, CallStatus::Completed, 10),
            call(Side::Driver, CallStatus::Busy, 20),
        ];
        assert_eq!(consecutive_failures(&log, Side::Driver), 2);
        assert_eq!(consecutive_failures(&log, Side::Customer), 0);
        assert_eq!(consecutive_failures(&[], Side::Driver), 0);
    }
}
