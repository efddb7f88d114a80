//! The provider webhooks end to end: signed requests in, provider-format answers out.

use std::sync::Arc;

use chrono::Duration;
use maskline::providers::ProviderKind;
use maskline::services::ResolveCall;
use maskline_tests::counting_store::CountingStore;
use maskline_tests::fixtures::{customer_phone, driver_phone, order_ended};
use maskline_tests::webhooks::{
    body_text, config, decode, provider_request, Decoded, EXOTEL_TOKEN, VONAGE_TOKEN,
};
use maskline_tests::world::GRACE_SECONDS;

use crate::support::{call, release, world_with_order};

/// A signed voice webhook from `provider` for call `CA-1`.
fn voice(provider: ProviderKind, from: &str, to: &str) -> lambda_http::Request {
    provider_request(provider, "voice", "CA-1", from, to, &[])
}

/// The HTTP status resolve-call answers `request` with.
async fn status_of(resolver: &ResolveCall, request: lambda_http::Request) -> u16 {
    resolve_call::handler::handle(resolver, request)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn every_provider_connects_both_ways_showing_the_masked_number() {
    let (world, customer_dials, driver_dials) = world_with_order().await;
    let resolver = world.resolver(world.store.clone(), config());
    let (customer, driver) = (customer_phone(1), driver_phone(1));
    for provider in ProviderKind::ALL {
        let (status, body) = call(&resolver, provider, &customer, &customer_dials).await;
        assert_eq!(status, 200, "{provider}: {body}");
        assert_eq!(
            decode(provider, &body),
            Decoded::Connect {
                callee: driver.clone(),
                caller_id: driver_dials.clone()
            },
            "{provider}: customer -> agent"
        );
        let (status, body) = call(&resolver, provider, &driver, &driver_dials).await;
        assert_eq!(status, 200);
        assert_eq!(
            decode(provider, &body),
            Decoded::Connect {
                callee: customer.clone(),
                caller_id: customer_dials.clone()
            },
            "{provider}: agent -> customer"
        );
        // The caller's real number never travels in the answer: the callee sees a VN.
        let (_, body) = call(&resolver, provider, &customer, &customer_dials).await;
        assert!(
            !body.contains(customer.trim_start_matches('+')),
            "{provider} leaks the caller"
        );
    }
}

#[tokio::test]
async fn strangers_and_wrong_numbers_get_a_polite_refusal_that_reveals_nothing() {
    let (world, customer_dials, driver_dials) = world_with_order().await;
    let resolver = world.resolver(world.store.clone(), config());
    let (customer, driver) = (customer_phone(1), driver_phone(1));
    for provider in ProviderKind::ALL {
        for (from, to) in [
            (customer_phone(50), customer_dials.as_str()), // a stranger
            (customer.clone(), driver_dials.as_str()),     // the customer on the agent's VN
            (customer.clone(), "+918041999999"),
        ]
        // a number we do not own
        {
            let (status, body) = call(&resolver, provider, &from, to).await;
            assert_eq!(status, 200, "{provider}: {body}");
            assert_eq!(decode(provider, &body), Decoded::OutOfSession, "{provider}");
            for real in [&customer, &driver] {
                assert!(
                    !body.contains(real.trim_start_matches('+')),
                    "{provider} reveals a number"
                );
            }
        }
    }
}

#[tokio::test]
async fn released_orders_connect_within_grace_and_are_refused_after() {
    let (world, customer_dials, _) = world_with_order().await;
    let resolver = world.resolver(world.store.clone(), config());
    assert!(release(&world, &[order_ended("OrderDelivered", "ORD-1")])
        .await
        .is_empty());
    world.clock.advance(Duration::seconds(GRACE_SECONDS - 5));
    let (_, body) = call(
        &resolver,
        ProviderKind::Twilio,
        &customer_phone(1),
        &customer_dials,
    )
    .await;
    assert!(matches!(
        decode(ProviderKind::Twilio, &body),
        Decoded::Connect { .. }
    ));
    world.clock.advance(Duration::seconds(10));
    let (status, body) = call(
        &resolver,
        ProviderKind::Twilio,
        &customer_phone(1),
        &customer_dials,
    )
    .await;
    assert_eq!(
        (status, decode(ProviderKind::Twilio, &body)),
        (200, Decoded::OutOfSession)
    );
}

#[tokio::test]
async fn forged_unsigned_unconfigured_or_malformed_requests_never_touch_the_store() {
    let (world, customer_dials, _) = world_with_order().await;
    let counting = Arc::new(CountingStore::new(world.store.clone()));
    let resolver = world.resolver(counting.clone(), config());
    let customer = customer_phone(1);

    for provider in ProviderKind::ALL {
        // Forged: a valid request whose caller was changed after signing.
        let mut forged = voice(provider, &customer, &customer_dials);
        let tampered = match forged.body() {
            lambda_http::Body::Text(t) => Some(t.replace("9876500001", "9876500009")),
            _ => None,
        };
        match tampered {
            Some(body) => *forged.body_mut() = lambda_http::Body::Text(body),
            None => {
                let uri = forged
                    .uri()
                    .to_string()
                    .replace(&format!("token={EXOTEL_TOKEN}"), "token=guess")
                    .replace(&format!("token={VONAGE_TOKEN}"), "token=guess");
                *forged.uri_mut() = uri.parse().unwrap();
            }
        }
        assert_eq!(
            status_of(&resolver, forged).await,
            403,
            "{provider}: forged request accepted"
        );

        // Unconfigured: the provider's secret is missing, so everything is refused.
        let unconfigured = world.resolver(counting.clone(), {
            let mut c = config();
            c.secrets = Default::default();
            c
        });
        let request = voice(provider, &customer, &customer_dials);
        assert_eq!(
            status_of(&unconfigured, request).await,
            403,
            "{provider}: accepted without a configured secret"
        );
    }
    // Malformed but authentic: no caller field at all.
    let mut no_from = voice(ProviderKind::Exotel, &customer, &customer_dials);
    let uri = no_from.uri().to_string().replace("CallFrom=", "Other=");
    *no_from.uri_mut() = uri.parse().unwrap();
    assert_eq!(status_of(&resolver, no_from).await, 400);

    assert_eq!(counting.calls(), 0, "a refused request reached the store");

    // The same resolver does read once per genuine call.
    let (status, _) = call(&resolver, ProviderKind::Twilio, &customer, &customer_dials).await;
    assert_eq!(status, 200);
    assert_eq!(counting.calls(), 1, "resolution is exactly one read");
}

#[tokio::test]
async fn the_signature_url_is_rebuilt_from_host_and_proto_without_a_public_base() {
    let (world, customer_dials, driver_dials) = world_with_order().await;
    let mut settings = config();
    settings.public_base_url = None;
    let resolver = world.resolver(world.store.clone(), settings);
    // Signed for https://maskline.example.com/...; the request carries that host.
    let mut request = voice(ProviderKind::Twilio, &customer_phone(1), &customer_dials);
    request
        .headers_mut()
        .insert("x-forwarded-proto", "https".parse().unwrap());
    let response = resolve_call::handler::handle(&resolver, request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        decode(ProviderKind::Twilio, &body_text(response.body())),
        Decoded::Connect {
            callee: driver_phone(1),
            caller_id: driver_dials
        }
    );
}

#[tokio::test]
async fn wrong_method_or_route_is_refused() {
    let (world, customer_dials, _) = world_with_order().await;
    let resolver = world.resolver(world.store.clone(), config());
    // Exotel's webhook is GET; a POST is refused before anything else.
    let mut post = voice(ProviderKind::Exotel, &customer_phone(1), &customer_dials);
    *post.method_mut() = lambda_http::http::Method::POST;
    assert_eq!(status_of(&resolver, post).await, 405);
    let mut unknown = voice(ProviderKind::Twilio, &customer_phone(1), &customer_dials);
    *unknown.uri_mut() = "/webhooks/acme/voice".parse().unwrap();
    assert_eq!(status_of(&resolver, unknown).await, 404);
}
