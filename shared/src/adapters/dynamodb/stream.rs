//! The table's stream records (as Lambda hands them to `announce`) read back into session
//! records, with the same item decoding the store uses: a stream image is the item as written.

use std::collections::HashMap;

use aws_lambda_events::event::dynamodb::EventRecord;
use aws_sdk_dynamodb::types::AttributeValue;

use super::items::{session_from_item, Item};
use super::layout;
use crate::ports::{SessionChange, StoreError};
use crate::services::StreamedChange;

/// One stream record: a session change, another kind of item (`None`), or a record that cannot
/// be read (an error naming only the item's key, never its values).
pub fn streamed_change(record: &EventRecord) -> StreamedChange {
    let change = &record.change;
    StreamedChange {
        // Lambda retries a shard from the sequence number a failure reports.
        position: change
            .sequence_number
            .clone()
            .unwrap_or_else(|| record.event_id.clone()),
        change: session_change(record),
    }
}

fn session_change(record: &EventRecord) -> Result<Option<SessionChange>, StoreError> {
    let keys = sdk_item(&record.change.keys);
    let sk = keys.get(layout::SK).and_then(|v| v.as_s().ok());
    match sk {
        Some(sk) if sk == layout::SESSION => {}
        Some(_) => return Ok(None),
        None => {
            return Err(StoreError::Corrupt(
                "stream record without a sort key".into(),
            ))
        }
    }
    let image = |item: &serde_dynamo::Item| {
        let item = sdk_item(item);
        if item.is_empty() {
            return Ok(None);
        }
        session_from_item(&item).map(Some)
    };
    let (before, after) = (
        image(&record.change.old_image)?,
        image(&record.change.new_image)?,
    );
    if before.is_none() && after.is_none() {
        // A session stream record always carries an image (NEW_AND_OLD_IMAGES): without one the
        // stream is misconfigured, and skipping would lose the change silently.
        return Err(StoreError::Corrupt(
            "session stream record without images (is the stream NEW_AND_OLD_IMAGES?)".into(),
        ));
    }
    Ok(Some(SessionChange { before, after }))
}

/// A stream image as an SDK item, by serde_dynamo's own conversion.
fn sdk_item(item: &serde_dynamo::Item) -> Item {
    HashMap::<String, AttributeValue>::from(item.clone())
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::event::dynamodb::Event;
    use serde_json::json;

    use super::*;

    fn record(
        keys: serde_json::Value,
        old: serde_json::Value,
        new: serde_json::Value,
    ) -> EventRecord {
        let event: Event = serde_json::from_value(json!({"Records": [{
            "eventID": "e-1", "eventName": "MODIFY", "awsRegion": "us-east-1",
            "dynamodb": {"Keys": keys, "OldImage": old, "NewImage": new,
                         "SequenceNumber": "111", "SizeBytes": 10,
                         "StreamViewType": "NEW_AND_OLD_IMAGES"}}]}))
        .unwrap();
        event.records.into_iter().next().unwrap()
    }

    fn session_image(version: u64, state: &str) -> serde_json::Value {
        json!({"pk": {"S": "ORDER#ORD-1"}, "sk": {"S": "SESSION"}, "order_id": {"S": "ORD-1"},
               "state": {"S": state}, "policy": {"S": "shared"}, "version": {"N": version.to_string()},
               "live_until": {"N": "1795000000000"},
               "customer_dials": {"S": "+918041000001"}, "driver_dials": {"S": "+918041000002"}})
    }

    #[test]
    fn a_session_record_decodes_both_images() {
        let keys = json!({"pk": {"S": "ORDER#ORD-1"}, "sk": {"S": "SESSION"}});
        let streamed = streamed_change(&record(
            keys,
            session_image(1, "active"),
            session_image(2, "released"),
        ));
        assert_eq!(streamed.position, "111");
        let change = streamed.change.unwrap().unwrap();
        assert_eq!(change.before.unwrap().version, 1);
        assert_eq!(change.after.unwrap().version, 2);
    }

    #[test]
    fn other_items_are_skipped_and_a_bad_session_is_an_error() {
        let binding = json!({"pk": {"S": "VN#+918041000001"}, "sk": {"S": "BIND#abc"}});
        let skipped = streamed_change(&record(binding, json!({}), json!({"x": {"S": "y"}})));
        assert!(matches!(skipped.change, Ok(None)));

        let keys = json!({"pk": {"S": "ORDER#ORD-1"}, "sk": {"S": "SESSION"}});
        let mut bad = session_image(2, "active");
        bad["state"] = json!({"S": "sideways"});
        let poison = streamed_change(&record(keys.clone(), json!({}), bad));
        assert!(matches!(poison.change, Err(StoreError::Corrupt(_))));
        let empty = streamed_change(&record(keys, json!({}), json!({})));
        assert!(empty.change.is_err());
    }
}
