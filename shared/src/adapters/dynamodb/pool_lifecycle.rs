//! [`PoolStore`] on DynamoDB: targets, refill leases (in `refill_lease`), activation, give-back,
//! health and suspects.
//! Every state change is a conditional write, so concurrent refills and failovers cannot undo
//! each other.

use std::collections::HashSet;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};

use super::items::{get_n, get_s, get_time_ms, key, n, opt_s, parse_with, s, Item};
use super::layout::{self, attr};
use super::pool::{pool_number_from, pool_number_item, region_item};
use super::session_write::describe;
use super::{query_all, DynamoStore};
use crate::domain::pool::{Health, PoolNumber, PoolState, PoolTarget};
use crate::domain::refill_plan::VnUsage;
use crate::domain::{Operator, OrderId, Provider, Region, VirtualNumber};
use crate::ports::{Activation, PoolStore, StoreError};
use crate::privacy::CallerKey;

pub(super) fn unavailable<E: std::error::Error + Send + Sync + 'static>(e: E) -> StoreError {
    StoreError::Unavailable(describe(e))
}

/// Whether an error is a failed condition (the expected "someone else got there first").
pub(super) fn condition_failed<E, R>(err: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    matches!(err, SdkError::ServiceError(e) if e.err().code() == Some("ConditionalCheckFailedException"))
}

impl DynamoStore {
    /// Moves a number from one pool state to another, if it is in `from`.
    async fn change_state(
        &self,
        vn: &VirtualNumber,
        from: PoolState,
        to: PoolState,
        extra_condition: Option<&str>,
    ) -> Result<bool, StoreError> {
        let condition = match extra_condition {
            None => "#state = :from".to_string(),
            Some(more) => format!("#state = :from AND {more}"),
        };
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(layout::vn_pk(vn), layout::META)))
            .condition_expression(condition)
            .expression_attribute_names("#state", attr::POOL_STATE)
            .expression_attribute_names("#gsi3pk", layout::GSI3_PK)
            .expression_attribute_names("#gsi3sk", layout::GSI3_SK)
            .expression_attribute_values(":from", s(from.as_str()))
            .expression_attribute_values(":to", s(to.as_str()));
        // Only active numbers are in the allocation index (see `layout::GSI3`).
        let mut update = if to == PoolState::Active {
            update
                .update_expression("SET #state = :to, #gsi3pk = #region, #gsi3sk = :alloc")
                .expression_attribute_names("#region", attr::REGION)
                .expression_attribute_values(":alloc", s(layout::allocation_key(vn)))
        } else {
            update.update_expression("SET #state = :to REMOVE #gsi3pk, #gsi3sk")
        };
        if extra_condition.is_some() {
            update = update
                .expression_attribute_names("#health", attr::HEALTH)
                .expression_attribute_values(":healthy", s(Health::Healthy.as_str()));
        }
        match update.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn vn_partition(&self, vn: &VirtualNumber) -> Result<Vec<Item>, StoreError> {
        query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(layout::vn_pk(vn)))
                .consistent_read(true),
        )
        .await
    }
}

#[async_trait]
impl PoolStore for DynamoStore {
    async fn regions(&self) -> Result<Vec<Region>, StoreError> {
        DynamoStore::regions(self).await
    }

    async fn numbers_of_region(&self, region: &Region) -> Result<Vec<PoolNumber>, StoreError> {
        self.pool_of_region(region).await
    }

    async fn pool_number(&self, vn: &VirtualNumber) -> Result<Option<PoolNumber>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(layout::vn_pk(vn), layout::META)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        output.item.as_ref().map(pool_number_from).transpose()
    }

    async fn targets(&self, region: &Region) -> Result<Vec<PoolTarget>, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(layout::target_pk(region)))
                .consistent_read(true),
        )
        .await?;
        items
            .iter()
            .map(|item| {
                Ok(PoolTarget {
                    region: region.clone(),
                    operator: parse_with(item, layout::SK, Operator::parse)?,
                    provider: parse_with(item, attr::PROVIDER, Provider::parse)?,
                    min: get_n(item, attr::MIN)?.max(0) as u32,
                    search: opt_s(item, attr::SEARCH).map(str::to_string),
                })
            })
            .collect()
    }

    async fn set_target(&self, target: &PoolTarget) -> Result<(), StoreError> {
        let mut item = key(layout::target_pk(&target.region), target.operator.as_str());
        item.insert(attr::PROVIDER.into(), s(target.provider.as_str()));
        item.insert(attr::MIN.into(), n(i64::from(target.min)));
        if let Some(search) = &target.search {
            item.insert(attr::SEARCH.into(), s(search));
        }
        for item in [item, region_item(&target.region)] {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }

    async fn usage(&self, vn: &VirtualNumber, now: DateTime<Utc>) -> Result<VnUsage, StoreError> {
        let mut usage = VnUsage::default();
        let mut live_orders = HashSet::new();
        for item in self.vn_partition(vn).await? {
            let sk = get_s(&item, layout::SK)?;
            let is_binding = sk.starts_with(layout::BIND_PREFIX);
            if !is_binding && sk != layout::LOCK {
                continue;
            }
            let live_until = get_time_ms(&item, attr::LIVE_UNTIL)?;
            if is_binding {
                usage.last_bound_until = usage.last_bound_until.max(Some(live_until));
                if live_until > now {
                    let caller = &sk[layout::BIND_PREFIX.len()..];
                    usage
                        .live_callers
                        .push(CallerKey::from_stored(caller.to_string()));
                    live_orders.insert(get_s(&item, attr::ORDER_ID)?.to_string());
                }
            } else if live_until > now {
                usage.locked = true;
            }
        }
        usage.live_sessions = live_orders.len() as u32;
        Ok(usage)
    }

    async fn orders_on(
        &self,
        vn: &VirtualNumber,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderId>, StoreError> {
        let mut orders = Vec::new();
        let mut seen = HashSet::new();
        for item in self.vn_partition(vn).await? {
            let sk = get_s(&item, layout::SK)?;
            if !(sk.starts_with(layout::BIND_PREFIX) || sk == layout::LOCK) {
                continue;
            }
            if get_time_ms(&item, attr::LIVE_UNTIL)? <= now {
                continue;
            }
            let order = parse_with(&item, attr::ORDER_ID, OrderId::parse)?;
            if seen.insert(order.clone()) {
                orders.push(order);
            }
        }
        Ok(orders)
    }

    async fn index_for_allocation(&self, region: &Region) -> Result<u32, StoreError> {
        self.index_active_numbers(region).await
    }

    async fn take_refill_lease(
        &self,
        region: &Region,
        operator: &Operator,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.take_lease(region, operator, holder, now, until).await
    }

    async fn renew_refill_lease(
        &self,
        region: &Region,
        operator: &Operator,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.renew_lease(region, operator, holder, now, until).await
    }

    async fn end_refill_lease(
        &self,
        region: &Region,
        operator: &Operator,
        holder: &str,
        settle_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.end_lease(region, operator, holder, settle_until).await
    }

    async fn note_acquisition(
        &self,
        region: &Region,
        operator: &Operator,
        vn: &VirtualNumber,
    ) -> Result<(), StoreError> {
        self.add_note(region, operator, vn).await
    }

    async fn recent_acquisitions(
        &self,
        region: &Region,
        operator: &Operator,
    ) -> Result<Vec<VirtualNumber>, StoreError> {
        self.notes(region, operator).await
    }

    async fn forget_acquisitions(
        &self,
        region: &Region,
        operator: &Operator,
        vns: &[VirtualNumber],
    ) -> Result<(), StoreError> {
        self.drop_notes(region, operator, vns).await
    }

    async fn activate(&self, number: &PoolNumber) -> Result<Activation, StoreError> {
        let item = pool_number_item(&PoolNumber {
            state: PoolState::Active,
            health: Health::Healthy,
            suspect: false,
            ..number.clone()
        });
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            // A standby number someone marked unhealthy stays out.
            .condition_expression(
                "attribute_not_exists(pk) OR (#state = :standby AND #health = :healthy)",
            )
            .expression_attribute_names("#state", attr::POOL_STATE)
            .expression_attribute_names("#health", attr::HEALTH)
            .expression_attribute_values(":standby", s(PoolState::Standby.as_str()))
            .expression_attribute_values(":healthy", s(Health::Healthy.as_str()))
            .send()
            .await;
        match result {
            Ok(_) => {}
            Err(e) if condition_failed(&e) => return Ok(Activation::Unchanged),
            Err(e) => return Err(unavailable(e)),
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(region_item(&number.region)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(Activation::Activated)
    }

    async fn begin_give_back(&self, vn: &VirtualNumber) -> Result<bool, StoreError> {
        self.change_state(
            vn,
            PoolState::Active,
            PoolState::Retiring,
            Some("#health = :healthy"),
        )
        .await
    }

    async fn finish_give_back(&self, vn: &VirtualNumber, keep: bool) -> Result<(), StoreError> {
        if keep {
            self.change_state(vn, PoolState::Retiring, PoolState::Standby, None)
                .await?;
            return Ok(());
        }
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(layout::vn_pk(vn), layout::META)))
            .condition_expression("#state = :retiring")
            .expression_attribute_names("#state", attr::POOL_STATE)
            .expression_attribute_values(":retiring", s(PoolState::Retiring.as_str()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn cancel_give_back(&self, vn: &VirtualNumber) -> Result<(), StoreError> {
        self.change_state(vn, PoolState::Retiring, PoolState::Active, None)
            .await?;
        Ok(())
    }

    async fn set_health(
        &self,
        vn: &VirtualNumber,
        health: Health,
    ) -> Result<Option<PoolNumber>, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(layout::vn_pk(vn), layout::META)))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#health", attr::HEALTH)
            .expression_attribute_values(":health", s(health.as_str()))
            .return_values(ReturnValue::AllNew);
        // A number declared healthy again starts with a clean record.
        update = match health {
            Health::Unhealthy => update.update_expression("SET #health = :health"),
            Health::Healthy => update
                .update_expression("SET #health = :health, #failures = :zero REMOVE #suspect")
                .expression_attribute_names("#failures", attr::CONSECUTIVE_FAILURES)
                .expression_attribute_names("#suspect", attr::SUSPECT)
                .expression_attribute_values(":zero", n(0)),
        };
        match update.send().await {
            Ok(output) => output.attributes.as_ref().map(pool_number_from).transpose(),
            Err(e) if condition_failed(&e) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn record_call_outcome(
        &self,
        vn: &VirtualNumber,
        failed: bool,
    ) -> Result<u32, StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(layout::vn_pk(vn), layout::META)))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#failures", attr::CONSECUTIVE_FAILURES)
            .return_values(ReturnValue::UpdatedNew);
        let update = if failed {
            update
                .update_expression("ADD #failures :one")
                .expression_attribute_values(":one", n(1))
        } else {
            update
                .update_expression("SET #failures = :zero")
                .expression_attribute_values(":zero", n(0))
        };
        match update.send().await {
            Ok(output) => Ok(output
                .attributes
                .as_ref()
                .map_or(Ok(0), |a| get_n(a, attr::CONSECUTIVE_FAILURES))?
                .max(0) as u32),
            // A VN that left the pool: nothing to count.
            Err(e) if condition_failed(&e) => Ok(0),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn mark_suspect(&self, vn: &VirtualNumber) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(layout::vn_pk(vn), layout::META)))
            .update_expression("SET #suspect = :yes")
            .condition_expression("attribute_exists(pk) AND NOT #suspect = :yes")
            .expression_attribute_names("#suspect", attr::SUSPECT)
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }
}
