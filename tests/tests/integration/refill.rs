//! Refill brings each targeted (region, operator) to its wanted count — from imported standby
//! numbers or by buying from Twilio — gives back idle surplus after the cool-off, and never buys
//! twice for one shortfall: not when two runs race, not when an answer is lost, not when the pool
//! index lags.

use maskline::adapters::sqs_batch::Redelivery;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::Duration;
use maskline::adapters::provider_api::TwilioNumbers;
use maskline::domain::pool::{PoolNumber, PoolState, PoolTarget};
use maskline::domain::refill_plan::RefillRules;
use maskline::domain::{AllocationPolicy, Region};
use maskline::ports::{NumberProvider, PoolStore};
use maskline::services::Refill;
use maskline_tests::fake_twilio::FakeTwilio;
use maskline_tests::fixtures::{driver_assigned, pool_target, sqs_event, vn};
use maskline_tests::invariants::assert_consistent;
use maskline_tests::lagging_index::LaggingIndex;
use maskline_tests::World;
use serde_json::Value;

use crate::support::{allocate, allocate_ok};

pub fn rules() -> RefillRules {
    RefillRules {
        policy: AllocationPolicy::Shared,
        backups: false,
        pair_mode: maskline::domain::PairMode::Pair,
        session_cap: None,
        headroom: 0,
        cool_off: Duration::hours(1),
    }
}

fn target(operator: &str, provider: &str, min: u32) -> PoolTarget {
    pool_target("blr", operator, provider, min)
}

async fn numbers(world: &World) -> Vec<PoolNumber> {
    world
        .store
        .pool_of_region(&Region::parse("blr").unwrap())
        .await
        .unwrap()
}

/// Healthy active numbers per operator.
async fn active_by_operator(world: &World) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for n in numbers(world).await {
        if n.allocatable() {
            *counts.entry(n.operator.to_string()).or_default() += 1;
        }
    }
    counts
}

fn twilio(fake: &FakeTwilio) -> Arc<dyn NumberProvider> {
    Arc::new(TwilioNumbers::new(
        fake.api(),
        "IN",
        "https://calls.example.com",
    ))
}

fn offer(fake: &FakeTwilio, first: u32, count: u32) {
    let offered: Vec<String> = (first..first + count).map(|i| vn(i).to_string()).collect();
    fake.offer(&offered.iter().map(String::as_str).collect::<Vec<_>>());
}

#[tokio::test]
async fn static_refill_activates_standby_numbers_up_to_each_target() {
    let world = World::new().await;
    world
        .add_numbers("blr", "airtel", 1, 10, PoolState::Standby)
        .await;
    world
        .add_numbers("blr", "jio", 101, 10, PoolState::Standby)
        .await;
    world
        .store
        .set_target(&target("airtel", "static", 4))
        .await
        .unwrap();
    world
        .store
        .set_target(&target("jio", "static", 3))
        .await
        .unwrap();
    let refill = world.refill(rules(), vec![]);

    let done = refill
        .run_region(&Region::parse("blr").unwrap())
        .await
        .unwrap();
    let acquired: Vec<u32> = done.operators.iter().map(|o| o.acquired).collect();
    assert_eq!(acquired, vec![4, 3]);
    let active = active_by_operator(&world).await;
    assert_eq!((active["airtel"], active["jio"]), (4, 3));

    // At target, a second run changes nothing.
    world.clock.advance(Duration::seconds(10));
    let again = refill.run_all().await.unwrap();
    assert!(again[0]
        .operators
        .iter()
        .all(|o| o.acquired == 0 && o.given_back == 0));
    assert_eq!(active_by_operator(&world).await, active);
}

#[tokio::test]
async fn twilio_refill_buys_up_to_target_and_gives_back_surplus() {
    let world = World::new().await;
    let fake = FakeTwilio::start();
    offer(&fake, 1, 6);
    let mut wanted = target("airtel", "twilio", 3);
    wanted.search = Some("AreaCode=80".into());
    world.store.set_target(&wanted).await.unwrap();
    let refill = world.refill(rules(), vec![twilio(&fake)]);

    let done = refill.run_all().await.unwrap();
    assert_eq!(done[0].operators[0].acquired, 3);
    let bought = fake.bought();
    assert_eq!(bought.len(), 3);
    let pool = numbers(&world).await;
    assert_eq!(pool.len(), 3);
    for number in &pool {
        assert_eq!(number.provider.as_str(), "twilio");
        assert!(number.allocatable());
        let sid = number.provider_ref.as_deref().expect("the PN sid is kept");
        assert!(bought.iter().any(|b| b.sid == sid));
    }
    assert!(fake
        .requests()
        .iter()
        .any(|r| r.path.contains("AvailablePhoneNumbers/IN/Local.json")
            && r.query.get("AreaCode").map(String::as_str) == Some("80")));

    // Numbers bought are allocatable at once.
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;

    // Lower the target: one number is surplus, but only once it has idled past the cool-off.
    world
        .store
        .set_target(&target("airtel", "twilio", 1))
        .await
        .unwrap();
    let early = refill.run_all().await.unwrap();
    assert_eq!(early[0].operators[0].given_back, 0);
    assert!(fake.released().is_empty());

    world.clock.advance(Duration::minutes(90));
    let late = refill.run_all().await.unwrap();
    // Wanted stays 2 (a session needs two distinct numbers); the idle third goes back.
    assert_eq!(
        (late[0].operators[0].wanted, late[0].operators[0].given_back),
        (2, 1)
    );
    assert_eq!(fake.released().len(), 1);
    let left = numbers(&world).await;
    assert_eq!(left.len(), 2);
    assert!(!left
        .iter()
        .any(|n| n.provider_ref.as_deref() == Some(fake.released()[0].as_str())));
}

#[tokio::test]
async fn busy_numbers_are_never_given_back() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 6).await;
    world
        .store
        .set_target(&target("airtel", "static", 2))
        .await
        .unwrap();
    // Three agents' orders keep six numbers busy... or at least some of them.
    for i in 1..=3 {
        allocate_ok(&world, &[driver_assigned(&format!("ORD-{i}"), "blr", i, 1)]).await;
    }
    world.clock.advance(Duration::hours(2));
    let refill = world.refill(rules(), vec![]);
    refill.run_all().await.unwrap();
    // Every number still bound to a live session is active; only idle ones went to standby.
    let bound: Vec<String> = world
        .items_with_sk("BIND#")
        .await
        .iter()
        .map(|b| {
            b["pk"]
                .as_s()
                .unwrap()
                .trim_start_matches("VN#")
                .to_string()
        })
        .collect();
    for number in numbers(&world).await {
        if bound.contains(&number.vn.to_string()) {
            assert_eq!(number.state, PoolState::Active, "{} was busy", number.vn);
        }
    }
    let active = active_by_operator(&world).await["airtel"];
    assert!(
        active >= 4,
        "the agent's three orders plus room for a fourth"
    );
    assert_consistent(&world).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_refills_at_once_do_not_double_buy() {
    let world = World::new().await;
    let fake = FakeTwilio::start();
    offer(&fake, 1, 20);
    world
        .store
        .set_target(&target("airtel", "twilio", 5))
        .await
        .unwrap();
    let first = world.refill(rules(), vec![twilio(&fake)]);
    let second = world.refill(rules(), vec![twilio(&fake)]);
    let blr = Region::parse("blr").unwrap();

    let (a, b) = tokio::join!(first.run_region(&blr), second.run_region(&blr));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(fake.bought().len(), 5, "exactly the shortfall was bought");
    assert_eq!(a.operators[0].acquired + b.operators[0].acquired, 5);
    assert_eq!(active_by_operator(&world).await["airtel"], 5);

    // After the lease, another run sees the target met and buys nothing.
    world.clock.advance(Duration::seconds(10));
    first.run_region(&blr).await.unwrap();
    assert_eq!(fake.bought().len(), 5);
}

#[tokio::test]
async fn exhaustion_signals_refill_and_the_retried_allocation_succeeds() {
    let world = World::new().await;
    // Two active numbers, four on standby, and a target that the demand will outgrow.
    world.add_pool("blr", "airtel", 1, 2).await;
    world
        .add_numbers("blr", "airtel", 3, 4, PoolState::Standby)
        .await;
    world
        .store
        .set_target(&target("airtel", "static", 2))
        .await
        .unwrap();

    // Two VNs carry two orders of one agent; the agent's third order needs a third: exhausted.
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    allocate_ok(&world, &[driver_assigned("ORD-2", "blr", 2, 1)]).await;
    let order_three = driver_assigned("ORD-3", "blr", 3, 1);
    let failed = allocate(
        &world,
        AllocationPolicy::Shared,
        std::slice::from_ref(&order_three),
    )
    .await;
    assert_eq!(failed.len(), 1, "the message goes back to the queue");

    // The PoolExhausted event, as the refill queue delivers it, triggers a refill.
    let signal = world.events.read_of_type("PoolExhausted", 1).await;
    assert_eq!(signal.len(), 1);
    let refill = world.refill(rules(), vec![]);
    let response = refill_pool::handler::handle(
        &refill,
        &Redelivery::default(),
        serde_json::to_value(sqs_event(&[signal[0].raw.clone()])).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(response["batchItemFailures"], Value::Array(vec![]));
    assert!(active_by_operator(&world).await["airtel"] >= 3);

    // SQS redelivers the DriverAssigned: now it fits.
    assert!(allocate(&world, AllocationPolicy::Shared, &[order_three])
        .await
        .is_empty());
    assert_consistent(&world).await;
}

#[tokio::test]
async fn refill_triggers_that_name_no_region_fail_alone() {
    let world = World::new().await;
    let refill = world.refill(rules(), vec![]);
    let good = serde_json::json!({"detail-type": "OrderPlaced", "source": "orders",
                                  "detail": {"order_id": "ORD-9", "region": "blr"}})
    .to_string();
    let event = sqs_event(&["not json".to_string(), good]);
    let response = refill_pool::handler::handle(
        &refill,
        &Redelivery::default(),
        serde_json::to_value(event).unwrap(),
    )
    .await
    .unwrap();
    let failures = response["batchItemFailures"].as_array().unwrap();
    assert_eq!(failures.len(), 1);

    let scheduled = serde_json::json!({"detail-type": "Scheduled Event", "source": "aws.events",
                                       "detail": {}});
    let response = refill_pool::handler::handle(&refill, &Redelivery::default(), scheduled)
        .await
        .unwrap();
    assert!(response["regions"].is_array());
    assert!(refill_pool::handler::handle(
        &refill,
        &Redelivery::default(),
        serde_json::json!({"x": 1})
    )
    .await
    .is_err());
}

#[tokio::test]
async fn an_unhealthy_standby_number_is_never_activated() {
    let world = World::new().await;
    world
        .add_numbers("blr", "airtel", 1, 4, PoolState::Standby)
        .await;
    world
        .store
        .set_health(&vn(1), maskline::domain::pool::Health::Unhealthy)
        .await
        .unwrap();
    world
        .store
        .set_target(&target("airtel", "static", 4))
        .await
        .unwrap();
    let done = world.refill(rules(), vec![]).run_all().await.unwrap();
    assert_eq!(done[0].operators[0].acquired, 3);
    let sick = world.store.pool_number(&vn(1)).await.unwrap().unwrap();
    assert_eq!(
        (sick.state, sick.health),
        (
            PoolState::Standby,
            maskline::domain::pool::Health::Unhealthy
        )
    );
    // The run's figures are returned for the function to emit as metrics.
    let lines = done[0].metric_lines();
    assert_eq!(lines.len(), 1);
    // A pool figure is one sample (a list of one value) in its EMF document.
    let doc: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(doc["HealthyNumbers"][0], 3.0, "{}", lines[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_refills_at_once_never_give_back_below_target() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 10).await;
    world
        .store
        .set_target(&target("airtel", "static", 3))
        .await
        .unwrap();
    world.clock.advance(Duration::hours(2));
    let first = world.refill(rules(), vec![]);
    let second = world.refill(rules(), vec![]);
    let blr = Region::parse("blr").unwrap();
    let (a, b) = tokio::join!(first.run_region(&blr), second.run_region(&blr));
    let given_back = a.unwrap().operators[0].given_back + b.unwrap().operators[0].given_back;
    assert_eq!(given_back, 7);
    assert_eq!(active_by_operator(&world).await["airtel"], 3);
    let standby = numbers(&world)
        .await
        .iter()
        .filter(|n| n.state == PoolState::Standby)
        .count();
    assert_eq!(standby, 7, "static numbers go back to standby, not away");
}

/// Three bought Twilio numbers, idle past the cool-off, under a target of one: two to give back.
async fn surplus_of_two(world: &World, fake: &FakeTwilio, refill: &Refill) {
    bought_pool(world, fake, refill, 3).await;
    world
        .store
        .set_target(&target("airtel", "twilio", 1))
        .await
        .unwrap();
    world.clock.advance(Duration::minutes(90));
}

/// A Twilio pool of `count` numbers for airtel in blr, bought by `refill`.
async fn bought_pool(world: &World, fake: &FakeTwilio, refill: &Refill, count: u32) {
    offer(fake, 1, count + 5);
    world
        .store
        .set_target(&target("airtel", "twilio", count))
        .await
        .unwrap();
    refill.run_all().await.unwrap();
    assert_eq!(fake.bought().len(), count as usize);
    // Past the lease's settling tail, so the next run may take it.
    world.clock.advance(Duration::seconds(10));
}

#[tokio::test]
async fn a_give_back_whose_answer_is_lost_stays_retiring_until_confirmed() {
    let world = World::new().await;
    let fake = FakeTwilio::start();
    let refill = world.refill(rules(), vec![twilio(&fake)]);
    surplus_of_two(&world, &fake, &refill).await;
    // Twilio releases the surplus number, but its answer is lost (a timeout, a 5xx).
    fake.lose_next_reply_to("DELETE");

    let first = refill.run_all().await.unwrap();

    assert_eq!(first[0].operators[0].given_back, 0);
    assert!(first[0].operators[0].problem.is_some());
    assert_eq!(fake.released().len(), 1);
    let released = fake.released()[0].clone();
    let gone = numbers(&world)
        .await
        .into_iter()
        .find(|n| n.provider_ref.as_deref() == Some(released.as_str()))
        .expect("still in the pool");
    // Not active: Twilio may no longer be renting it to us, so no session may get it.
    assert_eq!(gone.state, PoolState::Retiring);
    assert_eq!(active_by_operator(&world).await["airtel"], 2);

    // The next run asks again; Twilio's 404 confirms it, and the number leaves the pool.
    world.clock.advance(Duration::seconds(10));
    let second = refill.run_all().await.unwrap();
    assert_eq!(second[0].operators[0].given_back, 1);
    assert!(world.store.pool_number(&gone.vn).await.unwrap().is_none());
    assert_eq!(numbers(&world).await.len(), 2);
    assert_eq!(fake.bought().len(), 3, "nothing bought to replace it");
}

#[tokio::test]
async fn a_refused_give_back_returns_the_number_to_service() {
    let world = World::new().await;
    let fake = FakeTwilio::start();
    let refill = world.refill(rules(), vec![twilio(&fake)]);
    surplus_of_two(&world, &fake, &refill).await;
    // A definite no (the credentials were revoked): Twilio did nothing, so the number is still
    // ours to use.
    let api = maskline::adapters::provider_api::TwilioApi {
        auth_token: "revoked".into(),
        ..fake.api()
    };
    let refused: Arc<dyn NumberProvider> =
        Arc::new(TwilioNumbers::new(api, "IN", "https://calls.example.com"));
    let done = world
        .refill(rules(), vec![refused])
        .run_all()
        .await
        .unwrap();

    assert_eq!(done[0].operators[0].given_back, 0);
    assert!(done[0].operators[0].problem.is_some());
    assert!(fake.released().is_empty());
    assert_eq!(active_by_operator(&world).await["airtel"], 3);
}

#[tokio::test]
async fn a_number_left_retiring_is_given_back_by_the_next_run() {
    let world = World::new().await;
    let fake = FakeTwilio::start();
    let refill = world.refill(rules(), vec![twilio(&fake)]);
    bought_pool(&world, &fake, &refill, 2).await;
    // A run stopped between retiring a number and giving it back.
    let stuck = numbers(&world).await[0].clone();
    assert!(world.store.begin_give_back(&stuck.vn).await.unwrap());

    let done = refill.run_all().await.unwrap();

    assert_eq!(done[0].operators[0].given_back, 1);
    assert_eq!(fake.released(), [stuck.provider_ref.clone().unwrap()]);
    let delete = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE")
        .expect("a DELETE was sent");
    assert!(delete.path.ends_with(&format!(
        "/IncomingPhoneNumbers/{}.json",
        stuck.provider_ref.unwrap()
    )));
    assert!(world.store.pool_number(&stuck.vn).await.unwrap().is_none());
    // The shortfall it left was bought, once.
    assert_eq!(active_by_operator(&world).await["airtel"], 2);
    assert_eq!(fake.bought().len(), 3);
}

#[tokio::test]
async fn a_retiring_number_a_session_holds_goes_back_to_service() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    world
        .store
        .set_target(&target("airtel", "static", 4))
        .await
        .unwrap();
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let held = world.items_with_sk("BIND#").await[0]["pk"]
        .as_s()
        .unwrap()
        .trim_start_matches("VN#")
        .to_string();
    let held = maskline::domain::VirtualNumber::parse(&held, None).unwrap();
    // Retired between the plan and the idle check, by a run that then stopped.
    assert!(world.store.begin_give_back(&held).await.unwrap());

    world.refill(rules(), vec![]).run_all().await.unwrap();

    let number = world.store.pool_number(&held).await.unwrap().unwrap();
    assert_eq!(number.state, PoolState::Active);
    assert_consistent(&world).await;
}

#[tokio::test]
async fn a_purchase_whose_answer_is_lost_is_recorded_not_bought_again() {
    let world = World::new().await;
    let fake = FakeTwilio::start();
    offer(&fake, 1, 6);
    world
        .store
        .set_target(&target("airtel", "twilio", 2))
        .await
        .unwrap();
    let refill = world.refill(rules(), vec![twilio(&fake)]);
    // Twilio sells the first number, but the answer is lost.
    fake.lose_next_reply_to("POST");

    let first = refill.run_all().await.unwrap();
    assert!(first[0].operators[0].problem.is_some());
    assert_eq!(
        fake.bought().len(),
        1,
        "bought no further after an ambiguous failure"
    );

    world.clock.advance(Duration::seconds(10));
    let second = refill.run_all().await.unwrap();

    let outcome = &second[0].operators[0];
    assert_eq!((outcome.acquired, outcome.recovered), (2, 1));
    assert_eq!(
        fake.bought().len(),
        2,
        "exactly the wanted count was paid for"
    );
    let pool = numbers(&world).await;
    assert_eq!(pool.len(), 2);
    for sale in fake.bought() {
        assert!(
            pool.iter()
                .any(|n| n.provider_ref.as_deref() == Some(sale.sid.as_str()) && n.allocatable()),
            "{} is recorded with its sid",
            sale.sid
        );
        // Tagged by region and operator, never by number.
        assert_eq!(sale.friendly_name, "maskline/blr/airtel");
    }
}

#[tokio::test]
async fn numbers_the_pool_index_does_not_show_yet_are_not_bought_again() {
    let world = World::new().await;
    let fake = FakeTwilio::start();
    offer(&fake, 1, 10);
    world
        .store
        .set_target(&target("airtel", "twilio", 3))
        .await
        .unwrap();
    let lagging = Arc::new(LaggingIndex::new(world.store.clone()));
    let refill = Refill {
        pool: lagging.clone(),
        ..world.refill(rules(), vec![twilio(&fake)])
    };
    let blr = Region::parse("blr").unwrap();

    refill.run_region(&blr).await.unwrap();
    assert_eq!(fake.bought().len(), 3);

    // Past the lease's settling tail, with the index still not showing the three.
    world.clock.advance(Duration::seconds(10));
    let again = refill.run_region(&blr).await.unwrap();
    assert_eq!(again.operators[0].acquired, 0);
    assert_eq!(
        fake.bought().len(),
        3,
        "the lagging index fooled refill into buying again"
    );

    // Once the index shows them, the lease's notes of them are dropped.
    lagging.catch_up();
    world.clock.advance(Duration::seconds(10));
    world
        .store
        .set_target(&target("airtel", "twilio", 4))
        .await
        .unwrap();
    refill.run_region(&blr).await.unwrap();
    assert_eq!(fake.bought().len(), 4);
    let lease = world
        .items_with_sk("airtel")
        .await
        .into_iter()
        .find(|item| item["pk"].as_s().unwrap().starts_with("LEASE#"))
        .expect("the lease item");
    let noted = lease
        .get("recently_acquired")
        .map_or(0, |set| set.as_ss().unwrap().len());
    assert_eq!(
        noted, 1,
        "only the number the index has not shown yet is still noted"
    );
}

/// A refill's number source that stalls past the refill lease while the run looks for numbers
/// (a `maskctl refill` on a laptop that slept): meanwhile another run takes the lease over.
struct OutlivedLease {
    inner: Arc<dyn NumberProvider>,
    world: Arc<World>,
}

#[async_trait::async_trait]
impl NumberProvider for OutlivedLease {
    fn provider(&self) -> maskline::domain::Provider {
        self.inner.provider()
    }

    fn keeps_given_back_numbers(&self) -> bool {
        self.inner.keeps_given_back_numbers()
    }

    async fn held(
        &self,
        request: &maskline::ports::NumberRequest,
    ) -> Result<Vec<maskline::ports::AcquiredNumber>, maskline::ports::NumberProviderError> {
        self.inner.held(request).await
    }

    async fn offered(
        &self,
        request: &maskline::ports::NumberRequest,
    ) -> Result<Vec<maskline::domain::VirtualNumber>, maskline::ports::NumberProviderError> {
        let offered = self.inner.offered(request).await;
        let stalled = Duration::seconds(maskline::services::REFILL_LEASE_SECONDS + 1);
        self.world.clock.advance(stalled);
        let now = maskline::ports::Clock::now(self.world.clock.as_ref());
        let taken = self
            .world
            .store
            .take_refill_lease(
                &request.region,
                &request.operator,
                "a scheduled run",
                now,
                now + Duration::seconds(maskline::services::REFILL_LEASE_SECONDS),
            )
            .await
            .unwrap();
        assert!(
            taken,
            "the stalled run's lease had lapsed: another run takes it"
        );
        offered
    }

    async fn acquire_one(
        &self,
        request: &maskline::ports::NumberRequest,
        vn: &maskline::domain::VirtualNumber,
    ) -> Result<Option<maskline::ports::AcquiredNumber>, maskline::ports::NumberProviderError> {
        self.inner.acquire_one(request, vn).await
    }

    async fn give_back(
        &self,
        number: &PoolNumber,
    ) -> Result<(), maskline::ports::NumberProviderError> {
        self.inner.give_back(number).await
    }
}

#[tokio::test]
async fn a_refill_that_outlived_its_lease_buys_nothing_more() {
    // Issue 20, finding 5: refill's work is fenced by its lease. A run whose lease lapsed and was
    // taken over must not buy beside the run that holds it now (both would buy one shortfall).
    let world = Arc::new(World::new().await);
    let fake = FakeTwilio::start();
    offer(&fake, 1, 6);
    world
        .store
        .set_target(&target("airtel", "twilio", 3))
        .await
        .unwrap();
    let stalling: Arc<dyn NumberProvider> = Arc::new(OutlivedLease {
        inner: twilio(&fake),
        world: world.clone(),
    });
    let done = world
        .refill(rules(), vec![stalling])
        .run_region(&Region::parse("blr").unwrap())
        .await
        .unwrap();
    assert!(
        fake.bought().is_empty(),
        "the run bought {} number(s) after another run took its lease",
        fake.bought().len()
    );
    let problem = done.operators[0].problem.clone().unwrap_or_default();
    assert!(
        problem.contains("lease"),
        "the run says why it stopped: {done:?}"
    );
}
