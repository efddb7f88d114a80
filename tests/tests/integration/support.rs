//! Calls into the functions' handlers the way Lambda would.

use aws_lambda_events::event::sqs::SqsBatchResponse;
use lambda_http::{Body, Request};
use maskline::adapters::dynamodb::PoolEntry;
use maskline::adapters::sqs_batch::Redelivery;
use maskline::domain::number::DefaultCountry;
use maskline::domain::pool::PoolState;
use maskline::domain::AllocationPolicy;
use maskline::domain::{Operator, Provider, Region, VirtualNumber};
use maskline::providers::ProviderKind;
use maskline::services::{ResolveCall, Route};
use maskline::webhook_config::WebhookConfig;
use maskline_tests::fixtures::{driver_assigned, e164, sqs_event};
use maskline_tests::webhooks::{body_text, provider_request};
use maskline_tests::World;
use serde_json::Value;

pub fn india() -> Option<DefaultCountry> {
    Some("IN".parse().unwrap())
}

/// Runs `allocator` once per body, all at once (as parallel Lambdas would); each run's failed
/// message ids, in the order of `bodies`.
pub async fn allocate_each_at_once(
    allocator: &maskline::services::Allocator,
    bodies: impl IntoIterator<Item = String>,
) -> Vec<Vec<String>> {
    futures::future::join_all(
        bodies
            .into_iter()
            .map(|body| async move { allocate_with(allocator, &[body]).await }),
    )
    .await
}

/// Runs allocate-numbers on one batch; returns the ids of the failed messages.
pub async fn allocate(world: &World, policy: AllocationPolicy, bodies: &[String]) -> Vec<String> {
    allocate_with(&world.allocator(policy), bodies).await
}

/// Runs `allocator` on one batch, as the SQS trigger would; returns the failed message ids.
pub async fn allocate_with(
    allocator: &maskline::services::Allocator,
    bodies: &[String],
) -> Vec<String> {
    let response = allocate_numbers::handler::handle(
        allocator,
        india(),
        &Redelivery::default(),
        sqs_event(bodies),
    )
    .await;
    failed_ids(response)
}

/// Runs allocate-numbers (shared policy) on one batch and asserts every message succeeded.
pub async fn allocate_ok(world: &World, bodies: &[String]) {
    let failed = allocate(world, AllocationPolicy::Shared, bodies).await;
    assert!(failed.is_empty(), "allocation failed for {failed:?}");
}

/// Runs release-numbers on one batch; returns the ids of the failed messages.
pub async fn release(world: &World, bodies: &[String]) -> Vec<String> {
    let releaser = world.releaser();
    let response =
        release_numbers::handler::handle(&releaser, &Redelivery::default(), sqs_event(bodies))
            .await;
    failed_ids(response)
}

fn failed_ids(response: SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect()
}

/// `GET /v1/orders/{order}/numbers` through the order-numbers handler: (status, JSON body).
pub async fn order_numbers(world: &World, order: &str) -> (u16, Value) {
    let request: Request = lambda_http::http::Request::builder()
        .method("GET")
        .uri(format!("/v1/orders/{order}/numbers"))
        .body(Body::Empty)
        .unwrap();
    let response = order_numbers::handler::handle(&world.order_numbers(), request).await;
    let status = response.status().as_u16();
    let body = match response.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        Body::Binary(b) => serde_json::from_slice(b).unwrap(),
        Body::Empty => Value::Null,
        _ => Value::Null,
    };
    (status, body)
}

/// The numbers order-numbers reports: (customer_dials, driver_dials).
pub async fn numbers_of(world: &World, order: &str) -> (String, String) {
    let (status, body) = order_numbers(world, order).await;
    assert_eq!(status, 200, "order {order}: {body}");
    (
        body["customer_dials"]
            .as_str()
            .expect("customer_dials")
            .to_string(),
        body["driver_dials"]
            .as_str()
            .expect("driver_dials")
            .to_string(),
    )
}

/// Where the call router sends `caller` dialling `dialled` (the provider-neutral call path).
pub async fn route(world: &World, dialled: &str, caller: &str) -> Route {
    world
        .router()
        .route(
            ProviderKind::Twilio,
            &VirtualNumber::parse(dialled, None).unwrap(),
            &e164(caller),
        )
        .await
        .unwrap()
}

/// A world with a pool of four VNs in `blr` and ORD-1 assigned (customer 1, agent 1); returns the
/// world and ORD-1's (customer_dials, driver_dials).
pub async fn world_with_order() -> (World, String, String) {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let (customer_dials, driver_dials) = numbers_of(&world, "ORD-1").await;
    (world, customer_dials, driver_dials)
}

/// The call-events function's use cases over the test world.
pub fn callbacks(world: &World, config: WebhookConfig) -> call_events::handler::Callbacks {
    call_events::handler::Callbacks {
        events: world.call_events(world.store.clone(), config.clone()),
        health: world.number_health(config),
    }
}

/// Runs allocate-numbers with backups on (`BACKUP_NUMBERS=on`); returns the failed message ids.
pub async fn allocate_with_backups(world: &World, bodies: &[String]) -> Vec<String> {
    allocate_with(
        &world.allocator_with_backups(AllocationPolicy::Shared),
        bodies,
    )
    .await
}

/// Whether the route rings `callee` showing `caller_id`.
pub fn connects_to(route: &Route, callee: &str, caller_id: &str) -> bool {
    matches!(route, Route::Connect { callee: c, caller_id: id, .. }
        if c.expose() == callee && id.as_str() == caller_id)
}

/// Adds active VNs `first..first+count` to `blr` rented from `provider`.
pub async fn add_provider_numbers(
    world: &World,
    provider: &str,
    operator: &str,
    first: u32,
    count: u32,
) {
    for i in first..first + count {
        let entry = PoolEntry {
            vn: maskline_tests::fixtures::vn(i),
            region: Region::parse("blr").unwrap(),
            operator: Operator::parse(operator).unwrap(),
            provider: Provider::parse(provider).unwrap(),
        };
        world
            .store
            .add_number(&entry, PoolState::Active)
            .await
            .unwrap();
    }
}

/// A signed voice webhook from `provider` through the resolve-call handler: (status, body).
pub async fn call(
    resolver: &ResolveCall,
    provider: ProviderKind,
    from: &str,
    to: &str,
) -> (u16, String) {
    let request = provider_request(provider, "voice", "CA-test-1", from, to, &[]);
    let response = resolve_call::handler::handle(resolver, request).await;
    (response.status().as_u16(), body_text(response.body()))
}
