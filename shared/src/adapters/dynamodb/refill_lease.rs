//! The refill lease item (`LEASE#<region>` / `<operator>`): who refills that operator right now,
//! and which numbers refill acquired lately.
//!
//! The notes exist because the pool is listed through GSI1, which is eventually consistent: a
//! number activated a moment ago may be missing from it, and a refill counting from the index
//! alone would buy it again. Writes stay on `LEASE#` keys, which the refill role may write.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::items::{key, millis, n, s};
use super::layout::{self, attr};
use super::pool_lifecycle::{condition_failed, unavailable};
use super::DynamoStore;
use crate::domain::{Operator, Region, VirtualNumber};
use crate::ports::StoreError;

/// An hour past the lease: long after the index caught up with anything the notes name.
const KEEP_SECONDS: i64 = 3600;

impl DynamoStore {
    fn lease_key(region: &Region, operator: &Operator) -> super::items::Item {
        key(layout::lease_pk(region), operator.as_str())
    }

    /// Takes the lease unless someone else's is still running.
    pub(super) async fn take_lease(
        &self,
        region: &Region,
        operator: &Operator,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let lapsed = "attribute_not_exists(pk) OR attribute_not_exists(#live) OR #live <= :now";
        self.set_lease(region, operator, holder, now, until, lapsed)
            .await
    }

    /// Extends `holder`'s lease, only while it still holds it and it has not lapsed.
    pub(super) async fn renew_lease(
        &self,
        region: &Region,
        operator: &Operator,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let held = "#holder = :holder AND #live > :now";
        self.set_lease(region, operator, holder, now, until, held)
            .await
    }

    /// Makes `holder` the lease's holder until `until` when `condition` holds at `now`. An
    /// UpdateItem rather than a Put, so the notes of earlier holders survive.
    async fn set_lease(
        &self,
        region: &Region,
        operator: &Operator,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        condition: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::lease_key(region, operator)))
            .update_expression("SET #holder = :holder, #live = :until, #ttl = :ttl")
            .condition_expression(condition)
            .expression_attribute_names("#holder", attr::HOLDER)
            .expression_attribute_names("#live", attr::LIVE_UNTIL)
            .expression_attribute_names("#ttl", layout::TTL)
            .expression_attribute_values(":holder", s(holder))
            .expression_attribute_values(":until", n(millis(until)))
            .expression_attribute_values(":ttl", n(until.timestamp() + KEEP_SECONDS))
            .expression_attribute_values(":now", n(millis(now)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    pub(super) async fn end_lease(
        &self,
        region: &Region,
        operator: &Operator,
        holder: &str,
        settle_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::lease_key(region, operator)))
            .update_expression("SET #live = :until")
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#holder", attr::HOLDER)
            .expression_attribute_names("#live", attr::LIVE_UNTIL)
            .expression_attribute_values(":holder", s(holder))
            .expression_attribute_values(":until", n(millis(settle_until)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Changes the notes set: `ADD` or `DELETE` (DynamoDB drops a set that becomes empty).
    async fn change_notes(
        &self,
        region: &Region,
        operator: &Operator,
        action: &str,
        vns: &[VirtualNumber],
    ) -> Result<(), StoreError> {
        if vns.is_empty() {
            return Ok(());
        }
        let set = AttributeValue::Ss(vns.iter().map(|vn| vn.as_str().to_string()).collect());
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::lease_key(region, operator)))
            .update_expression(format!("{action} #notes :vns"))
            .expression_attribute_names("#notes", attr::RECENTLY_ACQUIRED)
            .expression_attribute_values(":vns", set)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    pub(super) async fn add_note(
        &self,
        region: &Region,
        operator: &Operator,
        vn: &VirtualNumber,
    ) -> Result<(), StoreError> {
        self.change_notes(region, operator, "ADD", std::slice::from_ref(vn))
            .await
    }

    pub(super) async fn drop_notes(
        &self,
        region: &Region,
        operator: &Operator,
        vns: &[VirtualNumber],
    ) -> Result<(), StoreError> {
        self.change_notes(region, operator, "DELETE", vns).await
    }

    pub(super) async fn notes(
        &self,
        region: &Region,
        operator: &Operator,
    ) -> Result<Vec<VirtualNumber>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::lease_key(region, operator)))
            .projection_expression("#notes")
            .expression_attribute_names("#notes", attr::RECENTLY_ACQUIRED)
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(set) = output
            .item
            .as_ref()
            .and_then(|item| item.get(attr::RECENTLY_ACQUIRED))
            .and_then(|v| v.as_ss().ok())
        else {
            return Ok(Vec::new());
        };
        set.iter()
            .map(|raw| {
                VirtualNumber::parse(raw, None).map_err(|_| {
                    StoreError::Corrupt("a refill lease notes a malformed VN".to_string())
                })
            })
            .collect()
    }
}
