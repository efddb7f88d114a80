//! The files in `events/` (what `cargo lambda invoke --data-file` sends) work with their handlers.

use lambda_http::Body;
use maskline::domain::AllocationPolicy;
use maskline_tests::World;

use crate::support::india;

fn read(name: &str) -> String {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn each_sample_event_drives_its_function() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;

    let assigned = serde_json::from_str(&read("driver-assigned.json")).unwrap();
    let response = allocate_numbers::handler::handle(
        &world.allocator(AllocationPolicy::Shared),
        india(),
        assigned,
    )
    .await;
    assert!(response.batch_item_failures.is_empty());

    let request = lambda_http::request::from_str(&read("order-numbers.json")).unwrap();
    let response = order_numbers::handler::handle(&world.order_numbers(), request).await;
    assert_eq!(response.status(), 200);
    let Body::Text(text) = response.body() else {
        panic!("expected a JSON body")
    };
    let view: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(view["order_id"], "ORD-1");
    assert_eq!(view["state"], "active");

    for file in ["order-delivered.json", "order-cancelled.json"] {
        let ended = serde_json::from_str(&read(file)).unwrap();
        let response = release_numbers::handler::handle(&world.releaser(), ended).await;
        assert!(response.batch_item_failures.is_empty(), "{file}");
    }
    let (_, view) = crate::support::order_numbers(&world, "ORD-1").await;
    assert_eq!(view["state"], "released");
}
