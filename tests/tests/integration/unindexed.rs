//! Numbers made active before the allocation index existed carry no index key: an allocation
//! cannot see them. Every refill run indexes its region first, queued or scheduled, so the first
//! `PoolExhausted` such a region answers brings its numbers into service; and a region whose refill
//! fails does not keep the other regions' numbers out of it.

use aws_sdk_dynamodb::types::AttributeValue;
use maskline::adapters::sqs_batch::Redelivery;
use maskline::domain::AllocationPolicy;
use maskline_tests::fixtures::{driver_assigned, sqs_event, vn};
use maskline_tests::World;
use serde_json::{json, Value};

use crate::support::allocate;

/// Takes `vn`'s allocation-index key away, as a number added before the index had none.
async fn unindex(world: &World, number: u32) {
    world
        .store
        .client()
        .update_item()
        .table_name(&world.table)
        .key("pk", AttributeValue::S(format!("VN#{}", vn(number))))
        .key("sk", AttributeValue::S("META".into()))
        .update_expression("REMOVE gsi3pk, gsi3sk")
        .send()
        .await
        .expect("remove the index key");
}

fn order_placed(region: &str) -> String {
    json!({"version": "0", "id": "e-1", "detail-type": "OrderPlaced", "source": "orders",
           "account": "123456789012", "time": chrono::Utc::now().to_rfc3339(),
           "region": "us-east-1", "resources": [],
           "detail": {"order_id": "ORD-9", "region": region}})
    .to_string()
}

#[tokio::test]
async fn a_queued_refill_indexes_numbers_active_before_the_index() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 2).await;
    unindex(&world, 1).await;
    unindex(&world, 2).await;
    let order = driver_assigned("ORD-1", "blr", 1, 1);
    let failed = allocate(
        &world,
        AllocationPolicy::Shared,
        std::slice::from_ref(&order),
    )
    .await;
    assert_eq!(failed.len(), 1, "unindexed numbers cannot be allocated");

    // The queue's trigger (OrderPlaced or the PoolExhausted just published), not the schedule.
    let refill = world.refill(crate::refill::rules(), vec![]);
    let response = refill_pool::handler::handle(
        &refill,
        &Redelivery::default(),
        serde_json::to_value(sqs_event(&[order_placed("blr")])).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(response["batchItemFailures"], Value::Array(vec![]));

    let failed = allocate(&world, AllocationPolicy::Shared, &[order]).await;
    assert!(failed.is_empty(), "the queued refill indexed blr's numbers");
}

#[tokio::test]
async fn a_scheduled_run_indexes_every_region_even_when_one_fails() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 2).await;
    world.add_pool("del", "airtel", 3, 2).await;
    for number in 1..=4 {
        unindex(&world, number).await;
    }
    // blr's refill cannot run: its target names a provider this deployment has no source for.
    world
        .store
        .client()
        .put_item()
        .table_name(&world.table)
        .set_item(Some(
            [("pk", "TARGET#blr"), ("sk", "airtel")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), AttributeValue::S(v.into())))
                .collect(),
        ))
        .send()
        .await
        .expect("an unreadable target for blr");

    let refill = world.refill(crate::refill::rules(), vec![]);
    let scheduled = json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
    let outcome = refill_pool::handler::handle(&refill, &Redelivery::default(), scheduled).await;
    assert!(
        outcome.is_err(),
        "blr's run fails (its target is unreadable), and says so"
    );

    for (order, region) in [("ORD-1", "blr"), ("ORD-2", "del")] {
        let failed = allocate(
            &world,
            AllocationPolicy::Shared,
            &[driver_assigned(order, region, 1, 1)],
        )
        .await;
        assert!(failed.is_empty(), "{region}'s numbers were indexed");
    }
}
