//! The traits the services depend on. Adapters implement them on AWS; the services never see an
//! AWS type, and the table layout never leaks out of the DynamoDB adapter.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::events::PublishedEvent;
use crate::domain::{
    AllocationPolicy, OrderId, ParticipantId, Provider, Region, Session, Side, VirtualNumber,
};
use crate::domain::{CallStatus, ProviderKind};
use crate::privacy::{CallerKey, KeyId, SealedNumber};

pub mod dialer;
pub mod number_provider;
pub mod operations;
pub mod pool;

pub use crate::domain::pool::PoolNumber;
pub use dialer::{BridgeCall, CallDialer, DialError, PlacedCall};
pub use number_provider::{AcquiredNumber, NumberProvider, NumberProviderError, NumberRequest};
pub use operations::{
    ItemKey, KeyAudit, PoolAdmin, Replaced, SealPage, SealPlace, SealedValues, StoredSeal,
};
pub use pool::{Activation, PoolStore};

/// A participant as stored: never the number itself, only its lookup key and its sealed copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredParticipant {
    pub id: ParticipantId,
    /// The number's key under the hash key current when the session was written.
    pub key: CallerKey,
    /// Which hash key made `key`; `None` for sessions written before keys were named.
    pub key_id: Option<KeyId>,
    /// The same number's keys under the older hash keys listed then (none unless a rotation was
    /// under way): the session's numbers are kept apart from those the participant holds in
    /// sessions keyed before the rotation.
    pub older_keys: Vec<CallerKey>,
    pub sealed: SealedNumber,
}

impl StoredParticipant {
    /// Every key the participant's bindings may be under, current first.
    pub fn every_key(&self) -> impl Iterator<Item = &CallerKey> {
        std::iter::once(&self.key).chain(&self.older_keys)
    }
}

/// A session plus what the store needs to rebuild its bindings and detect concurrent changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub session: Session,
    pub policy: AllocationPolicy,
    pub customer: Option<StoredParticipant>,
    pub driver: Option<StoredParticipant>,
    /// Bumped by every write: the optimistic-concurrency guard for the session item.
    pub version: u64,
    /// The provider of each of the session's VNs, copied onto every binding so a webhook can
    /// resolve only its own provider's numbers with the same single read.
    pub providers: BTreeMap<VirtualNumber, Provider>,
    /// Under `MAX_SESSIONS_PER_NUMBER`, the slot this session holds on each of its VNs (empty
    /// when no cap applies): a VN has that many slot items, and a session claims one of them
    /// conditionally, so no number ever carries more live sessions than its cap.
    pub slots: BTreeMap<VirtualNumber, u32>,
}

/// One committed change of an order's session, as the table's stream reports it: the item
/// before and after the write (`None` before a new session, after a removed one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionChange {
    pub before: Option<SessionRecord>,
    pub after: Option<SessionRecord>,
}

/// Where the next window of a region's allocation index starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowCursor {
    /// The random place the reading started at (16 hex digits).
    pub start: String,
    /// Reading the part before `start` (the wrap-around).
    pub wrapped: bool,
    /// The last index key read and its VN, to continue after; `None` at the start of a part.
    pub after: Option<(String, VirtualNumber)>,
}

impl WindowCursor {
    /// A cursor at a random place, so concurrent allocations spread over the whole pool.
    pub fn random() -> Self {
        WindowCursor {
            start: format!("{:016x}", rand::random::<u64>()),
            wrapped: false,
            after: None,
        }
    }
}

/// A number an allocation may claim, as the allocation index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocatable {
    pub vn: VirtualNumber,
    pub operator: crate::domain::Operator,
    pub provider: Provider,
}

/// One window of the allocation index, and where the next one starts (`None`: all read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationWindow {
    pub numbers: Vec<Allocatable>,
    pub next: Option<WindowCursor>,
}

/// "When the caller with `caller_key` dials `vn`, connect to `callee` and show `caller_id`."
/// Owned by the session it is written with, and live until that session's `live_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingWrite {
    pub vn: VirtualNumber,
    pub caller_side: Side,
    pub caller_key: CallerKey,
    /// Which hash key made `caller_key` (recorded so an operator can count what an old key
    /// still serves); `None` for sessions written before keys were named.
    pub caller_key_id: Option<KeyId>,
    /// `caller_key` is one of the caller's keys under an older listed hash key, not the key the
    /// session was written with: a copy of the binding that answers no call the main one would
    /// not (same session, callee and deadline), written so that the (VN, caller) place is taken
    /// in every key space the caller is known by. A session keyed only under that older key
    /// (written before a rotation) can then never be bound beside this one, whatever writes it,
    /// a failover included, which knows its participants only by their stored keys.
    pub shadow: bool,
    pub callee: SealedNumber,
    pub caller_id: VirtualNumber,
    /// The provider that owns `vn`; `None` only for sessions written before it was recorded.
    pub provider: Option<Provider>,
}

impl BindingWrite {
    pub fn key(&self) -> BindingKey {
        BindingKey {
            vn: self.vn.clone(),
            caller_side: self.caller_side,
            caller_key: self.caller_key.clone(),
        }
    }
}

/// A live binding found by caller: which VN, and which order owns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveBinding {
    pub vn: VirtualNumber,
    pub order_id: OrderId,
}

/// A binding to remove, identified by its key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BindingKey {
    pub vn: VirtualNumber,
    pub caller_side: Side,
    pub caller_key: CallerKey,
}

/// A binding as read back for call routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBinding {
    pub order_id: OrderId,
    pub caller_side: Side,
    pub callee: SealedNumber,
    pub caller_id: VirtualNumber,
    pub live_until: DateTime<Utc>,
    pub provider: Option<Provider>,
}

/// An exclusive-policy hold of a whole VN by one session (owned and timed like a binding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberLock {
    pub vn: VirtualNumber,
    pub side: Side,
}

/// One of the `MAX_SESSIONS_PER_NUMBER` seats of a VN, held by one session (owned and timed like a
/// binding, so it frees itself when the session's deadline passes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NumberSlot {
    pub vn: VirtualNumber,
    pub slot: u32,
}

/// Everything one state change of a session writes, applied atomically or not at all.
///
/// Guards: the session item must still be at `expected_version` (absent when `None`); every binding
/// and lock written must be free — absent, expired, or already this order's — so (VN, caller) can
/// never be live twice; a removed binding or lock must still belong to this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionWrite {
    pub record: SessionRecord,
    pub expected_version: Option<u64>,
    pub put_bindings: Vec<BindingWrite>,
    pub delete_bindings: Vec<BindingKey>,
    pub put_locks: Vec<NumberLock>,
    pub delete_locks: Vec<VirtualNumber>,
    pub put_slots: Vec<NumberSlot>,
    pub delete_slots: Vec<NumberSlot>,
    /// VNs this write newly binds: each must still be healthy and active when the write lands.
    pub newly_claimed: Vec<VirtualNumber>,
}

/// Why a [`SessionWrite`] was refused. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteRejected {
    /// The session item changed (or appeared) since it was read.
    SessionChanged,
    /// The side's caller already has a live binding on this VN.
    BindingTaken { side: Side, vn: VirtualNumber },
    /// Another live session holds this VN exclusively.
    LockTaken { vn: VirtualNumber },
    /// The VN stopped taking new sessions (unhealthy, retiring or gone) since it was listed.
    NumberUnavailable { vn: VirtualNumber },
    /// A binding the write removes belongs to another order now (ours expired and was claimed
    /// again): it is not ours to remove, and the same write would fail the same way again.
    BindingNotOurs(BindingKey),
    /// Likewise for an exclusive lock the write removes.
    LockNotOurs(VirtualNumber),
    /// Another live session holds this slot of the VN.
    SlotTaken(NumberSlot),
    /// Likewise for a slot the write removes.
    SlotNotOurs(NumberSlot),
    /// A concurrent transaction touched the same items; trying again may succeed.
    Contention,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store is unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// Over the table's throughput even after the SDK's own retries: not a conflict with another
    /// writer, so re-reading at once would only add load; the caller backs off (SQS redelivers).
    #[error("the store is throttling requests: {0}")]
    Throttled(String),
    #[error("a stored item is malformed: {0}")]
    Corrupt(String),
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("write rejected: {0:?}")]
    Rejected(WriteRejected),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Strongly consistent read of an order's session.
    async fn load_session(&self, order_id: &OrderId) -> Result<Option<SessionRecord>, StoreError>;

    /// Strongly consistent read of the binding for (dialled VN, caller): the whole of call routing.
    async fn binding(
        &self,
        vn: &VirtualNumber,
        caller: &CallerKey,
    ) -> Result<Option<StoredBinding>, StoreError>;

    /// The next window of the region's active, healthy numbers, read from the cursor's random
    /// place in the allocation index and wrapping around once: what an allocation reads instead of
    /// the whole pool, so its cost does not grow with the pool. Eventually consistent (a hint; the
    /// conditional write remains the authority).
    async fn allocation_window(
        &self,
        region: &Region,
        cursor: &WindowCursor,
    ) -> Result<AllocationWindow, StoreError>;

    /// The pool entries of these VNs (a session's current numbers), strongly consistent; a VN
    /// that is not in the pool is left out.
    async fn pool_entries(&self, vns: &[VirtualNumber]) -> Result<Vec<PoolNumber>, StoreError>;

    /// Whether the region has ever had a number (an unknown region is refused, not exhausted).
    async fn region_exists(&self, region: &Region) -> Result<bool, StoreError>;

    /// VNs on which this caller holds a binding that is live at `now`. An eventually consistent
    /// hint that saves doomed attempts; the conditional write remains the authority.
    async fn live_numbers_of(
        &self,
        caller: &CallerKey,
        now: DateTime<Utc>,
    ) -> Result<Vec<LiveBinding>, StoreError>;

    /// The slots of `vn` held by live sessions at `now`, with their orders, strongly consistent
    /// (see [`NumberSlot`]): which seats an allocation under a cap may try.
    async fn held_slots(
        &self,
        vn: &VirtualNumber,
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<u32, OrderId>, StoreError>;

    /// Applies a [`SessionWrite`] atomically, judging expiry against `now`.
    async fn write_session(
        &self,
        write: &SessionWrite,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError>;
}

/// One status report about one call, attributed to the order whose binding the call used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub order_id: OrderId,
    pub provider: ProviderKind,
    pub call_id: String,
    pub status: CallStatus,
    /// Who placed the call.
    pub caller_side: Side,
    /// The VN that was dialled.
    pub dialled: VirtualNumber,
    pub duration_seconds: Option<u32>,
    pub reported_at: DateTime<Utc>,
    /// This leg failed and the call was forwarded again on the callee's backup VN
    /// (`services::dial_result`).
    pub retried_on_backup: bool,
}

/// Whether a call record was new, and if not, whether its event already went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    New,
    Duplicate { announced: bool },
}

/// The per-order call log. Idempotent per (provider, call id, status): providers retry callbacks.
#[async_trait]
pub trait CallLog: Send + Sync {
    /// Stores the record unless the same (provider, call, status) is already there.
    async fn record_call(
        &self,
        record: &CallRecord,
        announced: bool,
    ) -> Result<Recorded, StoreError>;
    /// Notes that the record's event was published, so a redelivery does not publish it again.
    async fn mark_announced(&self, record: &CallRecord) -> Result<(), StoreError>;
    /// The order's calls, oldest report first.
    async fn call_log(&self, order_id: &OrderId) -> Result<Vec<CallRecord>, StoreError>;
}

/// A request a provider sent once, named by what it says about itself (a call id, a report id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId {
    /// What the request was for (`voice`, `number-health`).
    pub hook: &'static str,
    pub provider: ProviderKind,
    pub id: String,
}

/// Remembers the requests already acted on, so a captured request replayed later does nothing.
#[async_trait]
pub trait ReplayGuard: Send + Sync {
    /// True the first time `request` is seen within `keep_for` of `now`; false for a repeat.
    /// Conditional, so two copies racing each other cannot both be first.
    async fn first_time(
        &self,
        request: &RequestId,
        keep_for: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Forgets `request` (its handling failed, so the provider's retry must be let through).
    async fn forget(&self, request: &RequestId) -> Result<(), StoreError>;
}

#[derive(Debug, thiserror::Error)]
#[error("publishing {detail_type} failed: {source}")]
pub struct PublishError {
    pub detail_type: &'static str,
    #[source]
    pub source: anyhow::Error,
}

#[async_trait]
pub trait EventPublisher: Send + Sync {
    async fn publish(&self, event: &PublishedEvent) -> Result<(), PublishError>;

    /// Publishes `events`, as few requests as the bus allows (EventBridge: ten entries a
    /// `PutEvents`), in the order given: a request goes out only after the one before it was
    /// accepted. Callers that need an order's events to leave one after the other put at most one
    /// event per order in a call. This default sends them one by one.
    async fn publish_all(&self, events: &[PublishedEvent]) -> Result<(), PartlyPublished> {
        for (published, event) in events.iter().enumerate() {
            self.publish(event)
                .await
                .map_err(|error| PartlyPublished { published, error })?;
        }
        Ok(())
    }
}

/// `publish_all` stopped: the first `published` events went out; the one after them was refused
/// (some after it may have gone out too, in the same request: a retry may publish them again).
#[derive(Debug, thiserror::Error)]
#[error("{published} event(s) published, then: {error}")]
pub struct PartlyPublished {
    pub published: usize,
    #[source]
    pub error: PublishError,
}

/// The time source; injected so tests can step past a grace window without sleeping.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

pub type SharedStore = Arc<dyn SessionStore>;
pub type SharedPublisher = Arc<dyn EventPublisher>;
pub type SharedClock = Arc<dyn Clock>;
pub type SharedCallLog = Arc<dyn CallLog>;
pub type SharedPoolStore = Arc<dyn PoolStore>;
pub type SharedReplayGuard = Arc<dyn ReplayGuard>;
