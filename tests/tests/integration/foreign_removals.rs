//! A binding an order would remove that another order holds now is left alone, and the order's
//! change still goes through (rather than failing the same way until the attempts run out).

use maskline::domain::AllocationPolicy;
use maskline_tests::fixtures::driver_assigned_at;
use maskline_tests::World;

use crate::support::{allocate, numbers_of};

#[tokio::test]
async fn a_removal_another_order_now_holds_is_skipped_and_the_change_lands() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let start = chrono::Utc::now();
    let first = driver_assigned_at("ORD-1", "blr", 1, 1, start);
    assert!(allocate(&world, AllocationPolicy::Shared, &[first])
        .await
        .is_empty());
    let (_, old_driver_dials) = numbers_of(&world, "ORD-1").await;

    // Another order took the first agent's binding (a writer whose clock ran ahead saw it expired).
    world
        .hand_binding_over(&old_driver_dials, "driver", "ORD-1", "ORD-OTHER")
        .await;

    let second = driver_assigned_at("ORD-1", "blr", 1, 2, start + chrono::Duration::seconds(5));
    let failed = allocate(&world, AllocationPolicy::Shared, &[second]).await;
    assert!(failed.is_empty(), "the new agent's assignment must land");
    let (_, driver_dials) = numbers_of(&world, "ORD-1").await;
    let bindings = world.items_with_sk("BIND#").await;
    let owner_of = |vn: &str, order: &str| {
        bindings.iter().any(|item| {
            item["pk"].as_s().unwrap() == &format!("VN#{vn}")
                && item["order_id"].as_s().unwrap() == order
        })
    };
    assert!(owner_of(&driver_dials, "ORD-1"), "the new agent is bound");
    assert!(
        owner_of(&old_driver_dials, "ORD-OTHER"),
        "the other order's binding is left alone"
    );
}
