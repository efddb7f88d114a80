//! Changing a live session: a new agent, a later deadline, and `If-Match` so that two
//! dispatchers racing cannot undo each other.

use maskline::ports::Clock;
use maskline_tests::fixtures::{customer_phone, driver_phone};
use serde_json::{json, Value};

use super::{driver_body, Api, Reply};
use crate::support::connects_to;

#[tokio::test]
async fn a_patch_with_a_new_driver_moves_the_agent_side_and_keeps_the_customer_number() {
    let api = Api::with_pool(4).await;
    let created = api.open("ORD-1", 1, 1).await;
    assert_eq!(created.status, 201);

    api.world.clock.advance(chrono::Duration::seconds(30));
    let moved = api.patch("ORD-1", driver_body(2), Some("\"1\"")).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["version"], 2);
    assert_eq!(moved.body["customer_dials"], created.body["customer_dials"]);
    assert_eq!(
        moved.body["expires_at"], created.body["expires_at"],
        "a reassignment keeps the deadline"
    );
    let customer_dials = &moved.body["customer_dials"];
    let driver_dials = moved.body["driver_dials"].as_str().unwrap();
    assert!(connects_to(
        &api.route(customer_dials, &customer_phone(1)).await,
        &driver_phone(2),
        driver_dials
    ));
    // The old agent can no longer reach the customer through the order.
    let old_route = api
        .route(&created.body["driver_dials"], &driver_phone(1))
        .await;
    assert!(!connects_to(
        &old_route,
        &customer_phone(1),
        customer_dials.as_str().unwrap()
    ));

    // A POST with yet another agent is a driver change too, as a later DriverAssigned would be.
    let again = api.open("ORD-1", 1, 3).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["version"], 3);

    let versions: Vec<Value> = api
        .world
        .events
        .read_of_type("MaskedNumbersAssigned", 3)
        .await
        .iter()
        .map(|e| e.detail["version"].clone())
        .collect();
    for version in [1, 2, 3] {
        assert!(versions.contains(&json!(version)), "{versions:?}");
    }
}

#[tokio::test]
async fn a_patch_with_a_stale_if_match_is_refused_and_changes_nothing() {
    let api = Api::with_pool(6).await;
    api.open("ORD-1", 1, 1).await;
    // Dispatcher A moves the order to agent 2 from version 1...
    let first = api.patch("ORD-1", driver_body(2), Some("\"1\"")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let before = api.world.all_items().await;
    // ...and dispatcher B, who also saw version 1, cannot undo it.
    for change in [driver_body(3), json!({"expires_in": 7200})] {
        let stale = api.patch("ORD-1", change, Some("\"1\"")).await;
        assert_eq!(stale.status, 412, "{}", stale.body);
        assert_eq!(stale.body["field"], "If-Match");
    }
    assert_eq!(api.world.all_items().await, before, "nothing changed");
    let (_, view) = crate::support::order_numbers(&api.world, "ORD-1").await;
    assert_eq!(view["version"], 2);
}

#[tokio::test]
async fn expires_in_sets_the_deadline_and_a_patch_extends_a_live_session() {
    let api = Api::with_pool(4).await;
    let mut body = super::open_body("ORD-1", 1, 1);
    body["expires_in"] = json!(600);
    let created = api.post(body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let deadline = |reply: &Reply| {
        chrono::DateTime::parse_from_rfc3339(reply.body["expires_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let about = |at: chrono::DateTime<chrono::Utc>, seconds: i64| {
        (at - (api.world.clock.now() + chrono::Duration::seconds(seconds)))
            .num_seconds()
            .abs()
            <= 1
    };
    assert!(about(deadline(&created), 600), "{}", created.body);

    let extended = api
        .patch("ORD-1", json!({"expires_in": 3600}), Some("\"1\""))
        .await;
    assert_eq!(extended.status, 200, "{}", extended.body);
    assert_eq!(extended.body["version"], 2);
    assert!(about(deadline(&extended), 3600), "{}", extended.body);
    // The bindings moved with the session: past the first deadline, calls still connect.
    api.world.clock.advance(chrono::Duration::seconds(1200));
    assert!(connects_to(
        &api.route(&created.body["customer_dials"], &customer_phone(1))
            .await,
        &driver_phone(1),
        created.body["driver_dials"].as_str().unwrap()
    ));
    // Past the new one the session is over.
    api.world.clock.advance(chrono::Duration::seconds(3600));
    let late = api.patch("ORD-1", json!({"expires_in": 60}), None).await;
    assert_eq!(late.status, 410, "{}", late.body);
}
