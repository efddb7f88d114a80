//! Releases that arrive before (or together with) the assignment they end still win.

use futures::future::join;
use futures::future::join_all;
use maskline::domain::AllocationPolicy;
use maskline_tests::fixtures::{driver_assigned, order_ended};
use maskline_tests::invariants::assert_consistent;
use maskline_tests::World;

use crate::support::{allocate, order_numbers, release};

#[tokio::test]
async fn a_release_before_assignment_leaves_a_tombstone_that_stops_the_late_assignment() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;

    assert!(release(&world, &[order_ended("OrderCancelled", "ORD-1")])
        .await
        .is_empty());
    let failed = allocate(
        &world,
        AllocationPolicy::Shared,
        &[driver_assigned("ORD-1", "blr", 1, 1)],
    )
    .await;
    assert!(
        failed.is_empty(),
        "a late assignment is handled (by doing nothing), not retried"
    );

    let (status, view) = order_numbers(&world, "ORD-1").await;
    assert_eq!(status, 200);
    assert_eq!(view["state"], "released");
    assert!(view["customer_dials"].is_null());
    assert!(
        world.items_with_sk("BIND#").await.is_empty(),
        "no allocation after release"
    );

    let published = world.events.read(1).await;
    assert!(published
        .iter()
        .all(|e| e.detail_type != "MaskedNumbersAssigned"));
    assert!(published
        .iter()
        .any(|e| e.detail_type == "MaskedNumbersReleased"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn release_racing_assignment_never_leaves_an_active_session() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 30).await;
    let orders: Vec<String> = (1..=20).map(|i| format!("ORD-{i}")).collect();

    join_all(orders.iter().enumerate().map(|(i, order)| {
        let world = &world;
        async move {
            let (allocated, released) = join(
                allocate(
                    world,
                    AllocationPolicy::Shared,
                    &[driver_assigned(order, "blr", i as u32 + 1, i as u32 + 1)],
                ),
                release(world, &[order_ended("OrderCancelled", order)]),
            )
            .await;
            assert!(
                allocated.is_empty() && released.is_empty(),
                "{order}: {allocated:?} {released:?}"
            );
        }
    }))
    .await;

    for order in &orders {
        let (_, view) = order_numbers(&world, order).await;
        assert_eq!(view["state"], "released", "{order} is {view}");
    }
    // Whichever won, sessions and bindings agree, and every binding left is in its grace window.
    assert_consistent(&world).await;
    let sessions = world.items_with_sk("SESSION").await;
    assert_eq!(sessions.len(), 20);
    assert!(sessions.iter().all(|s| s
        .get("state")
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        == Some("released")));
}
