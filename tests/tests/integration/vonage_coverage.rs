//! Vonage signs a webhook's body (the JWT's `payload_hash`), never its query. Maskline acts only
//! on what the signature covers: with any JWT of the last minutes (Vonage signs every webhook of
//! an account with one secret) and the path token, an attacker must not choose the caller and the
//! dialled number in the query and learn the other party's real number.

use maskline::adapters::http::webhook_request;
use maskline::providers::{HttpMethod, ProviderKind};
use maskline::services::WebhookOutcome;
use maskline_tests::fixtures::customer_phone;
use maskline_tests::webhooks::{config, provider_request, PUBLIC_BASE, VONAGE_SECRET};

use crate::support::world_with_order;

/// The attacker's choice, in the query no signature covers: the customer calling the VN of their
/// app.
fn choose_in_query(request: &mut maskline::providers::WebhookRequest, customer_dials: &str) {
    let digits = |n: &str| n.trim_start_matches('+').to_string();
    request.url = format!(
        "{}&from={}&to={}&uuid=chosen",
        request.url,
        digits(&customer_phone(1)),
        digits(customer_dials)
    );
}

#[tokio::test]
async fn query_parameters_cannot_override_the_signed_body() {
    let (world, customer_dials, _) = world_with_order().await;
    // A genuinely signed request about nobody in particular...
    let captured = provider_request(ProviderKind::Vonage, "voice", "cap", "+1", "+2", &[]);
    let mut request = webhook_request(&captured, Some(PUBLIC_BASE)).unwrap();
    // ...replayed with the customer and the VN of their app in the query.
    choose_in_query(&mut request, &customer_dials);
    let outcome = world
        .resolver(world.store.clone(), config())
        .answer(ProviderKind::Vonage, &request)
        .await;
    assert!(
        matches!(outcome, WebhookOutcome::Malformed(_)),
        "acted on the unsigned query: {outcome:?}"
    );
}

#[tokio::test]
async fn in_signed_mode_a_get_is_refused_since_nothing_of_it_is_signed() {
    let (world, customer_dials, _) = world_with_order().await;
    let signed = provider_request(ProviderKind::Vonage, "voice", "cap", "+1", "+2", &[]);
    let mut request = webhook_request(&signed, Some(PUBLIC_BASE)).unwrap();
    request.method = HttpMethod::Get;
    request.body.clear();
    // The JWT Vonage puts on a GET webhook: valid and recent, with no body to hash.
    let claims = serde_json::json!({"iat": chrono::Utc::now().timestamp(), "jti": "get-1",
                                    "iss": "Vonage", "application_id": "app"});
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(VONAGE_SECRET.as_bytes()),
    )
    .unwrap();
    request
        .headers
        .insert("authorization".into(), format!("Bearer {jwt}"));
    choose_in_query(&mut request, &customer_dials);
    let outcome = world
        .resolver(world.store.clone(), config())
        .answer(ProviderKind::Vonage, &request)
        .await;
    assert_eq!(outcome, WebhookOutcome::Refused);
}

/// A signed Vonage request captured anywhere (a proxy's log, a mis-sent copy) verifies for
/// minutes: its JWT's `jti` is claimed on first use, so a second copy is refused, on the call
/// path and on the report routes alike.
#[tokio::test]
async fn a_signed_request_is_acted_on_once_whatever_copies_follow() {
    use maskline_tests::fixtures::driver_phone;
    use maskline_tests::webhooks::Decoded;

    let (world, customer_dials, _) = world_with_order().await;
    let captured = provider_request(
        ProviderKind::Vonage,
        "voice",
        "once-1",
        &customer_phone(1),
        &customer_dials,
        &[],
    );
    let request = webhook_request(&captured, Some(PUBLIC_BASE)).unwrap();
    let resolver = world.resolver(world.store.clone(), config());
    let WebhookOutcome::Answer(first) = resolver.answer(ProviderKind::Vonage, &request).await
    else {
        panic!("the first copy is answered")
    };
    let Decoded::Connect { callee, .. } =
        maskline_tests::webhooks::decode(ProviderKind::Vonage, &first.body)
    else {
        panic!("the first copy connects the customer: {}", first.body)
    };
    assert_eq!(callee, driver_phone(1));
    let again = resolver.answer(ProviderKind::Vonage, &request).await;
    assert_eq!(
        again,
        WebhookOutcome::Refused,
        "a replayed copy was answered"
    );

    // A status report's copy is refused too; the first is taken.
    let report = provider_request(
        ProviderKind::Vonage,
        "status",
        "once-1",
        &customer_phone(1),
        &customer_dials,
        &[("status", "completed")],
    );
    let report = webhook_request(&report, Some(PUBLIC_BASE)).unwrap();
    let events = world.call_events(world.store.clone(), config());
    let first = events.status(ProviderKind::Vonage, &report).await;
    assert!(
        matches!(first, WebhookOutcome::Acknowledged(_)),
        "{first:?}"
    );
    let again = events.status(ProviderKind::Vonage, &report).await;
    assert_eq!(
        again,
        WebhookOutcome::Refused,
        "a replayed report was taken"
    );
}

/// Number-health reports are admitted like status reports (`single_use_jwt::admit`): a signed
/// copy sent again is refused for its JWT, before its `report_id` would call it a duplicate.
#[tokio::test]
async fn a_signed_health_report_is_admitted_once() {
    use maskline::domain::pool::Health;
    use maskline::ports::PoolStore;
    use maskline_tests::World;

    use crate::support::add_provider_numbers;

    let world = World::new().await;
    add_provider_numbers(&world, "vonage", "airtel", 1, 2).await;
    let vn = maskline_tests::fixtures::vn(1);
    let captured = provider_request(
        ProviderKind::Vonage,
        "number-health",
        "HR-1",
        "+14155550100",
        vn.as_str(),
        &[
            ("number", vn.as_str()),
            ("status", "unhealthy"),
            ("report_id", "R-1"),
        ],
    );
    let request = webhook_request(&captured, Some(PUBLIC_BASE)).unwrap();
    let health = world.number_health(config());
    let first = health.report(ProviderKind::Vonage, &request).await;
    assert!(
        matches!(first, WebhookOutcome::Acknowledged(_)),
        "{first:?}"
    );
    let number = world.store.pool_number(&vn).await.unwrap().unwrap();
    assert_eq!(number.health, Health::Unhealthy);
    let again = health.report(ProviderKind::Vonage, &request).await;
    assert_eq!(again, WebhookOutcome::Refused, "its JWT was used before");
}

/// A signed report whose handling failed (the bus was down: 503, so Vonage retries) gives its
/// JWT's id back: the retry, with the same token, is taken rather than refused as a replay.
#[tokio::test]
async fn a_report_that_must_be_retried_gives_its_jwt_back() {
    use std::sync::Arc;

    use maskline_tests::flaky_bus::FlakyPublisher;

    let (world, customer_dials, _) = world_with_order().await;
    let captured = provider_request(
        ProviderKind::Vonage,
        "status",
        "retry-1",
        &customer_phone(1),
        &customer_dials,
        &[("status", "completed")],
    );
    let request = webhook_request(&captured, Some(PUBLIC_BASE)).unwrap();
    let mut wiring = world.wiring_of("call-events");
    // The first publication fails; the bus is back for the retry.
    wiring.ports.publisher = Arc::new(FlakyPublisher::failing_calls(
        wiring.ports.publisher.clone(),
        &[1],
    ));
    let events = wiring.call_events(config(), world.vault.caller_keys().clone());
    let first = events.status(ProviderKind::Vonage, &request).await;
    assert!(matches!(first, WebhookOutcome::RetryLater(_)), "{first:?}");
    let retry = events.status(ProviderKind::Vonage, &request).await;
    assert!(
        matches!(retry, WebhookOutcome::Acknowledged(_)),
        "the provider's retry was refused: {retry:?}"
    );
}
