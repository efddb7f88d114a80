//! `BACKUP_NUMBERS=on`: each side also holds a live backup VN on a different operator.

use std::collections::HashMap;

use futures::future::join_all;
use maskline::domain::{Operator, Region};
use maskline_tests::fixtures::{customer_phone, driver_assigned, driver_phone};
use maskline_tests::invariants::assert_consistent;
use maskline_tests::World;
use serde_json::Value;

use crate::support::{allocate_with_backups, connects_to, order_numbers, route};

/// The operator of every VN in the region, as the pool says.
pub async fn operators_of(world: &World, region: &str) -> HashMap<String, Operator> {
    world
        .store
        .pool_of_region(&Region::parse(region).unwrap())
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.vn.to_string(), n.operator))
        .collect()
}

fn text(view: &Value, field: &str) -> String {
    view[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} missing in {view}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_backup_is_on_another_operator_than_its_primary() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 8).await;
    world.add_pool("blr", "jio", 101, 8).await;
    let operators = operators_of(&world, "blr").await;

    // Twenty orders at once, the agent shared by four of them at a time.
    let results = join_all((1..=20).map(|i| {
        let world = &world;
        async move {
            allocate_with_backups(
                world,
                &[driver_assigned(&format!("ORD-{i}"), "blr", i, 1 + i % 5)],
            )
            .await
        }
    }))
    .await;
    assert!(results.iter().all(Vec::is_empty), "{results:?}");

    for i in 1..=20 {
        let (status, view) = order_numbers(&world, &format!("ORD-{i}")).await;
        assert_eq!(status, 200);
        for (primary, backup) in [
            ("customer_dials", "customer_backup"),
            ("driver_dials", "driver_backup"),
        ] {
            let (primary, backup) = (text(&view, primary), text(&view, backup));
            assert_ne!(
                operators[&primary], operators[&backup],
                "ORD-{i}: {primary} and its backup {backup} share an operator"
            );
        }
    }
    assert_eq!(world.items_with_sk("BIND#").await.len(), 80);
    assert_consistent(&world).await;
}

#[tokio::test]
async fn calls_through_a_backup_connect_and_show_the_other_sides_backup() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 2).await;
    world.add_pool("blr", "jio", 101, 2).await;
    assert!(
        allocate_with_backups(&world, &[driver_assigned("ORD-1", "blr", 1, 1)])
            .await
            .is_empty()
    );
    let (_, view) = order_numbers(&world, "ORD-1").await;
    let (customer, driver) = (customer_phone(1), driver_phone(1));

    let via_backup = route(&world, &text(&view, "customer_backup"), &customer).await;
    assert!(connects_to(
        &via_backup,
        &driver,
        &text(&view, "driver_backup")
    ));
    let back = route(&world, &text(&view, "driver_backup"), &driver).await;
    assert!(connects_to(
        &back,
        &customer,
        &text(&view, "customer_backup")
    ));
    // The primaries still work as before.
    let primary = route(&world, &text(&view, "customer_dials"), &customer).await;
    assert!(connects_to(&primary, &driver, &text(&view, "driver_dials")));

    // The announcement carries the backups too.
    let assigned = world.events.read_of_type("MaskedNumbersAssigned", 1).await;
    assert_eq!(
        assigned[0].detail["customer_backup"],
        view["customer_backup"]
    );
    assert_eq!(assigned[0].detail["driver_backup"], view["driver_backup"]);
}

#[tokio::test]
async fn a_region_with_one_operator_still_gets_primaries() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    assert!(
        allocate_with_backups(&world, &[driver_assigned("ORD-1", "blr", 1, 1)])
            .await
            .is_empty()
    );
    let (_, view) = order_numbers(&world, "ORD-1").await;
    assert!(view["customer_dials"].is_string());
    assert!(view.get("customer_backup").is_none(), "{view}");
    assert_consistent(&world).await;
}
