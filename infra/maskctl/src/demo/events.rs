//! The order platform's events as the walkthrough sends them: the detail of a `DriverAssigned`
//! (shaped like events/driver-assigned.json), and an SQS batch of such events as Lambda's event
//! source mapping hands it to allocate-numbers, for the steps that invoke the function directly.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::people::Person;

pub fn driver_assigned(order: &str, region: &str, customer: Person, driver: Person) -> Value {
    json!({
        "order_id": order,
        "region": region,
        "customer": {"id": customer.id, "phone": customer.phone},
        "driver": {"id": driver.id, "phone": driver.phone},
    })
}

/// One message of a batch: its id (what a partial failure names), detail type and detail.
pub struct Message<'a> {
    pub id: &'a str,
    pub detail_type: &'a str,
    pub detail: Value,
}

/// The batch, every event stamped `now`: allocate-numbers ignores events older than
/// `SESSION_MAX_SECONDS`, so a fixed time would make the walkthrough age out.
pub fn sqs_batch(messages: Vec<Message>, now: DateTime<Utc>) -> Value {
    let millis = now.timestamp_millis().to_string();
    let time = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let records: Vec<Value> = messages
        .into_iter()
        .map(|m| {
            let body = json!({
                "version": "0", "id": format!("{:032x}", rand::random::<u128>()),
                "detail-type": m.detail_type, "source": super::bus::ORDER_PLATFORM,
                "account": "123456789012", "time": time, "region": "us-east-1",
                "resources": [], "detail": m.detail,
            });
            json!({
                "messageId": m.id, "receiptHandle": format!("local-{}", m.id),
                "body": body.to_string(),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": millis,
                               "SenderId": "local", "ApproximateFirstReceiveTimestamp": millis},
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:maskline-local",
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    json!({ "Records": records })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::people::{AGENT_D7, CUSTOMER_1};

    #[test]
    fn a_batch_carries_each_event_as_an_eventbridge_envelope() {
        let now = Utc::now();
        let batch = sqs_batch(
            vec![Message {
                id: "msg-ord-1",
                detail_type: "DriverAssigned",
                detail: driver_assigned("ORD-1", "blr", CUSTOMER_1, AGENT_D7),
            }],
            now,
        );
        let record = &batch["Records"][0];
        assert_eq!(record["messageId"], "msg-ord-1");
        let body: Value = serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["detail-type"], "DriverAssigned");
        assert_eq!(body["source"], "orders");
        assert_eq!(body["detail"]["driver"]["id"], "D-7");
        assert_eq!(
            body["time"],
            now.to_rfc3339_opts(SecondsFormat::Secs, true).as_str()
        );
    }
}
