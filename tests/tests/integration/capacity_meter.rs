//! The capacity meter counts what DynamoDB bills: refused conditional writes (their error reports
//! no capacity, DynamoDB still charges them) and Scans, beside the writes and reads that report
//! their own units.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};
use maskline_tests::World;

fn key(pk: &str) -> [(String, AttributeValue); 2] {
    [
        ("pk".to_string(), AttributeValue::S(pk.to_string())),
        ("sk".to_string(), AttributeValue::S("METER".to_string())),
    ]
}

#[tokio::test]
async fn a_refused_conditional_put_costs_a_write_unit() {
    let mut world = World::new().await;
    let meter = world.meter();
    let client = world.store.client().clone();
    let put = || {
        client
            .put_item()
            .table_name(&world.table)
            .set_item(Some(key("METER#1").into_iter().collect()))
            .condition_expression("attribute_not_exists(pk)")
            .send()
    };
    put().await.expect("the first put lands");
    let landed = meter.units();
    assert_eq!(landed.write, 1.0, "{landed:?}");
    assert_eq!(landed.failed_writes, 0);

    let refused = put().await.expect_err("the item exists now");
    assert!(refused
        .as_service_error()
        .is_some_and(|e| e.is_conditional_check_failed_exception()));
    let after = meter.units() - landed;
    assert_eq!(after.write, 1.0, "a refused put is billed: {after:?}");
    assert_eq!(after.failed_writes, 1);
    assert_eq!(after.failed_write_units, 1.0);
    assert_eq!(after.requests, 1);
}

#[tokio::test]
async fn a_cancelled_transaction_costs_one_write_of_each_item() {
    let mut world = World::new().await;
    let meter = world.meter();
    let client = world.store.client().clone();
    // A put beside a condition on an item that is not there: cancelled.
    let cancelled = client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&world.table)
                        .set_item(Some(key("METER#2").into_iter().collect()))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(&world.table)
                        .set_key(Some(key("METER#absent").into_iter().collect()))
                        .condition_expression("attribute_exists(pk)")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("the condition fails");
    assert!(cancelled
        .as_service_error()
        .is_some_and(|e| e.is_transaction_canceled_exception()));
    let used = meter.units();
    assert_eq!(used.failed_writes, 1, "{used:?}");
    assert_eq!(used.write, 2.0, "the prepare phase of two items: {used:?}");
}

#[tokio::test]
async fn an_unconditional_write_that_fails_is_not_billed_as_refused() {
    let mut world = World::new().await;
    let meter = world.meter();
    // No such table: an error, but no condition refused it.
    let failed = world
        .store
        .client()
        .put_item()
        .table_name("no-such-table")
        .set_item(Some(key("METER#3").into_iter().collect()))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    assert!(failed.is_err());
    let used = meter.units();
    assert_eq!((used.write, used.failed_writes), (0.0, 0), "{used:?}");
}

#[tokio::test]
async fn a_scan_is_metered() {
    let mut world = World::new().await;
    world.add_large_pool("meter", 1, 50).await;
    let meter = world.meter();
    world
        .store
        .client()
        .scan()
        .table_name(&world.table)
        .send()
        .await
        .expect("scan");
    let used = meter.units();
    assert_eq!(used.requests, 1);
    assert!(used.read > 0.0, "a scan reads: {used:?}");
}
