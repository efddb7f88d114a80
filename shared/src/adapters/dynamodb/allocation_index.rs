//! The allocation index (GSI3): a region's active numbers under random keys. An allocation reads
//! one small window of it from a random place, widening only while the window has nothing usable,
//! so its reads do not grow with the pool while picks still spread over all of it.

use aws_sdk_dynamodb::types::KeysAndAttributes;

use super::items::{get_s, key, parse_with, s, Item};
use super::layout::{self, attr, GSI3, GSI3_PK, GSI3_SK};
use super::pool::pool_number_from;
use super::session_write::describe;
use super::DynamoStore;
use crate::domain::pool::Health;
use crate::domain::{Operator, Provider, Region, VirtualNumber};
use crate::ports::{Allocatable, AllocationWindow, PoolNumber, StoreError, WindowCursor};

/// Index entries read per window: one read unit's worth, and plenty of choice for two numbers.
/// (`maskctl plan` replays allocations with windows of the same size.)
pub const WINDOW: i32 = 32;

fn unavailable<E: std::error::Error + Send + Sync + 'static>(e: E) -> StoreError {
    StoreError::Unavailable(describe(e))
}

impl DynamoStore {
    pub(super) async fn read_window(
        &self,
        region: &Region,
        cursor: &WindowCursor,
    ) -> Result<AllocationWindow, StoreError> {
        // The part from `start` to the end, then (wrapped) the part before `start`.
        let condition = if cursor.wrapped {
            "#pk = :region AND #sk < :start"
        } else {
            "#pk = :region AND #sk >= :start"
        };
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI3)
            .key_condition_expression(condition)
            .filter_expression("#health = :healthy")
            .expression_attribute_names("#pk", GSI3_PK)
            .expression_attribute_names("#sk", GSI3_SK)
            .expression_attribute_names("#health", attr::HEALTH)
            .expression_attribute_values(":region", s(region.as_str()))
            .expression_attribute_values(":start", s(&cursor.start))
            .expression_attribute_values(":healthy", s(Health::Healthy.as_str()))
            .limit(WINDOW);
        let query = match &cursor.after {
            Some((index_key, vn)) => {
                let mut start = key(layout::vn_pk(vn), layout::META);
                start.insert(GSI3_PK.into(), s(region.as_str()));
                start.insert(GSI3_SK.into(), s(index_key));
                query.set_exclusive_start_key(Some(start))
            }
            None => query,
        };
        let output = query.send().await.map_err(unavailable)?;
        let numbers = output
            .items()
            .iter()
            .map(allocatable_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next = match output.last_evaluated_key() {
            Some(last) => Some(WindowCursor {
                after: Some((
                    get_s(last, GSI3_SK)?.to_string(),
                    parse_with(last, layout::PK, |pk| {
                        VirtualNumber::parse(pk.trim_start_matches("VN#"), None)
                    })?,
                )),
                ..cursor.clone()
            }),
            None if !cursor.wrapped => Some(WindowCursor {
                start: cursor.start.clone(),
                wrapped: true,
                after: None,
            }),
            None => None,
        };
        Ok(AllocationWindow { numbers, next })
    }

    pub(super) async fn read_pool_entries(
        &self,
        vns: &[VirtualNumber],
    ) -> Result<Vec<PoolNumber>, StoreError> {
        if vns.is_empty() {
            return Ok(Vec::new());
        }
        let keys = vns
            .iter()
            .map(|vn| key(layout::vn_pk(vn), layout::META))
            .collect::<Vec<_>>();
        let mut request = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .build()
            .expect("keys are set");
        let mut numbers = Vec::new();
        // BatchGetItem may leave keys unprocessed under load: ask again for those.
        loop {
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(unavailable)?;
            if let Some(items) = output.responses().and_then(|r| r.get(&self.table)) {
                for item in items {
                    numbers.push(pool_number_from(item)?);
                }
            }
            match output
                .unprocessed_keys()
                .and_then(|u| u.get(&self.table))
                .filter(|k| !k.keys().is_empty())
            {
                Some(left) => request = left.clone(),
                None => return Ok(numbers),
            }
        }
    }

    pub(super) async fn region_registered(&self, region: &Region) -> Result<bool, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(layout::REGIONS.to_string(), region.as_str())))
            // "Unknown region" sends the order to the DLQ at once: it must not rest on a read
            // that may predate the region's first numbers.
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(output.item.is_some())
    }

    /// Puts the region's active numbers that are missing from the allocation index into it
    /// (numbers added before the index existed). Reads the whole region: run by the scheduled
    /// refill, never on an allocation. Returns how many were indexed.
    pub async fn index_active_numbers(&self, region: &Region) -> Result<u32, StoreError> {
        let missing = super::query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(layout::GSI1)
                .key_condition_expression("#pk = :pk")
                .filter_expression("#state = :active AND attribute_not_exists(#gsi3pk)")
                .expression_attribute_names("#pk", layout::GSI1_PK)
                .expression_attribute_names("#state", attr::POOL_STATE)
                .expression_attribute_names("#gsi3pk", GSI3_PK)
                .expression_attribute_values(":pk", s(layout::pool_gsi_pk(region)))
                .expression_attribute_values(":active", s("active")),
        )
        .await?;
        let mut indexed = 0;
        for item in &missing {
            let vn = parse_with(item, attr::VN, |v| VirtualNumber::parse(v, None))?;
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(layout::vn_pk(&vn), layout::META)))
                .update_expression("SET #gsi3pk = #region, #gsi3sk = :alloc")
                .condition_expression("#state = :active AND attribute_not_exists(#gsi3pk)")
                .expression_attribute_names("#gsi3pk", GSI3_PK)
                .expression_attribute_names("#gsi3sk", GSI3_SK)
                .expression_attribute_names("#region", attr::REGION)
                .expression_attribute_names("#state", attr::POOL_STATE)
                .expression_attribute_values(":alloc", s(layout::allocation_key(&vn)))
                .expression_attribute_values(":active", s("active"))
                .send()
                .await;
            match result {
                Ok(_) => indexed += 1,
                // Its state changed meanwhile: whatever changed it keeps the index right.
                Err(e) if super::pool_lifecycle::condition_failed(&e) => {}
                Err(e) => return Err(unavailable(e)),
            }
        }
        Ok(indexed)
    }
}

fn allocatable_from(item: &Item) -> Result<Allocatable, StoreError> {
    Ok(Allocatable {
        vn: parse_with(item, attr::VN, |v| VirtualNumber::parse(v, None))?,
        operator: parse_with(item, attr::OPERATOR, Operator::parse)?,
        provider: parse_with(item, attr::PROVIDER, Provider::parse)?,
    })
}
