//! What an operator's tools ask of the store beyond the use cases' own ports: adding numbers by
//! hand, listing the pool with its load, and counting what each number key still protects.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::pool::{PoolEntry, PoolEntryView, PoolInsert, PoolState};
use crate::domain::Region;
use crate::privacy::KeyUsage;

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
