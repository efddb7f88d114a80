//! Call-path latency of `resolve-call`, in process: prints its figures (run with `make bench`).
//!
//! 1. The pure part — verify a Twilio signature, parse, normalise, render TwiML — no I/O.
//! 2. The whole handler on the happy path, including its one GetItem against DynamoDB Local
//!    (a local JVM on loopback: real AWS adds network time, DynamoDB Local adds its own overhead).

use maskline::adapters::sqs_batch::Redelivery;
use std::time::{Duration, Instant};

use maskline::domain::AllocationPolicy;
use maskline::domain::{VirtualNumber, E164};
use maskline::providers::{self, authenticate, Answer, ProviderKind};
use maskline_tests::fixtures::{customer_phone, driver_assigned, sqs_event};
use maskline_tests::webhooks::{config, provider_request};
use maskline_tests::World;

fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{label:<44} n={:<6} mean={:>9.1?} p50={:>9.1?} p90={:>9.1?} p99={:>9.1?} max={:>9.1?}",
        samples.len(),
        mean,
        pct(0.5),
        pct(0.9),
        pct(0.99),
        samples[samples.len() - 1]
    );
}

async fn webhook(
    provider: ProviderKind,
    from: &str,
    to: &str,
) -> maskline::providers::WebhookRequest {
    let request = provider_request(provider, "voice", "CA-bench", from, to, &[]);
    maskline::adapters::http::webhook_request(&request, config().public_base_url.as_deref())
        .unwrap()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let allocator = world.allocator(AllocationPolicy::Shared);
    let response = allocate_numbers::handler::handle(
        &allocator,
        Some("IN".parse().unwrap()),
        &Redelivery::default(),
        sqs_event(&[driver_assigned("ORD-1", "blr", 1, 1)]),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    let session = world
        .order_numbers()
        .view(&maskline::domain::OrderId::parse("ORD-1").unwrap())
        .await
        .unwrap()
        .unwrap();
    let customer_dials = session.customer_dials.unwrap().to_string();
    let settings = config();

    for provider in ProviderKind::ALL {
        let request = webhook(provider, &customer_phone(1), &customer_dials).await;
        let mut samples = Vec::with_capacity(20_000);
        for _ in 0..20_000 {
            let start = Instant::now();
            authenticate(provider, &request, &settings.secrets, chrono::Utc::now()).unwrap();
            let call = providers::parse_call(provider, &request).unwrap();
            let dialled = VirtualNumber::parse(&call.to, settings.default_country).unwrap();
            let caller = E164::parse(&call.from, settings.default_country).unwrap();
            let answer = Answer::Connect {
                callee: caller,
                caller_id: dialled,
                report_to: None,
                dial_result_to: None,
                callee_hears: None,
            };
            std::hint::black_box(providers::render(provider, &answer, &settings.answer));
            samples.push(start.elapsed());
        }
        summary(
            &format!("pure path ({provider}: verify+parse+render)"),
            samples,
        );
    }

    let resolver = world.resolver(world.store.clone(), settings.clone());
    for provider in [ProviderKind::Twilio, ProviderKind::Plivo] {
        let mut samples = Vec::with_capacity(2_000);
        for _ in 0..2_000 {
            let request = provider_request(
                provider,
                "voice",
                "CA-bench",
                &customer_phone(1),
                &customer_dials,
                &[],
            );
            let start = Instant::now();
            let response = resolve_call::handler::handle(&resolver, request).await;
            samples.push(start.elapsed());
            assert_eq!(response.status(), 200);
        }
        summary(
            &format!("handler happy path ({provider}, DynamoDB Local)"),
            samples,
        );
    }
}
