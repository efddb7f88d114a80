//! Click-to-call: the provider rings the requesting party, then bridges to the other, both legs
//! showing the order's healthy VNs; offered after repeated failures (or always, if configured).

use std::sync::Arc;

use chrono::Duration;
use lambda_http::{Body, Request};
use maskline::adapters::provider_api::{ExotelCalls, TwilioCalls};
use maskline::config::ClickToCallMode;
use maskline::domain::pool::Health;
use maskline::domain::Provider;
use maskline::domain::VirtualNumber;
use maskline::ports::{CallDialer, CallLog, PoolStore};
use maskline::privacy::{CallerKeys, SealKeys};
use maskline::providers::ProviderKind;
use maskline::services::ClickToCall;
use maskline_tests::fake_exotel::FakeExotel;
use maskline_tests::fake_twilio::FakeTwilio;
use maskline_tests::fixtures::{customer_phone, driver_assigned, driver_phone, ENCRYPTION_KEY};
use maskline_tests::webhooks::{body_text, config, provider_request, PUBLIC_BASE};
use maskline_tests::world::SESSION_MAX_SECONDS;
use maskline_tests::World;
use serde_json::Value;

use crate::call_log::status;
use crate::support::{
    add_provider_numbers, allocate_ok, allocate_with_backups, callbacks, numbers_of, order_numbers,
};

fn request(order: &str, body: &str) -> Request {
    lambda_http::http::Request::builder()
        .method("POST")
        .uri(format!("/v1/orders/{order}/click-to-call"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn click(service: &ClickToCall, order: &str, from: &str) -> (u16, Value) {
    let body = format!(r#"{{"from":"{from}"}}"#);
    let response = click_to_call::handler::handle(service, request(order, &body)).await;
    let code = response.status().as_u16();
    (
        code,
        serde_json::from_str(&body_text(response.body())).unwrap(),
    )
}

fn twilio(fake: &FakeTwilio) -> (&'static str, Arc<dyn CallDialer>) {
    let calls = TwilioCalls::new(fake.api()).reporting_to(PUBLIC_BASE);
    ("twilio", Arc::new(calls))
}

#[tokio::test]
async fn after_repeated_failures_twilio_rings_the_agent_then_the_customer() {
    let world = World::new().await;
    let fake = FakeTwilio::start();
    add_provider_numbers(&world, "twilio", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let (customer_dials, driver_dials) = numbers_of(&world, "ORD-1").await;
    let service = world.click_to_call(vec![twilio(&fake)], ClickToCallMode::AfterFailures(2));

    let (code, body) = click(&service, "ORD-1", "driver").await;
    assert_eq!(code, 409, "{body}");
    assert!(body["error"].as_str().unwrap().contains("so far 0"));
    assert!(fake.calls().is_empty());

    // The agent's calls fail twice in a row (a customer's completed call does not reset them).
    let events = callbacks(&world, config());
    let (driver, customer) = (driver_phone(1), customer_phone(1));
    for (id, who, dialled, outcome) in [
        ("CA-1", &driver, &driver_dials, "failed"),
        ("CA-2", &customer, &customer_dials, "completed"),
        ("CA-3", &driver, &driver_dials, "no-answer"),
    ] {
        world.clock.advance(Duration::seconds(5));
        let extra = [("CallStatus", outcome)];
        let (code, _) = status(&events, ProviderKind::Twilio, id, who, dialled, &extra).await;
        assert_eq!(code, 200);
    }

    let (code, body) = click(&service, "ORD-1", "driver").await;
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["caller_sees"], driver_dials.as_str());
    assert_eq!(body["callee_sees"], customer_dials.as_str());
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    let placed = &calls[0];
    assert!(
        body["call_id"].as_str().unwrap().starts_with("CA"),
        "{body}"
    );
    assert_eq!(placed["To"], driver, "the requester's phone rings first");
    assert_eq!(
        placed["From"], driver_dials,
        "showing the VN they know the customer by"
    );
    let twiml = &placed["Twiml"];
    assert!(
        twiml.contains(&format!(r#"callerId="{customer_dials}""#)),
        "{twiml}"
    );
    assert!(
        twiml.contains(&format!("<Number>{customer}</Number>")),
        "{twiml}"
    );
    assert_eq!(
        placed["StatusCallback"],
        format!("{PUBLIC_BASE}/webhooks/twilio/status?leg=click-to-call")
    );
    // The answer to the app never carries a real number.
    for real in [&driver, &customer] {
        assert!(!body.to_string().contains(real.trim_start_matches('+')));
    }

    // Twilio reports the bridge call (placed from the VN to the agent): it joins the call log
    // as the agent's call, and a connected call ends the agent's run of failures.
    let sid = body["call_id"].as_str().unwrap();
    let done = [
        ("CallStatus", "completed"),
        ("CallDuration", "30"),
        ("Direction", "outbound-api"),
    ];
    // To the status URL Maskline gave Twilio for the call (the signed `leg` marks it as ours).
    let report = provider_request(
        ProviderKind::Twilio,
        "status?leg=click-to-call",
        sid,
        &driver_dials,
        &driver,
        &done,
    );
    let response = call_events::handler::handle(&events, report).await;
    let code = response.status().as_u16();
    let reply: Value = serde_json::from_str(&body_text(response.body())).unwrap();
    assert_eq!(
        (code, &reply["recorded"]),
        (200, &Value::Bool(true)),
        "{reply}"
    );
    let log = world
        .store
        .call_log(&maskline::domain::OrderId::parse("ORD-1").unwrap())
        .await
        .unwrap();
    let bridged = log.iter().find(|c| c.call_id == sid).expect("logged");
    assert_eq!(bridged.caller_side, maskline::domain::Side::Driver);
    assert_eq!(bridged.dialled.as_str(), driver_dials);
    let (code, _) = click(&service, "ORD-1", "driver").await;
    assert_eq!(
        code, 409,
        "the agent got through: click-to-call closes again"
    );
}

#[tokio::test]
async fn without_a_public_base_twilio_reports_the_call_to_the_domain_the_request_came_in_on() {
    let world = World::new().await;
    let fake = FakeTwilio::start();
    add_provider_numbers(&world, "twilio", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    // No PUBLIC_WEBHOOK_BASE_URL: the function knows its API only from the request.
    let dialer: Arc<dyn CallDialer> = Arc::new(TwilioCalls::new(fake.api()));
    let service = world.click_to_call(vec![("twilio", dialer)], ClickToCallMode::Always);

    let mut context = aws_lambda_events::event::apigw::ApiGatewayV2httpRequestContext::default();
    context.domain_name = Some("calls.example.com".to_string());
    let served = lambda_http::RequestExt::with_request_context(
        request("ORD-1", r#"{"from":"customer"}"#),
        lambda_http::request::RequestContext::ApiGatewayV2(context),
    );
    let response = click_to_call::handler::handle(&service, served).await;
    assert_eq!(response.status().as_u16(), 202);
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0]["StatusCallback"],
        "https://calls.example.com/webhooks/twilio/status?leg=click-to-call",
        "the bridge call joins the order's call log"
    );
}

#[tokio::test]
async fn exotel_connects_the_customer_first_when_always_on() {
    let world = World::new().await;
    let fake = FakeExotel::start();
    add_provider_numbers(&world, "exotel", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let (customer_dials, _) = numbers_of(&world, "ORD-1").await;
    let dialer: Arc<dyn CallDialer> = Arc::new(ExotelCalls::new(fake.api()));
    let service = world.click_to_call(vec![("exotel", dialer)], ClickToCallMode::Always);

    let (code, body) = click(&service, "ORD-1", "customer").await;
    assert_eq!(code, 202, "{body}");
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["From"], customer_phone(1));
    assert_eq!(calls[0]["To"], driver_phone(1));
    assert_eq!(calls[0]["CallerId"], customer_dials);
}

/// Issue 19, finding 4: click-to-call is given no hash key (its template secrets hold only the
/// encryption key): the session names both parties, whose numbers it opens, so it never has to
/// find anyone by number. Built from those settings alone, it still rings the right people.
#[tokio::test]
async fn click_to_call_holds_no_hash_key_and_still_bridges_the_right_people() {
    let world = World::new().await;
    let fake = FakeExotel::start();
    add_provider_numbers(&world, "exotel", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let (_, driver_dials) = numbers_of(&world, "ORD-1").await;
    let settings =
        |name: &str| (name == "NUMBER_ENCRYPTION_KEY").then(|| ENCRYPTION_KEY.to_string());
    assert!(
        CallerKeys::from_lookup(settings).is_err(),
        "no hash key given"
    );
    let mut wiring = world.wiring_of("click-to-call");
    wiring.config.click_to_call = ClickToCallMode::Always;
    let dialer: Arc<dyn CallDialer> = Arc::new(ExotelCalls::new(fake.api()));
    let dialers = [(Provider::parse("exotel").unwrap(), dialer)].into();
    let service = wiring.click_to_call(dialers, SealKeys::from_lookup(settings).unwrap(), 1800);

    let (code, body) = click(&service, "ORD-1", "driver").await;
    assert_eq!(code, 202, "{body}");
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["From"], driver_phone(1), "the requester first");
    assert_eq!(calls[0]["To"], customer_phone(1));
    assert_eq!(calls[0]["CallerId"], driver_dials);
}

#[tokio::test]
async fn an_unhealthy_primary_is_skipped_for_its_backup() {
    let world = World::new().await;
    let fake = FakeTwilio::start();
    add_provider_numbers(&world, "twilio", "airtel", 1, 3).await;
    add_provider_numbers(&world, "twilio", "jio", 101, 3).await;
    assert!(
        allocate_with_backups(&world, &[driver_assigned("ORD-1", "blr", 1, 1)])
            .await
            .is_empty()
    );
    let (_, view) = order_numbers(&world, "ORD-1").await;
    let primary = VirtualNumber::parse(view["customer_dials"].as_str().unwrap(), None).unwrap();
    world
        .store
        .set_health(&primary, Health::Unhealthy)
        .await
        .unwrap();
    let service = world.click_to_call(vec![twilio(&fake)], ClickToCallMode::Always);

    let (code, body) = click(&service, "ORD-1", "customer").await;
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["caller_sees"], view["customer_backup"]);
    assert_eq!(
        fake.calls()[0]["From"],
        view["customer_backup"].as_str().unwrap()
    );
}

#[tokio::test]
async fn refusals_are_clear_and_place_no_call() {
    let world = World::new().await;
    let fake = FakeTwilio::start();
    add_provider_numbers(&world, "twilio", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let service = world.click_to_call(vec![twilio(&fake)], ClickToCallMode::Always);

    assert_eq!(click(&service, "ORD-404", "driver").await.0, 404);
    let bad =
        click_to_call::handler::handle(&service, request("ORD-1", r#"{"from":"boss"}"#)).await;
    assert_eq!(bad.status().as_u16(), 400);
    let off = world.click_to_call(vec![twilio(&fake)], ClickToCallMode::Off);
    assert_eq!(click(&off, "ORD-1", "driver").await.0, 409);
    let no_dialer = world.click_to_call(vec![], ClickToCallMode::Always);
    assert_eq!(click(&no_dialer, "ORD-1", "driver").await.0, 501);
    fake.fail_next(1);
    let (code, body) = click(&service, "ORD-1", "driver").await;
    assert_eq!(code, 502, "{body}");
    // A fixed message: the provider's own text can name the other party's number.
    assert_eq!(body["error"], "the provider could not place the call");
    assert!(fake.calls().is_empty());

    world
        .clock
        .advance(Duration::seconds(SESSION_MAX_SECONDS + 1));
    assert_eq!(click(&service, "ORD-1", "driver").await.0, 410);
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn a_bridge_call_report_is_attributed_without_reading_a_real_number_key() {
    use maskline_tests::counting_store::CountingStore;
    let world = World::new().await;
    let fake = FakeTwilio::start();
    add_provider_numbers(&world, "twilio", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let (_, driver_dials) = numbers_of(&world, "ORD-1").await;
    let service = world.click_to_call(vec![twilio(&fake)], ClickToCallMode::Always);
    let (code, body) = click(&service, "ORD-1", "driver").await;
    assert_eq!(code, 202, "{body}");

    // Twilio reports the bridge call it placed from the VN to the agent's phone.
    let counting = Arc::new(CountingStore::new(world.store.clone()));
    let events = call_events::handler::Callbacks {
        events: world.call_events(counting.clone(), config()),
        health: world.number_health(config()),
    };
    let driver = driver_phone(1);
    let report = provider_request(
        ProviderKind::Twilio,
        "status?leg=click-to-call",
        body["call_id"].as_str().unwrap(),
        &driver_dials,
        &driver,
        &[("CallStatus", "completed"), ("Direction", "outbound-api")],
    );
    let response = call_events::handler::handle(&events, report).await;
    let reply: Value = serde_json::from_str(&body_text(response.body())).unwrap();
    assert_eq!(reply["recorded"], true, "{reply}");
    let partitions = counting.binding_partitions();
    assert!(
        !partitions
            .iter()
            .any(|p| p.contains(driver.trim_start_matches('+'))),
        "a table key named the agent's real number: {partitions:?}"
    );
}
