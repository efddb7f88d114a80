//! Bad input gets a clear failure, changes nothing and loses nothing.

use maskline::domain::AllocationPolicy;
use maskline_tests::fixtures::{driver_assigned, order_ended};
use maskline_tests::invariants::assert_consistent;
use maskline_tests::World;
use serde_json::json;

use crate::support::{allocate, release};

fn with_detail(detail: serde_json::Value) -> String {
    json!({"version":"0","id":"e","detail-type":"DriverAssigned","source":"orders",
           "time":"2026-11-22T10:00:00Z","detail": detail})
    .to_string()
}

#[tokio::test]
async fn malformed_messages_fail_alone_and_write_nothing() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let items_before = world.all_items().await.len();

    let batch = vec![
        "{not json".to_string(), // m0
        with_detail(json!({"order_id":"ORD-2","region":"blr",
            "customer":{"id":"C-2","phone":"+91 98765 0"},
            "driver":{"id":"D-2","phone":"+919876400002"}})), // m1: bad phone
        with_detail(json!({"order_id":"ORD-3","region":"blr",
            "customer":{"id":"C-3","phone":"+919876500003"}})), // m2: no driver
        driver_assigned("ORD-4", "atlantis", 4, 4), // m3: unknown region
        order_ended("OrderDelivered", "ORD-5"), // m4: wrong event type
        with_detail(json!({"region":"blr",
            "customer":{"id":"C-6","phone":"+919876500006"},
            "driver":{"id":"D-6","phone":"+919876400006"}})), // m5: no order id
        driver_assigned("ORD-OK", "blr", 7, 7), // m6: fine
    ];
    let mut failed = allocate(&world, AllocationPolicy::Shared, &batch).await;
    failed.sort();
    assert_eq!(failed, ["m0", "m1", "m2", "m3", "m4", "m5"]);

    // Only the good message wrote anything: its session and two bindings.
    assert_eq!(world.all_items().await.len(), items_before + 3);
    assert_eq!(world.items_with_sk("SESSION").await.len(), 1);
    assert_consistent(&world).await;

    let published = world.events.read(1).await;
    assert_eq!(
        published.len(),
        1,
        "only the good order is announced: {published:?}"
    );
    assert_eq!(published[0].detail["order_id"], "ORD-OK");
}

#[tokio::test]
async fn malformed_releases_fail_and_write_nothing() {
    let world = World::new().await;
    let batch = vec![
        json!({"detail-type":"OrderDelivered","detail":{}}).to_string(),
        json!({"detail-type":"OrderDelivered","detail":{"order_id":"ORD#1"}}).to_string(),
        driver_assigned("ORD-1", "blr", 1, 1),
    ];
    let mut failed = release(&world, &batch).await;
    failed.sort();
    assert_eq!(failed, ["m0", "m1", "m2"]);
    assert!(world.all_items().await.is_empty());
}

#[tokio::test]
async fn a_national_number_sent_as_a_participant_id_is_refused_and_never_stored() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let items_before = world.all_items().await;
    // The allocate function runs with DEFAULT_COUNTRY=IN (support::india): 09876500001 is a
    // number there, whatever it looks like elsewhere.
    let mut event: serde_json::Value =
        serde_json::from_str(&driver_assigned("ORD-1", "blr", 1, 1)).unwrap();
    event["detail"]["driver"]["id"] = json!("09876500001");
    let failed = allocate(&world, AllocationPolicy::Shared, &[event.to_string()]).await;
    assert_eq!(failed.len(), 1, "the message fails, to the DLQ");
    let items = world.all_items().await;
    assert_eq!(items.len(), items_before.len(), "nothing written");
    assert!(
        !format!("{items:?}").contains("9876500001"),
        "the number was stored in clear"
    );
}
