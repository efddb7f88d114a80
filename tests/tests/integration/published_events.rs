//! What the order platform receives, read from a queue behind a rule on the bus.

use maskline::domain::AllocationPolicy;
use maskline_tests::fixtures::{customer_phone, driver_assigned, driver_phone, order_ended};
use maskline_tests::World;

use crate::support::{allocate, allocate_ok, numbers_of, release};

#[tokio::test]
async fn assignment_release_and_exhaustion_are_published_without_real_numbers() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 2).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let (customer_dials, driver_dials) = numbers_of(&world, "ORD-1").await;
    assert!(release(&world, &[order_ended("OrderDelivered", "ORD-1")])
        .await
        .is_empty());
    // Released bindings stay live through grace, so the customer still holds both VNs' slots once
    // a second order is placed: ORD-2 takes the other side of each VN, ORD-3 has none left.
    allocate_ok(&world, &[driver_assigned("ORD-2", "blr", 1, 2)]).await;
    assert_eq!(
        allocate(
            &world,
            AllocationPolicy::Shared,
            &[driver_assigned("ORD-3", "blr", 1, 3)]
        )
        .await
        .len(),
        1
    );

    let events = world.events.read(4).await;
    assert!(events.iter().all(|e| e.source == "maskline"));
    for number in [
        customer_phone(1),
        driver_phone(1),
        driver_phone(2),
        driver_phone(3),
    ] {
        let digits = number.trim_start_matches('+');
        assert!(
            events.iter().all(|e| !e.raw.contains(digits)),
            "a real number was published"
        );
    }

    let assigned = events
        .iter()
        .find(|e| e.detail_type == "MaskedNumbersAssigned" && e.detail["order_id"] == "ORD-1")
        .expect("assigned");
    assert_eq!(assigned.detail["order_id"], "ORD-1");
    assert_eq!(assigned.detail["customer_dials"], customer_dials.as_str());
    assert_eq!(assigned.detail["driver_dials"], driver_dials.as_str());
    assert!(assigned.detail["expires_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));

    let released = events
        .iter()
        .find(|e| e.detail_type == "MaskedNumbersReleased")
        .expect("released");
    assert_eq!(released.detail["order_id"], "ORD-1");
    assert!(released.detail["callable_until"].as_str().is_some());

    let exhausted = events
        .iter()
        .find(|e| e.detail_type == "PoolExhausted")
        .expect("exhausted");
    assert_eq!(exhausted.detail["region"], "blr");
    assert_eq!(exhausted.detail["policy"], "shared");
}
