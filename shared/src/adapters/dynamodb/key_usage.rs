//! Counting what each key still serves, for `maskctl keys status`: a scan of the live sessions
//! and bindings, reading only the attributes that name keys.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::items::{millis, n, opt_s, s, Item};
use super::layout::{self, attr};
use super::session_write::describe;
use super::DynamoStore;
use crate::ports::StoreError;
use crate::privacy::{KeyId, KeyUsage, SealedNumber};

impl DynamoStore {
    /// Live sessions and bindings by the hash and encryption keys their values were made with.
    /// A full scan (an operator's occasional question, never on a request path), consistent so a
    /// count of zero can be trusted before a key is dropped.
    pub async fn key_usage(&self, now: DateTime<Utc>) -> Result<KeyUsage, StoreError> {
        let mut usage = KeyUsage::default();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                // A shadow binding (a copy under an older key, see `BindingWrite::shadow`)
                // answers no call of its own: its key can be dropped while it is live.
                .filter_expression(
                    "#live > :now AND (#sk = :session OR begins_with(#sk, :binding)) \
                     AND attribute_not_exists(#shadow)",
                )
                .projection_expression("#sk, #ck, #dk, #cs, #ds, #caller_key_id, #callee")
                .expression_attribute_names("#live", attr::LIVE_UNTIL)
                .expression_attribute_names("#sk", layout::SK)
                .expression_attribute_names("#ck", attr::CUSTOMER_KEY_ID)
                .expression_attribute_names("#dk", attr::DRIVER_KEY_ID)
                .expression_attribute_names("#cs", attr::CUSTOMER_SEALED)
                .expression_attribute_names("#ds", attr::DRIVER_SEALED)
                .expression_attribute_names("#caller_key_id", attr::CALLER_KEY_ID)
                .expression_attribute_names("#callee", attr::CALLEE)
                .expression_attribute_names("#shadow", attr::SHADOW)
                .expression_attribute_values(":now", n(millis(now)))
                .expression_attribute_values(":session", s(layout::SESSION))
                .expression_attribute_values(":binding", s(layout::BIND_PREFIX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| StoreError::Unavailable(describe(e)))?;
            for item in page.items() {
                tally(&mut usage, item);
            }
            start = page.last_evaluated_key().cloned().filter(|k| !k.is_empty());
            if start.is_none() {
                return Ok(usage);
            }
        }
    }
}

fn tally(usage: &mut KeyUsage, item: &Item) {
    let key_id = |name: &str| opt_s(item, name).map(|id| KeyId::from_stored(id.to_string()));
    let seal_id = |name: &str| {
        opt_s(item, name).and_then(|v| SealedNumber::from_stored(v.to_string()).key_id())
    };
    if item.get(layout::SK) == Some(&AttributeValue::S(layout::SESSION.into())) {
        // A tombstone (an order ended before its session) names no participant: nothing to count.
        let sides = [
            (attr::CUSTOMER_SEALED, attr::CUSTOMER_KEY_ID),
            (attr::DRIVER_SEALED, attr::DRIVER_KEY_ID),
        ];
        let present: Vec<_> = sides
            .iter()
            .filter(|(sealed, _)| item.contains_key(*sealed))
            .collect();
        if present.is_empty() {
            return;
        }
        let hash: Vec<_> = present.iter().map(|(_, id)| key_id(id)).collect();
        let seal: Vec<_> = present.iter().map(|(sealed, _)| seal_id(sealed)).collect();
        usage.count_session(&hash, &seal);
    } else {
        usage.count_binding(key_id(attr::CALLER_KEY_ID), seal_id(attr::CALLEE));
    }
}
