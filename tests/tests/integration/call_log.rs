//! Status callbacks become the order's call log, once per (call, status), and events go out once.

use call_events::handler::Callbacks;
use maskline::providers::ProviderKind;
use maskline_tests::fixtures::{customer_phone, driver_phone};
use maskline_tests::webhooks::{body_text, config, provider_request};
use maskline_tests::World;
use serde_json::Value;

use crate::support::{callbacks, world_with_order};

pub async fn status(
    events: &Callbacks,
    provider: ProviderKind,
    call_id: &str,
    from: &str,
    to: &str,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let request =
        maskline_tests::webhooks::status_report(&events.events, provider, call_id, from, to, extra)
            .await;
    let response = call_events::handler::handle(events, request).await;
    (
        response.status().as_u16(),
        serde_json::from_str(&body_text(response.body())).unwrap(),
    )
}

pub async fn log(events: &Callbacks, order: &str) -> (u16, Value) {
    let request = lambda_http::http::Request::builder()
        .method("GET")
        .uri(format!("/v1/orders/{order}/calls"))
        .body(lambda_http::Body::Empty)
        .unwrap();
    let response = call_events::handler::handle(events, request).await;
    (
        response.status().as_u16(),
        serde_json::from_str(&body_text(response.body())).unwrap(),
    )
}

#[tokio::test]
async fn a_status_delivered_twice_is_recorded_and_announced_once() {
    let (world, customer_dials, driver_dials) = world_with_order().await;
    let events = callbacks(&world, config());
    let (customer, driver) = (customer_phone(1), driver_phone(1));

    let completed = [("CallStatus", "completed"), ("CallDuration", "42")];
    for _ in 0..2 {
        let (code, body) = status(
            &events,
            ProviderKind::Twilio,
            "CA-call-1",
            &customer,
            &customer_dials,
            &completed,
        )
        .await;
        assert_eq!((code, &body["recorded"]), (200, &Value::Bool(true)));
    }
    world.clock.advance(chrono::Duration::seconds(30));
    let failed = [("CallStatus", "busy")];
    let (code, _) = status(
        &events,
        ProviderKind::Plivo,
        "call-2",
        &driver,
        &driver_dials,
        &failed,
    )
    .await;
    assert_eq!(code, 200);

    let (code, body) = log(&events, "ORD-1").await;
    assert_eq!(code, 200);
    let calls = body["calls"].as_array().unwrap();
    assert_eq!(
        calls.len(),
        2,
        "the duplicate must not be logged twice: {body}"
    );
    assert_eq!(calls[0]["call_id"], "CA-call-1");
    assert_eq!(calls[0]["status"], "completed");
    assert_eq!(calls[0]["duration_seconds"], 42);
    assert_eq!(calls[0]["direction"], "customer_to_driver");
    assert_eq!(calls[0]["dialled"], customer_dials.as_str());
    assert_eq!(calls[1]["status"], "busy");
    assert_eq!(calls[1]["direction"], "driver_to_customer");
    for real in [&customer, &driver] {
        assert!(
            !body.to_string().contains(real.trim_start_matches('+')),
            "the call log shows a real number"
        );
    }

    let published = world.events.read(3).await;
    let completed: Vec<_> = published
        .iter()
        .filter(|e| e.detail_type == "CallCompleted")
        .collect();
    let failed: Vec<_> = published
        .iter()
        .filter(|e| e.detail_type == "CallFailed")
        .collect();
    assert_eq!(completed.len(), 1, "CallCompleted must go out once");
    assert_eq!(completed[0].detail["order_id"], "ORD-1");
    assert_eq!(completed[0].detail["duration_seconds"], 42);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].detail["status"], "busy");
}

#[tokio::test]
async fn unknown_orders_and_strangers_are_handled_cleanly() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let events = callbacks(&world, config());
    let (code, body) = log(&events, "ORD-404").await;
    assert_eq!((code, &body["error"]), (404, &Value::from("unknown order")));

    // A status about a call that matched no session is acknowledged (so the provider stops
    // retrying) but attributed to nobody.
    let (code, body) = status(
        &events,
        ProviderKind::Twilio,
        "CA-x",
        &customer_phone(9),
        "+918041000001",
        &[("CallStatus", "completed")],
    )
    .await;
    assert_eq!((code, &body["recorded"]), (200, &Value::Bool(false)));

    // An unsigned status callback is refused like any webhook.
    let mut unsigned = provider_request(
        ProviderKind::Twilio,
        "status",
        "CA-x",
        &customer_phone(9),
        "+918041000001",
        &[("CallStatus", "completed")],
    );
    unsigned.headers_mut().remove("x-twilio-signature");
    assert_eq!(
        call_events::handler::handle(&events, unsigned)
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn a_status_from_a_person_never_reads_a_key_made_of_their_number() {
    use maskline_tests::counting_store::CountingStore;
    use std::sync::Arc;

    let (world, customer_dials, _) = world_with_order().await;
    let counting = Arc::new(CountingStore::new(world.store.clone()));
    let events = Callbacks {
        events: world.call_events(counting.clone(), config()),
        health: world.number_health(config()),
    };
    // A stranger's call to one of our VNs: no binding for them there.
    let stranger = "+919876599999";
    let (code, body) = status(
        &events,
        ProviderKind::Twilio,
        "CA-stranger",
        stranger,
        &customer_dials,
        &[("CallStatus", "completed")],
    )
    .await;
    assert_eq!((code, &body["recorded"]), (200, &Value::Bool(false)));
    let read = counting.binding_partitions();
    assert_eq!(
        read,
        vec![customer_dials],
        "only the dialled VN's partition"
    );
}
