//! At-least-once delivery: every event may arrive twice, even at the same moment.

use futures::future::join_all;
use maskline::domain::AllocationPolicy;
use maskline_tests::fixtures::{driver_assigned, order_ended};
use maskline_tests::invariants::assert_consistent;
use maskline_tests::World;

use crate::support::{allocate, allocate_ok, numbers_of, order_numbers, release};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_delivered_twice_at_once_yields_one_session_with_the_same_numbers() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 12).await;
    let orders: Vec<String> = (1..=10).map(|i| format!("ORD-{i}")).collect();

    // Two deliveries of each DriverAssigned, all twenty racing.
    let deliveries = orders.iter().enumerate().flat_map(|(i, order)| {
        let body = driver_assigned(order, "blr", i as u32 + 1, 7);
        [body.clone(), body]
    });
    let results = join_all(deliveries.map(|body| {
        let world = &world;
        async move { allocate(world, AllocationPolicy::Shared, &[body]).await }
    }))
    .await;
    assert!(
        results.iter().all(Vec::is_empty),
        "a duplicate must succeed, not fail: {results:?}"
    );
    assert_eq!(world.items_with_sk("SESSION").await.len(), 10);
    assert_eq!(world.items_with_sk("BIND#").await.len(), 20);
    assert_consistent(&world).await;

    // Every announcement of an order carries the same numbers.
    let assigned: Vec<_> = world
        .events
        .read(20)
        .await
        .into_iter()
        .filter(|e| e.detail_type == "MaskedNumbersAssigned")
        .collect();
    assert!(assigned.len() >= 10);
    for order in &orders {
        let (customer_dials, driver_dials) = numbers_of(&world, order).await;
        for event in assigned
            .iter()
            .filter(|e| e.detail["order_id"] == order.as_str())
        {
            assert_eq!(event.detail["customer_dials"], customer_dials.as_str());
            assert_eq!(event.detail["driver_dials"], driver_dials.as_str());
        }
    }

    // Sequential redelivery, later: still the same numbers, nothing new written.
    let before = numbers_of(&world, "ORD-3").await;
    allocate_ok(&world, &[driver_assigned("ORD-3", "blr", 3, 7)]).await;
    assert_eq!(numbers_of(&world, "ORD-3").await, before);
    assert_eq!(world.items_with_sk("BIND#").await.len(), 20);

    // Releases delivered twice at once agree too.
    let twice = [
        order_ended("OrderDelivered", "ORD-1"),
        order_ended("OrderDelivered", "ORD-1"),
    ];
    let results = join_all(
        twice
            .iter()
            .map(|b| release(&world, std::slice::from_ref(b))),
    )
    .await;
    assert!(results.iter().all(Vec::is_empty));
    let (_, first) = order_numbers(&world, "ORD-1").await;
    let failed = release(&world, &[order_ended("OrderDelivered", "ORD-1")]).await;
    assert!(failed.is_empty());
    let (_, again) = order_numbers(&world, "ORD-1").await;
    assert_eq!(first["state"], "released");
    assert_eq!(
        first["expires_at"], again["expires_at"],
        "a repeated release must not extend grace"
    );
    assert_consistent(&world).await;
}
