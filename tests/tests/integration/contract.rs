//! Every response `docs/openapi.yaml` documents is produced here by the real handler, on DynamoDB
//! Local and moto, and validated against the document; a documented response no handler produced,
//! or a response the document does not describe, fails the test. So the contract cannot drift.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use lambda_http::{Body, Request, Response};
use maskline::adapters::provider_api::TwilioCalls;
use maskline::config::ClickToCallMode;
use maskline::ports::CallDialer;
use maskline::providers::ProviderKind;
use maskline::webhook_config::WebhookSecrets;
use maskline_tests::fake_twilio::FakeTwilio;
use maskline_tests::fixtures::{customer_phone, driver_assigned, driver_phone, vn};
use maskline_tests::webhooks::{signed_with, status_report};
use maskline_tests::World;
use serde_json::{json, Value};

use crate::openapi::{check, documented};
use crate::sessions_api::open_body;
use crate::support::{add_provider_numbers, callbacks};

type Seen = Mutex<BTreeSet<(String, String, String)>>;

fn request(method: &str, path: &str, body: Option<Value>, if_match: Option<&str>) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method(method)
        .uri(path);
    if let Some(tag) = if_match {
        builder = builder.header("if-match", tag);
    }
    builder
        .body(body.map_or(Body::Empty, |b| Body::Text(b.to_string())))
        .unwrap()
}

/// Checks `response` to `method path` against the document; returns its JSON body (if any).
fn checked(seen: &Seen, method: &str, path: &str, response: Response<Body>) -> Value {
    check(seen, method, path, &response);
    match response.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// Routes documented with both methods where the simulated providers send only one: the other
/// must be documented exactly like its twin (whose responses are produced and validated).
const TWINS: &[(&str, &str, &str)] = &[
    ("/webhooks/plivo/voice", "get", "post"),
    ("/webhooks/vonage/voice", "get", "post"),
    ("/webhooks/vonage/whisper", "post", "get"),
    ("/webhooks/{provider}/status", "get", "post"),
];

#[tokio::test]
async fn every_documented_response_is_produced_by_its_handler_and_matches_the_document() {
    let seen: Seen = Mutex::new(BTreeSet::new());
    let world = World::new().await;
    add_provider_numbers(&world, "twilio", "airtel", 1, 2).await;
    let sessions = world.sessions();
    let s = |method: &'static str,
             path: &'static str,
             body: Option<Value>,
             tag: Option<&'static str>| {
        let sessions = &sessions;
        let seen = &seen;
        async move {
            let response =
                sessions::handler::handle(sessions, request(method, path, body, tag)).await;
            checked(seen, method, path, response)
        }
    };

    // The sessions API.
    s("POST", "/v1/sessions", Some(open_body("ORD-1", 1, 1)), None).await;
    s("POST", "/v1/sessions", Some(open_body("ORD-1", 1, 1)), None).await;
    s("GET", "/v1/sessions/ORD-1", None, None).await;
    s(
        "PATCH",
        "/v1/sessions/ORD-1",
        Some(json!({"driver": {"id": "D-2", "phone": driver_phone(2)}})),
        Some("\"1\""),
    )
    .await;
    s(
        "PATCH",
        "/v1/sessions/ORD-1",
        Some(json!({"expires_in": 60})),
        Some("\"1\""),
    )
    .await;
    s("PATCH", "/v1/sessions/ORD-1", Some(json!({})), None).await;
    s(
        "PATCH",
        "/v1/sessions/ORD-404",
        Some(json!({"expires_in": 60})),
        None,
    )
    .await;
    s(
        "POST",
        "/v1/sessions",
        Some(json!({"order_id": "ORD-1"})),
        None,
    )
    .await;
    let mut unknown_region = open_body("ORD-9", 1, 1);
    unknown_region["region"] = json!("atlantis");
    s("POST", "/v1/sessions", Some(unknown_region), None).await;
    s("GET", "/v1/sessions/ORD-404", None, None).await;
    // The customer's second order takes the other side of both numbers; a third finds none.
    s("POST", "/v1/sessions", Some(open_body("ORD-2", 1, 3)), None).await;
    s("POST", "/v1/sessions", Some(open_body("ORD-3", 1, 4)), None).await;
    s("DELETE", "/v1/sessions/ORD-1", None, None).await;
    s("DELETE", "/v1/sessions/ORD-404", None, None).await;
    s(
        "PATCH",
        "/v1/sessions/ORD-1",
        Some(json!({"expires_in": 60})),
        None,
    )
    .await;
    s("POST", "/v1/sessions", Some(open_body("ORD-1", 1, 1)), None).await;

    // The apps' routes.
    let numbers = world.order_numbers();
    for path in [
        "/v1/orders/ORD-2/numbers",
        "/v1/orders/ORD-404/numbers",
        "/v1/orders/ORD%201/numbers",
    ] {
        let response =
            order_numbers::handler::handle(&numbers, request("GET", path, None, None)).await;
        checked(&seen, "GET", path, response);
    }
    let fake = FakeTwilio::start();
    let dialer: Arc<dyn CallDialer> = Arc::new(TwilioCalls::new(fake.api()));
    let click = world.click_to_call(vec![("twilio", dialer)], ClickToCallMode::Always);
    for (path, body) in [
        (
            "/v1/orders/ORD-2/click-to-call",
            json!({"from": "customer"}),
        ),
        (
            "/v1/orders/ORD-404/click-to-call",
            json!({"from": "customer"}),
        ),
        ("/v1/orders/ORD-2/click-to-call", json!({"from": "nobody"})),
    ] {
        let response =
            click_to_call::handler::handle(&click, request("POST", path, Some(body), None)).await;
        checked(&seen, "POST", path, response);
    }

    // The providers' webhooks: an answer for each, and a refusal of a forged signature.
    let resolver = world.resolver(world.store.clone(), maskline_tests::webhooks::config());
    let forged = WebhookSecrets {
        twilio_auth_token: Some("forged".into()),
        plivo_auth_token: Some("forged".into()),
        vonage_signature_secret: Some("forged".into()),
        exotel_token: Some("forged".into()),
        vonage_token: Some("forged".into()),
    };
    let customer = customer_phone(1);
    let dialled = vn(1).as_str().to_string();
    for provider in ProviderKind::ALL {
        for secrets in [&maskline_tests::webhooks::config().secrets, &forged] {
            let request = signed_with(
                secrets,
                provider,
                "voice",
                "CA-contract-1",
                &customer,
                &dialled,
                &[],
            );
            let (method, path) = (
                request.method().to_string(),
                request.uri().path().to_string(),
            );
            let response = resolve_call::handler::handle(&resolver, request).await;
            checked(&seen, &method, &path, response);
        }
    }
    // The whispers the answers name (callee announcements on): each fetched as its provider
    // fetches it, and once with a forged signature (Vonage: a forged seal).
    let mut announcing = maskline_tests::webhooks::config();
    announcing.answer.announcements.to_driver = Some(
        maskline::providers::call_announcement::Template::parse(
            "Your customer, order {order_short}",
        )
        .unwrap(),
    );
    let whisperer = world.resolver(world.store.clone(), announcing.clone());
    // An order on numbers every provider's route opens (`static`), in a region of its own.
    world.add_pool("hyd", "airtel", 20, 2).await;
    crate::support::allocate_ok(&world, &[driver_assigned("ORD-7", "hyd", 7, 7)]).await;
    let (customer_dials, _) = crate::support::numbers_of(&world, "ORD-7").await;
    for provider in [
        ProviderKind::Twilio,
        ProviderKind::Plivo,
        ProviderKind::Vonage,
    ] {
        let call = signed_with(
            &announcing.secrets,
            provider,
            "voice",
            "CA-contract-3",
            &customer_phone(7),
            &customer_dials,
            &[],
        );
        let answer = resolve_call::handler::handle(&whisperer, call).await;
        let url = maskline_tests::call_oracle::before_bridge(
            provider,
            &maskline_tests::webhooks::body_text(answer.body()),
        )
        .unwrap()
        .callee_url
        .expect("a whisper URL");
        for (url, secrets) in [
            (url.clone(), &announcing.secrets),
            (url.replace("seal=", "seal=0"), &forged),
        ] {
            let request = maskline_tests::webhooks::whisper_fetch(provider, &url, secrets);
            let (method, path) = (
                request.method().to_string(),
                request.uri().path().to_string(),
            );
            let response = resolve_call::handler::handle(&whisperer, request).await;
            checked(&seen, &method, &path, response);
        }
    }
    // The dial results the answers ask for: a failed leg (out of service: ORD-7 has no backup),
    // Vonage's progress event, and a forged report of each.
    let config = maskline_tests::webhooks::config();
    for provider in [
        ProviderKind::Twilio,
        ProviderKind::Plivo,
        ProviderKind::Vonage,
    ] {
        let call = signed_with(
            &config.secrets,
            provider,
            "voice",
            "CA-contract-4",
            &customer_phone(7),
            &customer_dials,
            &[],
        );
        let answer = resolve_call::handler::handle(&resolver, call).await;
        let url = maskline_tests::call_oracle::dial_result_url(
            provider,
            &maskline_tests::webhooks::body_text(answer.body()),
        )
        .unwrap()
        .expect("a dial-result URL");
        let mut reports = vec![(&config.secrets, "failed"), (&forged, "failed")];
        if provider == ProviderKind::Vonage {
            reports.push((&config.secrets, "answered"));
        }
        for (secrets, status) in reports {
            let request = maskline_tests::webhooks::dial_result(
                provider,
                &url,
                secrets,
                "CA-contract-4",
                status,
            );
            let (method, path) = (
                request.method().to_string(),
                request.uri().path().to_string(),
            );
            let response = resolve_call::handler::handle(&resolver, request).await;
            checked(&seen, &method, &path, response);
        }
    }
    let events = callbacks(&world, maskline_tests::webhooks::config());
    let report = status_report(
        &events.events,
        ProviderKind::Twilio,
        "CA-contract-1",
        &customer,
        &dialled,
        &[("CallStatus", "completed")],
    )
    .await;
    let (method, path) = (report.method().to_string(), report.uri().path().to_string());
    checked(
        &seen,
        &method,
        &path,
        call_events::handler::handle(&events, report).await,
    );
    let forged_report = signed_with(
        &forged,
        ProviderKind::Plivo,
        "status",
        "CA-contract-2",
        &customer,
        &dialled,
        &[],
    );
    let path = forged_report.uri().path().to_string();
    checked(
        &seen,
        "POST",
        &path,
        call_events::handler::handle(&events, forged_report).await,
    );
    for path in ["/v1/orders/ORD-2/calls", "/v1/orders/ORD-404/calls"] {
        let response =
            call_events::handler::handle(&events, request("GET", path, None, None)).await;
        checked(&seen, "GET", path, response);
    }
    let config = crate::sample_events::local_dev_config("call-events");
    let fresh = crate::sample_events::restamped_health_report(&config.secrets);
    let health = callbacks(&world, config);
    // The committed sample is stamped with its date: over a week old, it is refused (400).
    let stale = crate::sample_events::read("call-events-number-health-twilio.json");
    for body in [
        fresh.clone(),
        {
            let mut forged: serde_json::Value = serde_json::from_str(&fresh).unwrap();
            forged["headers"]["x-twilio-signature"] = "forged".into();
            forged.to_string()
        },
        stale,
    ] {
        let request = lambda_http::request::from_str(&body).unwrap();
        let path = request.uri().path().to_string();
        checked(
            &seen,
            "POST",
            &path,
            call_events::handler::handle(&health, request).await,
        );
    }

    // Everything documented was produced (or is the twin of a route that was).
    let seen = seen.into_inner().unwrap();
    let paths = &crate::openapi::document()["paths"];
    let mut missing: Vec<_> = documented().difference(&seen).cloned().collect();
    missing.retain(|(path, method, _)| {
        let Some((_, _, twin)) = TWINS.iter().find(|(p, m, _)| p == path && m == method) else {
            return true;
        };
        assert_eq!(
            paths[path][method]["responses"], paths[path][*twin]["responses"],
            "{method} {path} is documented unlike {twin}"
        );
        false
    });
    assert!(
        missing.is_empty(),
        "documented but never produced: {missing:#?}"
    );
}
