//! A call's outcome lands on the order the call was made for, even when it arrives after the
//! (VN, caller) binding that routed the call belongs to another order: Twilio's answer names a
//! per-call report URL carrying the order, and Twilio signs that whole URL.

use maskline::providers::simulate::decode_report_url;
use maskline::providers::ProviderKind;
use maskline_tests::fixtures::{customer_phone, driver_assigned};
use maskline_tests::webhooks::{body_text, config, provider_request, twilio_dialled_leg};
use maskline_tests::World;
use serde_json::Value;

use crate::call_log::log;
use crate::support::{add_provider_numbers, allocate_ok, callbacks, numbers_of};

#[tokio::test]
async fn a_late_report_lands_on_the_order_its_call_was_for() {
    let world = World::new().await;
    add_provider_numbers(&world, "twilio", "airtel", 1, 6).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    allocate_ok(&world, &[driver_assigned("ORD-2", "blr", 1, 2)]).await;
    let (customer_dials, _) = numbers_of(&world, "ORD-1").await;
    let customer = customer_phone(1);

    // The customer calls on ORD-1's number: the answer names where this call's outcome goes.
    let resolver = world.resolver(world.store.clone(), config());
    let voice = provider_request(
        ProviderKind::Twilio,
        "voice",
        "CA-77",
        &customer,
        &customer_dials,
        &[],
    );
    let answer = body_text(resolve_call::handler::handle(&resolver, voice).await.body());
    let report_to = decode_report_url(ProviderKind::Twilio, &answer)
        .unwrap_or_else(|| panic!("the answer names no per-call report URL: {answer}"));
    assert!(report_to.contains("order=ORD-1"), "{report_to}");
    assert!(
        !report_to.contains(&customer[1..]),
        "no real number in the URL"
    );

    // Before the report arrives, that (VN, customer) binding has come to belong to ORD-2 (ORD-1
    // ended and its binding was claimed again).
    world
        .hand_binding_over(&customer_dials, "customer", "ORD-1", "ORD-2")
        .await;

    let events = callbacks(&world, config());
    let done = [("CallStatus", "busy")];
    let report = twilio_dialled_leg(&report_to, "CA-77", &customer_dials, &done);
    let response = call_events::handler::handle(&events, report).await;
    let reply: Value = serde_json::from_str(&body_text(response.body())).unwrap();
    assert_eq!(
        (response.status().as_u16(), &reply["recorded"]),
        (200, &Value::Bool(true))
    );
    // The number's own callback about the caller's leg is not a second outcome of the call.
    let caller_leg = provider_request(
        ProviderKind::Twilio,
        "status",
        "CA-77",
        &customer,
        &customer_dials,
        &[("CallStatus", "completed")],
    );
    let response = call_events::handler::handle(&events, caller_leg).await;
    assert!(body_text(response.body()).contains("\"recorded\":false"));

    let (_, first) = log(&events, "ORD-1").await;
    let calls = first["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{first}");
    assert_eq!(
        (
            &calls[0]["call_id"],
            &calls[0]["status"],
            &calls[0]["direction"]
        ),
        (
            &Value::from("CA-77"),
            &Value::from("busy"),
            &Value::from("customer_to_driver")
        )
    );
    let (_, second) = log(&events, "ORD-2").await;
    assert!(second["calls"].as_array().unwrap().is_empty(), "{second}");
}
