//! Sessions: the masked numbers of one order, and how long they stay callable.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ordering::AssignmentStamp;
use super::{OrderId, ParticipantId, Region, VirtualNumber, E164};

/// The two parties of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Customer,
    Driver,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Customer => Side::Driver,
            Side::Driver => Side::Customer,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Customer => "customer",
            Side::Driver => "driver",
        }
    }

    /// The inverse of [`Side::as_str`].
    pub fn parse(raw: &str) -> Option<Side> {
        match raw {
            "customer" => Some(Side::Customer),
            "driver" => Some(Side::Driver),
            _ => None,
        }
    }

    /// The direction of a call placed by this side.
    pub fn calling_direction(self) -> &'static str {
        match self {
            Side::Customer => "customer_to_driver",
            Side::Driver => "driver_to_customer",
        }
    }
}

/// One party of an order with their real number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub id: ParticipantId,
    pub phone: E164,
}

/// What the order platform last told us about the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionState {
    Active,
    Released,
}

/// What a caller experiences right now: derived from the stored state and the clock, because
/// expiry is enforced when reading (TTL deletion is only housekeeping and can lag by days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    /// Assigned and not yet delivered or cancelled.
    Active,
    /// Delivered or cancelled, still callable within the grace window.
    Released,
    /// No longer callable.
    Expired,
}

/// The numbers each side dials to reach the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignedNumbers {
    /// What the customer dials to reach the agent (and the caller ID the customer sees).
    pub customer_dials: VirtualNumber,
    /// What the agent dials to reach the customer (and the caller ID the agent sees).
    pub driver_dials: VirtualNumber,
    /// With `BACKUP_NUMBERS=on`: a second way for the customer to reach the agent, on a different
    /// operator than `customer_dials`, so one operator's outage does not cut the order off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_backup: Option<VirtualNumber>,
    /// The agent's backup, on a different operator than `driver_dials`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver_backup: Option<VirtualNumber>,
}

impl AssignedNumbers {
    /// Primary numbers only.
    pub fn new(customer_dials: VirtualNumber, driver_dials: VirtualNumber) -> Self {
        AssignedNumbers {
            customer_dials,
            driver_dials,
            customer_backup: None,
            driver_backup: None,
        }
    }

    pub fn dialled_by(&self, side: Side) -> &VirtualNumber {
        match side {
            Side::Customer => &self.customer_dials,
            Side::Driver => &self.driver_dials,
        }
    }

    pub fn backup_of(&self, side: Side) -> Option<&VirtualNumber> {
        match side {
            Side::Customer => self.customer_backup.as_ref(),
            Side::Driver => self.driver_backup.as_ref(),
        }
    }

    /// Every VN the side dials: its primary, then its backup.
    pub fn all_of(&self, side: Side) -> impl Iterator<Item = &VirtualNumber> {
        std::iter::once(self.dialled_by(side)).chain(self.backup_of(side))
    }

    /// Every VN of the session, each once (in single-number mode both sides dial the same ones).
    pub fn all(&self) -> impl Iterator<Item = &VirtualNumber> {
        let customers = || self.all_of(Side::Customer);
        customers().chain(
            self.all_of(Side::Driver)
                .filter(move |vn| !customers().any(|c| c == *vn)),
        )
    }

    pub fn uses(&self, vn: &VirtualNumber) -> bool {
        self.all().any(|v| v == vn)
    }
}

/// An order's session as the rest of the system sees it: ids and virtual numbers, never a real number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub order_id: OrderId,
    pub region: Option<Region>,
    pub state: SessionState,
    pub customer_id: Option<ParticipantId>,
    pub driver_id: Option<ParticipantId>,
    /// `None` for a tombstone: a release that arrived before any assignment.
    pub numbers: Option<AssignedNumbers>,
    /// Where the assignment in force stands in the order's history (from its DriverAssigned).
    pub assignment: Option<AssignmentStamp>,
    /// The bindings are callable until this instant.
    pub live_until: DateTime<Utc>,
    pub released_at: Option<DateTime<Utc>>,
}

impl Session {
    pub fn status_at(&self, now: DateTime<Utc>) -> SessionStatus {
        if self.numbers.is_none() || now >= self.live_until {
            return SessionStatus::Expired;
        }
        match self.state {
            SessionState::Active => SessionStatus::Active,
            SessionState::Released => SessionStatus::Released,
        }
    }

    pub fn is_tombstone(&self) -> bool {
        self.numbers.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn vn(n: &str) -> VirtualNumber {
        VirtualNumber::parse(n, None).unwrap()
    }

    fn session(state: SessionState, live_until: DateTime<Utc>) -> Session {
        Session {
            order_id: OrderId::parse("ORD-1").unwrap(),
            region: Some(Region::parse("blr").unwrap()),
            state,
            customer_id: Some(ParticipantId::parse("C-1").unwrap()),
            driver_id: Some(ParticipantId::parse("D-7").unwrap()),
            numbers: Some(AssignedNumbers::new(
                vn("+918041000001"),
                vn("+918041000002"),
            )),
            assignment: None,
            live_until,
            released_at: None,
        }
    }

    #[test]
    fn status_follows_state_until_the_deadline() {
        let now = Utc::now();
        let later = now + Duration::seconds(60);
        assert_eq!(
            session(SessionState::Active, later).status_at(now),
            SessionStatus::Active
        );
        assert_eq!(
            session(SessionState::Released, later).status_at(now),
            SessionStatus::Released
        );
        assert_eq!(
            session(SessionState::Released, later).status_at(later),
            SessionStatus::Expired
        );
    }

    #[test]
    fn a_tombstone_is_never_callable() {
        let mut s = session(SessionState::Released, Utc::now() + Duration::days(1));
        s.numbers = None;
        assert!(s.is_tombstone());
        assert_eq!(s.status_at(Utc::now()), SessionStatus::Expired);
    }

    #[test]
    fn sides_know_each_other() {
        assert_eq!(Side::Customer.other(), Side::Driver);
        assert_eq!(Side::Driver.other().as_str(), "customer");
    }
}
