//! The operator ports on the table: each a call to the store's own method of the same name
//! (inherent methods win over trait methods in Rust, so these do not recurse).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::DynamoStore;
use crate::domain::pool::{PoolEntry, PoolEntryView, PoolInsert, PoolState};
use crate::domain::Region;
use crate::ports::{KeyAudit, PoolAdmin, StoreError};
use crate::privacy::KeyUsage;

#[async_trait]
impl PoolAdmin for DynamoStore {
    async fn add_number(
        &self,
        entry: &PoolEntry,
        state: PoolState,
    ) -> Result<PoolInsert, StoreError> {
        DynamoStore::add_number(self, entry, state).await
    }

    async fn list_pool(
        &self,
        region: Option<&Region>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PoolEntryView>, StoreError> {
        DynamoStore::list_pool(self, region, now).await
    }
}

#[async_trait]
impl KeyAudit for DynamoStore {
    async fn key_usage(&self, now: DateTime<Utc>) -> Result<KeyUsage, StoreError> {
        DynamoStore::key_usage(self, now).await
    }
}
