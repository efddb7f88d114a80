//! The number pool as a lifecycle: which numbers may take new sessions, and how many a region and
//! operator should hold.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Operator, Provider, Region, VirtualNumber};

/// The provider label of numbers an operator bought elsewhere and imported by hand: refill
/// activates them from standby instead of buying.
pub const STATIC_PROVIDER: &str = "static";

/// The provider labels a pool number may carry: `static` and the webhook providers. A number
/// under any other label could be opened by no route (see `services::route_call::may_serve`).
pub const KNOWN_PROVIDERS: [&str; 5] = [STATIC_PROVIDER, "twilio", "exotel", "plivo", "vonage"];

/// Whether the provider (or an operator) says calls on the number work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Healthy,
    Unhealthy,
}

/// Where a number is in its life in the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolState {
    /// Takes new sessions (when healthy).
    Active,
    /// Owned but held back: a static number waiting for refill to activate it, or one given back.
    Standby,
    /// Being given back: takes no new sessions while refill checks it is idle.
    Retiring,
}

impl PoolState {
    pub fn as_str(self) -> &'static str {
        match self {
            PoolState::Active => "active",
            PoolState::Standby => "standby",
            PoolState::Retiring => "retiring",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(PoolState::Active),
            "standby" => Some(PoolState::Standby),
            "retiring" => Some(PoolState::Retiring),
            _ => None,
        }
    }
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "healthy" => Some(Health::Healthy),
            "unhealthy" => Some(Health::Unhealthy),
            _ => None,
        }
    }
}

impl fmt::Display for PoolState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A number of the pool with everything allocation, refill and failover need to know of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolNumber {
    pub vn: VirtualNumber,
    pub region: Region,
    pub operator: Operator,
    pub provider: Provider,
    pub health: Health,
    pub state: PoolState,
    /// Set after repeated failed calls; informational until someone marks the number unhealthy.
    pub suspect: bool,
    /// The provider's own handle for the number (Twilio's `PN…` sid), needed to give it back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    /// When the number last became active: the start of its idle time if it never took a session.
    pub activated_at: DateTime<Utc>,
}

impl PoolNumber {
    /// Whether new bindings may be claimed on it. The store re-checks this in the claiming
    /// transaction, so a number marked unhealthy mid-allocation is never newly bound.
    pub fn allocatable(&self) -> bool {
        self.health == Health::Healthy && self.state == PoolState::Active
    }
}

/// An operator's wish for a region: keep at least `min` healthy active numbers, bought from
/// `provider` (with its search filter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolTarget {
    pub region: Region,
    pub operator: Operator,
    pub provider: Provider,
    pub min: u32,
    /// Provider-specific search filter for buying numbers, e.g. `AreaCode=80` for Twilio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
}

/// A number to add to the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolEntry {
    pub vn: VirtualNumber,
    pub region: Region,
    pub operator: Operator,
    pub provider: Provider,
}

/// A pool number as listed for operators.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PoolEntryView {
    #[serde(flatten)]
    pub number: PoolNumber,
    /// Live bindings on this VN, when the listing counted them.
    pub live_bindings: Option<usize>,
    /// Orders with a live binding on this VN (what `MAX_SESSIONS_PER_NUMBER` caps).
    pub live_sessions: Option<usize>,
}

impl PoolEntry {
    /// The entry as a healthy pool number in `state`, joining the pool at `now`.
    pub fn joining(&self, state: PoolState, now: DateTime<Utc>) -> PoolNumber {
        PoolNumber {
            vn: self.vn.clone(),
            region: self.region.clone(),
            operator: self.operator.clone(),
            provider: self.provider.clone(),
            health: Health::Healthy,
            state,
            suspect: false,
            provider_ref: None,
            activated_at: now,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolInsert {
    Added,
    /// The VN was already in the pool; nothing changed.
    AlreadyPresent,
}
