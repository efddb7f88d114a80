//! The number pool: the VNs of each region, as operators manage them and the allocator reads them.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, Select, TransactWriteItem};
use chrono::{DateTime, Utc};

use super::items::{get_s, millis, n, opt_s, s, Item};
use super::layout::{self, attr, GSI1, GSI1_PK};
use super::session_write::describe;
use super::{query_all, DynamoStore};
use crate::domain::{Operator, Provider, Region, VirtualNumber};
use crate::ports::StoreError;

const HEALTHY: &str = "healthy";
const UNHEALTHY: &str = "unhealthy";

/// A number to add to the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolEntry {
    pub vn: VirtualNumber,
    pub region: Region,
    pub operator: Operator,
    pub provider: Provider,
}

/// A pool number as listed for operators.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PoolEntryView {
    pub vn: VirtualNumber,
    pub region: Region,
    pub operator: Operator,
    pub provider: Provider,
    pub healthy: bool,
    /// Live bindings on this VN; filled by [`DynamoStore::list_pool`] only.
    pub live_bindings: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolInsert {
    Added,
    /// The VN was already in the pool; nothing changed.
    AlreadyPresent,
}

impl DynamoStore {
    /// Adds a VN (healthy) and registers its region, in one transaction. Re-adding a VN changes
    /// nothing, so an import can be re-run safely.
    pub async fn add_number(&self, entry: &PoolEntry) -> Result<PoolInsert, StoreError> {
        let mut number = Item::new();
        number.insert(layout::PK.into(), s(layout::vn_pk(&entry.vn)));
        number.insert(layout::SK.into(), s(layout::META));
        number.insert(
            layout::GSI1_PK.into(),
            s(layout::pool_gsi_pk(&entry.region)),
        );
        number.insert(
            layout::GSI1_SK.into(),
            s(format!("{}#{}", entry.operator, entry.vn)),
        );
        number.insert(attr::VN.into(), s(entry.vn.as_str()));
        number.insert(attr::REGION.into(), s(entry.region.as_str()));
        number.insert(attr::OPERATOR.into(), s(entry.operator.as_str()));
        number.insert(attr::PROVIDER.into(), s(entry.provider.as_str()));
        number.insert(attr::HEALTH.into(), s(HEALTHY));
        number.insert(attr::ADDED_AT.into(), n(millis(Utc::now())));

        let mut region = Item::new();
        region.insert(layout::PK.into(), s(layout::REGIONS));
        region.insert(layout::SK.into(), s(entry.region.as_str()));

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
    pub async fn pool_of_region(&self, region: &Region) -> Result<Vec<PoolEntryView>, StoreError> {
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
        items.iter().map(pool_entry_from).collect()
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
        let mut entries = Vec::new();
        for region in &regions {
            for mut entry in self.pool_of_region(region).await? {
                entry.live_bindings = Some(self.live_binding_count(&entry.vn, now).await?);
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    async fn live_binding_count(
        &self,
        vn: &VirtualNumber,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut count = 0;
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :bind)")
            .filter_expression("live_until > :now")
            .expression_attribute_values(":pk", s(layout::vn_pk(vn)))
            .expression_attribute_values(":bind", s(layout::BIND_PREFIX))
            .expression_attribute_values(":now", n(millis(now)))
            .select(Select::Count)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            count += page
                .map_err(|e| StoreError::Unavailable(describe(e)))?
                .count as usize;
        }
        Ok(count)
    }
}

fn pool_entry_from(item: &Item) -> Result<PoolEntryView, StoreError> {
    let bad = |what: &str| StoreError::Corrupt(format!("pool item has a bad {what}"));
    Ok(PoolEntryView {
        vn: VirtualNumber::parse(get_s(item, attr::VN)?, None).map_err(|_| bad("vn"))?,
        region: Region::parse(get_s(item, attr::REGION)?).map_err(|_| bad("region"))?,
        operator: Operator::parse(get_s(item, attr::OPERATOR)?).map_err(|_| bad("operator"))?,
        provider: Provider::parse(get_s(item, attr::PROVIDER)?).map_err(|_| bad("provider"))?,
        healthy: opt_s(item, attr::HEALTH) != Some(UNHEALTHY),
        live_bindings: None,
    })
}
