//! A `PutEvents` endpoint that accepts every entry and keeps only a count: EventBridge as the
//! stream's consumer meets it in AWS, where the bus's routing runs on AWS's machines, not on the
//! consumer's. The throughput bench publishes to it through the product's own EventBridge client
//! (serializing, signing, one HTTP call per ten events), so the consumer's whole cost stays on the
//! measured machine while moto's Python, routing each event into SQS, does not.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::fake_server::{Answer, FakeServer, SeenRequest};

pub struct RemoteBus {
    server: FakeServer,
    accepted: Arc<AtomicU64>,
}

impl RemoteBus {
    pub fn start() -> RemoteBus {
        let accepted = Arc::new(AtomicU64::new(0));
        let counting = Arc::clone(&accepted);
        let server = FakeServer::start(move |request| {
            let answer = put_events(&request);
            if let Some(entries) = answer.body["Entries"].as_array() {
                counting.fetch_add(entries.len() as u64, Ordering::SeqCst);
            }
            answer
        });
        RemoteBus { server, accepted }
    }

    /// An EventBridge client on `aws` (its credentials and region) that sends here.
    pub fn client(&self, aws: &aws_config::SdkConfig) -> aws_sdk_eventbridge::Client {
        let config = aws_sdk_eventbridge::config::Builder::from(aws)
            .endpoint_url(self.server.base_url())
            .build();
        aws_sdk_eventbridge::Client::from_conf(config)
    }

    /// Entries accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// EventBridge's answer to a `PutEvents` (AWS JSON 1.1): an id per entry, none failed. A body
/// without entries is refused as EventBridge refuses it, so a client sending something else fails.
fn put_events(request: &SeenRequest) -> Answer {
    let entries = serde_json::from_str::<Value>(&request.body)
        .ok()
        .and_then(|body| body["Entries"].as_array().map(Vec::len))
        .filter(|&n| (1..=10).contains(&n));
    match entries {
        Some(n) => Answer::json(
            200,
            json!({
                "FailedEntryCount": 0,
                "Entries": (0..n).map(|i| json!({ "EventId": format!("remote-{i}") })).collect::<Vec<_>>(),
            }),
        ),
        None => Answer::json(
            400,
            json!({
                "__type": "ValidationException",
                "message": "PutEvents takes 1 to 10 entries",
            }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maskline::adapters::eventbridge::EventBridgePublisher;
    use maskline::domain::events::PublishedEvent;
    use maskline::domain::ids::{OrderId, Region};
    use maskline::domain::AllocationPolicy;
    use maskline::ports::EventPublisher;

    fn sample_event(n: u32) -> PublishedEvent {
        PublishedEvent::PoolExhausted {
            region: Region::parse("remote").unwrap(),
            order_id: OrderId::parse(&format!("ORD-{n}")).unwrap(),
            policy: AllocationPolicy::Shared,
        }
    }

    fn aws() -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_eventbridge::config::SharedCredentialsProvider::new(
                aws_sdk_eventbridge::config::Credentials::for_tests(),
            ))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build()
    }

    #[tokio::test]
    async fn the_products_publisher_gets_every_event_accepted_in_calls_of_ten() {
        let bus = RemoteBus::start();
        let publisher = EventBridgePublisher::new(bus.client(&aws()), "maskline-remote");
        let events: Vec<PublishedEvent> = (0..23).map(sample_event).collect();

        publisher
            .publish_all(&events)
            .await
            .expect("every entry accepted");

        assert_eq!(bus.accepted(), 23);
    }

    #[tokio::test]
    async fn a_call_that_is_not_put_events_is_refused() {
        let answer = put_events(&SeenRequest {
            method: "POST".into(),
            path: "/".into(),
            query: Default::default(),
            form: Default::default(),
            body: r#"{"Name":"bus"}"#.into(),
            basic_auth: None,
        });
        assert_eq!(answer.status, 400);
    }
}
