//! The real session store with some of its reads a moment old, as DynamoDB's eventually
//! consistent indexes (and any read before a concurrent change) can be. DynamoDB Local's indexes
//! never lag, so this is how a test shows that a write's own conditions, not the read before it,
//! keep the rules. Every other call goes straight to the table.

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

/// Which reads are a moment old.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stale {
    /// The caller index (GSI2) finds nothing, as right after another order's write.
    pub caller_index: bool,
    /// Pool numbers read healthy and active, as just before one was marked unhealthy.
    pub pool_reads: bool,
}

pub struct StaleReads {
    pub store: Arc<DynamoStore>,
    pub stale: Stale,
}

impl StaleReads {
    pub fn blind_caller_index(store: Arc<DynamoStore>) -> StaleReads {
        let stale = Stale {
            caller_index: true,
            ..Stale::default()
        };
        StaleReads { store, stale }
    }

    pub fn stale_pool_reads(store: Arc<DynamoStore>) -> StaleReads {
        let stale = Stale {
            pool_reads: true,
            ..Stale::default()
        };
        StaleReads { store, stale }
    }
}

#[async_trait]
impl SessionStore for StaleReads {
    async fn load_session(&self, order_id: &OrderId) -> Result<Option<SessionRecord>, StoreError> {
        self.store.load_session(order_id).await
    }

    async fn binding(
        &self,
        vn: &VirtualNumber,
        caller: &CallerKey,
    ) -> Result<Option<StoredBinding>, StoreError> {
        self.store.binding(vn, caller).await
    }

    async fn allocation_window(
        &self,
        region: &Region,
        cursor: &WindowCursor,
    ) -> Result<AllocationWindow, StoreError> {
        self.store.allocation_window(region, cursor).await
    }

    async fn held_slots(
        &self,
        vn: &VirtualNumber,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<std::collections::BTreeMap<u32, maskline::domain::OrderId>, StoreError> {
        self.store.held_slots(vn, now).await
    }

    async fn pool_entries(&self, vns: &[VirtualNumber]) -> Result<Vec<PoolNumber>, StoreError> {
        let mut numbers = self.store.pool_entries(vns).await?;
        if self.stale.pool_reads {
            for number in &mut numbers {
                number.health = Health::Healthy;
                number.state = PoolState::Active;
            }
        }
        Ok(numbers)
    }

    async fn region_exists(&self, region: &Region) -> Result<bool, StoreError> {
        self.store.region_exists(region).await
    }

    async fn live_numbers_of(
        &self,
        caller: &CallerKey,
        now: DateTime<Utc>,
    ) -> Result<Vec<LiveBinding>, StoreError> {
        if self.stale.caller_index {
            return Ok(Vec::new());
        }
        self.store.live_numbers_of(caller, now).await
    }

    async fn write_session(
        &self,
        write: &SessionWrite,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError> {
        self.store.write_session(write, now).await
    }
}
