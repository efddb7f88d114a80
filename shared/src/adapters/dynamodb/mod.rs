//! The DynamoDB adapter: one table, layout in [`layout`], claims as conditional transactions.

mod allocation_index;
mod call_log;
pub mod items;
mod key_usage;
pub mod layout;
mod operations;
mod pool;
mod pool_lifecycle;
mod refill_lease;
mod replay;
pub mod schema;
mod sealed_values;
mod session_write;
mod slots;
pub mod stream;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};

// Pool types are the domain's; these names stay for callers that knew them here.
pub use crate::domain::pool::{PoolEntry, PoolEntryView, PoolInsert};
pub use allocation_index::WINDOW as ALLOCATION_WINDOW;

use self::items::{binding_from_item, get_s, get_time_ms, s, session_from_item, Item};
use self::layout::{attr, GSI2, GSI2_PK};
use self::session_write::describe;
use crate::domain::{OrderId, Region, VirtualNumber};
use crate::ports::{
    AllocationWindow, LiveBinding, PoolNumber, SessionRecord, SessionStore, SessionWrite,
    StoreError, StoredBinding, WindowCursor, WriteError,
};
use crate::privacy::CallerKey;

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}

/// Every item a query returns, across all its pages.
pub(crate) async fn query_all(query: QueryFluentBuilder) -> Result<Vec<Item>, StoreError> {
    query
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| StoreError::Unavailable(describe(e)))
}

#[async_trait]
impl SessionStore for DynamoStore {
    async fn load_session(&self, order_id: &OrderId) -> Result<Option<SessionRecord>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(items::key(
                layout::order_pk(order_id),
                layout::SESSION,
            )))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(describe(e)))?;
        output.item.as_ref().map(session_from_item).transpose()
    }

    async fn binding(
        &self,
        vn: &VirtualNumber,
        caller: &CallerKey,
    ) -> Result<Option<StoredBinding>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(items::key(
                layout::vn_pk(vn),
                layout::binding_sk(caller),
            )))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(describe(e)))?;
        output.item.as_ref().map(binding_from_item).transpose()
    }

    async fn allocation_window(
        &self,
        region: &Region,
        cursor: &WindowCursor,
    ) -> Result<AllocationWindow, StoreError> {
        self.read_window(region, cursor).await
    }

    async fn pool_entries(&self, vns: &[VirtualNumber]) -> Result<Vec<PoolNumber>, StoreError> {
        self.read_pool_entries(vns).await
    }

    async fn region_exists(&self, region: &Region) -> Result<bool, StoreError> {
        self.region_registered(region).await
    }

    async fn live_numbers_of(
        &self,
        caller: &CallerKey,
        now: DateTime<Utc>,
    ) -> Result<Vec<LiveBinding>, StoreError> {
        let pages = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(GSI2)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", GSI2_PK)
                .expression_attribute_values(":pk", s(layout::caller_gsi_pk(caller))),
        )
        .await?;
        let mut live = Vec::new();
        for item in &pages {
            if get_time_ms(item, attr::LIVE_UNTIL)? > now {
                live.push(LiveBinding {
                    vn: VirtualNumber::parse(get_s(item, layout::GSI2_SK)?, None)
                        .map_err(|_| StoreError::Corrupt("binding index holds a bad VN".into()))?,
                    order_id: OrderId::parse(get_s(item, attr::ORDER_ID)?)
                        .map_err(|_| StoreError::Corrupt("binding holds a bad order id".into()))?,
                });
            }
        }
        Ok(live)
    }

    async fn held_slots(
        &self,
        vn: &VirtualNumber,
        now: DateTime<Utc>,
    ) -> Result<std::collections::BTreeMap<u32, OrderId>, StoreError> {
        self.read_held_slots(vn, now).await
    }

    async fn write_session(
        &self,
        write: &SessionWrite,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError> {
        self.transact_session_write(write, now).await
    }
}
