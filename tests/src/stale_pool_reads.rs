//! The real session store whose reads of pool numbers are a moment old: `pool_entries` reports
//! every number healthy and active, as a read just before an operator (or a provider's report)
//! marked one unhealthy. This is how a test shows that the write's own condition checks, not the
//! read before it, keep a number that stopped taking sessions out of a new session. Every other
//! call goes straight to the table.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use maskline::adapters::dynamodb::DynamoStore;
use maskline::domain::pool::{Health, PoolState};
use maskline::domain::{OrderId, Region, VirtualNumber};
use maskline::ports::{
    AllocationWindow, LiveBinding, PoolNumber, SessionRecord, SessionStore, SessionWrite,
    StoreError, StoredBinding, WindowCursor, WriteError,
};
use maskline::privacy::CallerKey;

pub struct StalePoolReads(pub Arc<DynamoStore>);

#[async_trait]
impl SessionStore for StalePoolReads {
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
        let mut numbers = self.0.pool_entries(vns).await?;
        for number in &mut numbers {
            number.health = Health::Healthy;
            number.state = PoolState::Active;
        }
        Ok(numbers)
    }

    async fn region_exists(&self, region: &Region) -> Result<bool, StoreError> {
        self.0.region_exists(region).await
    }

    async fn live_numbers_of(
        &self,
        caller: &CallerKey,
        now: DateTime<Utc>,
    ) -> Result<Vec<LiveBinding>, StoreError> {
        self.0.live_numbers_of(caller, now).await
    }

    async fn write_session(
        &self,
        write: &SessionWrite,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError> {
        self.0.write_session(write, now).await
    }
}
