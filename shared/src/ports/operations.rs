//! What an operator's tools ask of the store beyond the use cases' own ports: adding numbers by
//! hand, listing the pool with its load, counting what each number key still protects, and
//! resealing stored numbers under the current key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::pool::{PoolEntry, PoolEntryView, PoolInsert, PoolState};
use crate::domain::{OrderId, Region, Side};
use crate::privacy::{KeyUsage, SealedNumber};

#[async_trait]
pub trait PoolAdmin: Send + Sync {
    /// Adds a healthy number, active or on standby; re-adding one changes nothing.
    async fn add_number(
        &self,
        entry: &PoolEntry,
        state: PoolState,
    ) -> Result<PoolInsert, StoreError>;

    /// The pool of `region` (or of every region), each number with its live bindings at `now`.
    async fn list_pool(
        &self,
        region: Option<&Region>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PoolEntryView>, StoreError>;
}

#[async_trait]
pub trait KeyAudit: Send + Sync {
    /// Live sessions and bindings per number key, for deciding when an old key may go.
    async fn key_usage(&self, now: DateTime<Utc>) -> Result<KeyUsage, StoreError>;
}

/// One sealed number where the table keeps it: a session's participant or a binding's callee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSeal {
    /// Which item and attribute (the store's own names; the services only hand it back).
    pub place: SealPlace,
    /// Whose number it is: the owner its ciphertext is bound to.
    pub order: OrderId,
    pub side: Side,
    /// The value as read.
    pub value: SealedNumber,
}

/// An item's key and the attribute that holds a sealed number; opaque outside the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealPlace {
    pub item: ItemKey,
    pub attribute: &'static str,
}

/// An item's key, as the store names it; opaque outside the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemKey {
    pub pk: String,
    pub sk: String,
}

/// A page of the sealed numbers, and the item the next one starts after (`None`: no more).
#[derive(Debug, Clone, Default)]
pub struct SealPage {
    pub seals: Vec<StoredSeal>,
    pub next: Option<ItemKey>,
}

/// What a conditional replacement of a sealed number did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replaced {
    Written,
    /// The item no longer holds the value that was read (a writer changed it, or it is gone):
    /// nothing was written.
    ChangedMeanwhile,
}

#[async_trait]
pub trait SealedValues: Send + Sync {
    /// A page of every sealed number the table holds, live or not (an ended session's items keep
    /// theirs until TTL removes them), read consistently; `after` is the previous page's `next`.
    async fn sealed_page(&self, after: Option<&ItemKey>) -> Result<SealPage, StoreError>;

    /// Writes `new` where `seal` was read, only if that attribute still holds exactly
    /// `seal.value`: a concurrent writer's value is never overwritten.
    async fn replace_sealed(
        &self,
        seal: &StoredSeal,
        new: &SealedNumber,
    ) -> Result<Replaced, StoreError>;
}
