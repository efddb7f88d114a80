//! A captured provider request replayed later does nothing: number-health reports always (their
//! `report_id` is remembered), voice requests with `REPLAY_GUARD=on` (their call id is).

use maskline::domain::pool::Health;
use maskline::ports::PoolStore;
use maskline::providers::ProviderKind;
use maskline::services::ResolveCall;
use maskline_tests::fixtures::{customer_phone, driver_assigned};
use maskline_tests::webhooks::{body_text, config, decode, provider_request, Decoded};
use maskline_tests::World;
use serde_json::Value;

use crate::support::{add_provider_numbers, allocate_ok, callbacks, numbers_of};

fn report(number: &str, status: &str, report_id: &str) -> lambda_http::Request {
    let mut params = vec![("number", number), ("status", status)];
    if !report_id.is_empty() {
        params.push(("report_id", report_id));
    }
    provider_request(
        ProviderKind::Twilio,
        "number-health",
        "HR",
        "+14155550100",
        number,
        &params,
    )
}

async fn send(world: &World, request: lambda_http::Request) -> (u16, Value) {
    let response = call_events::handler::handle(&callbacks(world, config()), request).await;
    let body = serde_json::from_str(&body_text(response.body())).unwrap_or(Value::Null);
    (response.status().as_u16(), body)
}

#[tokio::test]
async fn a_replayed_health_report_cannot_flip_a_number_back() {
    let world = World::new().await;
    add_provider_numbers(&world, "twilio", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let (vn, _) = numbers_of(&world, "ORD-1").await;
    let health = |world: &World| {
        let vn = maskline::domain::VirtualNumber::parse(&vn, None).unwrap();
        let pool = world.store.clone();
        async move { pool.pool_number(&vn).await.unwrap().unwrap().health }
    };

    assert_eq!(send(&world, report(&vn, "unhealthy", "R-1")).await.0, 200);
    assert_eq!(health(&world).await, Health::Unhealthy);
    assert_eq!(send(&world, report(&vn, "healthy", "R-2")).await.0, 200);
    assert_eq!(health(&world).await, Health::Healthy);

    // The first report, captured and sent again: acknowledged, not acted on.
    let (code, body) = send(&world, report(&vn, "unhealthy", "R-1")).await;
    assert_eq!(
        (code, &body["duplicate"]),
        (200, &Value::Bool(true)),
        "{body}"
    );
    assert_eq!(health(&world).await, Health::Healthy);

    // A report without an id cannot be told from its replay: refused.
    assert_eq!(send(&world, report(&vn, "unhealthy", "")).await.0, 400);
    assert_eq!(health(&world).await, Health::Healthy);
}

/// Report ids are remembered a week; a captured report sent again after that is refused by the
/// time it says it was made (signed with the rest), so it still cannot flip the number.
#[tokio::test]
async fn a_health_report_replayed_after_its_id_is_forgotten_is_refused_by_its_time() {
    let world = World::new().await;
    add_provider_numbers(&world, "twilio", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let (vn, _) = numbers_of(&world, "ORD-1").await;
    let health = || {
        let vn = maskline::domain::VirtualNumber::parse(&vn, None).unwrap();
        let pool = world.store.clone();
        async move { pool.pool_number(&vn).await.unwrap().unwrap().health }
    };
    let made_at = chrono::Utc::now().to_rfc3339();
    let captured = || {
        provider_request(
            ProviderKind::Twilio,
            "number-health",
            "HR",
            "+14155550100",
            &vn,
            &[
                ("number", &vn),
                ("status", "unhealthy"),
                ("report_id", "R-captured"),
                ("reported_at", &made_at),
            ],
        )
    };
    assert_eq!(send(&world, captured()).await.0, 200);
    assert_eq!(health().await, Health::Unhealthy);
    assert_eq!(send(&world, report(&vn, "healthy", "R-2")).await.0, 200);
    assert_eq!(health().await, Health::Healthy);

    world.clock.advance(chrono::Duration::days(8));
    let (code, body) = send(&world, captured()).await;
    assert_eq!(code, 400, "a week-old report was taken: {body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("reported_at"),
        "{body}"
    );
    assert_eq!(health().await, Health::Healthy);
}

async fn answer(resolver: &ResolveCall, request: lambda_http::Request) -> Decoded {
    let response = resolve_call::handler::handle(resolver, request).await;
    decode(ProviderKind::Twilio, &body_text(response.body()))
}

#[tokio::test]
async fn with_the_replay_guard_on_a_voice_request_is_answered_once() {
    let world = World::new().await;
    add_provider_numbers(&world, "twilio", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let (customer_dials, _) = numbers_of(&world, "ORD-1").await;
    let call = || {
        provider_request(
            ProviderKind::Twilio,
            "voice",
            "CA-once",
            &customer_phone(1),
            &customer_dials,
            &[],
        )
    };
    // Off (the default): the same request connects each time.
    let open = world.resolver(world.store.clone(), config());
    for _ in 0..2 {
        assert!(matches!(
            answer(&open, call()).await,
            Decoded::Connect { .. }
        ));
    }

    // On: the first connects; a replay of it learns nothing.
    let mut guarded_config = config();
    guarded_config.replay_guard = true;
    let guarded = world.resolver(world.store.clone(), guarded_config);
    assert!(matches!(
        answer(&guarded, call()).await,
        Decoded::Connect { .. }
    ));
    assert!(matches!(
        answer(&guarded, call()).await,
        Decoded::OutOfSession
    ));
}
