//! A call's outcome lands on the order the call was made for, even when it arrives after the
//! (VN, caller) binding that routed the call belongs to another order: the answer names a
//! per-call report URL carrying the order, which the provider signs (Twilio's `<Number
//! statusCallback>`, Plivo's `<Dial callbackUrl>`) or Maskline seals (Vonage's `connect` event
//! URL, the dial-result route). Exotel's Connect answer can name no report URL: its reports are
//! attributed through the binding (docs/calls.md#status-callbacks).

use maskline::providers::ProviderKind;
use maskline::services::ResolveCall;
use maskline_tests::call_oracle::{dial_result_url, report_url};
use maskline_tests::fixtures::{customer_phone, driver_assigned};
use maskline_tests::webhooks::{
    body_text, config, dial_result, plivo_dialled_leg, provider_request, twilio_dialled_leg,
};
use maskline_tests::World;
use serde_json::Value;

use crate::call_log::log;
use crate::support::{add_provider_numbers, allocate_ok, callbacks, numbers_of};

/// Twilio names the per-call report URL on `<Number statusCallback>`, Plivo on `<Dial
/// callbackUrl>`; both sign it, query included. The dialled leg's outcome lands on the order the
/// call was for, and the number's own report of the caller's leg is not a second outcome.
#[tokio::test]
async fn a_late_report_lands_on_the_order_its_call_was_for() {
    for (provider, call_id) in [
        (ProviderKind::Twilio, "CA-77"),
        (ProviderKind::Plivo, "PL-77"),
    ] {
        // The customer calls on ORD-1's number: the answer names where this call's outcome goes.
        let FirstCall {
            world,
            customer,
            customer_dials,
            answer,
            ..
        } = customer_calls_on_ord1(provider, call_id).await;
        let report_to = report_url(provider, &answer)
            .unwrap()
            .unwrap_or_else(|| panic!("{provider}: the answer names no report URL: {answer}"));
        assert!(report_to.contains("order=ORD-1"), "{report_to}");
        assert!(
            !report_to.contains(&customer[1..]),
            "no real number in the URL"
        );

        // Before the report arrives, that (VN, customer) binding has come to belong to ORD-2
        // (ORD-1 ended and its binding was claimed again).
        world
            .hand_binding_over(&customer_dials, "customer", "ORD-1", "ORD-2")
            .await;

        let events = callbacks(&world, config());
        let done = [("CallStatus", "busy")];
        let report = match provider {
            ProviderKind::Twilio => twilio_dialled_leg(&report_to, call_id, &customer_dials, &done),
            _ => plivo_dialled_leg(&report_to, call_id, &customer_dials, &done),
        };
        let response = call_events::handler::handle(&events, report).await;
        let reply: Value = serde_json::from_str(&body_text(response.body())).unwrap();
        assert_eq!(
            (response.status().as_u16(), &reply["recorded"]),
            (200, &Value::Bool(true)),
            "{provider}"
        );
        let caller_leg = provider_request(
            provider,
            "status",
            call_id,
            &customer,
            &customer_dials,
            &[("CallStatus", "completed")],
        );
        assert_not_recorded(&events, caller_leg).await;

        assert_logged_once(&events, "ORD-1", call_id, "busy").await;
        let (_, second) = log(&events, "ORD-2").await;
        assert!(second["calls"].as_array().unwrap().is_empty(), "{second}");
    }
}

/// Vonage's `connect` has one event URL, the dial-result route, whose query names the call under
/// a seal: the dialled leg's final event lands on the order the call was for.
#[tokio::test]
async fn a_late_vonage_report_lands_on_the_order_its_call_was_for() {
    let FirstCall {
        world,
        resolver,
        customer,
        customer_dials,
        answer,
    } = customer_calls_on_ord1(ProviderKind::Vonage, "VG-77").await;
    let event_url = dial_result_url(ProviderKind::Vonage, &answer)
        .unwrap()
        .unwrap_or_else(|| panic!("the answer names no event URL: {answer}"));
    assert!(event_url.contains("order=ORD-1"), "{event_url}");
    assert!(
        !event_url.contains(&customer[1..]),
        "no real number in the URL"
    );

    world
        .hand_binding_over(&customer_dials, "customer", "ORD-1", "ORD-2")
        .await;

    let secrets = config().secrets;
    let report = dial_result(
        ProviderKind::Vonage,
        &event_url,
        &secrets,
        "VG-leg-77",
        "busy",
    );
    let response = resolve_call::handler::handle(&resolver, report).await;
    assert_eq!(response.status().as_u16(), 200);
    let events = callbacks(&world, config());
    // The application's event URL about the caller's leg is not a second outcome of the call.
    let caller_leg = provider_request(
        ProviderKind::Vonage,
        "status",
        "VG-77",
        &customer,
        &customer_dials,
        &[("status", "completed"), ("direction", "inbound")],
    );
    assert_not_recorded(&events, caller_leg).await;

    assert_logged_once(&events, "ORD-1", "VG-leg-77", "busy").await;
    let (_, second) = log(&events, "ORD-2").await;
    assert!(second["calls"].as_array().unwrap().is_empty(), "{second}");
    let failed = world.events.read_of_type("CallFailed", 1).await;
    assert_eq!(failed[0].detail["order_id"], "ORD-1");
}

/// call-events takes `report` and records nothing from it.
async fn assert_not_recorded(
    events: &call_events::handler::Callbacks,
    report: lambda_http::Request,
) {
    let response = call_events::handler::handle(events, report).await;
    let reply: Value = serde_json::from_str(&body_text(response.body())).unwrap();
    assert_eq!(reply["recorded"], Value::Bool(false));
}

/// ORD-1 and ORD-2 share customer 1 on numbers of `provider`; the customer has just called on
/// ORD-1's number, and `answer` is what resolve-call said.
struct FirstCall {
    world: World,
    resolver: ResolveCall,
    customer: String,
    customer_dials: String,
    answer: String,
}

async fn customer_calls_on_ord1(provider: ProviderKind, call_id: &str) -> FirstCall {
    let world = World::new().await;
    add_provider_numbers(&world, &provider.to_string(), "airtel", 1, 6).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    allocate_ok(&world, &[driver_assigned("ORD-2", "blr", 1, 2)]).await;
    let (customer_dials, _) = numbers_of(&world, "ORD-1").await;
    let customer = customer_phone(1);
    let resolver = world.resolver(world.store.clone(), config());
    let voice = provider_request(provider, "voice", call_id, &customer, &customer_dials, &[]);
    let answer = body_text(resolve_call::handler::handle(&resolver, voice).await.body());
    FirstCall {
        world,
        resolver,
        customer,
        customer_dials,
        answer,
    }
}

/// `order`'s call log holds exactly one call: `call_id`, customer to driver, with `status`.
async fn assert_logged_once(
    events: &call_events::handler::Callbacks,
    order: &str,
    call_id: &str,
    status: &str,
) {
    let (_, first) = log(events, order).await;
    let calls = first["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{first}");
    assert_eq!(
        (
            &calls[0]["call_id"],
            &calls[0]["status"],
            &calls[0]["direction"]
        ),
        (
            &Value::from(call_id),
            &Value::from(status),
            &Value::from("customer_to_driver")
        )
    );
}
