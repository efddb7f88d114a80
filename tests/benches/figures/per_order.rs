//! What one order costs: the read and write units and Lambda time of its whole life — assigned,
//! the app asking for the order's numbers (order-numbers), a call each way, the two calls' status
//! reports, delivered — every invocation counted, and that per 1,000 orders at on-demand prices
//! (environment variables override the defaults named below). Refused conditional writes are in
//! the write units too (DynamoDB bills them; the meter estimates them, see `capacity_meter`).

use std::time::{Duration, Instant};

use maskline::adapters::sqs_batch::Redelivery;
use maskline::domain::AllocationPolicy;
use maskline::providers::simulate::decode_report_url;
use maskline::providers::ProviderKind;
use maskline_tests::fixtures::{
    customer_phone, driver_assigned, driver_phone, order_ended, sqs_event,
};
use maskline_tests::webhooks::{body_text, config, provider_request, twilio_dialled_leg};
use maskline_tests::World;
use serde_json::{json, Value};

const ORDERS: u32 = 20;
/// `MemorySize` of the functions in template.yaml.
const MEMORY_GB: f64 = 0.25;

fn price(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Lambda bills each invocation's duration rounded up to the millisecond.
fn billed_seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).ceil() / 1000.0
}

pub async fn measure() -> Value {
    let mut world = World::new().await;
    world.add_large_pool("blr", 1, 200).await;
    let meter = world.meter();
    let allocator = world.allocator(AllocationPolicy::Shared);
    let resolver = world.resolver(world.store.clone(), config());
    let callbacks = call_events::handler::Callbacks {
        events: world.call_events(world.store.clone(), config()),
        health: world.number_health(config()),
    };
    let releaser = world.releaser();
    let numbers = world.order_numbers();
    let country = Some("IN".parse().unwrap());
    let before = meter.units();
    let (mut billed, mut invocations) = (0.0, 0u32);
    let mut timed = |d: Duration| {
        billed += billed_seconds(d);
        invocations += 1;
    };
    for i in 0..ORDERS {
        let order = format!("LIFE-{i}");
        let (customer, agent) = (customer_phone(40_000 + i), driver_phone(40_000 + i));
        let start = Instant::now();
        let done = allocate_numbers::handler::handle(
            &allocator,
            country,
            &Redelivery::default(),
            sqs_event(&[driver_assigned(&order, "blr", 40_000 + i, 40_000 + i)]),
        )
        .await;
        timed(start.elapsed());
        assert!(done.batch_item_failures.is_empty());
        // The app shows the order's numbers: one order-numbers invocation.
        let ask = lambda_http::http::Request::builder()
            .method("GET")
            .uri(format!("/v1/orders/{order}/numbers"))
            .body(lambda_http::Body::Empty)
            .unwrap();
        let start = Instant::now();
        let answer = order_numbers::handler::handle(&numbers, ask).await;
        timed(start.elapsed());
        assert_eq!(answer.status(), 200);
        let view: Value = serde_json::from_str(&body_text(answer.body())).unwrap();
        let (customer_dials, driver_dials) = (
            view["customer_dials"].as_str().unwrap().to_string(),
            view["driver_dials"].as_str().unwrap().to_string(),
        );
        for (n, (from, dialled)) in [(&customer, &customer_dials), (&agent, &driver_dials)]
            .into_iter()
            .enumerate()
        {
            let call_id = format!("CA-{i}-{n}");
            let voice =
                provider_request(ProviderKind::Twilio, "voice", &call_id, from, dialled, &[]);
            let start = Instant::now();
            let answer = resolve_call::handler::handle(&resolver, voice).await;
            timed(start.elapsed());
            let report_to = decode_report_url(ProviderKind::Twilio, &body_text(answer.body()))
                .expect("a connected call names its report URL");
            let report = twilio_dialled_leg(
                &report_to,
                &call_id,
                dialled,
                &[("CallStatus", "completed"), ("CallDuration", "95")],
            );
            let start = Instant::now();
            let reply = call_events::handler::handle(&callbacks, report).await;
            timed(start.elapsed());
            assert!(body_text(reply.body()).contains("\"recorded\":true"));
        }
        let start = Instant::now();
        let done = release_numbers::handler::handle(
            &releaser,
            &Redelivery::default(),
            sqs_event(&[order_ended("OrderDelivered", &order)]),
        )
        .await;
        timed(start.elapsed());
        assert!(done.batch_item_failures.is_empty());
    }
    let used = meter.units() - before;
    let per = |x: f64| x / ORDERS as f64;
    let (read, write) = (per(used.read), per(used.write));
    let gb_seconds = per(billed) * MEMORY_GB;
    let lambda_invocations = invocations as f64 / ORDERS as f64;
    let (rru, wru) = (
        price("PRICE_READ_PER_MILLION", 0.125),
        price("PRICE_WRITE_PER_MILLION", 0.625),
    );
    let (gbs, req) = (
        price("PRICE_LAMBDA_GB_SECOND", 0.000_013_333_4),
        price("PRICE_LAMBDA_PER_MILLION", 0.20),
    );
    json!({
        "orders_measured": ORDERS,
        "read_units": read,
        "write_units": write,
        "requests": per(used.requests as f64),
        "failed_writes": per(used.failed_writes as f64),
        "failed_write_units": per(used.failed_write_units),
        "lambda_invocations": lambda_invocations,
        "lambda_gb_seconds": gb_seconds,
        "cost_per_1000_orders": {
            "dynamodb_usd": 1000.0 * (read * rru + write * wru) / 1e6,
            "lambda_usd": 1000.0 * (gb_seconds * gbs + lambda_invocations * req / 1e6),
        },
        "prices": {
            "read_per_million": rru,
            "write_per_million": wru,
            "lambda_gb_second": gbs,
            "lambda_per_million": req,
            "source": "on-demand list prices, us-east-1: DynamoDB $0.125/M reads, $0.625/M writes; Lambda arm64 $0.0000133334/GB-s, $0.20/M requests; override with PRICE_* variables",
        },
        "note": "Lambda time is the handlers' in-process time against DynamoDB Local and moto, at 256 MB; invocations: allocate, order-numbers, 2 resolve-call, 2 call-events, release",
    })
}
