//! The call log: one item per (provider, call id, status) in the order's partition.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};

use super::items::{get_s, key, n, s, Item};
use super::layout::{self, attr};
use super::session_write::describe;
use super::{query_all, DynamoStore};
use crate::domain::{OrderId, Side, VirtualNumber};
use crate::ports::{CallLog, CallRecord, Recorded, StoreError};
use crate::providers::CallStatus;

fn call_sk(record: &CallRecord) -> String {
    format!(
        "{}{}#{}#{}",
        layout::CALL_PREFIX,
        record.provider,
        record.call_id,
        record.status.as_str()
    )
}

fn call_item(record: &CallRecord, announced: bool) -> Item {
    let mut item = key(layout::order_pk(&record.order_id), call_sk(record));
    item.insert(attr::ORDER_ID.into(), s(record.order_id.as_str()));
    item.insert(attr::PROVIDER.into(), s(record.provider.as_str()));
    item.insert(attr::CALL_ID.into(), s(&record.call_id));
    item.insert(attr::CALL_STATUS.into(), s(record.status.as_str()));
    item.insert(attr::CALLER_SIDE.into(), s(record.caller_side.as_str()));
    item.insert(attr::DIALLED.into(), s(record.dialled.as_str()));
    item.insert(attr::REPORTED_AT.into(), s(record.reported_at.to_rfc3339()));
    item.insert(attr::ANNOUNCED.into(), AttributeValue::Bool(announced));
    item.insert(
        layout::TTL.into(),
        n(record.reported_at.timestamp() + layout::CALL_LOG_RETENTION_SECONDS),
    );
    if let Some(d) = record.duration_seconds {
        item.insert(attr::DURATION.into(), n(i64::from(d)));
    }
    if record.retried_on_backup {
        item.insert(attr::RETRIED_ON_BACKUP.into(), AttributeValue::Bool(true));
    }
    item
}

fn call_from(item: &Item) -> Result<CallRecord, StoreError> {
    let bad = |what: &str| StoreError::Corrupt(format!("call record has a bad {what}"));
    Ok(CallRecord {
        order_id: OrderId::parse(get_s(item, attr::ORDER_ID)?).map_err(|_| bad("order id"))?,
        provider: get_s(item, attr::PROVIDER)?
            .parse()
            .map_err(|_| bad("provider"))?,
        call_id: get_s(item, attr::CALL_ID)?.to_string(),
        status: CallStatus::parse(get_s(item, attr::CALL_STATUS)?).ok_or_else(|| bad("status"))?,
        caller_side: Side::parse(get_s(item, attr::CALLER_SIDE)?)
            .ok_or_else(|| bad("caller side"))?,
        dialled: VirtualNumber::parse(get_s(item, attr::DIALLED)?, None).map_err(|_| bad("vn"))?,
        duration_seconds: item
            .get(attr::DURATION)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok()),
        reported_at: DateTime::parse_from_rfc3339(get_s(item, attr::REPORTED_AT)?)
            .map_err(|_| bad("timestamp"))?
            .with_timezone(&Utc),
        retried_on_backup: item
            .get(attr::RETRIED_ON_BACKUP)
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false),
    })
}

#[async_trait]
impl CallLog for DynamoStore {
    async fn record_call(
        &self,
        record: &CallRecord,
        announced: bool,
    ) -> Result<Recorded, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(call_item(record, announced)))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Recorded::New),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                let announced = match e.err() {
                    aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => c
                        .item()
                        .and_then(|old| old.get(attr::ANNOUNCED))
                        .and_then(|v| v.as_bool().ok())
                        .copied()
                        // Without the old item we cannot tell: assume announced rather than
                        // risk a duplicate event (the first delivery published or will retry).
                        .unwrap_or(true),
                    _ => true,
                };
                Ok(Recorded::Duplicate { announced })
            }
            Err(e) => Err(StoreError::Unavailable(describe(e))),
        }
    }

    async fn mark_announced(&self, record: &CallRecord) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                layout::order_pk(&record.order_id),
                call_sk(record),
            )))
            .update_expression("SET announced = :yes")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(describe(e)))?;
        Ok(())
    }

    async fn call_log(&self, order_id: &OrderId) -> Result<Vec<CallRecord>, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :call)")
                .expression_attribute_values(":pk", s(layout::order_pk(order_id)))
                .expression_attribute_values(":call", s(layout::CALL_PREFIX))
                .consistent_read(true),
        )
        .await?;
        let mut calls = items.iter().map(call_from).collect::<Result<Vec<_>, _>>()?;
        calls.sort_by_key(|c| c.reported_at);
        Ok(calls)
    }
}
