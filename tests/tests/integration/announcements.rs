//! A failover's `MaskedNumbersChanged` is never lost for good: an SDK retry of a move that did
//! commit still counts as the move, the health webhook asks the provider to retry while a move is
//! unannounced, and the scheduled refill announces what nobody retried.

use std::sync::Arc;

use chrono::Duration;
use maskline::domain::{OrderId, VirtualNumber};
use maskline::ports::{Clock, SessionStore, SessionWrite, WriteError, WriteRejected};
use maskline::providers::ProviderKind;
use maskline::services::failover::STALE_MOVE_SECONDS;
use maskline::services::{Failover, NumberHealth};
use maskline_tests::fixtures::driver_assigned;
use maskline_tests::flaky_bus::FlakyPublisher;
use maskline_tests::webhooks::{body_text, config, provider_request};
use maskline_tests::World;
use serde_json::{json, Value};

use crate::support::{add_provider_numbers, allocate_ok, numbers_of};

/// A failover whose first `lost` announcements do not reach the bus.
fn failover_losing(world: &World, lost: u32) -> Failover {
    Failover {
        publisher: Arc::new(FlakyPublisher::losing_changes(
            Arc::new(world.publisher()),
            lost,
        )),
        ..world.failover(false)
    }
}

async fn order_on_a_number() -> (World, VirtualNumber) {
    let world = World::new().await;
    // Twilio's numbers: the health reports below are Twilio-signed.
    add_provider_numbers(&world, "twilio", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let (customer_dials, _) = numbers_of(&world, "ORD-1").await;
    (world, VirtualNumber::parse(&customer_dials, None).unwrap())
}

#[tokio::test]
async fn the_same_write_sent_again_succeeds_without_writing_twice() {
    let (world, _) = order_on_a_number().await;
    let order = OrderId::parse("ORD-1").unwrap();
    let record = world.store.load_session(&order).await.unwrap().unwrap();
    let mut refreshed = record.clone();
    refreshed.version += 1;
    refreshed.session.live_until += Duration::minutes(5);
    let write = SessionWrite {
        record: refreshed,
        expected_version: Some(record.version),
        put_bindings: Vec::new(),
        delete_bindings: Vec::new(),
        put_locks: Vec::new(),
        delete_locks: Vec::new(),
        newly_claimed: Vec::new(),
        moved_off: None,
    };
    let now = world.clock.now();
    world.store.write_session(&write, now).await.unwrap();
    // The SDK sends the very request again (the reply to the first was lost on the way back):
    // the first did commit, so this is that write, not a conflicting one.
    world
        .store
        .write_session(&write, now)
        .await
        .expect("a repeat of a committed write is that write");
    let stored = world.store.load_session(&order).await.unwrap().unwrap();
    assert_eq!(stored.version, record.version + 1, "written once");
    // A new attempt planned from the same stale read is still refused.
    let replanned = world
        .store
        .write_session(&write, now + Duration::milliseconds(1))
        .await;
    assert!(matches!(
        replanned,
        Err(WriteError::Rejected(WriteRejected::SessionChanged))
    ));
}

fn health_report(number: &VirtualNumber, report_id: &str) -> lambda_http::Request {
    provider_request(
        ProviderKind::Twilio,
        "number-health",
        "HR-1",
        "+14155550100",
        number.as_str(),
        &[
            ("number", number.as_str()),
            ("status", "unhealthy"),
            ("report_id", report_id),
        ],
    )
}

async fn send(world: &World, failover: Failover, request: lambda_http::Request) -> (u16, Value) {
    let callbacks = call_events::handler::Callbacks {
        events: world.call_events(world.store.clone(), config()),
        health: NumberHealth {
            failover: Arc::new(failover),
            replays: world.store.clone(),
            clock: world.clock.clone(),
            config: config(),
        },
    };
    let response = call_events::handler::handle(&callbacks, request).await;
    let body = serde_json::from_str(&body_text(response.body())).unwrap_or(Value::Null);
    (response.status().as_u16(), body)
}

#[tokio::test]
async fn the_health_webhook_fails_while_a_move_is_unannounced_so_the_provider_retries() {
    let (world, sick) = order_on_a_number().await;

    let (status, body) = send(
        &world,
        failover_losing(&world, 1),
        health_report(&sick, "R-1"),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        (&body["moved"], &body["unannounced"]),
        (&json!(1), &json!(1))
    );
    assert!(world
        .events
        .read_of_type("MaskedNumbersChanged", 0)
        .await
        .is_empty());

    // The provider retries the same report (its id was not kept, as the report was not done).
    let (status, body) = send(&world, world.failover(false), health_report(&sick, "R-1")).await;
    assert_eq!(status, 200, "{body}");
    let changed = world.events.read_of_type("MaskedNumbersChanged", 1).await;
    assert_eq!(changed.len(), 1);
    assert_eq!(
        changed[0].detail["customer_dials"],
        numbers_of(&world, "ORD-1").await.0.as_str()
    );
    assert!(world.items_with_sk("MOVED#").await.is_empty());
}

#[tokio::test]
async fn the_scheduled_refill_announces_moves_nobody_retried() {
    let (world, sick) = order_on_a_number().await;
    let report = failover_losing(&world, 1)
        .mark_unhealthy(&sick)
        .await
        .unwrap();
    assert_eq!(report.unannounced.len(), 1);

    let refill = world.refill(crate::refill::rules(), vec![]);
    let scheduled = json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
    let run = |moves: Failover| {
        let (refill, scheduled) = (&refill, scheduled.clone());
        async move {
            refill_pool::handler::handle(
                refill,
                &moves,
                &maskline::adapters::sqs_batch::Redelivery::default(),
                scheduled,
            )
            .await
            .unwrap()
        }
    };
    // Just made: possibly a run in progress that is about to announce it.
    assert_eq!(run(world.refill_moves()).await["moves_announced"], 0);

    world
        .clock
        .advance(Duration::seconds(STALE_MOVE_SECONDS + 1));
    assert_eq!(run(world.refill_moves()).await["moves_announced"], 1);
    let changed = world.events.read_of_type("MaskedNumbersChanged", 1).await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].detail["replaced"], sick.as_str());
    assert!(world.items_with_sk("MOVED#").await.is_empty());
    assert_eq!(run(world.refill_moves()).await["moves_announced"], 0);
}
