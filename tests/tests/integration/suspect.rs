//! Failed calls in a row on one VN flag it suspect (once) and tell the operators.

use maskline::domain::VirtualNumber;
use maskline::ports::PoolStore;
use maskline::providers::ProviderKind;
use maskline_tests::fixtures::customer_phone;
use maskline_tests::webhooks::config;
use maskline_tests::world::SUSPECT_AFTER;

use crate::call_log::status;
use crate::support::{callbacks, world_with_order};

#[tokio::test]
async fn consecutive_failed_calls_mark_a_number_suspect_once() {
    let (world, customer_dials, _) = world_with_order().await;
    let events = callbacks(&world, config());
    let vn = VirtualNumber::parse(&customer_dials, None).unwrap();
    let customer = customer_phone(1);
    let mut call = 0;
    let mut report = |outcome: &'static str| {
        call += 1;
        let id = format!("CA-{call}");
        let events = &events;
        let (customer, dialled) = (customer.clone(), customer_dials.clone());
        async move {
            let extra = [("CallStatus", outcome)];
            let (code, _) = status(
                events,
                ProviderKind::Twilio,
                &id,
                &customer,
                &dialled,
                &extra,
            )
            .await;
            assert_eq!(code, 200);
        }
    };

    // A connected call ends a run; busy is the callee's doing and does not count.
    for outcome in ["failed", "failed", "completed", "busy"] {
        report(outcome).await;
    }
    assert!(!world.store.pool_number(&vn).await.unwrap().unwrap().suspect);
    for _ in 0..SUSPECT_AFTER + 2 {
        report("failed").await;
    }
    let number = world.store.pool_number(&vn).await.unwrap().unwrap();
    assert!(number.suspect);

    let suspects = world.events.read_of_type("NumberSuspect", 1).await;
    assert_eq!(suspects.len(), 1, "announced once, not per further failure");
    assert_eq!(suspects[0].detail["vn"], customer_dials.as_str());
    assert_eq!(suspects[0].detail["region"], "blr");
    assert_eq!(suspects[0].detail["consecutive_failures"], SUSPECT_AFTER);
}
