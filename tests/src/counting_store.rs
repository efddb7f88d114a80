//! The real DynamoDB store with a counter in front: to prove a refused webhook never reached the
//! table, and to count an allocation's transactions and conflicts in the benchmarks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use maskline::adapters::dynamodb::DynamoStore;
use maskline::domain::{OrderId, Region, VirtualNumber};
use maskline::ports::{
    AllocationWindow, LiveBinding, PoolNumber, SessionRecord, SessionStore, SessionWrite,
    StoreError, StoredBinding, WindowCursor, WriteError, WriteRejected,
};
use maskline::privacy::CallerKey;

pub struct CountingStore {
    inner: Arc<DynamoStore>,
    calls: AtomicUsize,
    writes: AtomicUsize,
    /// Writes that came back as a conflict with another transaction (retried after a pause).
    contended: AtomicUsize,
    /// The VN partition of every binding read, in order (which keys a use case touched).
    binding_partitions: std::sync::Mutex<Vec<String>>,
}

impl CountingStore {
    pub fn new(inner: Arc<DynamoStore>) -> Self {
        CountingStore {
            inner,
            calls: AtomicUsize::new(0),
            writes: AtomicUsize::new(0),
            contended: AtomicUsize::new(0),
            binding_partitions: Default::default(),
        }
    }

    /// How many store operations ran so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// How many session writes (transactions) were attempted so far.
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    /// How many of those writes a concurrent transaction cancelled (`WriteRejected::Contention`).
    pub fn contended(&self) -> usize {
        self.contended.load(Ordering::SeqCst)
    }

    /// The VNs whose partition a binding read went to.
    pub fn binding_partitions(&self) -> Vec<String> {
        self.binding_partitions.lock().unwrap().clone()
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
        self.binding_partitions
            .lock()
            .unwrap()
            .push(vn.as_str().to_string());
        self.inner.binding(vn, caller).await
    }

    async fn allocation_window(
        &self,
        region: &Region,
        cursor: &WindowCursor,
    ) -> Result<AllocationWindow, StoreError> {
        self.count();
        self.inner.allocation_window(region, cursor).await
    }

    async fn held_slots(
        &self,
        vn: &VirtualNumber,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<std::collections::BTreeMap<u32, maskline::domain::OrderId>, StoreError> {
        self.count();
        self.inner.held_slots(vn, now).await
    }

    async fn pool_entries(&self, vns: &[VirtualNumber]) -> Result<Vec<PoolNumber>, StoreError> {
        self.count();
        self.inner.pool_entries(vns).await
    }

    async fn region_exists(&self, region: &Region) -> Result<bool, StoreError> {
        self.count();
        self.inner.region_exists(region).await
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
        self.writes.fetch_add(1, Ordering::SeqCst);
        let result = self.inner.write_session(write, now).await;
        if let Err(WriteError::Rejected(WriteRejected::Contention)) = result {
            self.contended.fetch_add(1, Ordering::SeqCst);
        }
        result
    }
}
