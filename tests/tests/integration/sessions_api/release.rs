//! Ending a session: released with grace, a second `DELETE` harmless, and an ended order neither
//! changed nor reopened.

use maskline::ports::Clock;
use maskline_tests::fixtures::{customer_phone, driver_phone};
use serde_json::json;

use super::Api;
use crate::support::connects_to;

#[tokio::test]
async fn delete_releases_with_grace_and_a_second_delete_is_harmless() {
    let api = Api::with_pool(4).await;
    let created = api.open("ORD-1", 1, 1).await;
    assert_eq!(created.status, 201);

    let first = api.delete("ORD-1").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["state"], "released");
    let callable_until = first.body["callable_until"].as_str().unwrap().to_string();
    let until = chrono::DateTime::parse_from_rfc3339(&callable_until).unwrap();
    let grace = until.with_timezone(&chrono::Utc) - api.world.clock.now();
    assert!(
        grace <= chrono::Duration::seconds(maskline_tests::world::GRACE_SECONDS),
        "{grace}"
    );
    // Still callable within grace.
    assert!(connects_to(
        &api.route(&created.body["customer_dials"], &customer_phone(1))
            .await,
        &driver_phone(1),
        created.body["driver_dials"].as_str().unwrap()
    ));

    let before = api.world.all_items().await;
    let second = api.delete("ORD-1").await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body["callable_until"], callable_until.as_str());
    assert_eq!(
        api.world.all_items().await,
        before,
        "a second DELETE writes nothing"
    );
    let released = api
        .world
        .events
        .read_of_type("MaskedNumbersReleased", 2)
        .await;
    assert!(!released.is_empty());

    // Over: it can be neither changed nor reopened.
    let patch = api.patch("ORD-1", json!({"expires_in": 60}), None).await;
    assert_eq!(
        (patch.status, patch.body["field"].clone()),
        (410, json!("order_id"))
    );
    let reopen = api.open("ORD-1", 1, 2).await;
    assert_eq!(reopen.status, 410, "{}", reopen.body);
}
