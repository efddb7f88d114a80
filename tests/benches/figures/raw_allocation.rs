//! The raw baseline of an allocation: the same seven-item TransactWriteItems an allocation sends
//! (session put, two conditional binding puts, two allocatable checks, two lock checks), with items
//! of the same size, retried exactly as the product retries its own: only a conflict with another
//! transaction, after the product's jittered pause, at most the product's number of attempts.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};
use maskline::services::retry::{jittered_pause, MAX_ATTEMPTS};

use crate::throughput::Attempts;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The transaction an allocation of `order` onto VNs `a` (customer) and `b` (agent) sends, with
/// items of the same size (a sealed number is ~90 characters).
fn allocation_shape(
    table: &str,
    order: u32,
    a: &str,
    b: &str,
    now_ms: i64,
) -> Vec<TransactWriteItem> {
    let sealed = "v2.".to_string() + &"x".repeat(88);
    let live_until = now_ms + 86_400_000;
    let claim = |vn: &str, caller: String, side: &str, caller_id: &str| {
        let item = [
            ("pk", s(format!("VN#{vn}"))),
            ("sk", s(format!("BIND#{caller}"))),
            ("gsi2pk", s(format!("CALLER#{caller}"))),
            ("gsi2sk", s(vn)),
            ("order_id", s(format!("RAW-{order}"))),
            ("caller_side", s(side)),
            ("callee", s(sealed.clone())),
            ("caller_id", s(caller_id)),
            ("provider", s("static")),
            ("live_until", n(live_until)),
            ("ttl", n(live_until / 1000 + 86_400)),
        ];
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(
                        item.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                    ))
                    .condition_expression(
                        "attribute_not_exists(pk) OR live_until <= :now OR order_id = :order",
                    )
                    .expression_attribute_values(":now", n(now_ms))
                    .expression_attribute_values(":order", s(format!("RAW-{order}")))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let check = |vn: &str, sk: &str| {
        let builder = ConditionCheck::builder()
            .table_name(table)
            .key("pk", s(format!("VN#{vn}")))
            .key("sk", s(sk));
        let builder = if sk == "META" {
            builder
                .condition_expression("#health = :healthy AND #state = :active")
                .expression_attribute_names("#health", "health")
                .expression_attribute_names("#state", "pool_state")
                .expression_attribute_values(":healthy", s("healthy"))
                .expression_attribute_values(":active", s("active"))
        } else {
            builder
                .condition_expression(
                    "attribute_not_exists(pk) OR live_until <= :now OR order_id = :order",
                )
                .expression_attribute_values(":now", n(now_ms))
                .expression_attribute_values(":order", s(format!("RAW-{order}")))
        };
        TransactWriteItem::builder()
            .condition_check(builder.build().unwrap())
            .build()
    };
    let session = [
        ("pk", s(format!("ORDER#RAW-{order}"))),
        ("sk", s("SESSION")),
        ("order_id", s(format!("RAW-{order}"))),
        ("state", s("active")),
        ("policy", s("shared")),
        ("version", n(1)),
        ("live_until", n(live_until)),
        ("ttl", n(live_until / 1000 + 21 * 86_400)),
        ("region", s("raw")),
        ("customer_id", s(format!("C-{order}"))),
        ("customer_key", s(format!("ck{order:062}"))),
        ("customer_sealed", s(sealed.clone())),
        ("driver_id", s(format!("D-{order}"))),
        ("driver_key", s(format!("dk{order:062}"))),
        ("driver_sealed", s(sealed.clone())),
        ("customer_dials", s(a)),
        ("driver_dials", s(b)),
        ("assigned_at", s("2026-11-27T10:00:00+00:00")),
    ];
    vec![
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(
                        session
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect(),
                    ))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .unwrap(),
            )
            .build(),
        claim(a, format!("ck{order:062}"), "customer", b),
        claim(b, format!("dk{order:062}"), "driver", a),
        check(a, "META"),
        check(b, "META"),
        check(a, "LOCK"),
        check(b, "LOCK"),
    ]
}

/// Sends order `order`'s transaction onto VNs `a` and `b` until it lands, a non-conflict error
/// ends it, or the attempts run out.
pub async fn allocate(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    order: u32,
    a: &str,
    b: &str,
) -> Attempts {
    let mut tally = Attempts::default();
    for attempt in 0..MAX_ATTEMPTS {
        let now = chrono::Utc::now().timestamp_millis();
        tally.sent += 1;
        let result = client
            .transact_write_items()
            .set_transact_items(Some(allocation_shape(table, order, a, b, now)))
            .client_request_token(uuid::Uuid::new_v4().to_string())
            .send()
            .await;
        match result {
            Ok(_) => {
                tally.succeeded = true;
                return tally;
            }
            Err(e) if is_conflict(&e) => {
                tally.conflicts += 1;
                jittered_pause(attempt).await;
            }
            Err(_) => return tally,
        }
    }
    tally
}

/// What the DynamoDB adapter maps to `WriteRejected::Contention`: a cancellation whose reasons
/// name a transaction conflict (or none at all), or the same transaction still in flight.
fn is_conflict(err: &SdkError<TransactWriteItemsError>) -> bool {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
            let codes: Vec<_> = cancelled
                .cancellation_reasons()
                .iter()
                .filter_map(|r| r.code())
                .collect();
            // A refused condition is a rejection, not a conflict, whatever else was cancelled.
            !codes.contains(&"ConditionalCheckFailed")
                && (codes.is_empty() || codes.contains(&"TransactionConflict"))
        }
        Some(TransactWriteItemsError::TransactionInProgressException(_)) => true,
        _ => false,
    }
}
