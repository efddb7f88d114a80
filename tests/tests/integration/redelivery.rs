//! What happens to a DriverAssigned that fails, on real (moto) queues: a malformed one is parked in
//! the dead-letter queue at once (no retry loop), one that met an exhausted pool is hidden for a
//! growing delay while refill buys numbers, instead of burning its receives in minutes.

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use maskline::adapters::sqs_batch::{retry_delay_seconds, Redelivery};
use maskline::domain::AllocationPolicy;
use maskline_tests::fixtures::driver_assigned;
use maskline_tests::world::World;
use serde_json::{json, Value};

use crate::support::{allocate_ok, india};

async fn queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    sqs.create_queue()
        .queue_name(name)
        // Short, so a failure left to the queue's own timeout would be visible again at once.
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .send()
        .await
        .expect("creating a queue on moto")
        .queue_url
        .unwrap()
}

/// Receives what the queue holds now, as the Lambda event SQS would build from it.
async fn receive_as_event(sqs: &aws_sdk_sqs::Client, url: &str) -> (Value, usize) {
    let received = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let records: Vec<Value> = received
        .messages()
        .iter()
        .map(|m| {
            let count = m
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .cloned()
                .unwrap_or_else(|| "1".into());
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": { "ApproximateReceiveCount": count },
                "messageAttributes": {},
                "eventSource": "aws:sqs",
            })
        })
        .collect();
    let count = records.len();
    (json!({ "Records": records }), count)
}

#[tokio::test]
async fn poison_is_parked_at_once_and_an_exhausted_pool_waits_for_refill() {
    let world = World::new().await;
    let sqs = aws_sdk_sqs::Client::new(&maskline::adapters::aws_config().await);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let source = queue(&sqs, &format!("allocate-{id}")).await;
    let dead_letters = queue(&sqs, &format!("allocate-dlq-{id}")).await;

    // Two VNs carry two orders of one agent; the agent's third order finds none: exhausted.
    world.add_pool("blr", "airtel", 1, 2).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    allocate_ok(&world, &[driver_assigned("ORD-2", "blr", 2, 1)]).await;
    let exhausted = driver_assigned("ORD-3", "blr", 3, 1);
    for body in [exhausted.as_str(), "{\"detail-type\": 42}"] {
        sqs.send_message()
            .queue_url(&source)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }

    let (event, received) = receive_as_event(&sqs, &source).await;
    assert_eq!(received, 2);
    let redelivery = Redelivery::new(
        sqs.clone(),
        Some(source.clone()),
        Some(dead_letters.clone()),
    );
    let response = allocate_numbers::handler::handle(
        &world.allocator(AllocationPolicy::Shared),
        india(),
        &redelivery,
        serde_json::from_value(event.clone()).unwrap(),
    )
    .await;

    // Only the exhausted order goes back to SQS; the malformed one was acknowledged...
    let exhausted_id = event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["body"] == exhausted.as_str())
        .unwrap()["messageId"]
        .as_str()
        .unwrap()
        .to_string();
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, [exhausted_id.as_str()]);
    // As Lambda does, delete what the function acknowledged.
    for record in event["Records"].as_array().unwrap() {
        if record["messageId"] != exhausted_id.as_str() {
            sqs.delete_message()
                .queue_url(&source)
                .receipt_handle(record["receiptHandle"].as_str().unwrap())
                .send()
                .await
                .unwrap();
        }
    }

    // ...because it is in the dead-letter queue already, with the reason (and no number).
    let parked = sqs
        .receive_message()
        .queue_url(&dead_letters)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap();
    assert_eq!(parked.messages().len(), 1);
    let parked = &parked.messages()[0];
    assert_eq!(parked.body(), Some("{\"detail-type\": 42}"));
    let reason = parked.message_attributes().unwrap()["failure_reason"]
        .string_value()
        .unwrap();
    assert!(reason.contains("malformed"), "{reason}");

    // The exhausted order stays hidden for the first retry delay, not the queue's 1 s.
    assert!(retry_delay_seconds(1) >= 30);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let (_, visible_again) = receive_as_event(&sqs, &source).await;
    assert_eq!(
        visible_again, 0,
        "the retry was delayed while the pool refills"
    );
}
