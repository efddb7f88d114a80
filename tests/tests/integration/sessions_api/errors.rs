//! Refusals: each names the field, never echoes a value (a phone number, most likely), and
//! writes nothing; an unknown order and an unknown region are told apart.

use maskline_tests::fixtures::{customer_phone, driver_phone};
use serde_json::json;

use super::{driver_body, open_body, Api};

#[tokio::test]
async fn bad_requests_name_the_field_and_never_the_value() {
    let api = Api::with_pool(4).await;
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
        let reply = api.post(body).await;
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
    let reply = api.patch("ORD-1", json!({}), None).await;
    assert_eq!(
        (reply.status, reply.body["field"].clone()),
        (400, json!("body"))
    );
    let reply = api
        .patch("ORD-1", json!({"expires_in": 60}), Some("1"))
        .await;
    assert_eq!(
        (reply.status, reply.body["field"].clone()),
        (400, json!("If-Match"))
    );
    assert!(
        api.world
            .all_items()
            .await
            .iter()
            .all(|item| !item["pk"].as_s().unwrap().starts_with("ORDER#")),
        "nothing written"
    );
}

#[tokio::test]
async fn unknown_orders_and_regions_are_told_apart() {
    let api = Api::with_pool(4).await;
    for method in ["GET", "DELETE"] {
        let reply = api.send(method, "/v1/sessions/ORD-404", None, None).await;
        assert_eq!(
            (reply.status, reply.body["field"].clone()),
            (404, json!("order_id")),
            "{method}"
        );
    }
    let reply = api.patch("ORD-404", driver_body(2), None).await;
    assert_eq!(reply.status, 404);
    let mut body = open_body("ORD-1", 1, 1);
    body["region"] = json!("atlantis");
    let reply = api.post(body).await;
    assert_eq!(
        (reply.status, reply.body["field"].clone()),
        (422, json!("region"))
    );
    assert!(
        api.world.items_with_sk("SESSION").await.is_empty(),
        "a DELETE of an unknown order writes no tombstone"
    );
    let reply = api.send("PUT", "/v1/sessions/ORD-1", None, None).await;
    assert_eq!(reply.status, 405);
    let reply = api.send("GET", "/v1/other", None, None).await;
    assert_eq!(reply.status, 404);
}
