//! The slot items of a capped VN (`VN#… / SLOT#k`, see [`crate::ports::NumberSlot`]): which are
//! held by live sessions, read from the VN's own partition with one strongly consistent query.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::items::{get_s, get_time_ms, s};
use super::layout::{self, attr};
use super::{query_all, DynamoStore};
use crate::domain::{OrderId, VirtualNumber};
use crate::ports::StoreError;

impl DynamoStore {
    pub(super) async fn read_held_slots(
        &self,
        vn: &VirtualNumber,
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<u32, OrderId>, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :slot)")
                .expression_attribute_names("#pk", layout::PK)
                .expression_attribute_names("#sk", layout::SK)
                .expression_attribute_values(":pk", s(layout::vn_pk(vn)))
                .expression_attribute_values(":slot", s(layout::SLOT_PREFIX)),
        )
        .await?;
        let mut held = BTreeMap::new();
        for item in &items {
            if get_time_ms(item, attr::LIVE_UNTIL)? <= now {
                continue; // expired: free to claim
            }
            let slot = get_s(item, layout::SK)?
                .strip_prefix(layout::SLOT_PREFIX)
                .and_then(|k| k.parse::<u32>().ok())
                .ok_or_else(|| StoreError::Corrupt("a slot item with a bad sort key".into()))?;
            let order = OrderId::parse(get_s(item, attr::ORDER_ID)?)
                .map_err(|_| StoreError::Corrupt("a slot holds a bad order id".into()))?;
            held.insert(slot, order);
        }
        Ok(held)
    }
}
