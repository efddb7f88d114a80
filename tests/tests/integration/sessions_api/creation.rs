//! Opening a session: the numbers at once, the same ones on a repeat, one session however many
//! ask at once, and a clear refusal when the pool has nothing left.

use maskline_tests::fixtures::{customer_phone, driver_phone};

use super::Api;
use crate::support::connects_to;

#[tokio::test]
async fn create_answers_201_with_the_numbers_and_publishes_them_and_a_repeat_writes_nothing() {
    let api = Api::with_pool(4).await;

    let created = api.open("ORD-1", 1, 1).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["order_id"], "ORD-1");
    assert_eq!(created.body["state"], "active");
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.headers["etag"], "\"1\"");
    // The same body the apps' numbers route shows.
    let (status, view) = crate::support::order_numbers(&api.world, "ORD-1").await;
    assert_eq!(status, 200);
    assert_eq!(created.body, view);
    // And the numbers connect the parties.
    let customer_dials = &created.body["customer_dials"];
    assert!(connects_to(
        &api.route(customer_dials, &customer_phone(1)).await,
        &driver_phone(1),
        created.body["driver_dials"].as_str().unwrap()
    ));

    // The platform asks again a little later (a retry after a timeout, say).
    api.world.clock.advance(chrono::Duration::seconds(5));
    let before = api.world.all_items().await;
    let repeated = api.open("ORD-1", 1, 1).await;
    assert_eq!(repeated.status, 200, "{}", repeated.body);
    assert_eq!(
        repeated.body, created.body,
        "the same numbers, the same version"
    );
    assert_eq!(
        api.world.all_items().await,
        before,
        "a repeat writes nothing"
    );

    let assigned = api
        .world
        .events
        .read_of_type("MaskedNumbersAssigned", 2)
        .await;
    assert!(!assigned.is_empty());
    for event in &assigned {
        assert_eq!(event.detail["order_id"], "ORD-1");
        assert_eq!(event.detail["customer_dials"], *customer_dials);
        assert_eq!(event.detail["version"], 1);
        assert!(!event
            .raw
            .contains(customer_phone(1).trim_start_matches('+')));
    }
}

#[tokio::test]
async fn concurrent_posts_for_one_order_end_with_one_session_and_one_set_of_bindings() {
    let api = Api::with_pool(8).await;
    let replies = futures::future::join_all((0..6).map(|_| api.open("ORD-1", 1, 1))).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
    for reply in &replies {
        assert_eq!(
            reply.body["customer_dials"],
            replies[0].body["customer_dials"]
        );
        assert_eq!(reply.body["driver_dials"], replies[0].body["driver_dials"]);
    }
    assert_eq!(api.world.items_with_sk("SESSION").await.len(), 1);
    assert_eq!(
        api.world.items_with_sk("BIND#").await.len(),
        2,
        "one binding per side"
    );
}

#[tokio::test]
async fn an_exhausted_pool_answers_409_writes_nothing_and_asks_refill() {
    let api = Api::with_pool(2).await;
    // One customer with two orders holds both numbers' customer side: a third has none left.
    for order in ["ORD-1", "ORD-2"] {
        let reply = api.open(order, 1, 1).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let before = api.world.all_items().await;
    let refused = api.open("ORD-3", 1, 2).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.body["field"], "region");
    assert_eq!(refused.headers["retry-after"], "60");
    assert_eq!(api.world.all_items().await, before, "nothing written");
    let exhausted = api.world.events.read_of_type("PoolExhausted", 1).await;
    assert_eq!(exhausted[0].detail["order_id"], "ORD-3");
}

#[tokio::test]
async fn an_order_may_ask_for_one_number_for_both_parties() {
    let api = Api::with_pool(4).await;
    let mut body = super::open_body("ORD-1", 1, 1);
    body["pair_mode"] = "single".into();
    let created = api.post(body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let vn = &created.body["customer_dials"];
    assert_eq!(
        created.body["driver_dials"], *vn,
        "both parties dial one number"
    );
    let number = vn.as_str().unwrap();
    assert!(connects_to(
        &api.route(vn, &customer_phone(1)).await,
        &driver_phone(1),
        number
    ));
    assert!(connects_to(
        &api.route(vn, &driver_phone(1)).await,
        &customer_phone(1),
        number
    ));
    // Without the field, the deployment's PAIR_MODE (pair) applies.
    let paired = api.open("ORD-2", 2, 2).await;
    assert_ne!(paired.body["customer_dials"], paired.body["driver_dials"]);

    let items = api.world.all_items().await;
    let mut bad = super::open_body("ORD-3", 3, 3);
    bad["pair_mode"] = "both".into();
    let refused = api.post(bad).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.body["field"], "pair_mode");
    assert_eq!(
        api.world.all_items().await,
        items,
        "a refusal writes nothing"
    );
}
