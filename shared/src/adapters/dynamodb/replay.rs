//! [`ReplayGuard`] on DynamoDB: one conditional put per request id, kept until it may be forgotten.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::items::{key, n};
use super::layout::{self, attr};
use super::session_write::describe;
use super::DynamoStore;
use crate::ports::{ReplayGuard, RequestId, StoreError};

fn request_key(request: &RequestId) -> super::items::Item {
    key(
        layout::replay_pk(request.hook, request.provider.as_str(), &request.id),
        layout::REPLAY_SK,
    )
}

#[async_trait]
impl ReplayGuard for DynamoStore {
    async fn first_time(
        &self,
        request: &RequestId,
        keep_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let until = (now + keep_for).timestamp_millis();
        let mut item = request_key(request);
        item.insert(attr::LIVE_UNTIL.into(), n(until));
        item.insert(layout::TTL.into(), n((now + keep_for).timestamp()));
        let put = self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            // TTL removes items lazily: an expired marker counts as absent.
            .condition_expression("attribute_not_exists(pk) OR live_until <= :now")
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(StoreError::Unavailable(describe(e))),
        }
    }

    async fn forget(&self, request: &RequestId) -> Result<(), StoreError> {
        self.client()
            .delete_item()
            .table_name(self.table())
            .set_key(Some(request_key(request)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StoreError::Unavailable(describe(e)))
    }
}
