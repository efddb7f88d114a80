//! The call path: the resolve-call handler against the one strongly consistent GetItem it is
//! built on, interleaved so both see the same machine at the same moment.

use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use maskline::domain::AllocationPolicy;
use maskline::providers::ProviderKind;
use maskline_tests::fixtures::{customer_phone, driver_assigned, e164, sqs_event};
use maskline_tests::webhooks::{config, provider_request};
use maskline_tests::World;
use serde_json::{json, Value};

use crate::report::percentiles;

const SAMPLES: usize = 3_000;

pub async fn measure() -> Value {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let response = allocate_numbers::handler::handle(
        &world.allocator(AllocationPolicy::Shared),
        Some("IN".parse().unwrap()),
        &maskline::adapters::sqs_batch::Redelivery::default(),
        sqs_event(&[driver_assigned("ORD-1", "blr", 1, 1)]),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    let view = world
        .order_numbers()
        .view(&maskline::domain::OrderId::parse("ORD-1").unwrap())
        .await
        .unwrap()
        .unwrap();
    let dialled = view.customer_dials.unwrap().to_string();
    let caller = customer_phone(1);
    let key = world.vault.caller_key(&e164(&caller));
    let resolver = world.resolver(world.store.clone(), config());

    let (mut raw, mut handler) = (Vec::with_capacity(SAMPLES), Vec::with_capacity(SAMPLES));
    for i in 0..SAMPLES + 200 {
        let start = Instant::now();
        let item = world
            .store
            .client()
            .get_item()
            .table_name(&world.table)
            .key("pk", AttributeValue::S(format!("VN#{dialled}")))
            .key("sk", AttributeValue::S(format!("BIND#{}", key.as_str())))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        let raw_time = start.elapsed();
        assert!(item.item.is_some());

        let request = provider_request(
            ProviderKind::Twilio,
            "voice",
            "CA-bench",
            &caller,
            &dialled,
            &[],
        );
        let start = Instant::now();
        let response = resolve_call::handler::handle(&resolver, request).await;
        let handler_time = start.elapsed();
        assert_eq!(response.status(), 200);
        // The first 200 of each warm up connections and caches.
        if i >= 200 {
            raw.push(raw_time);
            handler.push(handler_time);
        }
    }
    let (raw, handler) = (percentiles(raw), percentiles(handler));
    let ratio = |p: &str| handler[p].as_f64().unwrap() / raw[p].as_f64().unwrap();
    json!({
        "ratio_p50": ratio("p50_us"),
        "ratio_p99": ratio("p99_us"),
        "raw_get_item": raw,
        "handler": handler,
    })
}
