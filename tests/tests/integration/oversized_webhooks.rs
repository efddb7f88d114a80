//! A body too large to be a provider's is refused with 413 before it is parsed or verified
//! (it used to be parsed whole, costing hundreds of MB, and answered 403 after a second).

use lambda_http::{Body, Request};
use maskline::adapters::http::{MAX_WEBHOOK_BODY_BYTES, MAX_WEBHOOK_PARAMETERS};
use maskline_tests::webhooks::config;
use maskline_tests::World;

use crate::support::callbacks;

fn post(path: &str, body: String) -> Request {
    lambda_http::http::Request::builder()
        .method("POST")
        .uri(path)
        .header("host", "maskline.example.com")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::Text(body))
        .unwrap()
}

#[tokio::test]
async fn oversized_webhooks_are_refused_with_413_before_parsing() {
    let world = World::new().await;
    let resolver = world.resolver(world.store.clone(), config());
    let events = callbacks(&world, config());
    let huge = format!("From=x&Body={}", "a".repeat(MAX_WEBHOOK_BODY_BYTES + 1));
    let many = (0..=MAX_WEBHOOK_PARAMETERS)
        .map(|i| format!("p{i}=1"))
        .collect::<Vec<_>>()
        .join("&");
    for body in [huge, many] {
        let voice =
            resolve_call::handler::handle(&resolver, post("/webhooks/twilio/voice", body.clone()))
                .await;
        assert_eq!(voice.status().as_u16(), 413);
        for hook in ["status", "number-health"] {
            let path = format!("/webhooks/twilio/{hook}");
            let response = call_events::handler::handle(&events, post(&path, body.clone())).await;
            assert_eq!(response.status().as_u16(), 413, "{hook}");
        }
    }
    // An ordinary (here unsigned) request still gets its ordinary answer.
    let small = resolve_call::handler::handle(
        &resolver,
        post("/webhooks/twilio/voice", "From=1&To=2".into()),
    )
    .await;
    assert_eq!(small.status().as_u16(), 403);
}
