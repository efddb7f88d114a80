//! The real session store with its caller index (GSI2, eventually consistent in DynamoDB) blind:
//! `live_numbers_of` finds nothing, as right after another order's write. DynamoDB Local's index
//! never lags, so this is how a test shows that the conditional write alone keeps (VN, caller)
//! unique. Every other call goes straight to the table.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use maskline::adapters::dynamodb::DynamoStore;
use maskline::domain::{OrderId, Region, VirtualNumber};
use maskline::ports::{
    AllocationWindow, LiveBinding, PoolNumber, SessionRecord, SessionStore, SessionWrite,
    StoreError, StoredBinding, WindowCursor, WriteError,
};
use maskline::privacy::CallerKey;

pub struct BlindCallerIndex(pub Arc<DynamoStore>);

#[async_trait]
impl SessionStore for BlindCallerIndex {
    async fn load_session(&self, order_id: &OrderId) -> Result<Option<SessionRecord>, StoreError> {
        self.0.load_session(order_id).await
    }

    async fn binding(
        &self,
        vn: &VirtualNumber,
        caller: &CallerKey,
    ) -> Result<Option<StoredBinding>, StoreError> {
        self.0.binding(vn, caller).await
    }

    async fn allocation_window(
        &self,
        region: &Region,
        cursor: &WindowCursor,
    ) -> Result<AllocationWindow, StoreError> {
        self.0.allocation_window(region, cursor).await
    }

    async fn pool_entries(&self, vns: &[VirtualNumber]) -> Result<Vec<PoolNumber>, StoreError> {
        self.0.pool_entries(vns).await
    }

    async fn region_exists(&self, region: &Region) -> Result<bool, StoreError> {
        self.0.region_exists(region).await
    }

    async fn live_numbers_of(
        &self,
        _caller: &CallerKey,
        _now: DateTime<Utc>,
    ) -> Result<Vec<LiveBinding>, StoreError> {
        Ok(Vec::new())
    }

    async fn write_session(
        &self,
        write: &SessionWrite,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError> {
        self.0.write_session(write, now).await
    }
}
