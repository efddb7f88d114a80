//! The real DynamoDB store with a read counter in front, to prove a refused webhook never
//! reached the table.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use maskline::adapters::dynamodb::DynamoStore;
use maskline::domain::{OrderId, Region, VirtualNumber};
use maskline::ports::{
    LiveBinding, PoolNumber, SessionRecord, SessionStore, SessionWrite, StoreError, StoredBinding,
    WriteError,
};
use maskline::privacy::CallerKey;

pub struct CountingStore {
    inner: Arc<DynamoStore>,
    calls: AtomicUsize,
}

impl CountingStore {
    pub fn new(inner: Arc<DynamoStore>) -> Self {
        CountingStore {
            inner,
            calls: AtomicUsize::new(0),
        }
    }

    /// How many store operations ran so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn count(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl SessionStore for CountingStore {
    async fn load_session(&self, order_id: &OrderId) -> Result<Option<SessionRecord>, StoreError> {
        self.count();
        self.inner.load_session(order_id).await
    }

    async fn binding(
        &self,
        vn: &VirtualNumber,
        caller: &CallerKey,
    ) -> Result<Option<StoredBinding>, StoreError> {
        self.count();
        self.inner.binding(vn, caller).await
    }

    async fn region_pool(&self, region: &Region) -> Result<Option<Vec<PoolNumber>>, StoreError> {
        self.count();
        self.inner.region_pool(region).await
    }

    async fn live_numbers_of(
        &self,
        caller: &CallerKey,
        now: DateTime<Utc>,
    ) -> Result<Vec<LiveBinding>, StoreError> {
        self.count();
        self.inner.live_numbers_of(caller, now).await
    }

    async fn write_session(
        &self,
        write: &SessionWrite,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError> {
        self.count();
        self.inner.write_session(write, now).await
    }
}
