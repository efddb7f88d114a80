//! `/v1/sessions` through the sessions function's handler, on the same use cases as the events:
//! what it answers, what it writes (or does not), and what it publishes.

use lambda_http::http::HeaderMap;
use lambda_http::{Body, Request};
use maskline::ports::Clock;
use maskline::services::Sessions;
use maskline_tests::fixtures::{customer_phone, driver_phone};
use maskline_tests::World;
use serde_json::{json, Value};

use crate::support::connects_to;

/// A handler's answer: status, headers and JSON body.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

/// Sends one request to the sessions handler, as API Gateway would hand it over.
pub async fn send(
    sessions: &Sessions,
    method: &str,
    path: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> Reply {
    let mut builder = lambda_http::http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(tag) = if_match {
        builder = builder.header("if-match", tag);
    }
    let body = body.map_or(Body::Empty, |b| Body::Text(b.to_string()));
    let request: Request = builder.body(body).unwrap();
    let response = sessions::handler::handle(sessions, request).await;
    let body = match response.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        Body::Binary(b) => serde_json::from_slice(b).unwrap(),
        _ => Value::Null,
    };
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body,
    }
}

/// The `POST /v1/sessions` body for `order`: customer `customer`, agent `driver` (fixtures).
pub fn open_body(order: &str, customer: u32, driver: u32) -> Value {
    json!({
        "order_id": order,
        "region": "blr",
        "customer": {"id": format!("C-{customer}"), "phone": customer_phone(customer)},
        "driver": {"id": format!("D-{driver}"), "phone": driver_phone(driver)},
    })
}

fn driver_body(driver: u32) -> Value {
    json!({"driver": {"id": format!("D-{driver}"), "phone": driver_phone(driver)}})
}

async fn route_of(world: &World, dialled: &Value, caller: &str) -> maskline::services::Route {
    crate::support::route(world, dialled.as_str().unwrap(), caller).await
}

#[tokio::test]
async fn create_answers_201_with_the_numbers_and_publishes_them_and_a_repeat_writes_nothing() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let sessions = world.sessions();

    let created = send(
        &sessions,
        "POST",
        "/v1/sessions",
        Some(open_body("ORD-1", 1, 1)),
        None,
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["order_id"], "ORD-1");
    assert_eq!(created.body["state"], "active");
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.headers["etag"], "\"1\"");
    // The same body the apps' numbers route shows.
    let (status, view) = crate::support::order_numbers(&world, "ORD-1").await;
    assert_eq!(status, 200);
    assert_eq!(created.body, view);
    // And the numbers connect the parties.
    let customer_dials = &created.body["customer_dials"];
    assert!(connects_to(
        &route_of(&world, customer_dials, &customer_phone(1)).await,
        &driver_phone(1),
        created.body["driver_dials"].as_str().unwrap()
    ));

    // The platform asks again a little later (a retry after a timeout, say).
    world.clock.advance(chrono::Duration::seconds(5));
    let before = world.all_items().await;
    let repeated = send(
        &sessions,
        "POST",
        "/v1/sessions",
        Some(open_body("ORD-1", 1, 1)),
        None,
    )
    .await;
    assert_eq!(repeated.status, 200, "{}", repeated.body);
    assert_eq!(
        repeated.body, created.body,
        "the same numbers, the same version"
    );
    assert_eq!(world.all_items().await, before, "a repeat writes nothing");

    let assigned = world.events.read_of_type("MaskedNumbersAssigned", 2).await;
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
async fn a_patch_with_a_new_driver_moves_the_agent_side_and_keeps_the_customer_number() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let sessions = world.sessions();
    let created = send(
        &sessions,
        "POST",
        "/v1/sessions",
        Some(open_body("ORD-1", 1, 1)),
        None,
    )
    .await;
    assert_eq!(created.status, 201);

    let path = "/v1/sessions/ORD-1";
    world.clock.advance(chrono::Duration::seconds(30));
    let moved = send(
        &sessions,
        "PATCH",
        path,
        Some(driver_body(2)),
        Some("\"1\""),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["version"], 2);
    assert_eq!(moved.body["customer_dials"], created.body["customer_dials"]);
    assert_eq!(
        moved.body["expires_at"], created.body["expires_at"],
        "a reassignment keeps the deadline"
    );
    let customer_dials = &moved.body["customer_dials"];
    let driver_dials = moved.body["driver_dials"].as_str().unwrap();
    assert!(connects_to(
        &route_of(&world, customer_dials, &customer_phone(1)).await,
        &driver_phone(2),
        driver_dials
    ));
    // The old agent can no longer reach the customer through the order.
    let old_route = route_of(&world, &created.body["driver_dials"], &driver_phone(1)).await;
    assert!(!connects_to(
        &old_route,
        &customer_phone(1),
        customer_dials.as_str().unwrap()
    ));

    // A POST with yet another agent is a driver change too, as a later DriverAssigned would be.
    let again = send(
        &sessions,
        "POST",
        "/v1/sessions",
        Some(open_body("ORD-1", 1, 3)),
        None,
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["version"], 3);

    let versions: Vec<Value> = world
        .events
        .read_of_type("MaskedNumbersAssigned", 3)
        .await
        .iter()
        .map(|e| e.detail["version"].clone())
        .collect();
    for version in [1, 2, 3] {
        assert!(versions.contains(&json!(version)), "{versions:?}");
    }
}

#[tokio::test]
async fn concurrent_posts_for_one_order_end_with_one_session_and_one_set_of_bindings() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 8).await;
    let sessions = world.sessions();
    let replies = futures::future::join_all((0..6).map(|_| {
        send(
            &sessions,
            "POST",
            "/v1/sessions",
            Some(open_body("ORD-1", 1, 1)),
            None,
        )
    }))
    .await;
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
    assert_eq!(world.items_with_sk("SESSION").await.len(), 1);
    assert_eq!(
        world.items_with_sk("BIND#").await.len(),
        2,
        "one binding per side"
    );
}

#[tokio::test]
async fn delete_releases_with_grace_and_a_second_delete_is_harmless() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let sessions = world.sessions();
    let created = send(
        &sessions,
        "POST",
        "/v1/sessions",
        Some(open_body("ORD-1", 1, 1)),
        None,
    )
    .await;
    assert_eq!(created.status, 201);

    let first = send(&sessions, "DELETE", "/v1/sessions/ORD-1", None, None).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["state"], "released");
    let callable_until = first.body["callable_until"].as_str().unwrap().to_string();
    let until = chrono::DateTime::parse_from_rfc3339(&callable_until).unwrap();
    let grace = until.with_timezone(&chrono::Utc) - world.clock.now();
    assert!(
        grace <= chrono::Duration::seconds(maskline_tests::world::GRACE_SECONDS),
        "{grace}"
    );
    // Still callable within grace.
    assert!(connects_to(
        &route_of(&world, &created.body["customer_dials"], &customer_phone(1)).await,
        &driver_phone(1),
        created.body["driver_dials"].as_str().unwrap()
    ));

    let before = world.all_items().await;
    let second = send(&sessions, "DELETE", "/v1/sessions/ORD-1", None, None).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body["callable_until"], callable_until.as_str());
    assert_eq!(
        world.all_items().await,
        before,
        "a second DELETE writes nothing"
    );
    let released = world.events.read_of_type("MaskedNumbersReleased", 2).await;
    assert!(!released.is_empty());

    // Over: it can be neither changed nor reopened.
    let patch = send(
        &sessions,
        "PATCH",
        "/v1/sessions/ORD-1",
        Some(json!({"expires_in": 60})),
        None,
    )
    .await;
    assert_eq!(
        (patch.status, patch.body["field"].clone()),
        (410, json!("order_id"))
    );
    let reopen = send(
        &sessions,
        "POST",
        "/v1/sessions",
        Some(open_body("ORD-1", 1, 2)),
        None,
    )
    .await;
    assert_eq!(reopen.status, 410, "{}", reopen.body);
}

#[tokio::test]
async fn an_exhausted_pool_answers_409_writes_nothing_and_asks_refill() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 2).await;
    let sessions = world.sessions();
    // One customer with two orders holds both numbers' customer side: a third has none left.
    for order in ["ORD-1", "ORD-2"] {
        let reply = send(
            &sessions,
            "POST",
            "/v1/sessions",
            Some(open_body(order, 1, 1)),
            None,
        )
        .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let before = world.all_items().await;
    let refused = send(
        &sessions,
        "POST",
        "/v1/sessions",
        Some(open_body("ORD-3", 1, 2)),
        None,
    )
    .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.body["field"], "region");
    assert_eq!(refused.headers["retry-after"], "60");
    assert_eq!(world.all_items().await, before, "nothing written");
    let exhausted = world.events.read_of_type("PoolExhausted", 1).await;
    assert_eq!(exhausted[0].detail["order_id"], "ORD-3");
}

#[tokio::test]
async fn a_patch_with_a_stale_if_match_is_refused_and_changes_nothing() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 6).await;
    let sessions = world.sessions();
    send(
        &sessions,
        "POST",
        "/v1/sessions",
        Some(open_body("ORD-1", 1, 1)),
        None,
    )
    .await;
    // Dispatcher A moves the order to agent 2 from version 1...
    let first = send(
        &sessions,
        "PATCH",
        "/v1/sessions/ORD-1",
        Some(driver_body(2)),
        Some("\"1\""),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let before = world.all_items().await;
    // ...and dispatcher B, who also saw version 1, cannot undo it.
    for change in [driver_body(3), json!({"expires_in": 7200})] {
        let stale = send(
            &sessions,
            "PATCH",
            "/v1/sessions/ORD-1",
            Some(change),
            Some("\"1\""),
        )
        .await;
        assert_eq!(stale.status, 412, "{}", stale.body);
        assert_eq!(stale.body["field"], "If-Match");
    }
    assert_eq!(world.all_items().await, before, "nothing changed");
    let (_, view) = crate::support::order_numbers(&world, "ORD-1").await;
    assert_eq!(view["version"], 2);
}

#[tokio::test]
async fn expires_in_sets_the_deadline_and_a_patch_extends_a_live_session() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let sessions = world.sessions();
    let mut body = open_body("ORD-1", 1, 1);
    body["expires_in"] = json!(600);
    let created = send(&sessions, "POST", "/v1/sessions", Some(body), None).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let deadline = |reply: &Reply| {
        chrono::DateTime::parse_from_rfc3339(reply.body["expires_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let about = |at: chrono::DateTime<chrono::Utc>, seconds: i64| {
        (at - (world.clock.now() + chrono::Duration::seconds(seconds)))
            .num_seconds()
            .abs()
            <= 1
    };
    assert!(about(deadline(&created), 600), "{}", created.body);

    let extended = send(
        &sessions,
        "PATCH",
        "/v1/sessions/ORD-1",
        Some(json!({"expires_in": 3600})),
        Some("\"1\""),
    )
    .await;
    assert_eq!(extended.status, 200, "{}", extended.body);
    assert_eq!(extended.body["version"], 2);
    assert!(about(deadline(&extended), 3600), "{}", extended.body);
    // The bindings moved with the session: past the first deadline, calls still connect.
    world.clock.advance(chrono::Duration::seconds(1200));
    assert!(connects_to(
        &route_of(&world, &created.body["customer_dials"], &customer_phone(1)).await,
        &driver_phone(1),
        created.body["driver_dials"].as_str().unwrap()
    ));
    // Past the new one the session is over.
    world.clock.advance(chrono::Duration::seconds(3600));
    let late = send(
        &sessions,
        "PATCH",
        "/v1/sessions/ORD-1",
        Some(json!({"expires_in": 60})),
        None,
    )
    .await;
    assert_eq!(late.status, 410, "{}", late.body);
}

#[tokio::test]
async fn bad_requests_name_the_field_and_never_the_value() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let sessions = world.sessions();
    let bad_phone = "+9198764000x1";
    let mut body = open_body("ORD-1", 1, 1);
    body["driver"]["phone"] = json!(bad_phone);
    let cases = [
        (body, "driver.phone"),
        (json!({"order_id": "ORD-1"}), "region"),
        (json!("not an object"), "body"),
        (
            {
                let mut b = open_body("ORD-1", 1, 1);
                b["expires_in"] = json!(10 * 24 * 3600);
                b
            },
            "expires_in",
        ),
        (
            {
                let mut b = open_body("ORD-1", 1, 1);
                b["customer"]["id"] = json!(customer_phone(1));
                b
            },
            "customer.id",
        ),
    ];
    for (body, field) in cases {
        let reply = send(&sessions, "POST", "/v1/sessions", Some(body), None).await;
        assert_eq!(reply.status, 400, "{field}: {}", reply.body);
        assert_eq!(reply.body["field"], field, "{}", reply.body);
        let text = reply.body.to_string();
        for number in [customer_phone(1), driver_phone(1), bad_phone.to_string()] {
            assert!(
                !text.contains(number.trim_start_matches('+')),
                "{text} echoes a number"
            );
        }
    }
    let reply = send(
        &sessions,
        "PATCH",
        "/v1/sessions/ORD-1",
        Some(json!({})),
        None,
    )
    .await;
    assert_eq!(
        (reply.status, reply.body["field"].clone()),
        (400, json!("body"))
    );
    let reply = send(
        &sessions,
        "PATCH",
        "/v1/sessions/ORD-1",
        Some(json!({"expires_in": 60})),
        Some("1"),
    )
    .await;
    assert_eq!(
        (reply.status, reply.body["field"].clone()),
        (400, json!("If-Match"))
    );
    assert!(
        world
            .all_items()
            .await
            .iter()
            .all(|item| !item["pk"].as_s().unwrap().starts_with("ORDER#")),
        "nothing written"
    );
}

#[tokio::test]
async fn unknown_orders_and_regions_are_told_apart() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let sessions = world.sessions();
    for method in ["GET", "DELETE"] {
        let reply = send(&sessions, method, "/v1/sessions/ORD-404", None, None).await;
        assert_eq!(
            (reply.status, reply.body["field"].clone()),
            (404, json!("order_id")),
            "{method}"
        );
    }
    let reply = send(
        &sessions,
        "PATCH",
        "/v1/sessions/ORD-404",
        Some(driver_body(2)),
        None,
    )
    .await;
    assert_eq!(reply.status, 404);
    let mut body = open_body("ORD-1", 1, 1);
    body["region"] = json!("atlantis");
    let reply = send(&sessions, "POST", "/v1/sessions", Some(body), None).await;
    assert_eq!(
        (reply.status, reply.body["field"].clone()),
        (422, json!("region"))
    );
    assert!(
        world.items_with_sk("SESSION").await.is_empty(),
        "a DELETE of an unknown order writes no tombstone"
    );
    let reply = send(&sessions, "PUT", "/v1/sessions/ORD-1", None, None).await;
    assert_eq!(reply.status, 405);
    let reply = send(&sessions, "GET", "/v1/other", None, None).await;
    assert_eq!(reply.status, 404);
}
