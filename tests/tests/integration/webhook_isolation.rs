//! One provider's secret opens only that provider's numbers (issue: a path token alone revealed
//! real numbers across providers). Each test failed before the fix.

use lambda_http::http::header::AUTHORIZATION;
use maskline::domain::AllocationPolicy;
use maskline::providers::ProviderKind;
use maskline_tests::fixtures::{customer_phone, driver_assigned, driver_phone, vn};
use maskline_tests::webhooks::{
    body_text, config, decode, provider_request, Decoded, EXOTEL_TOKEN, VONAGE_SECRET, VONAGE_TOKEN,
};
use maskline_tests::World;
use serde_json::{json, Value};

use crate::support::{add_provider_numbers, allocate, callbacks, numbers_of};

/// An order whose numbers are all rented from Twilio; returns (world, customer dials).
async fn twilio_order() -> (World, String) {
    order_on("twilio").await
}

/// An order whose numbers are all rented from `provider`; returns (world, customer dials).
async fn order_on(provider: &str) -> (World, String) {
    let world = World::new().await;
    add_provider_numbers(&world, provider, "airtel", 1, 4).await;
    let failed = allocate(
        &world,
        AllocationPolicy::Shared,
        &[driver_assigned("ORD-1", "blr", 1, 1)],
    )
    .await;
    assert!(failed.is_empty());
    let (customer_dials, _) = numbers_of(&world, "ORD-1").await;
    assert!((1..=4).any(|i| vn(i).as_str() == customer_dials));
    (world, customer_dials)
}

async fn answer(world: &World, request: lambda_http::Request) -> (u16, String) {
    let resolver = world.resolver(world.store.clone(), config());
    let response = resolve_call::handler::handle(&resolver, request).await;
    (response.status().as_u16(), body_text(response.body()))
}

#[tokio::test]
async fn a_webhook_resolves_only_numbers_of_its_own_provider() {
    let (world, customer_dials) = twilio_order().await;
    let (customer, driver) = (customer_phone(1), driver_phone(1));

    // Twilio's own webhook connects the customer to the agent...
    let twilio = provider_request(
        ProviderKind::Twilio,
        "voice",
        "CA-1",
        &customer,
        &customer_dials,
        &[],
    );
    let (status, body) = answer(&world, twilio).await;
    assert_eq!(status, 200);
    assert!(matches!(
        decode(ProviderKind::Twilio, &body),
        Decoded::Connect { .. }
    ));

    // ...while Exotel's URL (one secret, the path token) or Vonage's, naming the same Twilio VN,
    // learns nothing: the agent's real number is not in the answer.
    for provider in [
        ProviderKind::Exotel,
        ProviderKind::Vonage,
        ProviderKind::Plivo,
    ] {
        let forged = provider_request(provider, "voice", "X-1", &customer, &customer_dials, &[]);
        let (status, body) = answer(&world, forged).await;
        assert_eq!(status, 200, "{provider}");
        let digits: String = driver.chars().filter(char::is_ascii_digit).collect();
        assert!(
            !body.contains(&digits[2..]),
            "{provider} revealed the agent: {body}"
        );
        assert!(
            matches!(decode(provider, &body), Decoded::OutOfSession),
            "{provider}: {body}"
        );
    }
}

#[tokio::test]
async fn a_forged_status_about_another_providers_number_changes_nothing() {
    let (world, customer_dials) = twilio_order().await;
    let events = callbacks(&world, config());
    for i in 0..6 {
        let forged = provider_request(
            ProviderKind::Exotel,
            "status",
            &format!("EX-{i}"),
            &customer_phone(1),
            &customer_dials,
            &[("Status", "failed"), ("CallStatus", "failed")],
        );
        let response = call_events::handler::handle(&events, forged).await;
        let body: Value = serde_json::from_str(&body_text(response.body())).unwrap();
        assert_eq!(body, json!({ "recorded": false }));
    }
    let suspects = world.events.read_of_type("NumberSuspect", 0).await;
    assert!(suspects.is_empty());
}

/// The order's Vonage-rented numbers, and a Vonage request for a call on them.
async fn vonage_call(world: &World) -> lambda_http::Request {
    add_provider_numbers(world, "vonage", "airtel", 1, 4).await;
    assert!(allocate(
        world,
        AllocationPolicy::Shared,
        &[driver_assigned("ORD-1", "blr", 1, 1)]
    )
    .await
    .is_empty());
    let (customer_dials, _) = numbers_of(world, "ORD-1").await;
    provider_request(
        ProviderKind::Vonage,
        "voice",
        "VN-1",
        &customer_phone(1),
        &customer_dials,
        &[],
    )
}

#[tokio::test]
async fn each_provider_has_its_own_path_token() {
    let world = World::new().await;
    let genuine = vonage_call(&world).await;
    assert_eq!(answer(&world, clone_request(&genuine)).await.0, 200);

    // Exotel's token (seen in Exotel's console and its request logs) does not open Vonage's URL.
    let (mut parts, body) = clone_request(&genuine).into_parts();
    let uri = parts.uri.to_string().replace(VONAGE_TOKEN, EXOTEL_TOKEN);
    parts.uri = uri.parse().unwrap();
    let with_exotel_token = lambda_http::Request::from_parts(parts, body);
    assert_eq!(answer(&world, with_exotel_token).await.0, 403);
}

#[tokio::test]
async fn with_a_signature_secret_vonage_must_sign_and_hash_its_body() {
    let world = World::new().await;
    let genuine = vonage_call(&world).await;

    // Leaving the Authorization header out no longer skips the JWT check.
    let mut unsigned = clone_request(&genuine);
    unsigned.headers_mut().remove(AUTHORIZATION);
    assert_eq!(answer(&world, unsigned).await.0, 403);

    // A JWT signed with the right secret but without payload_hash does not cover the body.
    let claims = json!({ "iat": chrono::Utc::now().timestamp(), "jti": "x", "iss": "Vonage" });
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(VONAGE_SECRET.as_bytes()),
    )
    .unwrap();
    let mut no_hash = clone_request(&genuine);
    no_hash
        .headers_mut()
        .insert(AUTHORIZATION, format!("Bearer {jwt}").parse().unwrap());
    assert_eq!(answer(&world, no_hash).await.0, 403);
}

fn clone_request(request: &lambda_http::Request) -> lambda_http::Request {
    let mut builder = lambda_http::http::Request::builder()
        .method(request.method())
        .uri(request.uri());
    for (name, value) in request.headers() {
        builder = builder.header(name, value);
    }
    builder.body(request.body().clone()).unwrap()
}

/// `request` as API Gateway hands it over after receiving it on `domain`.
fn served_on(request: lambda_http::Request, domain: &str) -> lambda_http::Request {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let mut context = aws_lambda_events::event::apigw::ApiGatewayV2httpRequestContext::default();
    context.domain_name = Some(domain.to_string());
    request.with_request_context(RequestContext::ApiGatewayV2(context))
}

#[tokio::test]
async fn without_a_public_url_the_signed_url_is_the_domain_api_gateway_served_not_the_host_header()
{
    let (world, customer_dials) = twilio_order().await;
    let mut without_base = config();
    without_base.public_base_url = None;
    let resolver = world.resolver(world.store.clone(), without_base);
    let signed = || {
        // Signed by Twilio for https://maskline.example.com, with that Host header.
        provider_request(
            ProviderKind::Twilio,
            "voice",
            "CA-9",
            &customer_phone(1),
            &customer_dials,
            &[],
        )
    };
    let status = |request| {
        let resolver = &resolver;
        async move {
            resolve_call::handler::handle(resolver, request)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        status(served_on(signed(), "maskline.example.com")).await,
        200
    );
    // The same request arriving at another deployment, Host header and all, does not verify.
    assert_eq!(
        status(served_on(signed(), "calls.other.example")).await,
        403
    );
}

/// `request` as API Gateway hands it over when it came from `source`.
fn from_source(request: lambda_http::Request, source: &str) -> lambda_http::Request {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let mut context = aws_lambda_events::event::apigw::ApiGatewayV2httpRequestContext::default();
    context.http.source_ip = Some(source.to_string());
    request.with_request_context(RequestContext::ApiGatewayV2(context))
}

#[tokio::test]
async fn exotel_requests_from_outside_its_allowed_networks_are_refused_before_any_read() {
    use std::sync::Arc;

    use maskline::providers::source_allowlist::SourceAllowlist;
    use maskline_tests::counting_store::CountingStore;

    let (world, customer_dials) = order_on("exotel").await;
    let mut settings = config();
    settings.exotel_sources = Some(SourceAllowlist::parse("203.0.113.0/24").unwrap());
    let counting = Arc::new(CountingStore::new(world.store.clone()));
    let resolver = world.resolver(counting.clone(), settings.clone());
    let call = || {
        provider_request(
            ProviderKind::Exotel,
            "voice",
            "EX-1",
            &customer_phone(1),
            &customer_dials,
            &[],
        )
    };

    // The right token, from the wrong network: refused, and the table never read.
    let outside = from_source(call(), "198.51.100.9");
    let response = resolve_call::handler::handle(&resolver, outside).await;
    assert_eq!(response.status(), 403);
    assert_eq!(counting.calls(), 0);
    // No source known at all (not behind API Gateway): refused too.
    let response = resolve_call::handler::handle(&resolver, call()).await;
    assert_eq!(response.status(), 403);

    let inside = from_source(call(), "203.0.113.40");
    let response = resolve_call::handler::handle(&resolver, inside).await;
    assert_eq!(response.status(), 200);
    assert!(matches!(
        decode(ProviderKind::Exotel, &body_text(response.body())),
        Decoded::Connect { .. }
    ));

    // The same list guards Exotel's status route; other providers are not affected by it.
    let status = from_source(
        provider_request(
            ProviderKind::Exotel,
            "status",
            "EX-1",
            &customer_phone(1),
            &customer_dials,
            &[("Status", "completed")],
        ),
        "198.51.100.9",
    );
    let response = call_events::handler::handle(&callbacks(&world, settings.clone()), status).await;
    assert_eq!(response.status(), 403);
    let twilio = from_source(
        provider_request(
            ProviderKind::Twilio,
            "voice",
            "CA-1",
            &customer_phone(1),
            &customer_dials,
            &[],
        ),
        "198.51.100.9",
    );
    let response = resolve_call::handler::handle(&resolver, twilio).await;
    assert_ne!(response.status(), 403);
}

#[tokio::test]
async fn a_twilio_signed_per_call_report_cannot_speak_for_another_providers_order() {
    let (world, customer_dials) = order_on("exotel").await;
    let events = callbacks(&world, config());
    // The per-call URL Twilio would sign, naming the Exotel order, side and number.
    let named = maskline::providers::call_report::ReportedCall {
        order_id: maskline::domain::OrderId::parse("ORD-1").unwrap(),
        caller_side: maskline::domain::Side::Customer,
        dialled: maskline::domain::VirtualNumber::parse(&customer_dials, None).unwrap(),
    };
    let hook = maskline::providers::call_report::report_url("status", &named);
    for (id, status) in [
        ("CA-f1", "failed"),
        ("CA-f2", "failed"),
        ("CA-f3", "failed"),
    ] {
        let report = provider_request(
            ProviderKind::Twilio,
            &hook,
            id,
            &customer_phone(1),
            &customer_dials,
            &[("CallStatus", status), ("Direction", "outbound-dial")],
        );
        let response = call_events::handler::handle(&events, report).await;
        let body: Value = serde_json::from_str(&body_text(response.body())).unwrap();
        assert_eq!(body, json!({"recorded": false}), "{id}");
    }
    let log = events
        .events
        .calls
        .call_log(&maskline::domain::OrderId::parse("ORD-1").unwrap())
        .await
        .unwrap();
    assert!(
        log.is_empty(),
        "forged Twilio calls on an Exotel order: {log:?}"
    );
}

#[tokio::test]
async fn a_number_under_an_unknown_provider_label_is_opened_by_no_route() {
    // `twilio-us` is no provider Maskline knows (the import now refuses it); a number stored
    // under it before must not be resolvable through every provider's route.
    let (world, customer_dials) = order_on("twilio-us").await;
    let (customer, driver) = (customer_phone(1), driver_phone(1));
    let digits: String = driver.chars().filter(char::is_ascii_digit).collect();
    for provider in ProviderKind::ALL {
        let call = provider_request(provider, "voice", "X-1", &customer, &customer_dials, &[]);
        let (status, body) = answer(&world, call).await;
        assert_eq!(status, 200, "{provider}");
        assert!(
            !body.contains(&digits[digits.len() - 8..]),
            "{provider} revealed the agent's number for an unknown label: {body}"
        );
        assert_eq!(decode(provider, &body), Decoded::OutOfSession, "{provider}");
    }
}
