//! Made-up numbers and events. Every number here is fictional: VNs in a Bengaluru landline block,
//! people in made-up mobile blocks, chosen only because libphonenumber deems them valid.

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{DateTime, Utc};
use maskline::domain::{VirtualNumber, E164};
use serde_json::json;

/// Test keys (base64 of 32 bytes); never used outside tests.
pub const HASH_KEY: &str = "bWFza2xpbmUtdGVzdC1oYXNoLWtleS0zMi1ieXRlcyE=";
pub const ENCRYPTION_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// The i-th virtual number of a test pool.
pub fn vn(i: u32) -> VirtualNumber {
    VirtualNumber::parse(&format!("+918041{i:06}"), None).expect("fixture VN is valid")
}

/// The phone of the i-th made-up customer.
pub fn customer_phone(i: u32) -> String {
    format!("+9198765{i:05}")
}

/// The phone of the i-th made-up delivery agent.
pub fn driver_phone(i: u32) -> String {
    format!("+9198764{i:05}")
}

pub fn e164(raw: &str) -> E164 {
    E164::parse(raw, None).expect("fixture number is valid")
}

/// A DriverAssigned exactly as EventBridge delivers it in an SQS body.
pub fn driver_assigned(order: &str, region: &str, customer: u32, driver: u32) -> String {
    driver_assigned_at(order, region, customer, driver, Utc::now())
}

pub fn driver_assigned_at(
    order: &str,
    region: &str,
    customer: u32,
    driver: u32,
    time: DateTime<Utc>,
) -> String {
    driver_assigned_with(order, region, customer, driver, time, json!({}))
}

/// A DriverAssigned whose detail also carries `ordering` (the platform's `sequence` and/or
/// `assigned_at`).
pub fn driver_assigned_with(
    order: &str,
    region: &str,
    customer: u32,
    driver: u32,
    time: DateTime<Utc>,
    ordering: serde_json::Value,
) -> String {
    let mut event = json!({
        "version": "0",
        "id": format!("evt-{order}-{driver}"),
        "detail-type": "DriverAssigned",
        "source": "orders",
        "account": "123456789012",
        "time": time.to_rfc3339(),
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "order_id": order,
            "region": region,
            "customer": {"id": format!("C-{customer}"), "phone": customer_phone(customer)},
            "driver": {"id": format!("D-{driver}"), "phone": driver_phone(driver)},
        }
    });
    for (field, value) in ordering.as_object().into_iter().flatten() {
        event["detail"][field] = value.clone();
    }
    event.to_string()
}

/// OrderDelivered or OrderCancelled.
pub fn order_ended(kind: &str, order: &str) -> String {
    order_ended_at(kind, order, Utc::now())
}

pub fn order_ended_at(kind: &str, order: &str, time: DateTime<Utc>) -> String {
    json!({
        "version": "0",
        "id": format!("evt-{kind}-{order}"),
        "detail-type": kind,
        "source": "orders",
        "time": time.to_rfc3339(),
        "detail": {"order_id": order}
    })
    .to_string()
}

/// A pool target: keep `min` healthy numbers of `operator` in `region`, from `provider`.
pub fn pool_target(
    region: &str,
    operator: &str,
    provider: &str,
    min: u32,
) -> maskline::domain::pool::PoolTarget {
    maskline::domain::pool::PoolTarget {
        region: maskline::domain::Region::parse(region).unwrap(),
        operator: maskline::domain::Operator::parse(operator).unwrap(),
        provider: maskline::domain::Provider::parse(provider).unwrap(),
        min,
        search: None,
    }
}

/// An SQS event carrying `bodies`, message ids `m0`, `m1`, …
pub fn sqs_event(bodies: &[String]) -> SqsEvent {
    let records: Vec<_> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            json!({
                "messageId": format!("m{i}"),
                "receiptHandle": format!("r{i}"),
                "body": body,
                "attributes": {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:allocate",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("valid SQS event")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_numbers_are_valid_and_distinct() {
        for i in [0, 1, 99, 12345, 99999] {
            assert_ne!(e164(&customer_phone(i)), e164(&driver_phone(i)));
        }
        assert_ne!(vn(1), vn(2));
        let _ = vn(999_999);
    }
}
