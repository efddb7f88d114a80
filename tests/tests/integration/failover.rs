//! A number turns unhealthy: it takes no new sessions, and every live session on it moves to a
//! healthy number of its region — atomically per session, while allocations keep running.

use std::collections::HashSet;

use futures::future::join_all;
use maskline::domain::Region;
use maskline::providers::ProviderKind;
use maskline::services::Route;
use maskline_tests::fixtures::{customer_phone, driver_assigned, driver_phone, vn};
use maskline_tests::flaky_bus::FlakyPublisher;
use maskline_tests::invariants::assert_consistent;
use maskline_tests::webhooks::{body_text, config, provider_request};
use maskline_tests::world::Item;
use maskline_tests::World;
use serde_json::Value;

use crate::backups::operators_of;
use crate::support::{
    add_provider_numbers, allocate, allocate_ok, allocate_with_backups, callbacks, connects_to,
    numbers_of, order_numbers, route,
};
use maskline::domain::AllocationPolicy;

fn s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// No caller holds two live sessions' bindings on one VN: every (VN, caller key) named by the
/// live sessions is named once.
async fn assert_no_caller_repeats_on_a_vn(world: &World) {
    let mut seen = HashSet::new();
    for session in world.items_with_sk("SESSION").await {
        for (fields, key) in [
            (["customer_dials", "customer_backup"], "customer_key"),
            (["driver_dials", "driver_backup"], "driver_key"),
        ] {
            for field in fields {
                if let (Some(vn), Some(key)) = (s(&session, field), s(&session, key)) {
                    assert!(
                        seen.insert((vn.to_string(), key.to_string())),
                        "a caller is bound twice on {vn}"
                    );
                }
            }
        }
    }
}

async fn live_bindings_on(world: &World, vn: &str) -> usize {
    world
        .items_with_sk("BIND#")
        .await
        .iter()
        .filter(|b| s(b, "pk") == Some(&format!("VN#{vn}")))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unhealthy_number_is_replaced_in_fifty_live_sessions_while_allocations_keep_running() {
    let world = World::new().await;
    // Two VNs: every one of the 50 orders (distinct parties) holds both, so all 50 use VN 1.
    world.add_pool("blr", "airtel", 1, 2).await;
    let first_fifty: Vec<String> = (1..=50)
        .map(|i| driver_assigned(&format!("ORD-{i}"), "blr", i, i))
        .collect();
    assert!(allocate(&world, AllocationPolicy::Shared, &first_fifty)
        .await
        .is_empty());
    let sick = vn(1);
    assert_eq!(live_bindings_on(&world, sick.as_str()).await, 50);

    world.add_pool("blr", "airtel", 3, 10).await;
    let failover = world.failover(false);
    // The failover races 30 new orders, whose agents are the same people the moved sessions
    // belong to, so both sides contend for the same (VN, caller) keys.
    let new_orders = join_all((51..=80).map(|i| {
        let world = &world;
        async move {
            allocate(
                world,
                AllocationPolicy::Shared,
                &[driver_assigned(&format!("ORD-{i}"), "blr", i, i - 50)],
            )
            .await
        }
    }));
    let (report, new_results) = tokio::join!(failover.mark_unhealthy(&sick), new_orders);
    let report = report.expect("failover");
    assert!(new_results.iter().all(Vec::is_empty), "{new_results:?}");

    let moved: HashSet<String> = report.moved.iter().map(|o| o.to_string()).collect();
    for i in 1..=50 {
        assert!(moved.contains(&format!("ORD-{i}")), "ORD-{i} was not moved");
    }
    assert!(report.stranded.is_empty());
    assert_eq!(live_bindings_on(&world, sick.as_str()).await, 0);
    for i in 1..=80 {
        let (customer_dials, driver_dials) = numbers_of(&world, &format!("ORD-{i}")).await;
        assert!(customer_dials != sick.as_str() && driver_dials != sick.as_str());
    }
    assert_no_caller_repeats_on_a_vn(&world).await;
    assert_consistent(&world).await;

    // Each moved order was told its new numbers, once per move.
    let changed = world.events.read_of_type("MaskedNumbersChanged", 50).await;
    let told: HashSet<String> = changed
        .iter()
        .filter(|e| e.detail["replaced"] == sick.as_str())
        .map(|e| e.detail["order_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(told, moved);

    // Calls follow the move: ORD-7's parties reach each other on the new numbers.
    let (customer_dials, driver_dials) = numbers_of(&world, "ORD-7").await;
    let call = route(&world, &customer_dials, &customer_phone(7)).await;
    assert!(connects_to(&call, &driver_phone(7), &driver_dials));

    // Repeating the report moves nothing more.
    let again = failover.mark_unhealthy(&sick).await.unwrap();
    assert!(again.moved.is_empty());
}

#[tokio::test]
async fn an_unhealthy_number_takes_no_new_sessions() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 3).await;
    world.failover(false).mark_unhealthy(&vn(1)).await.unwrap();
    for i in 1..=10 {
        assert!(allocate(
            &world,
            AllocationPolicy::Shared,
            &[driver_assigned(&format!("ORD-{i}"), "blr", i, i)]
        )
        .await
        .is_empty());
    }
    assert_eq!(live_bindings_on(&world, vn(1).as_str()).await, 0);
    // Healthy again: it serves new sessions.
    world.failover(false).mark_healthy(&vn(1)).await.unwrap();
    world
        .store
        .pool_of_region(&Region::parse("blr").unwrap())
        .await
        .unwrap();
    let used = join_all((11..=40).map(|i| {
        let world = &world;
        async move {
            allocate(
                world,
                AllocationPolicy::Shared,
                &[driver_assigned(&format!("ORD-{i}"), "blr", i, i)],
            )
            .await;
            numbers_of(world, &format!("ORD-{i}")).await
        }
    }))
    .await;
    assert!(used
        .iter()
        .any(|(c, d)| c == vn(1).as_str() || d == vn(1).as_str()));
}

#[tokio::test]
async fn a_failed_primary_is_replaced_by_its_backup() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 3).await;
    world.add_pool("blr", "jio", 101, 3).await;
    assert!(
        allocate_with_backups(&world, &[driver_assigned("ORD-1", "blr", 1, 1)])
            .await
            .is_empty()
    );
    let (_, before) = order_numbers(&world, "ORD-1").await;
    let primary = before["customer_dials"].as_str().unwrap().to_string();
    let backup = before["customer_backup"].as_str().unwrap().to_string();

    let sick = maskline::domain::VirtualNumber::parse(&primary, None).unwrap();
    let report = world.failover(true).mark_unhealthy(&sick).await.unwrap();
    assert_eq!(report.moved.len(), 1);

    let (_, after) = order_numbers(&world, "ORD-1").await;
    assert_eq!(after["customer_dials"].as_str(), Some(backup.as_str()));
    let new_backup = after["customer_backup"].as_str().unwrap();
    let operators = operators_of(&world, "blr").await;
    assert_ne!(operators[&backup], operators[new_backup]);
    assert_ne!(new_backup, primary);
    // The driver's side did not change.
    assert_eq!(after["driver_dials"], before["driver_dials"]);
    assert_eq!(after["driver_backup"], before["driver_backup"]);
    // The customer reaches the agent on the promoted number; the sick one no longer answers.
    let call = route(&world, &backup, &customer_phone(1)).await;
    assert!(connects_to(
        &call,
        &driver_phone(1),
        after["driver_dials"].as_str().unwrap()
    ));
    assert_eq!(
        route(&world, &primary, &customer_phone(1)).await,
        Route::OutOfSession
    );
    assert_consistent(&world).await;
}

#[tokio::test]
async fn with_nowhere_to_go_a_session_stays_and_refill_is_asked_for() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 2).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let report = world.failover(false).mark_unhealthy(&vn(1)).await.unwrap();
    assert_eq!(report.stranded.len(), 1);
    assert!(report.moved.is_empty());
    // Still callable on the old numbers rather than cut off.
    let (customer_dials, driver_dials) = numbers_of(&world, "ORD-1").await;
    let call = route(&world, &customer_dials, &customer_phone(1)).await;
    assert!(connects_to(&call, &driver_phone(1), &driver_dials));
    let exhausted = world.events.read_of_type("PoolExhausted", 1).await;
    assert_eq!(exhausted[0].detail["region"], "blr");
}

/// A number-health report, signed as `provider` signs its webhooks.
fn health_request(provider: ProviderKind, number: &str, status: &str) -> lambda_http::Request {
    let report_id = uuid::Uuid::new_v4().to_string();
    provider_request(
        provider,
        "number-health",
        "HR-1",
        "+14155550100",
        number,
        &[
            ("number", number),
            ("status", status),
            ("report_id", &report_id),
        ],
    )
}

async fn health_report(
    world: &World,
    provider: ProviderKind,
    number: &str,
    status: &str,
) -> (u16, Value) {
    let request = health_request(provider, number, status);
    let response = call_events::handler::handle(&callbacks(world, config()), request).await;
    let code = response.status().as_u16();
    (
        code,
        serde_json::from_str(&body_text(response.body())).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn the_number_health_webhook_is_authenticated_and_moves_sessions() {
    let world = World::new().await;
    add_provider_numbers(&world, "twilio", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let (customer_dials, _) = numbers_of(&world, "ORD-1").await;

    // Forged: refused before anything is read or changed.
    let mut forged = health_request(ProviderKind::Twilio, &customer_dials, "unhealthy");
    forged
        .headers_mut()
        .insert("x-twilio-signature", "Zm9yZ2Vk".parse().unwrap());
    let response = call_events::handler::handle(&callbacks(&world, config()), forged).await;
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(numbers_of(&world, "ORD-1").await.0, customer_dials);

    // Another provider cannot speak for a Twilio number; unknown numbers are not ours.
    let (code, _) = health_report(&world, ProviderKind::Plivo, &customer_dials, "unhealthy").await;
    assert_eq!(code, 404);
    let (code, _) = health_report(&world, ProviderKind::Twilio, vn(99).as_str(), "unhealthy").await;
    assert_eq!(code, 404);
    let (code, _) = health_report(&world, ProviderKind::Twilio, &customer_dials, "sideways").await;
    assert_eq!(code, 400);
    assert_eq!(numbers_of(&world, "ORD-1").await.0, customer_dials);

    let (code, body) =
        health_report(&world, ProviderKind::Twilio, &customer_dials, "unhealthy").await;
    assert_eq!((code, &body["moved"]), (200, &Value::from(1)), "{body}");
    assert_ne!(numbers_of(&world, "ORD-1").await.0, customer_dials);
    let (code, body) =
        health_report(&world, ProviderKind::Twilio, &customer_dials, "healthy").await;
    assert_eq!((code, &body["health"]), (200, &Value::from("healthy")));
    assert_consistent(&world).await;
}

#[tokio::test]
async fn a_move_is_announced_from_the_table_even_when_the_failover_cannot_publish() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let (customer_dials, _) = numbers_of(&world, "ORD-1").await;
    let sick = maskline::domain::VirtualNumber::parse(&customer_dials, None).unwrap();

    let cut_off = maskline::services::Failover {
        publisher: std::sync::Arc::new(FlakyPublisher::down(std::sync::Arc::new(
            world.publisher(),
        ))),
        ..world.failover(false)
    };
    let first = cut_off.mark_unhealthy(&sick).await.unwrap();
    assert_eq!(first.moved.len(), 1);
    let (moved_to, _) = numbers_of(&world, "ORD-1").await;
    assert_ne!(moved_to, customer_dials, "the move itself stands");
    let changed = world.events.read_of_type("MaskedNumbersChanged", 1).await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].detail["customer_dials"], moved_to.as_str());
    assert_eq!(changed[0].detail["replaced"], customer_dials.as_str());

    // A second run has nothing to move, and nothing is announced twice.
    let second = world.failover(false).mark_unhealthy(&sick).await.unwrap();
    assert!(second.moved.is_empty());
    assert!(world
        .events
        .read_of_type("MaskedNumbersChanged", 0)
        .await
        .is_empty());
}
