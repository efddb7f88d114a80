//! A whole call flow with every log line captured: no real number may appear in any of them.

use std::io::Write;
use std::sync::{Arc, Mutex};

use maskline::adapters::provider_api::TwilioCalls;
use maskline::config::ClickToCallMode;
use maskline::domain::AllocationPolicy;
use maskline::ports::CallDialer;
use maskline::providers::ProviderKind;
use maskline_tests::fake_twilio::FakeTwilio;
use maskline_tests::fixtures::{customer_phone, driver_assigned, driver_phone, order_ended};
use maskline_tests::webhooks::{config, provider_request};
use maskline_tests::World;
use tracing_subscriber::fmt::MakeWriter;

use crate::support::{allocate, callbacks, numbers_of, release};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn no_real_number_reaches_the_logs() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    // Current-thread test runtime: every task of this test logs through this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let bad_phone = r#"{"detail-type":"DriverAssigned","detail":{"order_id":"ORD-2","region":"blr","customer":{"id":"C-2","phone":"+91 98765 00002 ext 9"},"driver":{"id":"D-2","phone":"+919876400002"}}}"#;
    allocate(
        &world,
        AllocationPolicy::Shared,
        &[driver_assigned("ORD-1", "blr", 1, 1), bad_phone.to_string()],
    )
    .await;
    let (customer_dials, driver_dials) = numbers_of(&world, "ORD-1").await;
    let resolver = world.resolver(world.store.clone(), config());
    let events = callbacks(&world, config());
    let (customer, driver, stranger) = (customer_phone(1), driver_phone(1), customer_phone(77));
    for provider in ProviderKind::ALL {
        for (from, to) in [
            (&customer, &customer_dials),
            (&driver, &driver_dials),
            (&stranger, &customer_dials),
        ] {
            resolve_call::handler::handle(
                &resolver,
                provider_request(provider, "voice", "CA-1", from, to, &[]),
            )
            .await;
        }
        let done = provider_request(
            provider,
            "status",
            "CA-1",
            &customer,
            &customer_dials,
            &[
                ("CallStatus", "completed"),
                ("Status", "completed"),
                ("status", "completed"),
            ],
        );
        call_events::handler::handle(&events, done).await;
    }
    // Failed calls (a suspect number), click-to-call (a refused attempt, then a placed call),
    // and a failover of one of the order's numbers.
    for i in 0..maskline_tests::world::SUSPECT_AFTER {
        let failed = maskline_tests::webhooks::status_report(
            &events.events,
            ProviderKind::Twilio,
            &format!("CA-f{i}"),
            &driver,
            &driver_dials,
            &[("CallStatus", "failed")],
        )
        .await;
        call_events::handler::handle(&events, failed).await;
    }
    let fake = FakeTwilio::start();
    let dialer: Arc<dyn CallDialer> = Arc::new(TwilioCalls::new(fake.api()));
    let click = world.click_to_call(vec![("static", dialer)], ClickToCallMode::Always);
    fake.fail_next(1);
    for _ in 0..2 {
        let request = lambda_http::http::Request::builder()
            .method("POST")
            .uri("/v1/orders/ORD-1/click-to-call")
            .body(lambda_http::Body::from(r#"{"from":"driver"}"#))
            .unwrap();
        click_to_call::handler::handle(&click, request).await;
    }
    assert_eq!(fake.calls().len(), 1, "the second click-to-call is placed");
    // A status about a call from one of our VNs to someone outside any session: their number is
    // the "dialled" one, and must not be logged.
    let unrelated = provider_request(
        ProviderKind::Twilio,
        "status",
        "CA-out",
        &customer_dials,
        &stranger,
        &[("CallStatus", "completed"), ("Direction", "outbound-api")],
    );
    call_events::handler::handle(&events, unrelated).await;
    let sick = maskline::domain::VirtualNumber::parse(&customer_dials, None).unwrap();
    let report = world.failover(false).mark_unhealthy(&sick).await.unwrap();
    assert!(
        report.moved.iter().any(|o| o.as_str() == "ORD-1"),
        "the failover should move ORD-1 off {sick}: {report:?}"
    );
    release(&world, &[order_ended("OrderDelivered", "ORD-1")]).await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("connecting call"),
        "log capture did not work:\n{logs}"
    );
    for expected in [
        "number suspect",
        "click-to-call placed",
        "session moved off an unhealthy number",
    ] {
        assert!(
            logs.contains(expected),
            "{expected:?} was not logged:\n{logs}"
        );
    }
    assert!(
        logs.contains("+91******0001"),
        "numbers should appear masked:\n{logs}"
    );
    for real in [
        &customer,
        &driver,
        &stranger,
        &"+919876500002".to_string(),
        &"+919876400002".to_string(),
    ] {
        let national = &real[3..];
        assert!(
            !logs.contains(national),
            "a real number ({}) is in the logs:\n{logs}",
            maskline::domain::number::mask(real)
        );
    }
}
