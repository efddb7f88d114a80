//! The real pool store, with its region listing (GSI1, eventually consistent in DynamoDB) made to
//! lag on purpose: numbers activated through it stay out of `numbers_of_region` until
//! [`LaggingIndex::catch_up`]. DynamoDB Local's index never lags, so this is how a test shows
//! that refill does not rely on it. Every other call goes straight to the table.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use maskline::adapters::dynamodb::DynamoStore;
use maskline::domain::pool::{Health, PoolNumber, PoolTarget};
use maskline::domain::refill_plan::VnUsage;
use maskline::domain::{Operator, OrderId, Region, VirtualNumber};
use maskline::ports::{Activation, PoolStore, StoreError};

pub struct LaggingIndex {
    inner: Arc<DynamoStore>,
    not_yet_indexed: Mutex<HashSet<VirtualNumber>>,
}

impl LaggingIndex {
    pub fn new(inner: Arc<DynamoStore>) -> Self {
        LaggingIndex {
            inner,
            not_yet_indexed: Mutex::default(),
        }
    }

    /// The index shows everything written so far.
    pub fn catch_up(&self) {
        self.not_yet_indexed.lock().unwrap().clear();
    }
}

#[async_trait]
impl PoolStore for LaggingIndex {
    async fn regions(&self) -> Result<Vec<Region>, StoreError> {
        self.inner.regions().await
    }

    async fn numbers_of_region(&self, region: &Region) -> Result<Vec<PoolNumber>, StoreError> {
        let mut numbers = PoolStore::numbers_of_region(self.inner.as_ref(), region).await?;
        let hidden = self.not_yet_indexed.lock().unwrap();
        numbers.retain(|n| !hidden.contains(&n.vn));
        Ok(numbers)
    }

    async fn pool_number(&self, vn: &VirtualNumber) -> Result<Option<PoolNumber>, StoreError> {
        self.inner.pool_number(vn).await
    }

    async fn targets(&self, region: &Region) -> Result<Vec<PoolTarget>, StoreError> {
        self.inner.targets(region).await
    }

    async fn set_target(&self, target: &PoolTarget) -> Result<(), StoreError> {
        self.inner.set_target(target).await
    }

    async fn usage(&self, vn: &VirtualNumber, now: DateTime<Utc>) -> Result<VnUsage, StoreError> {
        self.inner.usage(vn, now).await
    }

    async fn orders_on(
        &self,
        vn: &VirtualNumber,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderId>, StoreError> {
        self.inner.orders_on(vn, now).await
    }

    async fn index_for_allocation(&self, region: &Region) -> Result<u32, StoreError> {
        self.inner.index_for_allocation(region).await
    }

    async fn take_refill_lease(
        &self,
        region: &Region,
        operator: &Operator,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.inner
            .take_refill_lease(region, operator, holder, now, until)
            .await
    }

    async fn renew_refill_lease(
        &self,
        region: &Region,
        operator: &Operator,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.inner
            .renew_refill_lease(region, operator, holder, now, until)
            .await
    }

    async fn end_refill_lease(
        &self,
        region: &Region,
        operator: &Operator,
        holder: &str,
        settle_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.inner
            .end_refill_lease(region, operator, holder, settle_until)
            .await
    }

    async fn note_acquisition(
        &self,
        region: &Region,
        operator: &Operator,
        vn: &VirtualNumber,
    ) -> Result<(), StoreError> {
        self.inner.note_acquisition(region, operator, vn).await
    }

    async fn recent_acquisitions(
        &self,
        region: &Region,
        operator: &Operator,
    ) -> Result<Vec<VirtualNumber>, StoreError> {
        self.inner.recent_acquisitions(region, operator).await
    }

    async fn forget_acquisitions(
        &self,
        region: &Region,
        operator: &Operator,
        vns: &[VirtualNumber],
    ) -> Result<(), StoreError> {
        self.inner.forget_acquisitions(region, operator, vns).await
    }

    async fn activate(&self, number: &PoolNumber) -> Result<Activation, StoreError> {
        let activation = self.inner.activate(number).await?;
        if activation == Activation::Activated {
            self.not_yet_indexed
                .lock()
                .unwrap()
                .insert(number.vn.clone());
        }
        Ok(activation)
    }

    async fn begin_give_back(&self, vn: &VirtualNumber) -> Result<bool, StoreError> {
        self.inner.begin_give_back(vn).await
    }

    async fn finish_give_back(&self, vn: &VirtualNumber, keep: bool) -> Result<(), StoreError> {
        self.inner.finish_give_back(vn, keep).await
    }

    async fn cancel_give_back(&self, vn: &VirtualNumber) -> Result<(), StoreError> {
        self.inner.cancel_give_back(vn).await
    }

    async fn set_health(
        &self,
        vn: &VirtualNumber,
        health: Health,
    ) -> Result<Option<PoolNumber>, StoreError> {
        self.inner.set_health(vn, health).await
    }

    async fn record_call_outcome(
        &self,
        vn: &VirtualNumber,
        failed: bool,
    ) -> Result<u32, StoreError> {
        self.inner.record_call_outcome(vn, failed).await
    }

    async fn mark_suspect(&self, vn: &VirtualNumber) -> Result<bool, StoreError> {
        self.inner.mark_suspect(vn).await
    }
}
