//! The number pool: the VNs of each region, as operators manage them and the allocator reads them.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};

use super::items::{get_s, get_time_ms, millis, n, opt_s, parse_with, s, Item};
use super::layout::{self, attr, GSI1, GSI1_PK};
use super::session_write::describe;
use super::{query_all, DynamoStore};
use crate::domain::pool::{Health, PoolEntry, PoolEntryView, PoolInsert, PoolNumber, PoolState};
use crate::domain::{Operator, Provider, Region, VirtualNumber};
use crate::ports::{PoolStore, StoreError};

impl DynamoStore {
    /// Adds a healthy VN, active or on standby (for refill to activate), and registers its
    /// region, in one transaction. Re-adding a VN changes nothing, so an import can be re-run.
    pub async fn add_number(
        &self,
        entry: &PoolEntry,
        state: PoolState,
    ) -> Result<PoolInsert, StoreError> {
        let number = pool_number_item(&entry.joining(state, Utc::now()));
        let region = region_item(&entry.region);

        let result = self
            .client
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name(&self.table)
                            .set_item(Some(number))
                            .condition_expression("attribute_not_exists(pk)")
                            .build()
                            .expect("put has a table and an item"),
                    )
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name(&self.table)
                            .set_item(Some(region))
                            .build()
                            .expect("put has a table and an item"),
                    )
                    .build(),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(PoolInsert::Added),
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err(),
                    TransactWriteItemsError::TransactionCanceledException(c)
                        if c.cancellation_reasons().first().and_then(|r| r.code())
                            == Some("ConditionalCheckFailed")
                ) =>
            {
                Ok(PoolInsert::AlreadyPresent)
            }
            Err(e) => Err(StoreError::Unavailable(describe(e))),
        }
    }

    /// Adds many numbers of one region at once (25 per request, several in flight), for loading
    /// large pools: unlike [`DynamoStore::add_number`] it overwrites a VN already present, so it
    /// is for numbers known to be new (a fresh region, a benchmark).
    pub async fn add_numbers_in_bulk(
        &self,
        entries: &[PoolEntry],
        state: PoolState,
    ) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        let now = Utc::now();
        let requests: Vec<WriteRequest> = entries
            .iter()
            .map(|entry| {
                let item = pool_number_item(&entry.joining(state, now));
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item))
                            .build()
                            .expect("put request has an item"),
                    )
                    .build()
            })
            .collect();
        let batches: Vec<Vec<WriteRequest>> = requests.chunks(25).map(<[_]>::to_vec).collect();
        stream::iter(batches)
            .map(|batch| async move {
                let mut pending = batch;
                while !pending.is_empty() {
                    let output = self
                        .client
                        .batch_write_item()
                        .request_items(&self.table, pending)
                        .send()
                        .await
                        .map_err(|e| StoreError::Unavailable(describe(e)))?;
                    pending = output
                        .unprocessed_items()
                        .and_then(|u| u.get(&self.table))
                        .cloned()
                        .unwrap_or_default();
                }
                Ok::<_, StoreError>(())
            })
            .buffer_unordered(8)
            .try_collect::<Vec<_>>()
            .await?;
        for region in entries
            .iter()
            .map(|e| &e.region)
            .collect::<std::collections::BTreeSet<_>>()
        {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(region_item(region)))
                .send()
                .await
                .map_err(|e| StoreError::Unavailable(describe(e)))?;
        }
        Ok(())
    }

    /// Every region that has ever had a number.
    pub async fn regions(&self) -> Result<Vec<Region>, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(layout::REGIONS)),
        )
        .await?;
        items
            .iter()
            .map(|item| {
                Region::parse(get_s(item, layout::SK)?)
                    .map_err(|_| StoreError::Corrupt("bad region in registry".into()))
            })
            .collect()
    }

    /// A region's numbers, from the pool index (eventually consistent: fine for candidates,
    /// which the conditional claim re-checks anyway).
    pub async fn pool_of_region(&self, region: &Region) -> Result<Vec<PoolNumber>, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", GSI1_PK)
                .expression_attribute_values(":pk", s(layout::pool_gsi_pk(region))),
        )
        .await?;
        items.iter().map(pool_number_from).collect()
    }

    /// The pool of one region or of all, with the number of live bindings on each VN.
    pub async fn list_pool(
        &self,
        region: Option<&Region>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PoolEntryView>, StoreError> {
        let regions = match region {
            Some(r) => vec![r.clone()],
            None => self.regions().await?,
        };
        let mut numbers = Vec::new();
        for region in &regions {
            numbers.extend(self.pool_of_region(region).await?);
        }
        // One count query per number, several in flight: a large pool lists in seconds.
        stream::iter(numbers)
            .map(|number| async move {
                let usage = PoolStore::usage(self, &number.vn, now).await?;
                Ok(PoolEntryView {
                    number,
                    live_bindings: Some(usage.live_callers.len()),
                    live_sessions: Some(usage.live_sessions as usize),
                })
            })
            .buffered(16)
            .try_collect()
            .await
    }
}

/// The pool item of a number; its GSI1 keys list it under its region, sorted by operator.
pub(super) fn pool_number_item(number: &PoolNumber) -> Item {
    let mut item = Item::new();
    item.insert(layout::PK.into(), s(layout::vn_pk(&number.vn)));
    item.insert(layout::SK.into(), s(layout::META));
    item.insert(GSI1_PK.into(), s(layout::pool_gsi_pk(&number.region)));
    item.insert(
        layout::GSI1_SK.into(),
        s(layout::pool_gsi_sk(&number.operator, &number.vn)),
    );
    item.insert(attr::VN.into(), s(number.vn.as_str()));
    item.insert(attr::REGION.into(), s(number.region.as_str()));
    item.insert(attr::OPERATOR.into(), s(number.operator.as_str()));
    item.insert(attr::PROVIDER.into(), s(number.provider.as_str()));
    item.insert(attr::HEALTH.into(), s(number.health.as_str()));
    item.insert(attr::POOL_STATE.into(), s(number.state.as_str()));
    item.insert(attr::ACTIVATED_AT.into(), n(millis(number.activated_at)));
    if number.suspect {
        item.insert(attr::SUSPECT.into(), AttributeValue::Bool(true));
    }
    if let Some(reference) = &number.provider_ref {
        item.insert(attr::PROVIDER_REF.into(), s(reference));
    }
    if number.state == PoolState::Active {
        item.insert(layout::GSI3_PK.into(), s(number.region.as_str()));
        item.insert(
            layout::GSI3_SK.into(),
            s(layout::allocation_key(&number.vn)),
        );
    }
    item
}

pub(super) fn region_item(region: &Region) -> Item {
    let mut item = Item::new();
    item.insert(layout::PK.into(), s(layout::REGIONS));
    item.insert(layout::SK.into(), s(region.as_str()));
    item
}

pub(super) fn pool_number_from(item: &Item) -> Result<PoolNumber, StoreError> {
    let vn = |v: &str| VirtualNumber::parse(v, None);
    let bad = |what: &str| StoreError::Corrupt(format!("pool item has a bad {what}"));
    Ok(PoolNumber {
        vn: parse_with(item, attr::VN, vn)?,
        region: parse_with(item, attr::REGION, Region::parse)?,
        operator: parse_with(item, attr::OPERATOR, Operator::parse)?,
        provider: parse_with(item, attr::PROVIDER, Provider::parse)?,
        health: Health::parse(get_s(item, attr::HEALTH)?).ok_or_else(|| bad("health"))?,
        state: PoolState::parse(get_s(item, attr::POOL_STATE)?).ok_or_else(|| bad("state"))?,
        suspect: matches!(item.get(attr::SUSPECT), Some(AttributeValue::Bool(true))),
        provider_ref: opt_s(item, attr::PROVIDER_REF).map(str::to_string),
        activated_at: get_time_ms(item, attr::ACTIVATED_AT)?,
    })
}
